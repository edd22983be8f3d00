/*
 * flags.c - lab 8: the four pieces of the flags downloader that decide
 * whether waiting together goes right: the tally the workers share, the
 * limit on downloads in flight, libcurl's one-time initialisation, and
 * the quota the coroutines share. The contract of every function is in
 * include/flags.h; the machinery around them (the server, the transfers,
 * the modes, the coroutine scheduler) is in src/flags_*.c.
 *
 * labs/flags.c is the exercise (grade it: make check LAB=flags),
 * solutions/flags.c the reference fix; `make diff LAB=flags` shows the
 * difference. Each rl_fuzz() mark is a point where --fuzz may pause a
 * thread: keep them, they make a race show on every run.
 */
#include "flags.h"
#include "racelab.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>

/* ---- tally: counts every worker bumps ----------------------------------- */

/* TODO(lab 8) tally: no count may be lost when workers add at once.
 * Contract: flags_tally_add adds exactly one to outcome o's count, called
 * by any number of threads at once; flags_tally_get reads a count once
 * every adding thread is joined. A lock around the read and the write
 * does it, or one indivisible atomic step per add; keep the rl_fuzz mark
 * inside whatever makes the two one. (The futures mode needs no tally at
 * all: each result comes back in its future, and one thread counts.) */
struct flags_tally {
    long count[FLAGS_OUTCOMES];
};

struct flags_tally *flags_tally_create(void)
{
    struct flags_tally *t = calloc(1, sizeof *t);
    if (!t)
        rl_die_errno("flags_tally_create", ENOMEM);
    return t;
}

void flags_tally_destroy(struct flags_tally *t)
{
    free(t);
}

void flags_tally_add(struct flags_tally *t, enum flags_outcome o)
{
    long seen = t->count[o];
    rl_fuzz_stall("flags: tally between read and write", 1000, 5000);
    t->count[o] = seen + 1;
}

long flags_tally_get(struct flags_tally *t, enum flags_outcome o)
{
    return t->count[o];
}

/* ---- limit: at most k downloads in flight -------------------------------- */

/* TODO(lab 8) limit: never more than k inside. Contract: flags_limit_enter
 * returns once the caller is one of at most k threads between enter and
 * leave, and waits meanwhile without burning a CPU (block: a semaphore,
 * or a mutex and a condition variable waited on in a loop); with k or
 * more threads wanting in, k get in at once. Looking at `inside` and then
 * bumping it is two steps: another thread gets between them. */
struct flags_limit {
    int k;
    int inside;
};

struct flags_limit *flags_limit_create(int k)
{
    struct flags_limit *l = calloc(1, sizeof *l);
    if (!l)
        rl_die_errno("flags_limit_create", ENOMEM);
    l->k = k;
    return l;
}

void flags_limit_destroy(struct flags_limit *l)
{
    free(l);
}

void flags_limit_enter(struct flags_limit *l)
{
    while (l->inside >= l->k)
        sched_yield();
    rl_fuzz("flags: limit between the check and the entry");
    l->inside++;
}

void flags_limit_leave(struct flags_limit *l)
{
    l->inside--;
}

/* ---- init: libcurl's global initialisation, once ------------------------- */

/* TODO(lab 8) init: curl_global_init exactly once, finished before anyone
 * goes on. Contract: whichever threads call flags_curl_ready, at once or
 * not, curl_global_init(CURL_GLOBAL_DEFAULT) runs once in the process,
 * and no call returns before it has returned. A plain flag checked and
 * then set lets two threads both see "not yet"; a flag set before the
 * init lets a thread go on while the init still runs. */
static bool curl_ready;

void flags_curl_ready(void)
{
    if (!curl_ready) {
        rl_fuzz("flags: between the check and the init");
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = true;
    }
}

/* ---- quota: a budget the coroutines share -------------------------------- */

/* TODO(lab 8) quota: never keep more flags than the quota, though only one
 * coroutine runs at a time. Contract in include/flags.h (flags_quota_task).
 * Between the check and the spending below lies an await: every other
 * coroutine runs there, checks the same quota, and finds it unspent. Hold
 * a decision across an await only if nothing can change it meanwhile:
 * take your share before the await (and give it back if the download
 * fails), or check again after it. */
struct flags_quota {
    long left;
};

struct flags_quota *flags_quota_create(long n)
{
    struct flags_quota *q = calloc(1, sizeof *q);
    if (!q)
        rl_die_errno("flags_quota_create", ENOMEM);
    q->left = n;
    return q;
}

void flags_quota_destroy(struct flags_quota *q)
{
    free(q);
}

long flags_quota_left(const struct flags_quota *q)
{
    return q->left;
}

int flags_quota_task(void *arg)
{
    struct flags_quota_task *t = arg;
    CO_BEGIN(&t->co);
    if (t->quota->left > 0) {
        CO_AWAIT_FETCH(&t->co, t->sched, t->xfer);
        if (t->xfer->result.outcome == FLAGS_OK) {
            t->quota->left--;
            t->kept = true;
        }
    }
    CO_END(&t->co);
}

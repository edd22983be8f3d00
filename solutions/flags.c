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
#include <semaphore.h>
#include <stdlib.h>

/* ---- tally: counts every worker bumps ----------------------------------- */

/* The futures mode needs no tally at all: each result comes back in its
 * future, and one thread counts. The threads mode shares one, so its read
 * and its write are one critical section. */
struct flags_tally {
    pthread_mutex_t lock;
    long count[FLAGS_OUTCOMES]; /* guarded by lock */
};

struct flags_tally *flags_tally_create(void)
{
    struct flags_tally *t = calloc(1, sizeof *t);
    if (!t)
        rl_die_errno("flags_tally_create", ENOMEM);
    rl_mutex_init(&t->lock);
    return t;
}

void flags_tally_destroy(struct flags_tally *t)
{
    rl_mutex_destroy(&t->lock);
    free(t);
}

void flags_tally_add(struct flags_tally *t, enum flags_outcome o)
{
    rl_mutex_lock(&t->lock);
    long seen = t->count[o];
    rl_fuzz_stall("flags: tally between read and write", 1000, 5000);
    t->count[o] = seen + 1;
    rl_mutex_unlock(&t->lock);
}

long flags_tally_get(struct flags_tally *t, enum flags_outcome o)
{
    rl_mutex_lock(&t->lock); /* not needed after the joins; cheap, and right */
    long n = t->count[o];
    rl_mutex_unlock(&t->lock);
    return n;
}

/* ---- limit: at most k downloads in flight -------------------------------- */

/* A counting semaphore is this exactly: k permits, sem_wait takes one
 * (blocking while there is none), sem_post gives it back. The check and
 * the taking are one indivisible step inside it. */
struct flags_limit {
    sem_t permits; /* k minus the threads inside */
};

struct flags_limit *flags_limit_create(int k)
{
    struct flags_limit *l = calloc(1, sizeof *l);
    if (!l)
        rl_die_errno("flags_limit_create", ENOMEM);
    if (sem_init(&l->permits, 0, (unsigned)k) != 0)
        rl_die_errno("sem_init", errno);
    return l;
}

void flags_limit_destroy(struct flags_limit *l)
{
    sem_destroy(&l->permits);
    free(l);
}

void flags_limit_enter(struct flags_limit *l)
{
    rl_fuzz("flags: limit before the entry");
    /* A signal may interrupt the wait (EINTR): wait again. */
    while (sem_wait(&l->permits) != 0) {
        if (errno != EINTR)
            rl_die_errno("sem_wait", errno);
    }
}

void flags_limit_leave(struct flags_limit *l)
{
    if (sem_post(&l->permits) != 0)
        rl_die_errno("sem_post", errno);
}

/* ---- init: libcurl's global initialisation, once ------------------------- */

/* pthread_once runs its function exactly once, and every other caller
 * waits until that run has returned: the contract, word for word. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    rl_fuzz("flags: between the check and the init");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        rl_die_errno("curl_global_init", EIO);
}

void flags_curl_ready(void)
{
    int err = pthread_once(&curl_once, curl_init_once);
    if (err != 0)
        rl_die_errno("pthread_once", err);
}

/* ---- quota: a budget the coroutines share -------------------------------- */

/* Only one coroutine runs at a time, so there is no data race here; but
 * every await lets the others run. The check and the spending must have
 * no await between them: take the share before the download, give it
 * back if the download fails. */
struct flags_quota {
    long left; /* one thread: the coroutines' own */
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
    if (t->quota->left == 0)
        CO_RETURN(&t->co);
    t->quota->left--; /* reserved: no await between the check and this */
    CO_AWAIT_FETCH(&t->co, t->sched, t->xfer);
    if (t->xfer->result.outcome == FLAGS_OK)
        t->kept = true;
    else
        t->quota->left++; /* a failed download costs nothing */
    CO_END(&t->co);
}

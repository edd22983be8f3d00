/*
 * bank_run.c - lab 6's driver: the bank, the lock functions that keep the
 * books, the table of strategies, and the one run that drives any of them
 * with a watchdog. The program (bank_main.c), the tests and the benchmark
 * all go through bank_run(), so they measure the same thing.
 *
 * The books: each account notes which teller holds its lock, each teller
 * which account it waits for. They cost two relaxed atomic stores a lock,
 * and they let the watchdog say, when nothing moves, exactly who waits for
 * whom: a deadlock is a cycle in that graph.
 */
#include "bank.h"
#include "racelab.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const struct bank_strategy bank_strategies[] = {
    {"unsafe", bank_unsafe_transfer, bank_unsafe_audit},
    {"ordered", bank_ordered_transfer, bank_ordered_audit},
    {"trylock", bank_trylock_transfer, bank_trylock_audit},
    {NULL, NULL, NULL},
};

const struct bank_strategy *bank_find(const char *name)
{
    for (const struct bank_strategy *s = bank_strategies; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

/* ---- the bank ------------------------------------------------------------ */

void bank_account_init(struct bank *b, struct bank_account *a, int id, long opening)
{
    rl_mutex_init(&a->lock);
    a->balance = opening;
    a->id = id;
    a->bank = b;
    atomic_init(&a->holder, -1);
    b->account[id] = a;
}

struct bank *bank_open(int naccounts, long opening, uint64_t layout_seed)
{
    if (naccounts < 1 || naccounts > BANK_MAX_ACCOUNTS)
        rl_die_errno("bank_open: account count", EINVAL);
    struct bank *b = calloc(1, sizeof *b);
    struct bank_account *slots = calloc((size_t)naccounts, sizeof *slots);
    if (!b || !slots)
        rl_die_errno("calloc", ENOMEM);
    b->naccounts = naccounts;
    b->opening = opening;
    b->slots = slots;
    /* Shuffle which slot holds which id (Fisher-Yates). */
    int slot[BANK_MAX_ACCOUNTS];
    for (int i = 0; i < naccounts; i++)
        slot[i] = i;
    uint64_t state = layout_seed ^ 0x6a09e667f3bcc909u;
    for (int i = naccounts - 1; i > 0; i--) {
        int j = (int)(rl_random(&state) % (uint64_t)(i + 1));
        int t = slot[i];
        slot[i] = slot[j];
        slot[j] = t;
    }
    for (int id = 0; id < naccounts; id++)
        bank_account_init(b, &slots[slot[id]], id, opening);
    for (int t = 0; t < BANK_TELLERS; t++)
        atomic_init(&b->waits_for[t], -1);
    atomic_init(&b->progress, 0);
    return b;
}

void bank_close(struct bank *b)
{
    for (int id = 0; id < b->naccounts; id++)
        rl_mutex_destroy(&b->account[id]->lock);
    free(b->slots);
    free(b);
}

long bank_total(const struct bank *b)
{
    long total = 0;
    for (int id = 0; id < b->naccounts; id++)
        total += b->account[id]->balance;
    return total;
}

/* ---- locks that keep the books ------------------------------------------ */

static _Thread_local int teller = -1; /* thread-private: this thread's number */

void bank_be_teller(int n)
{
    teller = n;
    rl_fuzz_thread((unsigned)n);
}

/* The auditor's holdings in its current audit: its own, thread-local. */
static _Thread_local int audit_held, audit_most;

/* A lock taken: the holder in the books, and the auditor's progress. */
static void took(struct bank_account *a)
{
    atomic_store_explicit(&a->holder, teller, memory_order_relaxed);
    if (teller == BANK_AUDITOR && ++audit_held > audit_most) {
        audit_most = audit_held;
        atomic_fetch_add_explicit(&a->bank->audit_steps, 1, memory_order_relaxed);
    }
}

void bank_lock(struct bank_account *a)
{
    struct bank *b = a->bank;
    rl_fuzz("bank: before lock");
    if (teller >= 0)
        atomic_store_explicit(&b->waits_for[teller], a->id, memory_order_relaxed);
    rl_mutex_lock(&a->lock);
    if (teller >= 0)
        atomic_store_explicit(&b->waits_for[teller], -1, memory_order_relaxed);
    took(a);
    /* The window in which a second teller can take the lock this one
     * wants next. */
    rl_fuzz("bank: locked");
}

bool bank_trylock(struct bank_account *a)
{
    rl_fuzz("bank: before trylock");
    int err = pthread_mutex_trylock(&a->lock);
    if (err == EBUSY) {
        /* Wanting it counts as waiting for it, until a lock is taken: a
         * thread that keeps trying while it holds another account waits
         * as surely as one that blocks. */
        if (teller >= 0)
            atomic_store_explicit(&a->bank->waits_for[teller], a->id, memory_order_relaxed);
        return false;
    }
    if (err != 0)
        rl_die_errno("pthread_mutex_trylock", err);
    if (teller >= 0)
        atomic_store_explicit(&a->bank->waits_for[teller], -1, memory_order_relaxed);
    took(a);
    rl_fuzz("bank: locked");
    return true;
}

void bank_unlock(struct bank_account *a)
{
    if (teller == BANK_AUDITOR)
        audit_held--;
    atomic_store_explicit(&a->holder, -1, memory_order_relaxed);
    rl_mutex_unlock(&a->lock);
    rl_fuzz("bank: unlocked");
}

void bank_backoff(unsigned attempt)
{
    static _Thread_local uint64_t state; /* thread-private */
    if (state == 0)
        state = 0x243f6a8885a308d3u ^ (uint64_t)(teller + 2);
    if (attempt == 0) {
        sched_yield();
        return;
    }
    /* Up to 2, 4, 8 ... 256 microseconds, drawn at random. */
    long cap = attempt >= 8 ? 256 : 1L << attempt;
    long us = 1 + (long)(rl_random(&state) % (uint64_t)cap);
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* ---- who waits for whom ------------------------------------------------- */

static void teller_name(char *buf, size_t size, int t)
{
    if (t == BANK_AUDITOR)
        snprintf(buf, size, "the auditor");
    else
        snprintf(buf, size, "thread %d", t);
}

/* Appends to buf at *len, never past size. */
static void put(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    if (*len >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < size ? *len + (size_t)n : size;
}

bool bank_describe(struct bank *b, char *buf, size_t size)
{
    size_t len = 0;
    int holder[BANK_MAX_ACCOUNTS];
    int waits[BANK_TELLERS];
    for (int id = 0; id < b->naccounts; id++)
        holder[id] = atomic_load_explicit(&b->account[id]->holder, memory_order_relaxed);
    for (int t = 0; t < BANK_TELLERS; t++)
        waits[t] = atomic_load_explicit(&b->waits_for[t], memory_order_relaxed);
    buf[0] = '\0';

    for (int t = 0; t < BANK_TELLERS; t++) {
        int held = 0;
        for (int id = 0; id < b->naccounts; id++)
            held += holder[id] == t;
        if (held == 0 && waits[t] < 0)
            continue;
        char name[32];
        teller_name(name, sizeof name, t);
        put(buf, size, &len, "  %s", name);
        if (held > 0) {
            put(buf, size, &len, " holds account%s", held > 1 ? "s" : "");
            for (int id = 0, shown = 0; id < b->naccounts; id++) {
                if (holder[id] != t)
                    continue;
                if (shown++ == 8) {
                    put(buf, size, &len, " ...");
                    break;
                }
                put(buf, size, &len, " %d", id);
            }
        }
        int w = waits[t];
        if (w >= 0) {
            put(buf, size, &len, "%s waits for account %d", held > 0 ? " and" : "", w);
            if (holder[w] == t) {
                put(buf, size, &len, ", which it holds itself");
            } else if (holder[w] >= 0) {
                teller_name(name, sizeof name, holder[w]);
                put(buf, size, &len, ", held by %s", name);
            }
        }
        put(buf, size, &len, "\n");
    }

    /* A cycle: follow "waits for an account held by" from each teller. */
    for (int start = 0; start < BANK_TELLERS; start++) {
        int t = start;
        for (int steps = 0; steps <= BANK_TELLERS && t >= 0 && waits[t] >= 0; steps++) {
            t = holder[waits[t]];
            if (t != start)
                continue;
            char name[32];
            teller_name(name, sizeof name, start);
            put(buf, size, &len, "  a cycle: %s", name);
            int u = start;
            do {
                u = holder[waits[u]];
                teller_name(name, sizeof name, u);
                put(buf, size, &len, " -> %s", name);
            } while (u != start);
            put(buf, size, &len, "\n");
            return true;
        }
    }
    if (len == 0)
        put(buf, size, &len, "  no thread holds or waits for an account "
                             "(busy without progress: a livelock?)\n");
    return false;
}

/* ---- the run ------------------------------------------------------------ */

struct run {
    struct bank *bank;
    const struct bank_strategy *s;
    struct bank_config c;
    pthread_barrier_t start;        /* tellers + auditor + the watchdog */
    atomic_int tellers_done;        /* relaxed: the watchdog polls it */
    atomic_bool stop;               /* relaxed: tells the auditor to stop */
    atomic_bool auditor_done;       /* release/acquire: its counts are final */
    int64_t start_ns[RL_MAX_THREADS], end_ns[RL_MAX_THREADS]; /* per teller */
    long audits, bad_audits, first_bad; /* the auditor's; read after auditor_done */
};

struct teller_arg {
    struct run *run;
    int n;
};

static void start_together(struct run *r)
{
    int err = pthread_barrier_wait(&r->start);
    if (err != 0 && err != PTHREAD_BARRIER_SERIAL_THREAD)
        rl_die_errno("pthread_barrier_wait", err);
}

static void *teller_main(void *p)
{
    struct teller_arg *ta = p;
    struct run *r = ta->run;
    int n = ta->n;
    struct bank *b = r->bank;
    uint64_t state = r->c.seed * 0x9e3779b97f4a7c15u + (uint64_t)n;
    bank_be_teller(n);
    start_together(r);
    r->start_ns[n] = rl_now_ns();
    for (long k = 0; k < r->c.transfers; k++) {
        uint64_t x = rl_random(&state);
        struct bank_account *from = b->account[x % (uint64_t)b->naccounts];
        struct bank_account *to = b->account[(x >> 20) % (uint64_t)b->naccounts];
        long amount = 1 + (long)((x >> 40) % 100);
        r->s->transfer(from, to, amount);
        atomic_fetch_add_explicit(&b->progress, 1, memory_order_relaxed);
    }
    r->end_ns[n] = rl_now_ns();
    atomic_fetch_add_explicit(&r->tellers_done, 1, memory_order_relaxed);
    return NULL;
}

static void *auditor_main(void *p)
{
    struct run *r = p;
    long expected = (long)r->bank->naccounts * r->bank->opening;
    bank_be_teller(BANK_AUDITOR);
    start_together(r);
    /* At least one audit, however short the run. */
    do {
        audit_most = 0; /* a new audit: its first holds count again */
        long total = r->s->audit(r->bank);
        r->audits++;
        if (total != expected && r->bad_audits++ == 0)
            r->first_bad = total;
        /* An audit holds every lock: leave the tellers room to work. */
        const struct timespec pause = {0, 200 * 1000};
        nanosleep(&pause, NULL);
    } while (!atomic_load_explicit(&r->stop, memory_order_relaxed));
    /* release: pairs with the acquire in auditor_finished; bank_run then
     * reads the counts above. */
    atomic_store_explicit(&r->auditor_done, true, memory_order_release);
    return NULL;
}

/* What the runtime's watchdog watches: the transfers and the auditor's
 * steps, until every teller is done; then, with nothing left to count,
 * the auditor's last audit. */
static long transfers_done(void *ctx)
{
    struct run *r = ctx;
    return atomic_load_explicit(&r->bank->progress, memory_order_relaxed) +
           atomic_load_explicit(&r->bank->audit_steps, memory_order_relaxed);
}

static bool tellers_finished(void *arg)
{
    struct run *r = arg;
    return atomic_load_explicit(&r->tellers_done, memory_order_relaxed) >= r->c.threads;
}

static bool auditor_finished(void *arg)
{
    struct run *r = arg;
    /* acquire: pairs with the release at the end of auditor_main, so
     * bank_run then reads its counts. */
    return atomic_load_explicit(&r->auditor_done, memory_order_acquire);
}

/* The watchdog's verdict: the run is stuck. The threads stay where they
 * are, so the run and the bank stay allocated. */
static struct bank_result stuck(struct run *r, struct bank_result res)
{
    res.stuck = true;
    res.transfers = atomic_load_explicit(&r->bank->progress, memory_order_relaxed);
    res.deadlock = bank_describe(r->bank, res.report, sizeof res.report);
    return res;
}

struct bank_result bank_run(const struct bank_strategy *s, const struct bank_config *c)
{
    struct run *r = calloc(1, sizeof *r); /* on the heap: left behind if stuck */
    struct teller_arg *args = calloc((size_t)c->threads, sizeof *args);
    if (!r || !args)
        rl_die_errno("calloc", ENOMEM);
    r->bank = bank_open(c->accounts, c->opening, c->seed);
    r->s = s;
    r->c = *c;
    atomic_init(&r->tellers_done, 0);
    atomic_init(&r->stop, false);
    atomic_init(&r->auditor_done, !c->audit);
    struct bank_result res = {.expected = bank_total(r->bank)};
    /* The opening: one round trip of nothing between the first two
     * accounts, here, before any teller starts. One thread cannot deadlock
     * with itself, but a strategy that locks in argument order has now
     * taken the two locks in both orders, and ThreadSanitizer's lock graph
     * holds the cycle: `make tsan` reports the inversion on every run, even
     * one whose tellers deadlock on their very first transfers (before
     * this, such a run showed no report). Nothing moves, nothing counts. */
    if (c->accounts >= 2) {
        s->transfer(r->bank->account[0], r->bank->account[1], 0);
        s->transfer(r->bank->account[1], r->bank->account[0], 0);
    }

    int parties = c->threads + 1 + (c->audit ? 1 : 0);
    int err = pthread_barrier_init(&r->start, NULL, (unsigned)parties);
    if (err != 0)
        rl_die_errno("pthread_barrier_init", err);
    pthread_t tids[RL_MAX_THREADS], auditor;
    for (int i = 0; i < c->threads; i++) {
        args[i] = (struct teller_arg){r, i};
        rl_thread_create(&tids[i], teller_main, &args[i]);
    }
    if (c->audit)
        rl_thread_create(&auditor, auditor_main, r);
    start_together(r);

    /* The watchdog, in this thread: the tellers must keep moving money,
     * then the auditor must finish its last audit within as long. */
    struct rl_watchdog watchdog = {.progress = transfers_done, .ctx = r,
                                   .quiet_ms = c->stuck_ms};
    if (!rl_watchdog_watch(&watchdog, tellers_finished, r))
        return stuck(r, res);
    atomic_store_explicit(&r->stop, true, memory_order_relaxed);
    watchdog.progress = NULL; /* a deadline: an audit moves no count */
    if (!rl_watchdog_watch(&watchdog, auditor_finished, r))
        return stuck(r, res);

    int64_t first = INT64_MAX, end = INT64_MIN;
    for (int i = 0; i < c->threads; i++) {
        rl_thread_join(tids[i], NULL);
        first = r->start_ns[i] < first ? r->start_ns[i] : first;
        end = r->end_ns[i] > end ? r->end_ns[i] : end;
    }
    if (c->audit)
        rl_thread_join(auditor, NULL);
    err = pthread_barrier_destroy(&r->start);
    if (err != 0)
        rl_die_errno("pthread_barrier_destroy", err);

    res.seconds = (double)(end - first) / 1e9;
    res.total = bank_total(r->bank);
    res.transfers = atomic_load_explicit(&r->bank->progress, memory_order_relaxed);
    res.audits = r->audits;
    res.bad_audits = r->bad_audits;
    res.first_bad = r->first_bad;
    bank_close(r->bank);
    free(args);
    free(r);
    return res;
}

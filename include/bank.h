/*
 * bank.h - lab 6: a bank whose accounts each have their own mutex. Worker
 * threads (tellers) move money between random pairs of accounts while an
 * auditor thread adds up every balance. Money is only moved, never made or
 * destroyed, so the total must never change: that is the invariant.
 *
 * A transfer needs two locks at once, and two tellers that take the same
 * two locks in opposite orders can each hold one and wait for the other
 * forever: a deadlock. Each strategy is a pair of functions with one
 * contract, so the program, the tests and the benchmark drive any of them
 * the same way:
 *
 *   bank_X_transfer(from, to, amount)
 *       called by many tellers at once: take amount from from->balance and
 *       add it to to->balance, as one step no other thread can see half
 *       done. from and to may be the same account (then nothing changes).
 *       Balances may go below zero (the bank lends freely).
 *   bank_X_audit(bank)
 *       called by the auditor while tellers run: return the sum of every
 *       balance as it stood at one moment (hold every account's lock at
 *       once while reading, taken in the bank's one lock order).
 *
 * Lock accounts only with bank_lock(), bank_trylock() and bank_unlock():
 * besides the mutex, they keep the books the watchdog reads to say who
 * waits for whom when a run deadlocks.
 *
 * The specimen is in src/bank_unsafe.c, the exercises in labs/bank.c, their
 * reference fixes in solutions/bank.c; the driver in src/bank_run.c.
 */
#ifndef BANK_H
#define BANK_H

#include "racelab.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* At most this many accounts: the audit holds every lock at once, and
 * ThreadSanitizer's deadlock detector keeps a small, fixed table (64) of
 * the locks one thread holds. */
enum { BANK_MAX_ACCOUNTS = 60 };

/* The auditor's teller number, in the books and in messages. Tellers are
 * 0 .. threads-1. */
enum { BANK_AUDITOR = RL_MAX_THREADS, BANK_TELLERS = RL_MAX_THREADS + 1 };

struct bank;

struct bank_account {
    pthread_mutex_t lock;   /* guards balance; take it with bank_lock() */
    long balance;           /* guarded by lock */
    int id;                 /* 0 .. naccounts-1; never changes: the lock order */
    struct bank *bank;      /* never changes */
    _Atomic int holder;     /* the books: teller holding lock, or -1; relaxed */
};

struct bank {
    int naccounts;
    long opening;           /* each account's balance when the bank opened */
    /* account[id], for id 0 .. naccounts-1. In memory the accounts lie in
     * a shuffled order, as an allocator might place them: ordering locks
     * by address is not ordering them by id. */
    struct bank_account *account[BANK_MAX_ACCOUNTS];
    struct bank_account *slots; /* the accounts as laid out in memory */
    /* The books: the account each teller waits to lock (or last failed to
     * try-lock, until it takes a lock), or -1; relaxed. */
    _Atomic int waits_for[BANK_TELLERS];
    _Atomic long progress;  /* transfers done, for the watchdog; relaxed */
    /* The auditor's progress, for the watchdog: each account it holds for
     * the first time in an audit; relaxed. A slow audit is not a stuck
     * one, and one that retries forever does not count twice. */
    _Atomic long audit_steps;
};

/* ---- locking an account: use only these -------------------------------- */

/* Blocks until the calling thread holds a's lock. */
void bank_lock(struct bank_account *a);
/* Takes a's lock if it is free: true, now held; false, not held (busy). */
bool bank_trylock(struct bank_account *a);
/* Releases a's lock, held by the calling thread. */
void bank_unlock(struct bank_account *a);

/* After a failed bank_trylock, with nothing held: waits a little, longer
 * as attempt (0, 1, 2, ...) grows, for a random time drawn from the
 * calling teller's own stream, so two tellers that collided do not retry
 * in lockstep. */
void bank_backoff(unsigned attempt);

/* ---- the strategies ------------------------------------------------------ */

/* unsafe: the specimen. Locks from, then to, in argument order. Deadlocks;
 * kept broken on purpose (src/bank_unsafe.c). */
void bank_unsafe_transfer(struct bank_account *from, struct bank_account *to, long amount);
long bank_unsafe_audit(struct bank *b);

/* ordered: every thread takes locks in one global order, by account id. */
void bank_ordered_transfer(struct bank_account *from, struct bank_account *to, long amount);
long bank_ordered_audit(struct bank *b);

/* trylock: a teller never waits while it holds a lock; when the second
 * lock is busy it lets go of the first, backs off and tries again. */
void bank_trylock_transfer(struct bank_account *from, struct bank_account *to, long amount);
long bank_trylock_audit(struct bank *b);

/* ---- the lab driver (src/bank_run.c), shared by program, tests, bench --- */

struct bank_strategy {
    const char *name;       /* "ordered", as -s takes it; "unsafe" is the specimen */
    void (*transfer)(struct bank_account *from, struct bank_account *to, long amount);
    long (*audit)(struct bank *b);
};

/* Every strategy, specimen first; terminated by a NULL name. */
extern const struct bank_strategy bank_strategies[];

/* NULL when no strategy has that name. */
const struct bank_strategy *bank_find(const char *name);

/* A bank of naccounts (1 .. BANK_MAX_ACCOUNTS) accounts holding opening
 * each, laid out in memory in an order shuffled by layout_seed. */
struct bank *bank_open(int naccounts, long opening, uint64_t layout_seed);
void bank_close(struct bank *b);
/* Sets up account a as account id of b, holding opening and held by
 * nobody; bank_open does this for each of its accounts, and a test that
 * lays out its own accounts does it too. */
void bank_account_init(struct bank *b, struct bank_account *a, int id, long opening);
/* The sum of every balance, read with no lock: only while no thread runs. */
long bank_total(const struct bank *b);

/* Makes the calling thread teller number n (0 .. BANK_TELLERS-1) in the
 * books, and gives it fuzz stream n. */
void bank_be_teller(int n);

/* Says who holds which account and who waits for whom, one teller a line,
 * and the cycle if there is one, into buf. Returns true when a cycle of
 * waits was found (a deadlock). Reads the books while threads may run. */
bool bank_describe(struct bank *b, char *buf, size_t size);

struct bank_config {
    int threads;            /* tellers, 1 .. RL_MAX_THREADS */
    int accounts;           /* 1 .. BANK_MAX_ACCOUNTS */
    long transfers;         /* per teller */
    long opening;           /* each account's opening balance */
    uint64_t seed;          /* picks the pairs and amounts, and the layout */
    bool audit;             /* run the auditor beside the tellers */
    long stuck_ms;          /* the watchdog: no progress for this long = stuck */
};

struct bank_result {
    long expected;          /* the total when the bank opened */
    long total;             /* the total after every teller was joined */
    long transfers;         /* transfers done */
    long audits, bad_audits;
    long first_bad;         /* the first wrong total an audit returned */
    double seconds;         /* from the tellers' start to the last join */
    bool stuck;             /* the watchdog fired; the threads are left where
                               they are, and the bank is not freed */
    bool deadlock;          /* stuck, and the books show a cycle of waits */
    char report[2048];      /* when stuck: bank_describe's account of it */
};

/* Opens a bank, runs threads tellers doing transfers random transfers each
 * (and the auditor, if asked) and closes it. The calling thread is the
 * watchdog: if nothing moves for stuck_ms, it returns at once with stuck
 * set and the books described. */
struct bank_result bank_run(const struct bank_strategy *s, const struct bank_config *c);

#endif /* BANK_H */

/*
 * counter.h - lab 1: N threads each add 1 to one shared count M times.
 *
 * The right answer is N * M. Each strategy is three functions with one
 * contract, so the program, the tests and the benchmark can drive any of
 * them the same way:
 *
 *   counter_X_reset(nthreads)  called once, before any worker starts and with
 *                              no other call running: make the count 0 and
 *                              get ready for nthreads workers
 *                              (1 .. RL_MAX_THREADS).
 *   counter_X_inc(tid)         called by worker tid (0 .. nthreads-1), M
 *                              times, by all workers at once: add exactly 1.
 *   counter_X_total()          called after every worker has been joined:
 *                              return the count.
 *
 * The state behind each strategy is private to the file that implements it:
 * src/counter_unsafe.c holds the specimen, labs/counter.c the exercises and
 * solutions/counter.c their reference fixes.
 */
#ifndef COUNTER_H
#define COUNTER_H

/* unsafe: the specimen. A plain long, read, then written back. Loses
 * updates; kept broken on purpose (src/counter_unsafe.c). */
void counter_unsafe_reset(int nthreads);
void counter_unsafe_inc(int tid);
long counter_unsafe_total(void);

/* mutex: one lock held across the read and the write. */
void counter_mutex_reset(int nthreads);
void counter_mutex_inc(int tid);
long counter_mutex_total(void);

/* spin: a test-and-test-and-set spinlock on a C11 atomic_bool, backing off
 * with a CPU pause, then sched_yield. */
void counter_spin_reset(int nthreads);
void counter_spin_inc(int tid);
long counter_spin_total(void);

/* atomic: one atomic read-modify-write per increment. */
void counter_atomic_reset(int nthreads);
void counter_atomic_inc(int tid);
long counter_atomic_total(void);

/* sharded: one padded slot per thread, summed when all are joined. */
void counter_sharded_reset(int nthreads);
void counter_sharded_inc(int tid);
long counter_sharded_total(void);

/* ---- the lab driver (src/counter_run.c), shared by program, tests, bench */

struct counter_strategy {
    const char *name;   /* "mutex", as -s takes it; "unsafe" is the specimen */
    void (*reset)(int nthreads);
    void (*inc)(int tid);
    long (*total)(void);
};

/* Every strategy, specimen first; terminated by a NULL name. */
extern const struct counter_strategy counter_strategies[];

/* NULL when no strategy has that name. */
const struct counter_strategy *counter_find(const char *name);

struct counter_result {
    long expected, got;
    double seconds;     /* from the start barrier to the last join */
};

/* Runs one strategy: nthreads workers, iterations increments each. */
struct counter_result counter_run(const struct counter_strategy *s,
                                  int nthreads, long iterations);

#endif /* COUNTER_H */

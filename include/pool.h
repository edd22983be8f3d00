/*
 * pool.h - lab 4: a home-made worker pool checking primes.
 *
 * The program `primes` checks numbers for primality on a pool of workers,
 * five ways (its -m MODE):
 *
 *   sequential  one thread, one number after another: the baseline.
 *   unsafe      the specimen: the threads pool below with a collector that
 *               stops as soon as the job queue looks empty, while workers
 *               are still busy with the last numbers (src/pool_unsafe.c).
 *   threads     W worker threads; numbers go out on a job queue, results
 *               come back on a result queue (both lab 3's locked queue);
 *               the main thread collects exactly as many results as it sent
 *               numbers, then stops the workers with one poison pill each.
 *   processes   W forked workers, each with a pipe in and a pipe out
 *               (src/pool_processes.c): a dead worker is noticed, its
 *               number named as lost.
 *   futures     an executor in the manner of Python's concurrent.futures:
 *               submit a call, get a future, wait for its result.
 *
 * The exercises (labs/pool.c; reference fixes in solutions/pool.c):
 *   collector   pool_collect: when to stop collecting results;
 *   pills       pool_work and pool_stop: the poison-pill shutdown;
 *   future      future_set and future_get: the future's wait.
 */
#ifndef POOL_H
#define POOL_H

#include "queue.h"
#include "racelab.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- the work (src/pool_prime.c) --------------------------------------- */

/* floor(sqrt(n)), exactly, for every 64-bit n (no floating point: a double
 * cannot hold every integer above 2^53, and its square root is rounded). */
uint32_t pool_isqrt(uint64_t n);

/* true when n is prime: trial division by 2, then by the odd numbers up to
 * pool_isqrt(n). Exact for every 64-bit n; slow (a fifth of a second) for
 * a prime near 10^16, which is the point. */
bool pool_is_prime(uint64_t n);

/* The 20 numbers of Fluent Python's process-pool example, with their known
 * answers: 9 primes, from 2 to numbers near 10^16. */
struct pool_known {
    uint64_t n;
    bool prime;
};
enum { POOL_BOOK_COUNT = 20 };
extern const struct pool_known pool_book[POOL_BOOK_COUNT];

/* One number's answer, and how long the check took. */
struct pool_result {
    uint64_t n;
    bool prime;
    double seconds;
};

/* Checks n and times the check (monotonic clock). */
struct pool_result pool_check(uint64_t n);

/* ---- the threads pool: what the exercises work on ---------------------- */

/* One number to check. Jobs live in an array owned by whoever runs the
 * pool; a worker fills in the result and sends the job back. */
struct pool_job {
    uint64_t n;
    struct pool_result result; /* written by the worker that took the job,
                                  read by the collector after it gets the
                                  job from the result queue */
};

/* The poison pill: a job pointer that is not a job. A worker that takes it
 * from the job queue stops. (NULL is a valid queue item, so is the pill.) */
#define POOL_PILL ((struct pool_job *)NULL)

/* Called by the collector, in its own thread, once per result, as results
 * arrive. Prints a row in the program; counts in the tests. */
typedef void pool_report_fn(void *ctx, const struct pool_result *r);

struct pool_threads {
    struct queue *jobs;     /* struct pool_job *, then POOL_PILL; capacity
                               at least count + workers, so puts never wait */
    struct queue *results;  /* struct pool_job *, each answered job once;
                               capacity at least count */
    int workers;            /* worker threads, 1 .. RL_MAX_THREADS */
    long count;             /* numbers put on the job queue in all */
    pool_report_fn *report;
    void *ctx;              /* for report */
    /* The check each worker runs: pool_check, or the tests' own. */
    struct pool_result (*check)(uint64_t n);
};

/* ---- the exercises (labs/pool.c) -------------------------------------- */

/* TODO(lab 4) pills. The body of every worker thread:
 *     takes jobs from p->jobs, in a loop; for each job, sets
 *     job->result = p->check(job->n) and puts the job on p->results;
 *     returns when it takes a pill (POOL_PILL). Takes no job after its
 *     pill (it may pass the pill on: see pool_stop).
 * Also returns if a queue says QUEUE_CLOSED. */
void pool_work(struct pool_threads *p);

/* TODO(lab 4) pills. Stops the workers: called once, after every number
 * was put on p->jobs and (in the program) after the collector is done.
 * When it returns, every worker will return from pool_work of its own
 * accord once it has finished its jobs; the caller then joins them. Must
 * not wait for the workers itself. (One pill per worker is the pattern;
 * one pill that each worker puts back, or closing p->jobs, also work.) */
void pool_stop(struct pool_threads *p);

/* TODO(lab 4) collector. Runs in the main thread while the workers run:
 *     gets the answered jobs from p->results and calls
 *     p->report(p->ctx, &job->result) for each, as it arrives;
 *     returns the number of results reported, once exactly p->count
 *     results are reported: not before (a result would be lost), and not
 *     waiting for one more (none will come: the pool is stopped after the
 *     collector returns).
 * The queues are open throughout. How busy the workers are, or how full
 * the queues look, says nothing about how many results are still to
 * come. */
long pool_collect(struct pool_threads *p);

/* The specimen (src/pool_unsafe.c): its collector stops once p->jobs looks
 * empty, while the workers may still be checking the last numbers. Its
 * workers and stop are right (and its own, not the exercise's). */
long pool_unsafe_collect(struct pool_threads *p);
void pool_unsafe_work(struct pool_threads *p);
void pool_unsafe_stop(struct pool_threads *p);

/* ---- futures ----------------------------------------------------------- */

/* A call that will finish later. Made by futures_submit; its result is
 * set once, by the worker that ran it, and read by any number of threads,
 * any number of times, with future_get. */
struct future {
    void *(*fn)(void *arg); /* set by futures_submit, read-only afterwards */
    void *arg;
    pthread_mutex_t lock;
    pthread_cond_t done_cond; /* broadcast when done becomes true */
    bool done;                /* guarded by lock (or yours: an atomic
                                 release/acquire pair works too) */
    void *result;             /* guarded by lock; NULL is a valid result */
    _Atomic int refs;         /* src/pool_futures.c: the caller's and the
                                 worker's, so neither frees it under the other */
};

/* Makes f a pending future of fn(arg): every field zero (done false,
 * result NULL), then fn, arg, lock and done_cond set up. future_destroy
 * undoes it. (src/pool_futures.c) */
void future_init(struct future *f, void *(*fn)(void *arg), void *arg);
void future_destroy(struct future *f);

/* TODO(lab 4) future. Called once per future, by the worker that ran it:
 * stores result, marks f done and wakes every thread waiting in
 * future_get, however many. */
void future_set(struct future *f, void *result);

/* TODO(lab 4) future. Waits until f is done, then returns its result.
 * Called by any number of threads, any number of times, before or after
 * future_set. A wait may wake up for no reason (POSIX allows it, --fuzz
 * does it): returning then, without the result, is the bug to avoid. */
void *future_get(struct future *f);

/* The executor (src/pool_futures.c): worker threads that take futures from
 * a job queue (lab 3's locked queue) and run them. */
struct futures;

/* Starts workers (1 .. RL_MAX_THREADS) threads. */
struct futures *futures_create(int workers);

/* Queues fn(arg) and returns its future at once (malloc'ed; release it
 * with future_free after the last future_get: the worker keeps its own
 * hold until it is done with it). Waits only if the job queue is full.
 * Not to be called once futures_shutdown is called. */
struct future *futures_submit(struct futures *ex, void *(*fn)(void *arg), void *arg);
void future_free(struct future *f);

/* results[i] = fn(args[i]) for i in 0 .. n-1, run on the pool; returns
 * once all are done. Results come in input order whatever order the calls
 * finish in (Python's Executor.map). */
void futures_map(struct futures *ex, void *(*fn)(void *arg), void *const args[],
                 void *results[], long n);

/* Runs every call already submitted, then stops and joins the workers and
 * frees ex (Python's shutdown(wait=True)). */
void futures_shutdown(struct futures *ex);

/* ---- the lab driver (src/pool_run.c) ----------------------------------- */

struct pool_config;

/* One mode: its name and everything the driver and the program do
 * differently for it, so a new mode is one more row in pool_modes. */
struct pool_mode {
    const char *name;  /* "threads" */
    const char *about; /* one line for --help */
    /* Runs cfg: every result goes to cfg->report; sets *interrupted when
     * SIGINT or SIGTERM stopped it. */
    void (*run)(const struct pool_config *cfg, bool *interrupted);
    bool pool;         /* a pool of cfg->workers workers (the settings line
                          says how many); false: the caller's thread alone */
    bool on_queue;     /* runs on lab 3's locked queue: the program checks
                          the queue works before it starts */
    bool watched;      /* its threads run exercise code: pool_run's watchdog
                          ends a run that gets stuck (exit 3) */
    bool killable;     /* its workers are processes: --crash may kill one */
    const char *kit_file; /* the kit's own code, no exercise in it: its file
                             (for --list); NULL: the specimen or an exercise */
};

/* Every mode, specimen first; terminated by a NULL name. */
extern const struct pool_mode pool_modes[];
const struct pool_mode *pool_find(const char *name);

/* Hooks for the processes mode, for the program's --crash and the tests.
 * dispatch is called in the parent just before number n is written to the
 * worker with that pid (not for pills): a worker killed there never reads
 * it. */
struct pool_process_hooks {
    void (*dispatch)(void *ctx, int worker, pid_t pid, uint64_t n);
    void *ctx;
};

struct pool_config {
    const struct pool_mode *mode;
    int workers;                 /* 1 .. RL_MAX_THREADS */
    const uint64_t *numbers;
    long count;                  /* 1 .. POOL_MAX_NUMBERS */
    pool_report_fn *report;      /* in the calling thread, as results come */
    void *ctx;
    const struct pool_process_hooks *hooks; /* processes only; may be NULL */
};
#define POOL_MAX_NUMBERS 100000L

/* What a run did: every result matched against the numbers sent. */
enum { POOL_LOST_SHOWN = 8 };
struct pool_outcome {
    long reported;      /* results passed to report */
    long lost;          /* numbers that got no result */
    uint64_t lost_numbers[POOL_LOST_SHOWN]; /* the smallest of them */
    long duplicated;    /* results beyond the first for a number */
    long wrong;         /* results for numbers never sent */
    bool interrupted;   /* processes: stopped by SIGINT or SIGTERM */
    double seconds;     /* wall time of the whole run */
};

/* Runs cfg->mode on cfg->numbers, each result going to cfg->report as it
 * arrives, and checks every number was answered exactly once. With --fuzz
 * on (rl_fuzz_enable), reporting a row is slow: see rl_fuzz_stall. A
 * threads mode built from exercise code that gets stuck (nothing checked,
 * nothing reported for 5 s) ends the process: a message, then _exit(3).
 * The processes mode needs SIGPIPE ignored (rl_init does it) and a
 * single-threaded caller (it blocks SIGINT and SIGTERM but in its waits). */
struct pool_outcome pool_run(const struct pool_config *cfg);

/* The modes, for the driver and the benchmark. Each passes every result it
 * gets to cfg->report. pool_threads_run runs the specimen collector when
 * specimen is true. pool_processes_run names each lost number on stderr,
 * returns how many it lost, and sets *interrupted when SIGINT or SIGTERM
 * stopped it (every worker stopped and reaped all the same). */
void pool_sequential_run(const struct pool_config *cfg);
void pool_threads_run(const struct pool_config *cfg, bool specimen);
void pool_futures_run(const struct pool_config *cfg);
long pool_processes_run(const struct pool_config *cfg, bool *interrupted);

#endif /* POOL_H */

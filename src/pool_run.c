/*
 * pool_run.c - lab 4's driver: runs one mode on a list of numbers and
 * checks that every number got exactly one answer.
 *
 * The threads pool is assembled here from the exercise's pieces
 * (labs/pool.c): start the workers (pool_work), put every number on the job
 * queue, collect (pool_collect, or the specimen's), stop the workers
 * (pool_stop), join them. The runtime's watchdog reports a pool that is
 * stuck (nothing checked, nothing reported for 5 s) and exits 3, instead
 * of hanging.
 */
#include "pool.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sequential --------------------------------------------------------- */

void pool_sequential_run(const struct pool_config *cfg)
{
    for (long i = 0; i < cfg->count; i++) {
        struct pool_result r = pool_check(cfg->numbers[i]);
        cfg->report(cfg->ctx, &r);
    }
}

/* ---- threads ------------------------------------------------------------ */

/* The watchdog: a pool built from exercise code can get stuck (a worker
 * without its pill, a lost wake-up, lab 3's queue unfinished). When no
 * number is being checked and nothing has moved for STUCK_SECONDS, the
 * runtime's watchdog has the program say so and exit 3 instead of hanging.
 * A check holds it: checking one large prime can take longer than that. */
enum { STUCK_SECONDS = 5 };
static struct {
    struct rl_watchdog dog;
    bool on;                 /* set before the workers start, cleared after
                                they are joined: checks hold dog */
    _Atomic long checked;    /* atomic, relaxed: checks done */
    _Atomic long reported;   /* atomic, relaxed: results reported */
    long count;              /* set before the watchdog starts */
} watch;

static long watch_moves(void *ctx)
{
    (void)ctx;
    return atomic_load_explicit(&watch.checked, memory_order_relaxed) +
           atomic_load_explicit(&watch.reported, memory_order_relaxed);
}

static void watch_describe(void *ctx, long moves)
{
    (void)ctx;
    (void)moves;
    fprintf(stderr,
            "primes: stuck: %ld of %ld results reported, no number being checked, "
            "nothing moved for %d s (a worker without its pill? a lost wake-up? "
            "lab 3's queue: make check LAB=queue)\n",
            atomic_load_explicit(&watch.reported, memory_order_relaxed), watch.count,
            STUCK_SECONDS);
    rl_say_verdict(stdout, RL_STUCK, "%ld of %ld results, nothing moved for %d s",
                   atomic_load_explicit(&watch.reported, memory_order_relaxed), watch.count,
                   STUCK_SECONDS);
}

static struct pool_result watched_check(uint64_t n)
{
    if (watch.on)
        rl_watchdog_hold(&watch.dog);
    struct pool_result r = pool_check(n);
    atomic_fetch_add_explicit(&watch.checked, 1, memory_order_relaxed);
    if (watch.on)
        rl_watchdog_release(&watch.dog);
    return r;
}

static void *worker_main(void *arg)
{
    pool_work(arg);
    return NULL;
}

static void *specimen_worker_main(void *arg)
{
    pool_unsafe_work(arg);
    return NULL;
}

void pool_threads_run(const struct pool_config *cfg, bool specimen)
{
    long count = cfg->count;
    int workers = cfg->workers;
    struct pool_job *jobs = calloc((size_t)count, sizeof *jobs);
    if (!jobs)
        rl_die_errno("calloc", ENOMEM);
    const struct queue_strategy *locked = queue_find("locked");
    struct pool_threads p = {
        .jobs = queue_create(locked, count + workers),
        .results = queue_create(locked, count),
        .workers = workers,
        .count = count,
        .report = cfg->report,
        .ctx = cfg->ctx,
        .check = watched_check,
    };
    if (!p.jobs || !p.results)
        rl_die_errno("queue_create", errno);

    for (long i = 0; i < count; i++) {
        jobs[i].n = cfg->numbers[i];
        if (queue_put(p.jobs, &jobs[i]) != QUEUE_OK)
            rl_die_errno("queue_put on the job queue", EPIPE);
    }
    pthread_t threads[RL_MAX_THREADS];
    for (int i = 0; i < workers; i++)
        rl_thread_create(&threads[i], specimen ? specimen_worker_main : worker_main, &p);
    if (specimen) {
        pool_unsafe_collect(&p);
        pool_unsafe_stop(&p);
    } else {
        pool_collect(&p);
        pool_stop(&p);
    }
    for (int i = 0; i < workers; i++)
        rl_thread_join(threads[i], NULL);

    queue_destroy(p.jobs);
    queue_destroy(p.results); /* results nobody collected are dropped */
    free(jobs);
}

/* ---- futures ------------------------------------------------------------ */

static void *check_job(void *arg)
{
    struct pool_job *job = arg;
    job->result = watched_check(job->n);
    return job;
}

void pool_futures_run(const struct pool_config *cfg)
{
    long count = cfg->count;
    struct pool_job *jobs = calloc((size_t)count, sizeof *jobs);
    struct future **fs = calloc((size_t)count, sizeof *fs);
    if (!jobs || !fs)
        rl_die_errno("calloc", ENOMEM);
    struct futures *ex = futures_create(cfg->workers);
    for (long i = 0; i < count; i++) {
        jobs[i].n = cfg->numbers[i];
        fs[i] = futures_submit(ex, check_job, &jobs[i]);
    }
    /* Results in input order: Executor.map's order. */
    for (long i = 0; i < count; i++) {
        struct pool_job *job = future_get(fs[i]);
        if (job)
            cfg->report(cfg->ctx, &job->result);
        future_free(fs[i]);
    }
    futures_shutdown(ex);
    free(fs);
    free(jobs);
}

/* ---- the modes ----------------------------------------------------------- */

/* Each mode's run in the one shape the table holds. */
static void run_sequential(const struct pool_config *cfg, bool *interrupted)
{
    (void)interrupted;
    pool_sequential_run(cfg);
}

static void run_unsafe(const struct pool_config *cfg, bool *interrupted)
{
    (void)interrupted;
    pool_threads_run(cfg, true);
}

static void run_threads(const struct pool_config *cfg, bool *interrupted)
{
    (void)interrupted;
    pool_threads_run(cfg, false);
}

static void run_processes(const struct pool_config *cfg, bool *interrupted)
{
    pool_processes_run(cfg, interrupted);
}

static void run_futures(const struct pool_config *cfg, bool *interrupted)
{
    (void)interrupted;
    pool_futures_run(cfg);
}

/* A mode is one row: what differs between modes is here, and nowhere else
 * compares their names. */
const struct pool_mode pool_modes[] = {
    {.name = "unsafe",
     .about = "the specimen: threads, with a collector that stops when the job\n"
              "              queue looks empty (try it with --fuzz)",
     .run = run_unsafe, .pool = true, .on_queue = true, .watched = true},
    {.name = "threads",
     .about = "worker threads, job and result queues, poison pills (labs/pool.c)",
     .run = run_threads, .pool = true, .on_queue = true, .watched = true},
    {.name = "processes", .about = "forked workers, a pipe in and a pipe out each",
     .run = run_processes, .pool = true, .killable = true, .kit_file = "src/pool_processes.c"},
    {.name = "futures", .about = "an executor: submit every number, get each future in order",
     .run = run_futures, .pool = true, .on_queue = true, .watched = true},
    {.name = "sequential", .about = "one number after another, no pool: the baseline",
     .run = run_sequential, .kit_file = "src/pool_run.c"},
    {.name = NULL},
};

const struct pool_mode *pool_find(const char *name)
{
    for (const struct pool_mode *m = pool_modes; m->name; m++)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

/* ---- the driver --------------------------------------------------------- */

/* Every result is matched against the numbers sent: sorted, so a number
 * sent twice must be answered twice. */
struct tally {
    uint64_t *sorted;
    long *answered;     /* per entry of sorted */
    long count;
    struct pool_outcome *out;
    pool_report_fn *report;
    void *ctx;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void tally_report(void *arg, const struct pool_result *r)
{
    struct tally *t = arg;
    t->out->reported++;
    atomic_fetch_add_explicit(&watch.reported, 1, memory_order_relaxed);
    /* The first entry equal to r->n, then the first of those not answered. */
    long lo = 0, hi = t->count;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (t->sorted[mid] < r->n)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == t->count || t->sorted[lo] != r->n) {
        t->out->wrong++;
    } else {
        while (lo + 1 < t->count && t->sorted[lo + 1] == r->n && t->answered[lo] > 0)
            lo++;
        if (t->answered[lo]++ > 0)
            t->out->duplicated++;
    }
    t->report(t->ctx, r);
    /* With --fuzz, printing a row is slow, as on a slow terminal: the
     * workers run on meanwhile. That is the window in which a collector
     * decides whether more results are coming. */
    rl_fuzz_stall("collector: printing a row", 500, 2000);
}

struct pool_outcome pool_run(const struct pool_config *cfg)
{
    struct pool_outcome out = {0};
    struct tally t = {
        .sorted = malloc((size_t)cfg->count * sizeof *t.sorted),
        .answered = calloc((size_t)cfg->count, sizeof *t.answered),
        .count = cfg->count, .out = &out, .report = cfg->report, .ctx = cfg->ctx,
    };
    if (!t.sorted || !t.answered)
        rl_die_errno("malloc", ENOMEM);
    memcpy(t.sorted, cfg->numbers, (size_t)cfg->count * sizeof *t.sorted);
    qsort(t.sorted, (size_t)cfg->count, sizeof *t.sorted, cmp_u64);

    struct pool_config run = *cfg;
    run.report = tally_report;
    run.ctx = &t;
    /* Threads built from exercise code are watched (see watched_check). */
    bool watched = cfg->mode->watched;
    atomic_store_explicit(&watch.checked, 0, memory_order_relaxed);
    atomic_store_explicit(&watch.reported, 0, memory_order_relaxed);
    watch.count = cfg->count;
    watch.on = watched;
    if (watched) {
        watch.dog = (struct rl_watchdog){.progress = watch_moves, .describe = watch_describe,
                                         .quiet_ms = STUCK_SECONDS * 1000};
        rl_watchdog_start(&watch.dog, 3); /* the stuck threads cannot be joined */
    }
    int64_t t0 = rl_now_ns();
    cfg->mode->run(&run, &out.interrupted);
    out.seconds = (double)(rl_now_ns() - t0) / 1e9;
    if (watched)
        rl_watchdog_stop(&watch.dog);
    watch.on = false;

    for (long i = 0; i < cfg->count; i++)
        if (t.answered[i] == 0) {
            if (out.lost < POOL_LOST_SHOWN)
                out.lost_numbers[out.lost] = t.sorted[i];
            out.lost++;
        }
    free(t.sorted);
    free(t.answered);
    return out;
}

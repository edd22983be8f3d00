/*
 * explore_pool.c - lab 4's explorer scenarios, on the contract in
 * include/pool.h. Each exercise is explored alone, the rest of the pool
 * played by this file, on lab 3's locked queue from the same directory.
 * Numbers are tiny; a slow check is a sleep on the virtual clock, so a
 * check that takes a year costs no wall time.
 *
 *   collector  your pool_collect (thread a) against the test's workers,
 *              which take every job there is and send each result back:
 *              1 and 2 workers, and one whose last check takes a year - a
 *              collector that stops when a queue looks empty, or after a
 *              quiet period of any length, loses a result; one that waits
 *              for one more deadlocks.
 *   pills      your pool_work (threads b and c) and pool_stop (thread a,
 *              which also collects): the pills right behind the numbers,
 *              and two batches with a pause between (a worker that stops
 *              when the job queue looks empty leaves the second batch
 *              unanswered). Every worker must return.
 *   future     your future_get and future_set: a getter woken for no reason
 *              before the set; two getters and one set; a NULL result.
 *   unsafe     the specimen's collector (src/pool_unsafe.c), shown: it
 *              stops once the job queue is empty, one result short.
 */
#include "explore.h"

#include "pool.h"
#include "queue.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { MAX_NUMBERS = 3 };
static const uint64_t numbers[MAX_NUMBERS] = {11, 12, 13};

/* ---- a pool the scenarios assemble -------------------------------------- */

static struct pool_threads p;
static struct pool_job jobs[MAX_NUMBERS];
static long answered[MAX_NUMBERS];     /* results reported, per number */
static long reports, strangers, bad_verdicts;
static long collected = -1;            /* what the collector returned */
static const char *queue_broke;        /* a queue call of this file that broke
                                          the queue's contract, or NULL */
static bool returned[RLX_MAX_THREADS]; /* each worker thread returned */
static uint64_t slow_number;           /* its check sleeps slow_ns first */
static long long slow_ns;

static void report(void *ctx, const struct pool_result *r)
{
    (void)ctx;
    reports++;
    for (int i = 0; i < MAX_NUMBERS; i++)
        if (numbers[i] == r->n) {
            answered[i]++;
            if (r->prime != pool_is_prime(r->n))
                bad_verdicts++;
            return;
        }
    strangers++;
}

static struct pool_result check_number(uint64_t n)
{
    if (n == slow_number) {
        const struct timespec t = {(time_t)(slow_ns / 1000000000), (long)(slow_ns % 1000000000)};
        nanosleep(&t, NULL);
    }
    return (struct pool_result){n, pool_is_prime(n), 0};
}

/* A pool of count numbers and workers threads; the first queued numbers
 * are on the job queue already. */
static void make_pool(long count, int workers, long queued)
{
    const struct queue_strategy *locked = queue_find("locked");
    p = (struct pool_threads){
        .jobs = queue_create(locked, count + workers),
        .results = queue_create(locked, count),
        .workers = workers, .count = count, .report = report, .check = check_number,
    };
    if (!p.jobs || !p.results)
        abort();
    rlx_name(p.jobs, "jobs");
    rlx_name(p.results, "results");
    for (long i = 0; i < count; i++) {
        jobs[i].n = numbers[i];
        if (i < queued)
            queue_put(p.jobs, &jobs[i]);
    }
}

/* Every number answered exactly once, rightly, and nothing else; if not,
 * true, and what is wrong in why. */
static bool answers_wrong(long count, char *why, size_t len)
{
    for (long i = 0; i < count; i++) {
        if (answered[i] == 0) {
            snprintf(why, len, "the result for %llu was never reported (%ld of %ld were)",
                     (unsigned long long)numbers[i], reports, count);
            return true;
        }
        if (answered[i] > 1) {
            snprintf(why, len, "the result for %llu was reported %ld times",
                     (unsigned long long)numbers[i], answered[i]);
            return true;
        }
    }
    if (strangers)
        snprintf(why, len, "%ld result%s reported for numbers never sent", strangers,
                 strangers == 1 ? "" : "s");
    else if (bad_verdicts)
        snprintf(why, len, "%ld wrong verdict%s reported", bad_verdicts,
                 bad_verdicts == 1 ? "" : "s");
    return strangers || bad_verdicts;
}

/* ---- collector ---------------------------------------------------------- */

/* The test's worker: takes jobs while there are any (all were queued
 * before the threads started), answers each. */
static void test_worker(void)
{
    void *item;
    while (queue_try_get(p.jobs, &item) == QUEUE_OK) {
        struct pool_job *job = item;
        job->result = p.check(job->n);
        if (queue_put(p.results, job) != QUEUE_OK)
            return;
    }
}

static void body_collector(int tid)
{
    if (tid == 0)
        collected = pool_collect(&p);
    else
        test_worker();
}

static const char *check_collector(void)
{
    char why[200];
    if (answers_wrong(p.count, why, sizeof why))
        return rlx_say("%s: pool_collect returned %ld while a worker was still checking a "
                       "number - stop once p->count results are reported, whatever the queues "
                       "look like and however long the last result takes", why, collected);
    if (collected != reports)
        return rlx_say("pool_collect returned %ld, having reported %ld results", collected,
                       reports);
    return NULL;
}

static void setup_collect_1w(void)
{
    make_pool(2, 1, 2);
}

static void setup_collect_2w(void)
{
    make_pool(2, 2, 2);
}

/* A year: longer than any quiet period a collector would wait for. (While
 * a collector polls, the explorer lets time run on to the sleeper's
 * deadline, however far.) */
static void setup_collect_year(void)
{
    make_pool(2, 1, 2);
    slow_number = numbers[1];
    slow_ns = 365LL * 24 * 3600 * 1000000000;
}

static const struct rlx_scenario collector_scenarios[] = {
    {.name = "1 worker, 2 numbers", .threads = 2, .setup = setup_collect_1w,
     .body = body_collector, .check = check_collector, .preemptions = 1},
    {.name = "2 workers, 2 numbers", .threads = 3, .setup = setup_collect_2w,
     .body = body_collector, .check = check_collector, .preemptions = 0, .pct_runs = 20},
    {.name = "1 worker, 2 numbers, the last checked for a year", .threads = 2,
     .setup = setup_collect_year, .body = body_collector, .check = check_collector,
     .preemptions = 1},
};

/* ---- pills -------------------------------------------------------------- */

/* The test's collector: gets n results from the result queue. */
static void test_collect(long n)
{
    for (long i = 0; i < n; i++) {
        void *item;
        enum queue_status st = queue_get(p.results, &item);
        if (st != QUEUE_OK) {
            if (st != QUEUE_CLOSED)
                queue_broke = queue_status_name(st);
            return;
        }
        struct pool_job *job = item;
        report(NULL, &job->result);
    }
}

static void work(int tid)
{
    pool_work(&p);
    returned[tid] = true;
}

/* a: stops the pool at once, then collects; b, c: your workers. */
static void body_stop_at_once(int tid)
{
    if (tid == 0) {
        pool_stop(&p);
        test_collect(p.count);
    } else {
        work(tid);
    }
}

/* a: one number, its result, a pause of 1 s, the next number, its result,
 * then stop; b, c: your workers. */
static void body_two_batches(int tid)
{
    if (tid == 0) {
        test_collect(1);
        const struct timespec pause = {1, 0};
        nanosleep(&pause, NULL);
        queue_put(p.jobs, &jobs[1]);
        test_collect(1);
        pool_stop(&p);
    } else {
        work(tid);
    }
}

static const char *check_pills(void)
{
    if (queue_broke)
        return rlx_say("queue_get on the open result queue returned '%s': it must wait for an "
                       "item - lab 4 runs on lab 3's locked queue (queue.c, beside pool.c): "
                       "finish that first", queue_broke);
    char why[200];
    if (answers_wrong(p.count, why, sizeof why))
        return rlx_say("%s", why);
    for (int t = 1; t <= p.workers; t++)
        if (!returned[t])
            return rlx_say("worker %c did not return from pool_work", 'a' + t);
    return NULL;
}

static void setup_stop_at_once(void)
{
    make_pool(2, 2, 2);
}

static void setup_two_batches(void)
{
    make_pool(2, 2, 1);
}

static const struct rlx_scenario pills_scenarios[] = {
    {.name = "2 workers, 2 numbers, the pills right behind them", .threads = 3,
     .setup = setup_stop_at_once, .body = body_stop_at_once, .check = check_pills,
     .preemptions = 0, .pct_runs = 20},
    {.name = "2 workers, two batches of 1 number, a pause of 1 s between", .threads = 3,
     .setup = setup_two_batches, .body = body_two_batches, .check = check_pills,
     .preemptions = 0, .pct_runs = 20},
};

/* ---- future ------------------------------------------------------------- */

static struct future fut;
static int value;                       /* fut's result: &value, or NULL */
static void *result_of = &value;        /* what future_set is given */
static void *got[2][2];                 /* what getter g's k-th future_get returned */
static bool got_back[2];                /* getter g returned from its gets */

static void *never_run(void *arg)
{
    return arg;
}

static void setup_future(void)
{
    future_init(&fut, never_run, NULL);
}

static void setup_future_null(void)
{
    setup_future();
    result_of = NULL;
}

static void get_twice(int g)
{
    got[g][0] = future_get(&fut);
    got[g][1] = future_get(&fut);
    got_back[g] = true;
}

/* The last thread sets; the others get, twice each. */
static void body_future_1(int tid)
{
    if (tid == 0)
        get_twice(0);
    else
        future_set(&fut, result_of);
}

static void body_future_2(int tid)
{
    if (tid < 2)
        get_twice(tid);
    else
        future_set(&fut, result_of);
}

static const char *check_getters(int getters)
{
    for (int g = 0; g < getters; g++) {
        if (!got_back[g])
            return rlx_say("getter %c never returned", 'a' + g);
        for (int k = 0; k < 2; k++)
            if (got[g][k] != result_of)
                return rlx_say("getter %c's %s future_get returned %s, not the result (%s): it "
                               "returned before the future was done - a wait woken for no "
                               "reason must wait again (a while, not an if)", 'a' + g,
                               k == 0 ? "first" : "second", got[g][k] ? "a pointer" : "NULL",
                               result_of ? "&value" : "NULL");
    }
    return NULL;
}

static const char *check_future_1(void)
{
    return check_getters(1);
}

static const char *check_future_2(void)
{
    return check_getters(2);
}

static const struct rlx_scenario future_scenarios[] = {
    {.name = "a getter, woken for no reason, and a set", .threads = 2,
     .setup = setup_future, .body = body_future_1, .check = check_future_1,
     .preemptions = 2, .spurious = 1},
    {.name = "2 getters and a set", .threads = 3, .setup = setup_future,
     .body = body_future_2, .check = check_future_2, .preemptions = 1,
     .max_schedules = 1000},
    {.name = "a getter and a set to NULL", .threads = 2, .setup = setup_future_null,
     .body = body_future_1, .check = check_future_1, .preemptions = 1},
};

/* ---- unsafe: the specimen ----------------------------------------------- */

/* a: the specimen's collector, then its stop; b: its worker. */
static void body_unsafe(int tid)
{
    if (tid == 0) {
        collected = pool_unsafe_collect(&p);
        pool_unsafe_stop(&p);
    } else {
        pool_unsafe_work(&p);
    }
}

static const char *check_unsafe(void)
{
    char why[200];
    if (answers_wrong(p.count, why, sizeof why))
        return rlx_say("%s: the collector stopped when the job queue was empty, while the "
                       "worker was still checking the last number", why);
    return NULL;
}

static const struct rlx_scenario unsafe_scenarios[] = {
    {.name = "1 worker, 2 numbers", .threads = 2, .setup = setup_collect_1w,
     .body = body_unsafe, .check = check_unsafe, .preemptions = 0},
};

static const struct rlx_group groups[] = {
    RLX_GROUP(unsafe, true),
    RLX_GROUP(collector, false),
    RLX_GROUP(pills, false),
    RLX_GROUP(future, false),
};

int main(int argc, char **argv)
{
    return rlx_main(argc, argv, "pool", groups, RLX_COUNT(groups));
}

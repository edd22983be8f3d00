/*
 * counter_run.c - lab 1's driver: the table of strategies and the one loop
 * that runs any of them. The program (counter_main.c), the tests and the
 * benchmark all go through counter_run(), so they measure the same thing.
 */
#include "counter.h"
#include "racelab.h"

#include <string.h>

const struct counter_strategy counter_strategies[] = {
    {"unsafe", counter_unsafe_reset, counter_unsafe_inc, counter_unsafe_total},
    {"mutex", counter_mutex_reset, counter_mutex_inc, counter_mutex_total},
    {"spin", counter_spin_reset, counter_spin_inc, counter_spin_total},
    {"atomic", counter_atomic_reset, counter_atomic_inc, counter_atomic_total},
    {"sharded", counter_sharded_reset, counter_sharded_inc, counter_sharded_total},
    {NULL, NULL, NULL, NULL},
};

const struct counter_strategy *counter_find(const char *name)
{
    for (const struct counter_strategy *s = counter_strategies; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

struct job {
    const struct counter_strategy *strategy; /* read-only while workers run */
    long iterations;                          /* read-only while workers run */
};

static void worker(int tid, void *arg)
{
    const struct job *job = arg;
    void (*inc)(int) = job->strategy->inc;
    for (long i = 0; i < job->iterations; i++)
        inc(tid);
}

struct counter_result counter_run(const struct counter_strategy *s,
                                  int nthreads, long iterations)
{
    struct job job = {s, iterations};
    struct counter_result r = {.expected = nthreads * iterations};

    s->reset(nthreads);
    r.seconds = rl_run_workers(nthreads, worker, &job);
    r.got = s->total();
    return r;
}

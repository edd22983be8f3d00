/*
 * atomics_run.c - lab 7's driver: the table of strategies, the expensive
 * build that the once case guards, and one run loop per case. The program
 * (atomics_main.c), the tests and the benchmark all go through these, so
 * they judge and measure the same thing.
 *
 * Workers never judge aloud: each counts what it saw wrong in its own
 * slot of a heap-allocated job, and the caller adds the slots up after
 * the join (which orders every worker's writes before those reads).
 */
#include "atomics.h"
#include "racelab.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

const char *const atomics_cases[] = {"publish", "once", "volatile", NULL};

const struct atomics_strategy atomics_strategies[] = {
    {.name = "unsafe", .which = ATOMICS_PUBLISH, .publish_reset = atomics_publish_unsafe_reset,
     .send = atomics_publish_unsafe_send, .receive = atomics_publish_unsafe_receive},
    {.name = "release", .which = ATOMICS_PUBLISH, .publish_reset = atomics_publish_reset,
     .send = atomics_publish_send, .receive = atomics_publish_receive},
    {.name = "unsafe", .which = ATOMICS_ONCE, .once_reset = atomics_once_unsafe_reset,
     .get = atomics_once_unsafe_get},
    {.name = "pthread_once", .which = ATOMICS_ONCE, .once_reset = atomics_once_pthread_reset,
     .get = atomics_once_pthread_get},
    {.name = "dcl", .which = ATOMICS_ONCE, .once_reset = atomics_once_dcl_reset,
     .get = atomics_once_dcl_get},
    {.name = "unsafe", .which = ATOMICS_VOLATILE, .volatile_reset = atomics_volatile_unsafe_reset,
     .inc = atomics_volatile_unsafe_inc, .total = atomics_volatile_unsafe_total},
    {.name = "atomic", .which = ATOMICS_VOLATILE, .volatile_reset = atomics_volatile_reset,
     .inc = atomics_volatile_inc, .total = atomics_volatile_total},
    {.name = NULL},
};

const struct atomics_strategy *atomics_find(enum atomics_case which, const char *name)
{
    for (const struct atomics_strategy *s = atomics_strategies; s->name; s++)
        if (s->which == which && strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

/* ---- publish -------------------------------------------------------------- */

struct atomics_message atomics_message_for(int slot)
{
    long seq = (long)slot + 1;
    return (struct atomics_message){seq, seq * seq, seq ^ ATOMICS_CHECK};
}

bool atomics_message_whole(const struct atomics_message *m, int slot)
{
    struct atomics_message want = atomics_message_for(slot);
    return m->seq == want.seq && m->square == want.square && m->check == want.check;
}

struct consumer_seen {          /* one per consumer, written by it alone */
    long torn;
    int first_torn_slot;
    struct atomics_message first_torn;
};

struct publish_job {
    const struct atomics_strategy *s;   /* read-only while workers run */
    long n;                             /* read-only while workers run */
    struct consumer_seen *seen;         /* [tid]: its own slot only */
};

static void publish_worker(int tid, void *arg)
{
    struct publish_job *job = arg;
    if (tid == 0) { /* the producer */
        for (int slot = 0; slot < job->n; slot++) {
            struct atomics_message m = atomics_message_for(slot);
            job->s->send(slot, &m);
            rl_fuzz("publish: between two messages");
        }
        return;
    }
    struct consumer_seen *seen = &job->seen[tid];
    for (int slot = 0; slot < job->n; slot++) {
        struct atomics_message m;
        /* Poll until the slot is ready; after a while, give the CPU away
         * (on one CPU, the producer needs it to make progress). */
        for (unsigned tries = 0; !job->s->receive(slot, &m); tries++) {
            rl_fuzz("publish: polling a slot");
            if (tries < 64)
                rl_cpu_relax();
            else
                sched_yield();
        }
        if (!atomics_message_whole(&m, slot) && seen->torn++ == 0) {
            seen->first_torn_slot = slot;
            seen->first_torn = m;
        }
    }
}

struct atomics_result atomics_publish_run(const struct atomics_strategy *s,
                                          int nconsumers, long n)
{
    struct publish_job *job = rl_calloc(1, sizeof *job, "atomics: calloc");
    job->s = s;
    job->n = n;
    job->seen = rl_calloc((size_t)nconsumers + 1, sizeof *job->seen, "atomics: calloc");
    struct atomics_result r = {.sent = n, .reads = n * nconsumers, .first_torn_slot = -1};

    s->publish_reset((int)n);
    r.seconds = rl_run_workers(nconsumers + 1, publish_worker, job);
    for (int tid = 1; tid <= nconsumers; tid++) {
        if (job->seen[tid].torn && r.torn == 0) {
            r.first_torn_slot = job->seen[tid].first_torn_slot;
            r.first_torn = job->seen[tid].first_torn;
        }
        r.torn += job->seen[tid].torn;
    }
    free(job->seen);
    free(job);
    return r;
}

/* ---- once ----------------------------------------------------------------- */

static atomic_long config_builds; /* every build ever; atomic, relaxed (a count) */

long atomics_config_generation(void)
{
    return atomic_load_explicit(&config_builds, memory_order_relaxed) + 1;
}

void atomics_config_build(struct atomics_config *c)
{
    long g = atomic_fetch_add_explicit(&config_builds, 1, memory_order_relaxed) + 1;
    /* Field by field, as a real build fills in what it reads. With --fuzz
     * the first step always takes a while: a real build reads a file, and
     * that is the window in which a fast path can see it half-done. */
    c->generation = g;
    rl_fuzz_stall("once: building the config", 20, 100);
    c->size = g * 1000;
    rl_fuzz("once: building the config");
    c->checksum = g ^ (g * 1000) ^ ATOMICS_CHECK;
}

bool atomics_config_whole(const struct atomics_config *c, long generation)
{
    long g = c->generation;
    return g >= generation && c->size == g * 1000 &&
           c->checksum == (g ^ (g * 1000) ^ ATOMICS_CHECK);
}

struct getter_seen {            /* one per thread, written by it alone */
    const struct atomics_config *first; /* what its first get returned */
    long half_built, other_pointer;
};

struct once_job {
    const struct atomics_strategy *s;   /* read-only while workers run */
    long gets;                          /* read-only while workers run */
    long generation;                    /* the round's: set between rounds */
    struct getter_seen *seen;           /* [tid]: its own slot only */
};

static void once_worker(int tid, void *arg)
{
    struct once_job *job = arg;
    struct getter_seen *seen = &job->seen[tid];
    for (long i = 0; i < job->gets; i++) {
        const struct atomics_config *c = job->s->get();
        if (i == 0)
            seen->first = c;
        else if (c != seen->first)
            seen->other_pointer++;
        if (!c || !atomics_config_whole(c, job->generation))
            seen->half_built++;
        rl_fuzz("once: between two gets");
    }
}

struct atomics_result atomics_once_run(const struct atomics_strategy *s, int nthreads,
                                       long rounds, long gets_per_thread)
{
    struct once_job *job = rl_calloc(1, sizeof *job, "atomics: calloc");
    job->s = s;
    job->gets = gets_per_thread;
    job->seen = rl_calloc((size_t)nthreads, sizeof *job->seen, "atomics: calloc");
    struct atomics_result r = {.rounds = rounds};

    for (long round = 0; round < rounds; round++) {
        s->once_reset();
        memset(job->seen, 0, (size_t)nthreads * sizeof *job->seen);
        job->generation = atomics_config_generation();
        r.seconds += rl_run_workers(nthreads, once_worker, job);
        r.builds += atomics_config_generation() - job->generation;
        r.gets += nthreads * gets_per_thread;
        for (int tid = 0; tid < nthreads; tid++) {
            r.half_built += job->seen[tid].half_built;
            r.other_pointer += job->seen[tid].other_pointer;
            if (job->seen[tid].first != job->seen[0].first)
                r.other_pointer++;
        }
    }
    free(job->seen);
    free(job);
    return r;
}

/* ---- volatile ------------------------------------------------------------- */

struct volatile_job {
    const struct atomics_strategy *s;   /* read-only while workers run */
    long iterations;                    /* read-only while workers run */
};

static void volatile_worker(int tid, void *arg)
{
    const struct volatile_job *job = arg;
    void (*inc)(int) = job->s->inc;
    for (long i = 0; i < job->iterations; i++)
        inc(tid);
}

struct atomics_result atomics_volatile_run(const struct atomics_strategy *s,
                                           int nthreads, long iterations)
{
    struct volatile_job job = {s, iterations};
    struct atomics_result r = {.expected = nthreads * iterations};

    s->volatile_reset(nthreads);
    r.seconds = rl_run_workers(nthreads, volatile_worker, &job);
    r.got = s->total();
    return r;
}

bool atomics_result_ok(enum atomics_case which, const struct atomics_result *r)
{
    switch (which) {
    case ATOMICS_PUBLISH:
        return r->torn == 0;
    case ATOMICS_ONCE:
        return r->builds == r->rounds && r->half_built == 0 && r->other_pointer == 0;
    case ATOMICS_VOLATILE:
    default:
        return r->got == r->expected;
    }
}

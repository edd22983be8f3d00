/*
 * test_counter.c - lab 1's exercise tests: every strategy must count
 * exactly, with 1, 2, 4, 8 and 64 threads, with the race-window amplifier
 * on.
 *
 * One source, linked against labs/counter.c or solutions/counter.c (or any
 * IMPL=DIR). `make check` runs it twice per exercise: in the shake build,
 * where every shared access in the exercise file is also a fuzz point, and
 * under ThreadSanitizer, which must report nothing. Each exercise is a
 * group (--only mutex); --list prints the groups with their hints.
 *
 * Workers only count; the main thread compares and asserts after the join.
 */
#include "rltest.h"

#include "counter.h"
#include "racelab.h"

#include <stdio.h>

/* The shake build needs many increments for the pauses to land between a
 * read and a write; ThreadSanitizer needs only a few to see a race, and
 * slows every access tenfold, so the TSan build counts less. */
#ifdef UNDER_TSAN
enum { ITERATIONS = 400 };
#else
enum { ITERATIONS = 3000 };
#endif
/* Many threads share the same total, so that 64 threads on two cores test
 * every thread id without turning a correct but busy-waiting lock into an
 * hour of spinning. */
static long iterations_for(int threads)
{
    long per_thread = ITERATIONS * 8L / threads;
    return rltest_light(per_thread < ITERATIONS ? per_thread : ITERATIONS);
}
enum { SEED = 1000 };

struct counter_case {
    struct rltest_case base;        /* base.name points to name */
    const struct counter_strategy *strategy;
    int threads;
    bool twice;                     /* run again, to check reset */
    char name[64];
};

static void test_exact(void **state)
{
    const struct counter_case *c = *state;
    int runs = c->twice ? 2 : 1;

    for (int run = 1; run <= runs; run++) {
        rl_fuzz_enable(SEED + (uint64_t)c->threads * 10 + (uint64_t)run);
        struct counter_result r = counter_run(c->strategy, c->threads,
                                               iterations_for(c->threads));
        rl_fuzz_disable();
        if (r.got != r.expected)
            fail_msg("%s, %d threads%s: expected %ld, got %ld (%s %ld)",
                     c->strategy->name, c->threads,
                     run == 2 ? ", second run (is reset right?)" : "",
                     r.expected, r.got, r.got < r.expected ? "lost" : "extra",
                     r.got < r.expected ? r.expected - r.got : r.got - r.expected);
    }
}

static const struct {
    const char *strategy;
    const char *hint;
} exercises[] = {
    {"mutex", "TODO(lab 1) mutex: hold one mutex from before the read until after the write"},
    {"spin", "TODO(lab 1) spin: take the lock with one atomic exchange (acquire), "
             "release it with a release store"},
    {"atomic", "TODO(lab 1) atomic: one atomic_fetch_add_explicit, not a load then a store"},
    {"sharded", "TODO(lab 1) sharded: worker tid writes shards[tid] and nothing else"},
};
enum { NEXERCISES = sizeof exercises / sizeof exercises[0] };

/* Up to the contract's cap: a fix that only works for the first few thread
 * ids (shards[tid % 8]) fails at RL_MAX_THREADS. */
static const int thread_counts[] = {1, 2, 4, 8, RL_MAX_THREADS};
enum { NCOUNTS = sizeof thread_counts / sizeof thread_counts[0], PER_GROUP = NCOUNTS + 1 };

int main(int argc, char **argv)
{
    static struct counter_case cases[NEXERCISES][PER_GROUP];
    static struct CMUnitTest tests[NEXERCISES][PER_GROUP];
    struct rltest_group groups[NEXERCISES];

    for (int e = 0; e < NEXERCISES; e++) {
        const struct counter_strategy *s = counter_find(exercises[e].strategy);
        for (int k = 0; k < PER_GROUP; k++) {
            struct counter_case *c = &cases[e][k];
            c->strategy = s;
            c->twice = k == NCOUNTS;
            c->threads = c->twice ? 2 : thread_counts[k];
            snprintf(c->name, sizeof c->name, "%s, %d thread%s%s", s->name,
                     c->threads, c->threads == 1 ? "" : "s",
                     c->twice ? ", run twice" : "");
            c->base.name = c->name;
            tests[e][k] = (struct CMUnitTest)RLTEST(test_exact, c);
        }
        groups[e] = (struct rltest_group){s->name, exercises[e].hint, tests[e],
                                          PER_GROUP, false};
    }
    return rltest_main(argc, argv, groups, NEXERCISES);
}

/*
 * test_atomics.c - lab 7's exercise tests, one group per exercise:
 *
 *   publish   with 1, 2, 4 and 8 consumers, every message read whole, with
 *             the race-window amplifier on (and a second run, for reset);
 *             under ThreadSanitizer, no data race on the flag or the
 *             message.
 *   once      each of the two parts (pthread_once, dcl) with 1, 2, 4 and 8
 *             threads over several rounds: one build a round, every get
 *             whole, one pointer; and a late reader: a thread whose first
 *             get comes after another thread's build, ordered after it by
 *             nothing but the exercise's own code. That is where a relaxed
 *             or plain pointer shows as a data race, on every run.
 *   volatile  lab 1's count with 1, 2, 4 and 8 threads: nothing lost.
 *
 * One source, linked against labs/atomics.c or solutions/atomics.c (or
 * any IMPL=DIR). `make check` runs each group in the shake build, where
 * every shared access in the exercise file is also a fuzz point, then
 * under ThreadSanitizer, which must report nothing. Workers only record;
 * the main thread asserts after the join. Fixed seeds throughout; no test
 * measures time.
 */
#include "rltest.h"

#include "atomics.h"
#include "racelab.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shake build needs many rounds for the pauses to land in a window;
 * ThreadSanitizer needs one unordered pair of accesses to see a race, and
 * slows every access tenfold. */
#ifdef UNDER_TSAN
enum { MESSAGES = 200, ROUNDS = 10, ITERATIONS = 400 };
#else
enum { MESSAGES = 2000, ROUNDS = 100, ITERATIONS = 3000 };
#endif
enum { SEED = 7000 };


struct test_case {
    struct rltest_case base;        /* base.name points to name */
    const struct atomics_strategy *strategy;
    int threads;
    bool twice;                     /* run again, to check reset */
    char name[80];
};

/* ---- publish, once, volatile: the whole run, with the amplifier on ------- */

static void test_run(void **state)
{
    const struct test_case *c = *state;
    const struct atomics_strategy *s = c->strategy;
    int runs = c->twice ? 2 : 1;

    for (int run = 1; run <= runs; run++) {
        const char *again = run == 2 ? ", second run (is reset right?)" : "";
        rl_fuzz_enable(SEED + (uint64_t)s->which * 1000 + (uint64_t)c->threads * 10 +
                       (uint64_t)run);
        struct atomics_result r;
        if (s->which == ATOMICS_PUBLISH)
            r = atomics_publish_run(s, c->threads, rltest_light(MESSAGES));
        else if (s->which == ATOMICS_ONCE)
            r = atomics_once_run(s, c->threads, rltest_light(ROUNDS), ATOMICS_GETS_PER_THREAD);
        else
            r = atomics_volatile_run(s, c->threads, rltest_light(ITERATIONS));
        rl_fuzz_disable();
        if (atomics_result_ok(s->which, &r))
            continue;
        if (s->which == ATOMICS_PUBLISH)
            fail_msg("publish, %d consumer%s%s: %ld of %ld reads torn or stale; first: slot "
                     "%d held {seq %ld, square %ld, check %ld}, want seq %d", c->threads,
                     c->threads == 1 ? "" : "s", again, r.torn, r.reads, r.first_torn_slot,
                     r.first_torn.seq, r.first_torn.square, r.first_torn.check,
                     r.first_torn_slot + 1);
        else if (s->which == ATOMICS_ONCE)
            fail_msg("%s, %d thread%s%s, %ld rounds: %ld builds (want %ld), %ld of %ld gets "
                     "half-built, %ld other pointers", s->name, c->threads,
                     c->threads == 1 ? "" : "s", again, r.rounds, r.builds, r.rounds,
                     r.half_built, r.gets, r.other_pointer);
        else
            fail_msg("volatile, %d thread%s%s: expected %ld, got %ld (%s %ld)", c->threads,
                     c->threads == 1 ? "" : "s", again, r.expected, r.got,
                     r.got < r.expected ? "lost" : "extra",
                     r.got < r.expected ? r.expected - r.got : r.got - r.expected);
    }
}

/* ---- once: the late reader ---------------------------------------------- */

/* The builder gets the config, then says so with a relaxed store, which
 * orders nothing; the late reader waits for that, then makes its first
 * get. Nothing but the exercise's code can order the build before the
 * reader's reads: a correct fix does (a lock, pthread_once, an acquire
 * that reads a release), a plain or relaxed pointer does not, and
 * ThreadSanitizer says so. On the heap: clang 14's ThreadSanitizer leaves
 * some accesses to a stack struct shared with another thread unchecked. */
struct late {
    const struct atomics_strategy *s;       /* read-only while threads run */
    long generation;                        /* read-only while threads run */
    atomic_bool built;                      /* atomic, relaxed on purpose */
    const struct atomics_config *by_builder, *by_reader; /* each by its thread */
    bool builder_whole, reader_whole;                    /* each by its thread */
};

static void *builder_main(void *arg)
{
    struct late *l = arg;
    l->by_builder = l->s->get();
    l->builder_whole = l->by_builder && atomics_config_whole(l->by_builder, l->generation);
    /* relaxed: must not order the build before the reader (see above). */
    atomic_store_explicit(&l->built, true, memory_order_relaxed);
    return NULL;
}

static void *late_reader_main(void *arg)
{
    struct late *l = arg;
    while (!atomic_load_explicit(&l->built, memory_order_relaxed)) /* relaxed: see above */
        sched_yield();
    l->by_reader = l->s->get();
    l->reader_whole = l->by_reader && atomics_config_whole(l->by_reader, l->generation);
    return NULL;
}

static void test_late_reader(void **state)
{
    const struct test_case *c = *state;
    for (int round = 0; round < 3; round++) {
        struct late *l = calloc(1, sizeof *l);
        assert_non_null(l);
        l->s = c->strategy;
        l->s->once_reset();
        l->generation = atomics_config_generation();
        pthread_t builder, reader;
        rl_thread_create(&reader, late_reader_main, l);
        rl_thread_create(&builder, builder_main, l);
        rl_thread_join(builder, NULL);
        rl_thread_join(reader, NULL);
        long builds = atomics_config_generation() - l->generation;
        bool builder_whole = l->builder_whole, reader_whole = l->reader_whole;
        bool same = l->by_builder == l->by_reader;
        free(l);
        if (builds != 1)
            fail_msg("%s: a get, then a later get in another thread: %ld builds (want 1)",
                     c->strategy->name, builds);
        if (!builder_whole || !reader_whole)
            fail_msg("%s: a get, then a later get in another thread: the %s got a "
                     "half-built object", c->strategy->name,
                     builder_whole ? "later one" : "first one");
        if (!same)
            fail_msg("%s: two gets returned two pointers", c->strategy->name);
    }
}

/* ---- the groups ----------------------------------------------------------- */

static const struct {
    enum atomics_case which;
    const char *group;
    const char *strategies[2];
    const char *hint;
} exercises[] = {
    {ATOMICS_PUBLISH, "publish", {"release", NULL},
     "TODO(lab 7) publish: set the flag with a release store, read it with an acquire "
     "load; relaxed orders nothing else"},
    {ATOMICS_ONCE, "once", {"pthread_once", "dcl"},
     "TODO(lab 7) once: pthread_once; and an acquire load, then the mutex, a second "
     "check, the build, a release store"},
    {ATOMICS_VOLATILE, "volatile", {"atomic", NULL},
     "TODO(lab 7) volatile: one atomic_fetch_add_explicit; volatile is not atomic"},
};
enum { NEXERCISES = sizeof exercises / sizeof exercises[0] };

static const int thread_counts[] = {1, 2, 4, 8};
enum { NCOUNTS = sizeof thread_counts / sizeof thread_counts[0],
       PER_STRATEGY = NCOUNTS + 2, /* + run twice, + late reader */
       PER_GROUP = 2 * PER_STRATEGY };

int main(int argc, char **argv)
{
    static struct test_case cases[NEXERCISES][PER_GROUP];
    static struct CMUnitTest tests[NEXERCISES][PER_GROUP];
    struct rltest_group groups[NEXERCISES];

    for (int e = 0; e < NEXERCISES; e++) {
        size_t n = 0;
        for (int k = 0; k < 2 && exercises[e].strategies[k]; k++) {
            const struct atomics_strategy *s = atomics_find(exercises[e].which,
                                                            exercises[e].strategies[k]);
            if (!s) {
                fprintf(stderr, "test_atomics: no strategy %s\n", exercises[e].strategies[k]);
                return 2;
            }
            const char *unit = s->which == ATOMICS_PUBLISH ? "consumer" : "thread";
            for (int t = 0; t < NCOUNTS + 2; t++) {
                bool late = t == NCOUNTS + 1;
                if (late && s->which != ATOMICS_ONCE)
                    continue;
                struct test_case *c = &cases[e][n];
                c->strategy = s;
                c->twice = t == NCOUNTS;
                c->threads = t < NCOUNTS ? thread_counts[t] : 2;
                if (late)
                    snprintf(c->name, sizeof c->name, "%s %s: a late reader sees it whole",
                             exercises[e].group, s->name);
                else
                    snprintf(c->name, sizeof c->name, "%s %s, %d %s%s%s", exercises[e].group,
                             s->name, c->threads, unit, c->threads == 1 ? "" : "s",
                             c->twice ? ", run twice" : "");
                c->base.name = c->name;
                if (late)
                    tests[e][n] = (struct CMUnitTest)RLTEST(test_late_reader, c);
                else
                    tests[e][n] = (struct CMUnitTest)RLTEST(test_run, c);
                n++;
            }
        }
        groups[e] = (struct rltest_group){exercises[e].group, exercises[e].hint, tests[e], n,
                                          false};
    }
    return rltest_main(argc, argv, groups, NEXERCISES);
}

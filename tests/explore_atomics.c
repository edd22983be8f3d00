/*
 * explore_atomics.c - lab 7's explorer scenarios, one group per exercise
 * (publish, once, volatile) and per specimen that the explorer can show
 * (once-unsafe, volatile-unsafe), each over every schedule with up to one
 * preemption (two for the smallest count), three threads with none and
 * then PCT:
 *
 *   publish   a producer sends one message (or two) while a consumer polls
 *             for it a few times; a message received must be whole, and
 *             once send has returned, receive must have it. The second
 *             scenario starts after a first round and a reset, with a
 *             stale message left in the slot: a reset that forgets the
 *             flag hands it out.
 *   once      two threads (dcl: also three) get the config at once,
 *             through each part (pthread_once, dcl): one build, every get
 *             whole, one pointer; again after a first round and a reset.
 *   volatile  lab 1's count: two threads, one or two increments each.
 *
 * The publish specimen is not here: its bug is a relaxed flag, which only
 * ThreadSanitizer sees (below). The once scenarios turn the race-window
 * amplifier on, so that the build (src/atomics_run.c, not instrumented)
 * pauses after its first field, as a real one reading a file would: a fast
 * path that returns the object before the build is done sees it half-built.
 * Its pauses are virtual time.
 *
 * What the explorer cannot see: it runs one thread at a time and makes
 * every access sequentially consistent, so a relaxed flag or pointer
 * where release/acquire was needed (the publish specimen, most wrong fixes
 * of publish, a plain or relaxed dcl pointer) passes here; that is
 * ThreadSanitizer's to find, in make check.
 */
#include "explore.h"

#include "atomics.h"
#include "racelab.h"

#include <stdbool.h>

enum { THREADS = 2, MAX_THREADS = 3, MAX_GETS = 2, POLLS = 3, FUZZ_SEED = 7 };

/* ---- publish ---------------------------------------------------------------- */

static int messages;                        /* per scenario: set by setup */
static struct atomics_message sent[2];      /* by the producer */
static bool received[2];                    /* by the consumer */
static struct atomics_message seen[2];      /* by the consumer */

/* The producer sends slot 0 (and 1); the consumer polls each slot a few
 * times, in order, and stops at the first it does not get. */
static void publish_body(int tid)
{
    for (int slot = 0; slot < messages; slot++) {
        if (tid == 0) {
            sent[slot] = atomics_message_for(slot);
            atomics_publish_send(slot, &sent[slot]);
            continue;
        }
        for (int poll = 0; poll < POLLS && !received[slot]; poll++)
            received[slot] = atomics_publish_receive(slot, &seen[slot]);
        if (!received[slot])
            return;
    }
}

static const char *publish_check(void)
{
    for (int slot = 0; slot < messages; slot++) {
        struct atomics_message want = atomics_message_for(slot), *m = &seen[slot];
        if (received[slot] && !atomics_message_whole(m, slot))
            return rlx_say("slot %d: received {seq %ld, square %ld, check %ld}, want "
                           "{seq %ld, square %ld, check %ld}: torn or stale", slot, m->seq,
                           m->square, m->check, want.seq, want.square, want.check);
        /* Every send has returned: the message is there to be had. */
        struct atomics_message late;
        if (!atomics_publish_receive(slot, &late))
            return rlx_say("slot %d: send returned, and receive still says not ready", slot);
        if (!atomics_message_whole(&late, slot))
            return rlx_say("slot %d: after send returned, received {seq %ld, square %ld, "
                           "check %ld}, want seq %ld", slot, late.seq, late.square, late.check,
                           want.seq);
    }
    return NULL;
}

static void setup_publish_1(void)
{
    messages = 1;
    atomics_publish_reset(1);
}

/* A first round leaves another message in slot 0; the reset must empty it. */
static void setup_publish_2_after_reset(void)
{
    messages = 2;
    atomics_publish_reset(2);
    struct atomics_message stale = atomics_message_for(41);
    atomics_publish_send(0, &stale);
    atomics_publish_reset(2);
}

static const struct rlx_scenario publish_scenarios[] = {
    {.name = "a producer sends 1 message, a consumer polls for it", .threads = 2,
     .setup = setup_publish_1, .body = publish_body, .check = publish_check,
     .preemptions = 1},
    {.name = "after a reset, a producer sends 2 messages, a consumer polls", .threads = 2,
     .setup = setup_publish_2_after_reset, .body = publish_body, .check = publish_check,
     .preemptions = 1},
};

/* ---- once ------------------------------------------------------------------- */

static const struct atomics_strategy *once;
static int getters, gets;                   /* threads, and gets each: set by setup */
static long generation;                     /* the build this round must make */
static const struct atomics_config *got[MAX_THREADS][MAX_GETS]; /* each by its thread */
static bool whole[MAX_THREADS][MAX_GETS];       /* each by its thread */

static void once_body(int tid)
{
    rl_fuzz_thread((unsigned)tid);
    for (int i = 0; i < gets; i++) {
        got[tid][i] = once->get();
        /* Judged at once: a half-built object may be finished later. */
        whole[tid][i] = got[tid][i] && atomics_config_whole(got[tid][i], generation);
    }
}

static const char *once_check(void)
{
    long builds = atomics_config_generation() - generation;
    if (builds != 1)
        return rlx_say("%s: %ld builds, want 1", once->name, builds);
    for (int t = 0; t < getters; t++)
        for (int i = 0; i < gets; i++) {
            if (!whole[t][i])
                return rlx_say("%s: thread %c's get %d returned a %s object", once->name,
                               'a' + t, i + 1, got[t][i] ? "half-built" : "NULL");
            if (got[t][i] != got[0][0])
                return rlx_say("%s: two gets returned two pointers", once->name);
        }
    return NULL;
}

/* The strategy, and a reset with no thread running; after_a_round: a
 * first round's get (no thread controlled) and a reset before it. */
static void setup_once(const char *name, int threads, int n, bool after_a_round)
{
    once = atomics_find(ATOMICS_ONCE, name);
    getters = threads;
    gets = n;
    once->once_reset();
    if (after_a_round) {
        once->get();
        once->once_reset();
    }
    generation = atomics_config_generation();
    rl_fuzz_enable(FUZZ_SEED);
}

#define SETUP_ONCE(strat, threads, n, again)                                   \
    static void setup_##strat##_##threads##_##n##_##again(void)                \
    {                                                                         \
        setup_once(#strat, threads, n, again);                                 \
    }
SETUP_ONCE(pthread_once, 2, 1, false)
SETUP_ONCE(pthread_once, 2, 1, true)
SETUP_ONCE(dcl, 2, 1, false)
SETUP_ONCE(dcl, 3, 1, false)
SETUP_ONCE(dcl, 2, 2, false)
SETUP_ONCE(dcl, 2, 1, true)
SETUP_ONCE(unsafe, 2, 1, false)

/* Two threads: every schedule with up to one preemption; three: every one
 * with none (the build's pause still lets the others in), then PCT. */
#define ONCE(strat, nthreads, n, again, what)                                  \
    {.name = what, .threads = nthreads,                                        \
     .setup = setup_##strat##_##nthreads##_##n##_##again, .body = once_body,   \
     .check = once_check, .preemptions = nthreads == 2 ? 1 : 0,                \
     .pct_runs = nthreads == 2 ? 0 : 8}

static const struct rlx_scenario once_scenarios[] = {
    ONCE(pthread_once, 2, 1, false, "pthread_once: 2 threads, 1 get each"),
    ONCE(pthread_once, 2, 1, true, "pthread_once: after a round and a reset, 2 threads"),
    ONCE(dcl, 2, 1, false, "dcl: 2 threads, 1 get each"),
    ONCE(dcl, 2, 2, false, "dcl: 2 threads, 2 gets each"),
    ONCE(dcl, 3, 1, false, "dcl: 3 threads, 1 get each"),
    ONCE(dcl, 2, 1, true, "dcl: after a round and a reset, 2 threads"),
};

static const struct rlx_scenario once_unsafe_scenarios[] = {
    ONCE(unsafe, 2, 1, false, "2 threads, 1 get each"),
};

/* ---- volatile --------------------------------------------------------------- */

static const struct atomics_strategy *count;
static int incs;

static void volatile_body(int tid)
{
    for (int i = 0; i < incs; i++)
        count->inc(tid);
}

static const char *volatile_check(void)
{
    long want = (long)THREADS * incs, total = count->total();
    if (total == want)
        return NULL;
    return rlx_say("expected %ld, got %ld (%s %ld)", want, total, total < want ? "lost" : "extra",
                   total < want ? want - total : total - want);
}

#define SETUP_COUNT(strat, n)                                                  \
    static void setup_count_##strat##_##n(void)                                \
    {                                                                         \
        count = atomics_find(ATOMICS_VOLATILE, #strat);                        \
        incs = n;                                                             \
        count->volatile_reset(THREADS);                                        \
    }
SETUP_COUNT(atomic, 1)
SETUP_COUNT(atomic, 2)
SETUP_COUNT(unsafe, 1)

#define COUNT(strat, n, what, bound)                                           \
    {.name = what, .threads = THREADS, .setup = setup_count_##strat##_##n,      \
     .body = volatile_body, .check = volatile_check, .preemptions = bound}

static const struct rlx_scenario volatile_scenarios[] = {
    COUNT(atomic, 1, "2 threads, 1 increment each", 2),
    COUNT(atomic, 2, "2 threads, 2 increments each", 1),
};

static const struct rlx_scenario volatile_unsafe_scenarios[] = {
    COUNT(unsafe, 1, "2 threads, 1 increment each", 1),
};

/* ---- the groups --------------------------------------------------------------- */

#define GROUP(name, specimen, scenarios) {name, specimen, scenarios, RLX_COUNT(scenarios)}

static const struct rlx_group groups[] = {
    GROUP("once-unsafe", true, once_unsafe_scenarios),
    GROUP("volatile-unsafe", true, volatile_unsafe_scenarios),
    GROUP("publish", false, publish_scenarios),
    GROUP("once", false, once_scenarios),
    GROUP("volatile", false, volatile_scenarios),
};

int main(int argc, char **argv)
{
    return rlx_main(argc, argv, "atomics", groups, RLX_COUNT(groups));
}

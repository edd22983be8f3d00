/*
 * explore_counter.c - lab 1's explorer scenarios: two threads add to the
 * count, every schedule with up to two preemptions is run, and the total
 * must come out exact. The specimen's lost update is the first thing the
 * explorer finds: a read, a switch, a read, two writes.
 */
#include "explore.h"

#include "counter.h"

static const struct counter_strategy *strategy;
static int incs;

static void body(int tid)
{
    for (int i = 0; i < incs; i++)
        strategy->inc(tid);
}

static const char *check(void)
{
    long want = 2L * incs, got = strategy->total();
    if (got == want)
        return NULL;
    return rlx_say("expected %ld, got %ld (%s %ld)", want, got, got < want ? "lost" : "extra",
                   got < want ? want - got : got - want);
}

#define SETUP(strat, n)                                                        \
    static void setup_##strat##_##n(void)                                      \
    {                                                                         \
        strategy = counter_find(#strat);                                       \
        incs = n;                                                             \
        strategy->reset(2);                                                   \
    }
#define SCENARIOS(strat)                                                       \
    SETUP(strat, 1)                                                            \
    SETUP(strat, 2)                                                            \
    static const struct rlx_scenario strat##_scenarios[] = {                   \
        {.name = "2 threads, 1 increment each", .threads = 2,                 \
         .setup = setup_##strat##_1, .body = body, .check = check,             \
         .preemptions = 2},                                                   \
        {.name = "2 threads, 2 increments each", .threads = 2,                \
         .setup = setup_##strat##_2, .body = body, .check = check,             \
         .preemptions = 2},                                                   \
    };

SCENARIOS(unsafe)
SCENARIOS(mutex)
SCENARIOS(spin)
SCENARIOS(atomic)
SCENARIOS(sharded)

static const struct rlx_group groups[] = {
    RLX_GROUP(unsafe, true), RLX_GROUP(mutex, false), RLX_GROUP(spin, false),
    RLX_GROUP(atomic, false), RLX_GROUP(sharded, false),
};

int main(int argc, char **argv)
{
    return rlx_main(argc, argv, "counter", groups, RLX_COUNT(groups));
}

/*
 * test_explorer.c - the schedule explorer's own tests (make test): on small
 * programs whose bugs are known (tests/explorer_cases.c), it must find
 * each one, call it by its name (a wrong result, a deadlock, a lost
 * wake-up, a livelock, a crash), end with a verdict instead of hanging,
 * replay a token to the same schedule, run time virtually, and find
 * nothing wrong in a correct program. And on lab 1's specimen, the trace
 * a student sees: at most ten rows, naming its read and its write.
 */
#include "rltest.h"

#include "explore.h"
#include "explorer_cases.h"
#include "racelab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the scenarios ------------------------------------------------------- */

static void count_body(int tid)
{
    (void)tid;
    cases_count_inc();
}

static const char *count_check(void)
{
    long got = cases_count_total();
    return got == 2 ? NULL : rlx_say("expected 2, got %ld", got);
}

static const char *taken_check(void)
{
    return cases_if_wait_taken() == 1 ? NULL : "went on without the flag";
}

static const struct rlx_scenario lost_update = {
    .name = "lost update", .threads = 2, .setup = cases_count_reset, .body = count_body,
    .check = count_check, .preemptions = 2};
static void three_incs(int tid)
{
    (void)tid;
    for (int i = 0; i < 3; i++)
        cases_count_inc();
}

static const char *three_check(void)
{
    long got = cases_count_total();
    return got == 6 ? NULL : rlx_say("expected 6, got %ld", got);
}

/* No exhaustive search (bound 0 finds nothing), only PCT: what it finds is
 * shrunk to the fewest preemptions. */
static const struct rlx_scenario lost_update_pct = {
    .name = "lost update, PCT", .threads = 2, .setup = cases_count_reset, .body = three_incs,
    .check = three_check, .preemptions = 0, .pct_runs = 200, .pct_depth = 4};
static const struct rlx_scenario deadlock = {
    .name = "opposite lock orders", .threads = 2, .body = cases_opposite, .preemptions = 2};
static const struct rlx_scenario lost_wakeup = {
    .name = "lost wake-up", .threads = 2, .body = cases_lost_wakeup, .preemptions = 2};
static const struct rlx_scenario if_wait = {
    .name = "if-wait", .threads = 2, .body = cases_if_wait, .check = taken_check,
    .preemptions = 2, .spurious = 1};
static const struct rlx_scenario if_wait_no_spurious = {
    .name = "if-wait, no spurious wake-up", .threads = 2, .body = cases_if_wait,
    .check = taken_check, .preemptions = 2};
static const struct rlx_scenario while_wait = {
    .name = "while-wait", .threads = 2, .body = cases_while_wait, .check = taken_check,
    .preemptions = 2, .spurious = 2};
static const struct rlx_scenario spin_forever = {
    .name = "spin forever", .threads = 2, .body = cases_spin_forever, .preemptions = 1};
static const struct rlx_scenario busy_forever = {
    .name = "busy forever", .threads = 1, .body = cases_busy_forever, .max_steps = 1000};
static const struct rlx_scenario crash = {
    .name = "crash", .threads = 2, .body = cases_crash, .preemptions = 1};

static const char *time_check(void)
{
    /* Virtual clocks start at 1000 s (monotonic); the hour's sleep ends at
     * 4600 s, the 2 s time-out at 1002 s: to the nanosecond. */
    if (cases_time_woke_at() != 4600000000000LL)
        return rlx_say("the sleeper woke at %lld ns", cases_time_woke_at());
    if (cases_time_timed_out_at() != 1002000000000LL)
        return rlx_say("the time-out came at %lld ns", cases_time_timed_out_at());
    return NULL;
}

static const char *timeout_check(void)
{
    return cases_timeout_result() >= 0 ? NULL : "the wait said 'not set' though the flag was set";
}

/* A time-out racing a set: only a deadline that passes while the setter
 * could still run shows it. */
static const struct rlx_scenario timeout_race = {
    .name = "a time-out races a set", .threads = 2, .setup = cases_timeout_reset,
    .body = cases_timeout_race, .check = timeout_check, .preemptions = 1, .deadline_jumps = 1};
static const struct rlx_scenario timeout_race_no_jump = {
    .name = "a time-out races a set, no time jump", .threads = 2, .setup = cases_timeout_reset,
    .body = cases_timeout_race, .check = timeout_check, .preemptions = 2};

static const char *both_check(void)
{
    return cases_both() == 2 ? NULL : rlx_say("%ld transfers of 2", cases_both());
}

/* Right, and no livelock: staying on past a yield while the other thread
 * could run is a preemption (a fair scheduler lets it in); a poller is
 * never parked inside its critical section. */
/* Its budget: every schedule with up to two preemptions is 84 of them when
 * staying on past a yield costs one, 198 when it is free (measured). */
static const struct rlx_scenario trylock_yield = {
    .name = "trylock, yield, retry", .threads = 2, .body = cases_trylock_yield,
    .check = both_check, .preemptions = 2, .max_schedules = 150};
static const struct rlx_scenario poll_under_lock = {
    .name = "a poller under the lock", .threads = 2, .body = cases_poll_under_lock,
    .preemptions = 2};

static const struct rlx_scenario virtual_time = {
    .name = "an hour's sleep", .threads = 2, .setup = cases_time_reset, .body = cases_time,
    .check = time_check, .preemptions = 1};

/* ---- the tests ----------------------------------------------------------- */

struct explorer_case {
    struct rltest_case base;
    const struct rlx_scenario *scenario;
    enum rlx_verdict want;
    const char *why;        /* a part of the verdict's line */
};

static const char *verdict_name(enum rlx_verdict v)
{
    static const char *names[] = {"ok", "wrong", "deadlock", "livelock", "crash", "hang"};
    return names[v];
}

static void test_verdict(void **state)
{
    const struct explorer_case *c = *state;
    struct rlx_result r;
    rlx_explore(c->scenario, NULL, NULL, &r);
    if (r.verdict != c->want)
        fail_msg("%s: verdict %s (%s), expected %s", c->scenario->name, verdict_name(r.verdict),
                 r.why, verdict_name(c->want));
    if (c->why && !strstr(r.why, c->why))
        fail_msg("%s: the verdict says '%s', without '%s'", c->scenario->name, r.why, c->why);
    if (c->want == RLX_OK && !r.exhausted)
        fail_msg("%s: the search was cut short (%ld schedules)", c->scenario->name, r.schedules);
}

/* A trace into a string. */
static char *traced(const struct rlx_scenario *s, const char *token, struct rlx_result *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    rlx_explore(s, token, f, r);
    fclose(f);
    return text;
}

/* The failure found, replayed from its token: the same verdict and the same
 * table, twice. */
static void test_replay(void **state)
{
    (void)state;
    struct rlx_result found, again, third;
    char *t1 = traced(&lost_update, NULL, &found);
    assert_int_equal(found.verdict, RLX_WRONG);
    assert_true(found.token[0] != 0);
    char *t2 = traced(&lost_update, found.token, &again);
    char *t3 = traced(&lost_update, found.token, &third);
    if (again.verdict != RLX_WRONG || strcmp(again.why, found.why) != 0)
        fail_msg("token %s replayed to '%s', not '%s'", found.token, again.why, found.why);
    if (strcmp(t1, t2) != 0 || strcmp(t2, t3) != 0)
        fail_msg("token %s replayed to another table:\n%s\n---\n%s", found.token, t1, t2);
    /* A schedule with a time jump in it ("+a") replays too. */
    struct rlx_result jumped, rejumped;
    rlx_explore(&timeout_race, NULL, NULL, &jumped);
    assert_int_equal(jumped.verdict, RLX_WRONG);
    if (!strchr(jumped.token, '+'))
        fail_msg("the time-out race's token %s has no time jump", jumped.token);
    rlx_explore(&timeout_race, jumped.token, NULL, &rejumped);
    if (rejumped.verdict != RLX_WRONG || rejumped.fit[0])
        fail_msg("token %s replayed to '%s' %s", jumped.token, rejumped.why, rejumped.fit);
    struct rlx_result bad;
    rlx_explore(&lost_update, "a2#", NULL, &bad);
    if (bad.verdict == RLX_OK || !strstr(bad.why, "not a replay token"))
        fail_msg("a token with '#' was taken: %s", bad.why);
    free(t1);
    free(t2);
    free(t3);
}

/* The fewest preemptions: a lost update needs exactly one, whether the
 * bounded search or PCT found it. */
static void test_fewest_preemptions(void **state)
{
    (void)state;
    struct rlx_result r;
    rlx_explore(&lost_update, NULL, NULL, &r);
    assert_int_equal(r.verdict, RLX_WRONG);
    if (r.preemptions != 1)
        fail_msg("the lost update came with %d preemptions, not 1", r.preemptions);
    rlx_explore(&lost_update_pct, NULL, NULL, &r);
    if (r.verdict != RLX_WRONG)
        fail_msg("PCT did not find the lost update in 200 runs: %s", r.why);
    if (r.preemptions != 1)
        fail_msg("PCT's lost update was shrunk to %d preemptions, not 1 (token %s)", r.preemptions,
                 r.token);
}

/* What a student sees of lab 1's specimen: make explore's table. */
static void test_counter_specimen_trace(void **state)
{
    (void)state;
    char *argv[] = {"build/explore/solutions/explore_counter", "--only", "unsafe", NULL};
    struct rltest_output o;
    int status = rltest_run(argv, false, 30, &o);
    if (status != 0)
        fail_msg("explore_counter --only unsafe exited %d (the specimen is not graded): %s", status,
                 o.err);
    /* The first table: from its header to the blank line after it. */
    char *table = strstr(o.out, "  step");
    assert_non_null(table);
    char *end = strstr(table, "\n\n");
    assert_non_null(end);
    *end = 0;
    int rows = 0;
    for (char *p = strchr(table, '\n'); p; p = strchr(p + 1, '\n'))
        rows++;
    char read_at[64], write_at[64];
    snprintf(read_at, sizeof read_at, "counter_unsafe.c:%d read unsafe_count",
             rltest_find_line("src/counter_unsafe.c", "RACE: read"));
    snprintf(write_at, sizeof write_at, "counter_unsafe.c:%d write unsafe_count",
             rltest_find_line("src/counter_unsafe.c", "RACE: write"));
    if (rows > 10)
        fail_msg("the specimen's trace has %d rows:\n%s", rows, table);
    if (!strstr(table, read_at) || !strstr(table, write_at))
        fail_msg("the specimen's trace does not show '%s' and '%s':\n%s", read_at, write_at, table);
    rltest_output_free(&o);
}

static void test_usage(void **state)
{
    (void)state;
    const char *bin = "build/explore/solutions/explore_counter";
    const char *why = rltest_usage_error(bin, (const char *[]){"--only", "nope", NULL},
                                         "explore_counter: no exercise or specimen 'nope' in lab "
                                         "counter (there are: unsafe mutex spin atomic sharded); try "
                                         "'explore_counter --help'\n");
    if (why)
        fail_msg("--only nope: %s", why);
    why = rltest_usage_error(bin, (const char *[]){"--replay", "mutex/9/a2b", NULL},
                             "explore_counter: --replay 'mutex/9/a2b': mutex has 2 scenarios (0 .. 1); "
                             "try 'explore_counter --help'\n");
    if (why)
        fail_msg("--replay mutex/9/a2b: %s", why);
    why = rltest_usage_error(bin, (const char *[]){"--bogus", NULL},
                             "explore_counter: unknown argument '--bogus'; try 'explore_counter --help'\n");
    if (why)
        fail_msg("--bogus: %s", why);
}

int main(int argc, char **argv)
{
    static struct explorer_case cases[] = {
        {{"a lost update is wrong"}, &lost_update, RLX_WRONG, "expected 2, got 1"},
        {{"opposite lock orders deadlock"}, &deadlock, RLX_DEADLOCK, "held by thread"},
        {{"a flag read outside the lock loses its wake-up"}, &lost_wakeup, RLX_DEADLOCK,
         "no thread is left to wake it"},
        {{"an if-wait fails when woken for nothing"}, &if_wait, RLX_WRONG, "went on without"},
        {{"an if-wait passes with no spurious wake-up"}, &if_wait_no_spurious, RLX_OK, NULL},
        {{"a while-wait passes with spurious wake-ups"}, &while_wait, RLX_OK, NULL},
        {{"two threads spinning on each other: a livelock"}, &spin_forever, RLX_LIVELOCK,
         "spinning"},
        {{"a loop without end: the step budget"}, &busy_forever, RLX_LIVELOCK, "no end after"},
        {{"a segfault is a crash"}, &crash, RLX_CRASH, "SIGSEGV"},
        {{"an hour's sleep and a time-out, in virtual time"}, &virtual_time, RLX_OK, NULL},
        {{"a deadline that passes while the setter holds the lock"}, &timeout_race, RLX_WRONG,
         "though the flag was set"},
        {{"without time jumps, a time-out never races a prompt set"}, &timeout_race_no_jump, RLX_OK,
         NULL},
        {{"trylock, yield and retry is no livelock"}, &trylock_yield, RLX_OK, NULL},
        {{"a poller under a lock lets the thread it waits for in"}, &poll_under_lock, RLX_OK,
         NULL},
    };
    enum { NCASES = sizeof cases / sizeof cases[0] };
    static struct rltest_case named[] = {
        {"a token replays its schedule, the same every time"},
        {"a failure comes with the fewest preemptions"},
        {"lab 1's specimen: a trace of at most ten rows, its read and its write"},
        {"explore_counter: bad options"},
    };
    static struct CMUnitTest tests[NCASES + 4];
    for (int i = 0; i < NCASES; i++) {
        tests[i] = (struct CMUnitTest)RLTEST(test_verdict, &cases[i]);
    }
    tests[NCASES] = (struct CMUnitTest)RLTEST(test_replay, &named[0]);
    tests[NCASES + 1] = (struct CMUnitTest)RLTEST(test_fewest_preemptions, &named[1]);
    tests[NCASES + 2] = (struct CMUnitTest)RLTEST(test_counter_specimen_trace, &named[2]);
    tests[NCASES + 3] = (struct CMUnitTest)RLTEST(test_usage, &named[3]);
    struct rltest_group groups[] = {{"explorer", NULL, tests, NCASES + 4, false}};
    return rltest_main(argc, argv, groups, 1);
}

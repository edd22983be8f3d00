/*
 * test_prints.c - lab 2's tests: each fix must print every record whole,
 * every count once and in ascending order, with 1, 2, 4, 8 and 64 workers
 * and the amplifier on; and the line checker itself must catch each kind
 * of damage, at the right line.
 *
 * One source, linked against labs/prints.c or solutions/prints.c (and the
 * queue.c beside it). `make check` runs each exercise's group in the shake
 * build, where every stdio call, lock and shared access in the exercise
 * file may pause, and under ThreadSanitizer. The output goes through a
 * real pipe into memory (prints_capture): no files are left behind.
 */
#include "rltest.h"

#include "prints.h"
#include "racelab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef UNDER_TSAN
enum { RECORDS = 200 };
#else
enum { RECORDS = 1000 };
#endif
enum { SEED = 2000 };

struct prints_case {
    struct rltest_case base;
    const struct prints_strategy *strategy;
    int workers;
    bool twice;             /* run again, to check start resets */
    char name[64];
};

struct capture {
    const struct prints_case *c;
    char *text;             /* read after the run is joined */
    size_t len;
    double seconds;
};

static void capture_run(void *arg)
{
    struct capture *cap = arg;
    long records = rltest_light(RECORDS);
    cap->text = prints_capture(cap->c->strategy, cap->c->workers, records, &cap->len, &cap->seconds);
}

static long records_done(void *arg)
{
    (void)arg;
    return prints_progress();
}

static void test_whole_records(void **state)
{
    const struct prints_case *c = *state;
    for (int run = 1; run <= (c->twice ? 2 : 1); run++) {
        rl_fuzz_enable(SEED + (uint64_t)c->workers * 10 + (uint64_t)run);
        struct capture *cap = calloc(1, sizeof *cap); /* leaked if the run is stuck */
        assert_non_null(cap);
        cap->c = c;
        /* Run in another thread while this one watches the records move:
         * a run that stops (a printer that quit, a put nobody takes) fails
         * in seconds, by name, instead of waiting for the watchdog. */
        if (!rltest_run_watched(capture_run, cap, records_done, 5))
            fail_msg("%s: stuck: no record done for 5 s (a printer that stopped "
                     "taking requests? a lock never released?)", c->name);
        rl_fuzz_disable();
        struct prints_verdict v;
        prints_check(cap->text, cap->len, rltest_light(RECORDS), true, &v);
        double seconds = cap->seconds;
        free(cap->text);
        free(cap);
        if (seconds < 0)
            fail_msg("%s: finish reported lost records", c->name);
        if (!v.ok)
            fail_msg("%s%s: broken at line %ld: %s", c->name,
                     run == 2 ? ", second run (does start reset?)" : "", v.line, v.why);
    }
}

/* ---- the checker's own tests ------------------------------------------- */

#define REC(n) "The count is " #n "\n---------------\n"

struct sample {
    struct rltest_case base;
    const char *text;
    long expected;          /* -1: as many as there are */
    bool ordered;
    long line;              /* 0: must pass; else the first broken line */
    const char *why;        /* a piece of the reason */
};

static void test_checker(void **state)
{
    const struct sample *s = *state;
    struct prints_verdict v;
    bool ok = prints_check(s->text, strlen(s->text), s->expected, s->ordered, &v);
    assert_int_equal(ok, v.ok);
    if (s->line == 0) {
        if (!ok)
            fail_msg("good output refused at line %ld: %s", v.line, v.why);
        return;
    }
    if (ok)
        fail_msg("broken output accepted (it breaks at line %ld: %s)", s->line, s->why);
    if (v.line != s->line || !strstr(v.why, s->why))
        fail_msg("reported line %ld '%s', expected line %ld with '%s'", v.line, v.why,
                 s->line, s->why);
}

static struct sample samples[] = {
    {{"checker: whole, ascending records pass"}, REC(1) REC(2) REC(3), 3, true, 0, ""},
    {{"checker: any order passes unless ordered"}, REC(2) REC(3) REC(1), -1, false, 0, ""},
    {{"checker: no output, no records: passes"}, "", -1, false, 0, ""},
    {{"checker: a record split by another"},
     "The count is 1\nThe count is 2\n---------------\n---------------\n", -1, false, 2,
     "not followed by its separator"},
    {{"checker: a repeated count"}, REC(1) REC(1) REC(2), 3, false, 3, "count 1 again"},
    {{"checker: a count out of range"}, REC(1) REC(7), 2, false, 3, "outside 1 .. 2"},
    {{"checker: not ascending"}, REC(2) REC(1), 2, true, 1, "1 is missing here"},
    {{"checker: going back"}, REC(1) REC(3) REC(2), -1, true, 3, "3 after count 1"},
    {{"checker: a line cut off"}, REC(1) "The count is 2\n-----", -1, false, 4, "cut off"},
    {{"checker: two lines run together"}, "The count is 1The count is 2\n", -1, false, 1,
     "not a whole line"},
    {{"checker: a separator first"}, "---------------\n" REC(1), -1, false, 1,
     "no record before it"},
    {{"checker: a missing separator at the end"}, REC(1) "The count is 2\n", -1, false, 3,
     "has no separator"},
    {{"checker: a missing count"}, REC(1) REC(2), 3, false, 5, "count 3 never printed"},
    {{"checker: leading zeros are not a count"}, "The count is 01\n---------------\n", -1,
     false, 1, "not a whole line"},
};
enum { NSAMPLES = sizeof samples / sizeof samples[0] };

static const struct {
    const char *strategy;
    const char *hint;
} exercises[] = {
    {"mutex", "TODO(lab 2) mutex: one mutex from before reading the count until after "
              "the separator"},
    {"stdio", "TODO(lab 2) stdio: flockfile(stdio_out) from before reading the count "
              "until after the separator"},
    {"printer", "TODO(lab 2) printer: only the printer thread prints and counts; workers "
                "put requests on lab 3's locked queue"},
};
enum { NEXERCISES = sizeof exercises / sizeof exercises[0] };

static const int worker_counts[] = {1, 2, 4, 8, RL_MAX_THREADS};
enum { NCOUNTS = sizeof worker_counts / sizeof worker_counts[0], PER_GROUP = NCOUNTS + 1 };

int main(int argc, char **argv)
{
    static struct prints_case cases[NEXERCISES][PER_GROUP];
    static struct CMUnitTest tests[NEXERCISES][PER_GROUP];
    static struct CMUnitTest checker_tests[NSAMPLES];
    struct rltest_group groups[NEXERCISES + 1];

    for (int e = 0; e < NEXERCISES; e++) {
        const struct prints_strategy *s = prints_find(exercises[e].strategy);
        for (int k = 0; k < PER_GROUP; k++) {
            struct prints_case *c = &cases[e][k];
            c->strategy = s;
            c->twice = k == NCOUNTS;
            c->workers = c->twice ? 2 : worker_counts[k];
            snprintf(c->name, sizeof c->name, "%s, %d worker%s%s", s->name, c->workers,
                     c->workers == 1 ? "" : "s", c->twice ? ", run twice" : "");
            c->base.name = c->name;
            tests[e][k] = (struct CMUnitTest)RLTEST(test_whole_records, c);
        }
        groups[e] = (struct rltest_group){s->name, exercises[e].hint, tests[e], PER_GROUP,
                                          false};
    }
    for (int i = 0; i < NSAMPLES; i++)
        checker_tests[i] = (struct CMUnitTest)RLTEST(test_checker, &samples[i]);
    groups[NEXERCISES] = (struct rltest_group){"checker", NULL, checker_tests, NSAMPLES,
                                               false};
    return rltest_main(argc, argv, groups, NEXERCISES + 1);
}

/*
 * test_specimens.c - the specimens must stay broken, visibly: each lab's
 * racy program loses updates with --fuzz on every run (also pinned to one
 * CPU), and ThreadSanitizer names the shared variable and both racing
 * source lines.
 *
 * These tests run the lab programs as a student would, from the top of the
 * tree: build/release/labs/counter and build/tsan/labs/counter (make test
 * builds them first). The racing lines are found by their "RACE:" comments
 * in the specimen's source, so moving code does not break the test.
 */
#include "rltest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNSAFE_SRC "src/counter_unsafe.c"

/* The last line of text (without its newline), in a static buffer. */
static const char *last_line(const char *text)
{
    static char line[256];
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == '\n')
        len--;
    size_t start = len;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    snprintf(line, sizeof line, "%.*s", (int)(len - start), text + start);
    return line;
}

/* Runs argv, expects "expected E, got G (lost L)" with L > 0 and exit 1. */
static void expect_lost_updates(char *const argv[])
{
    struct rltest_output o;
    int status = rltest_run(argv, false, 60, &o);
    long expected = 0, got = 0, lost = 0;
    int fields = sscanf(last_line(o.out), "expected %ld, got %ld (lost %ld)",
                        &expected, &got, &lost);
    char line[256];
    snprintf(line, sizeof line, "%s", last_line(o.out));
    rltest_output_free(&o);

    if (fields != 3)
        fail_msg("last line is not 'expected E, got G (lost L)': '%s'", line);
    assert_int_equal(status, 1);
    assert_int_equal(expected - got, lost);
    if (lost <= 0)
        fail_msg("the specimen lost nothing: '%s'", line);
}

static void unsafe_loses_updates_with_fuzz(void **state)
{
    (void)state;
    char *argv[] = {"build/release/labs/counter", "-s", "unsafe", "--fuzz",
                    "--seed", "7", NULL};
    expect_lost_updates(argv);
}

/* Pinned to one CPU, 4 x 20000 increments come out exact without --fuzz
 * (49 runs in 50 here: each thread finishes within its time slice), so
 * losing updates here shows the amplifier at work, not luck. */
static void unsafe_loses_updates_on_one_cpu(void **state)
{
    (void)state;
    char *argv[] = {"taskset", "-c", "0", "build/release/labs/counter", "-s",
                    "unsafe", "-n", "20000", "--fuzz", "--seed", "8", NULL};
    expect_lost_updates(argv);
}

/* The report that mentions both racing lines, or NULL. Reports are
 * delimited by lines of '=' signs. */
static bool report_with_both(const char *err, const char *read_at,
                             const char *write_at)
{
    const char *p = err;
    while ((p = strstr(p, "WARNING: ThreadSanitizer: data race")) != NULL) {
        const char *end = strstr(p, "==================");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *report = strndup(p, len);
        bool both = strstr(report, read_at) && strstr(report, write_at) &&
                    strstr(report, "Location is global 'unsafe_count'");
        free(report);
        if (both)
            return true;
        p += len;
    }
    return false;
}

static void tsan_names_counter_and_both_lines(void **state)
{
    (void)state;
    int read_line = rltest_find_line(UNSAFE_SRC, "RACE: read");
    int write_line = rltest_find_line(UNSAFE_SRC, "RACE: write");
    assert_true(read_line > 0 && write_line > 0);
    char read_at[64], write_at[64];
    snprintf(read_at, sizeof read_at, UNSAFE_SRC ":%d:", read_line);
    snprintf(write_at, sizeof write_at, UNSAFE_SRC ":%d:", write_line);

    char *argv[] = {"sanitizers/run", "build/tsan/labs/counter", "-s", "unsafe",
                    "-n", "20000", "--fuzz", "--seed", "1", NULL};
    struct rltest_output o;
    int status = rltest_run(argv, false, 120, &o);
    bool found = report_with_both(o.err, read_at, write_at);
    bool any = strstr(o.err, "WARNING: ThreadSanitizer: data race") != NULL;
    rltest_output_free(&o);

    assert_int_equal(status, 66); /* TSAN_OPTIONS exitcode: reports were made */
    if (!any)
        fail_msg("no data race reported for the unsafe counter");
    if (!found)
        fail_msg("no report names 'unsafe_count' with both %s and %s", read_at,
                 write_at);
}

static struct rltest_case cases[] = {
    {"counter: unsafe loses updates with --fuzz"},
    {"counter: unsafe loses updates with --fuzz on one CPU"},
    {"counter: TSan names unsafe_count, its read and its write"},
};

int main(int argc, char **argv)
{
    struct CMUnitTest counter_tests[] = {
        RLTEST(unsafe_loses_updates_with_fuzz, &cases[0]),
        RLTEST(unsafe_loses_updates_on_one_cpu, &cases[1]),
        RLTEST(tsan_names_counter_and_both_lines, &cases[2]),
    };
    const struct rltest_group groups[] = {
        {"counter", NULL, counter_tests, 3, false},
    };
    return rltest_main(argc, argv, groups, 1);
}

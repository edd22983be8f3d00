/*
 * test_specimens.c - the specimens must stay broken, visibly: each lab's
 * racy program loses updates with --fuzz on every run (also pinned to one
 * CPU), and ThreadSanitizer names the shared data and both racing source
 * lines, a read and a write. Three exceptions, each said where it is
 * tested: lab 4's specimen has no data race (TSan is silent, results are
 * lost all the same), lab 5's and lab 7's publish do no visible damage in
 * a release build (TSan alone shows them), and lab 6's deadlocks (its
 * watchdog says so, and TSan reports the lock-order inversion with both
 * locking lines).
 *
 * These tests run the lab programs as a student would, from the top of the
 * tree: build/release/labs/LAB and build/tsan/labs/LAB (make test builds
 * them first). The racing lines are found by their "RACE:" comments
 * in the specimen's source, so moving code does not break the test.
 */
#include "rltest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Each specimen: its program, its source, what its verdict line says, and
 * where TSan finds the shared data. */
struct specimen {
    struct rltest_case base;
    const char *lab;            /* "counter": build/.../labs/counter (pool: primes) */
    const char *source;         /* with the RACE: read and RACE: write marks */
    const char *location;       /* in TSan's report: "Location is global 'x'" */
    char *const *small;         /* arguments for a short run */
    char *const *always;        /* arguments for every run (NULL: none) */
};

/* A lab's program, from labs/ or solutions/: its name, but lab 4's is
 * called primes, and is taken from solutions/. Its specimen mode is in src/
 * either way, but runs on lab 3's locked queue from the same directory,
 * which in labs/ is still an exercise. */
static const char *program(const char *lab)
{
    static char path[64];
    snprintf(path, sizeof path, "%s", strcmp(lab, "pool") == 0 ? "solutions/primes" : "");
    if (!path[0])
        snprintf(path, sizeof path, "labs/%s", lab);
    return path;
}

/* Lab 6's specimen deadlocks instead: its watchdog sees no transfer for a
 * second (-w 1), names who waits for whom on stderr, ending with the
 * cycle, and exits 3. The run is killed after 10 s if it does not. */
static void expect_deadlock(char *const argv[])
{
    struct rltest_output o;
    int status = rltest_run(argv, false, 10, &o);
    char line[256];
    snprintf(line, sizeof line, "%s", last_line(o.out));
    bool cycle = strstr(o.err, "  a cycle: thread ") != NULL;
    bool waits = strstr(o.err, " and waits for account ") != NULL;
    char err[512];
    snprintf(err, sizeof err, "%s", o.err);
    rltest_output_free(&o);
    if (status == 128 + 9)
        fail_msg("the bank specimen was still running after 10 s: its watchdog did not stop it");
    if (strncmp(line, "stuck after ", 12) != 0 || !strstr(line, ": a deadlock"))
        fail_msg("last line is not 'stuck after N of M transfers: a deadlock': '%s'", line);
    if (!cycle || !waits)
        fail_msg("stderr does not name who holds and waits for what, and the cycle: '%s'", err);
    assert_int_equal(status, 3);
}

/* Runs argv and checks its verdict line shows the specimen's bug: exit 1
 * and updates or items lost (or duplicated); for the bank, a deadlock. */
static void expect_broken(const char *lab, char *const argv[])
{
    if (strcmp(lab, "bank") == 0) {
        expect_deadlock(argv);
        return;
    }
    struct rltest_output o;
    int status = rltest_run(argv, false, 60, &o);
    char line[256];
    snprintf(line, sizeof line, "%s", last_line(o.out));
    rltest_output_free(&o);

    long a = 0, b = 0, lost = 0, dup = 0;
    bool broken = false;
    if (strcmp(lab, "counter") == 0) {
        if (sscanf(line, "expected %ld, got %ld (lost %ld)", &a, &b, &lost) != 3)
            fail_msg("last line is not 'expected E, got G (lost L)': '%s'", line);
        assert_int_equal(a - b, lost);
        broken = lost > 0;
    } else if (strcmp(lab, "prints") == 0) {
        if (strncmp(line, "verdict: ", 9) != 0)
            fail_msg("last line is not the checker's verdict: '%s'", line);
        broken = strncmp(line, "verdict: broken at line ", 24) == 0;
    } else if (strcmp(lab, "atomics") == 0) {
        long rounds = 0, builds = 0, want = 0, half = 0, gets = 0, other = 0;
        if (sscanf(line, "expected %ld, got %ld (lost %ld)", &a, &b, &lost) == 3)
            broken = lost > 0;
        else if (sscanf(line, "%ld rounds: %ld builds (want %ld), %ld of %ld gets half-built, "
                        "%ld other pointers", &rounds, &builds, &want, &half, &gets,
                        &other) == 6)
            broken = builds != rounds || half > 0 || other > 0;
        else
            fail_msg("last line is neither 'expected E, got G (lost L)' nor 'N rounds: B "
                     "builds (want N), H of G gets half-built, P other pointers': '%s'", line);
    } else if (strcmp(lab, "pool") == 0) {
        if (sscanf(line, "lost %ld of %ld results:", &lost, &a) == 2)
            broken = lost > 0;
        else if (sscanf(line, "answered %ld of %ld numbers, each once", &b, &a) == 2)
            broken = false;
        else
            fail_msg("last line is neither 'lost L of N results: ...' nor 'answered N of N "
                     "numbers, each once': '%s'", line);
    } else {
        if (sscanf(line, "sent %ld, received %ld, lost %ld, duplicated %ld", &a, &b,
                   &lost, &dup) != 4)
            fail_msg("last line is not 'sent S, received R, lost L, duplicated D': '%s'",
                     line);
        assert_int_equal(a - lost + dup, b);
        broken = lost > 0 || dup > 0;
    }
    if (!broken)
        fail_msg("the %s specimen came out right: '%s'", lab, line);
    assert_int_equal(status, 1);
}

/* Fills argv: the prefix (NULL-terminated), then "-s unsafe", then the
 * specimen's small-run arguments if small, its always-arguments, and
 * "--fuzz --seed SEED" unless it has none. */
static void specimen_argv(char *argv[], int size, const struct specimen *sp,
                          char *const prefix[], bool small, char *seed)
{
    int n = 0;
    for (char *const *a = prefix; *a; a++)
        argv[n++] = *a;
    /* The strategy option: lab 4's and lab 5's programs call it a mode. */
    argv[n++] = strcmp(sp->lab, "pool") == 0 || strcmp(sp->lab, "spinner") == 0 ? "-m" : "-s";
    argv[n++] = "unsafe";
    for (char *const *a = small ? sp->small : NULL; a && *a; a++)
        argv[n++] = *a;
    for (char *const *a = sp->always; a && *a; a++)
        argv[n++] = *a;
    /* The spinner has no --fuzz: its race is shown by TSan alone. */
    if (strcmp(sp->lab, "spinner") != 0) {
        argv[n++] = "--fuzz";
        argv[n++] = "--seed";
        argv[n++] = seed;
    }
    argv[n] = NULL;
    assert_true(n < size);
}

static void broken_with_fuzz(void **state)
{
    const struct specimen *sp = *state;
    char prog[64];
    snprintf(prog, sizeof prog, "build/release/%s", program(sp->lab));
    char *const prefix[] = {prog, NULL};
    char *argv[32];
    specimen_argv(argv, 32, sp, prefix, false, "7");
    expect_broken(sp->lab, argv);
}

/* Pinned to one CPU, the small runs come out right without --fuzz (for the
 * counter, 49 runs in 50 here: each thread finishes within its time
 * slice), so a broken result shows the amplifier at work, not luck. */
static void broken_on_one_cpu(void **state)
{
    const struct specimen *sp = *state;
    char prog[64];
    snprintf(prog, sizeof prog, "build/release/%s", program(sp->lab));
    char *const prefix[] = {"taskset", "-c", "0", prog, NULL};
    char *argv[32];
    specimen_argv(argv, 32, sp, prefix, true, "8");
    expect_broken(sp->lab, argv);
}

/* The text of line n of path, in a static buffer ("" if there is none). */
static const char *source_line(const char *path, int n)
{
    static char line[512];
    line[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return line;
    for (int i = 1; fgets(line, sizeof line, f); i++)
        if (i == n)
            break;
        else
            line[0] = '\0';
    fclose(f);
    return line;
}

/* What the first "#0" frame at or after p says about source: 'r' when its
 * line is marked "RACE: read", 'w' for "RACE: write", 0 otherwise. */
static char frame_mark(const char *p, const char *end, const char *source)
{
    const char *f = strstr(p, "#0 ");
    if (!f || f > end)
        return 0;
    char at[128];
    snprintf(at, sizeof at, " %s:", source);
    const char *eol = strchr(f, '\n');
    const char *hit = strstr(f, at);
    if (!hit || (eol && hit > eol))
        return 0;
    const char *text = source_line(source, atoi(hit + strlen(at)));
    return strstr(text, "RACE: read") ? 'r' : strstr(text, "RACE: write") ? 'w' : 0;
}

/* Whether some data-race report names the location and, as its two
 * accesses, a marked read and a marked write of source. Reports end with
 * a line of '=' signs; the two accesses are the report's first two "#0"
 * frames. */
static bool report_read_and_write(const char *err, const char *source,
                                  const char *location)
{
    const char *p = err;
    while ((p = strstr(p, "WARNING: ThreadSanitizer: data race")) != NULL) {
        const char *end = strstr(p, "==================");
        if (!end)
            end = p + strlen(p);
        const char *second = strstr(p, "  Previous ");
        char a = frame_mark(p, end, source);
        char b = second && second < end ? frame_mark(second, end, source) : 0;
        const char *loc = strstr(p, location);
        if (loc && loc < end && ((a == 'r' && b == 'w') || (a == 'w' && b == 'r')))
            return true;
        p = end;
    }
    return false;
}

static void tsan_names_both_lines(void **state)
{
    const struct specimen *sp = *state;
    assert_true(rltest_find_line(sp->source, "RACE: read") > 0);
    assert_true(rltest_find_line(sp->source, "RACE: write") > 0);
    char prog[64];
    snprintf(prog, sizeof prog, "build/tsan/%s", program(sp->lab));

    char *const prefix[] = {"sanitizers/run", prog, NULL};
    char *argv[32];
    specimen_argv(argv, 32, sp, prefix, true, "1");
    struct rltest_output o;
    int status = rltest_run(argv, false, 120, &o);
    bool found = report_read_and_write(o.err, sp->source, sp->location);
    bool any = strstr(o.err, "WARNING: ThreadSanitizer: data race") != NULL;
    rltest_output_free(&o);

    assert_int_equal(status, 66); /* TSAN_OPTIONS exitcode: reports were made */
    if (!any)
        fail_msg("no data race reported for the %s specimen", sp->lab);
    if (!found)
        fail_msg("no report names '%s' with a read and a write marked RACE: in %s",
                 sp->location, sp->source);
}

/* Lab 4's specimen races on a decision, not on memory: every access goes
 * through the queue's lock. TSan rightly reports nothing, and the results
 * are lost all the same: a race condition is not always a data race. */
static void tsan_silent_but_broken(void **state)
{
    const struct specimen *sp = *state;
    char prog[64];
    snprintf(prog, sizeof prog, "build/tsan/%s", program(sp->lab));
    char *const prefix[] = {"sanitizers/run", prog, NULL};
    char *argv[32];
    specimen_argv(argv, 32, sp, prefix, true, "1");
    struct rltest_output o;
    int status = rltest_run(argv, false, 120, &o);
    bool any = strstr(o.err, "WARNING: ThreadSanitizer") != NULL;
    char line[256];
    snprintf(line, sizeof line, "%s", last_line(o.out));
    rltest_output_free(&o);
    if (any)
        fail_msg("TSan reported something for the %s specimen", sp->lab);
    if (strncmp(line, "lost ", 5) != 0)
        fail_msg("the %s specimen lost nothing under TSan: '%s'", sp->lab, line);
    assert_int_equal(status, 1);
}

/* TSan's lock-order inversion: one report whose stacks show both locking
 * lines of the specimen, marked "LOCK: first" and "LOCK: second". */
static void tsan_names_both_locks(void **state)
{
    const struct specimen *sp = *state;
    int first = rltest_find_line(sp->source, "LOCK: first");
    int second = rltest_find_line(sp->source, "LOCK: second");
    assert_true(first > 0 && second > 0);
    char at_first[128], at_second[128];
    snprintf(at_first, sizeof at_first, " %s:%d:", sp->source, first);
    snprintf(at_second, sizeof at_second, " %s:%d:", sp->source, second);
    char *const prefix[] = {"sanitizers/run", "build/tsan/labs/bank", NULL};
    char *argv[32];
    specimen_argv(argv, 32, sp, prefix, true, "1");
    struct rltest_output o;
    int status = rltest_run(argv, false, 60, &o);
    bool found = false;
    const char *p = o.err;
    while (!found && (p = strstr(p, "WARNING: ThreadSanitizer: lock-order-inversion")) != NULL) {
        const char *end = strstr(p, "==================");
        if (!end)
            end = p + strlen(p);
        const char *a = strstr(p, at_first), *b = strstr(p, at_second);
        found = a && b && a < end && b < end;
        p = end;
    }
    bool any = strstr(o.err, "WARNING: ThreadSanitizer: lock-order-inversion") != NULL;
    rltest_output_free(&o);
    assert_int_equal(status, 66); /* TSAN_OPTIONS exitcode: reports were made */
    if (!any)
        fail_msg("no lock-order inversion reported for the bank specimen");
    if (!found)
        fail_msg("no lock-order inversion names both%s and%s", at_first, at_second);
}

static char *const counter_small[] = {"-n", "20000", NULL};
static char *const queue_small[] = {"-n", "2000", NULL};
static char *const prints_small[] = {"-n", "200", NULL};
static char *const prints_always[] = {"--verify", NULL};

static char *const spinner_small[] = {"--slow", "0.3", NULL};

static char *const pool_small[] = {"-w", "4", "1009", "1013", "1019", "1021", "1031", "1033",
                                   "1039", "1049", "1051", "1061", "1063", "1069", "1087",
                                   "1091", "1093", "1097", NULL};
static char *const pool_always[] = {"1000003", "1000033", "1000037", "1000039", NULL};

/* Lab 7's program takes its case first; its publish specimen, like lab 5's,
 * does no visible damage in a release build, and TSan alone shows it. */
static char *const atomics_publish[] = {"publish", NULL};
static char *const atomics_once[] = {"once", NULL};
static char *const atomics_volatile[] = {"volatile", NULL};
static char *const atomics_small_rounds[] = {"-n", "200", NULL};
static char *const atomics_small_adds[] = {"-n", "20000", NULL};

static char *const bank_small[] = {"-n", "20000", NULL};
static char *const bank_always[] = {"-w", "1", NULL};

static struct specimen specimens[] = {
    {{"counter: unsafe loses updates with --fuzz"}, "counter",
     "src/counter_unsafe.c", "Location is global 'unsafe_count'", counter_small, NULL},
    {{"counter: unsafe loses updates with --fuzz on one CPU"}, "counter",
     "src/counter_unsafe.c", "Location is global 'unsafe_count'", counter_small, NULL},
    {{"counter: TSan names unsafe_count, its read and its write"}, "counter",
     "src/counter_unsafe.c", "Location is global 'unsafe_count'", counter_small, NULL},
    {{"queue: unsafe loses or duplicates items with --fuzz"}, "queue",
     "src/queue_unsafe.c", "Location is heap block", queue_small, NULL},
    {{"queue: unsafe loses or duplicates items with --fuzz on one CPU"}, "queue",
     "src/queue_unsafe.c", "Location is heap block", queue_small, NULL},
    {{"queue: TSan names a racing read and write of the ring"}, "queue",
     "src/queue_unsafe.c", "Location is heap block", queue_small, NULL},
    {{"prints: unsafe breaks records with --fuzz"}, "prints",
     "src/prints_unsafe.c", "Location is global 'unsafe_count'", prints_small,
     prints_always},
    {{"prints: unsafe breaks records with --fuzz on one CPU"}, "prints",
     "src/prints_unsafe.c", "Location is global 'unsafe_count'", prints_small,
     prints_always},
    {{"prints: TSan names unsafe_count, its read and its write"}, "prints",
     "src/prints_unsafe.c", "Location is global 'unsafe_count'", prints_small,
     prints_always},
    {{"pool: unsafe loses results with --fuzz"}, "pool", "src/pool_unsafe.c", NULL,
     pool_small, pool_always},
    {{"pool: unsafe loses results with --fuzz on one CPU"}, "pool", "src/pool_unsafe.c",
     NULL, pool_small, pool_always},
    {{"pool: unsafe loses results under TSan, which reports nothing (no data race)"},
     "pool", "src/pool_unsafe.c", NULL, pool_small, pool_always},
    {{"spinner: TSan names unsafe_done, its read and its write"}, "spinner",
     "src/spinner_unsafe.c", "Location is global 'unsafe_done'", spinner_small, NULL},
    {{"bank: unsafe deadlocks with --fuzz; the watchdog names the cycle, exit 3"}, "bank",
     "src/bank_unsafe.c", NULL, bank_small, bank_always},
    {{"bank: unsafe deadlocks with --fuzz on one CPU"}, "bank", "src/bank_unsafe.c", NULL,
     bank_small, bank_always},
    {{"bank: TSan reports a lock-order inversion naming both locking lines"}, "bank",
     "src/bank_unsafe.c", NULL, bank_small, bank_always},
    {{"atomics once: unsafe builds twice or hands out half-built objects with --fuzz"},
     "atomics", "src/atomics_unsafe.c", "Location is global 'unsafe_instance'",
     atomics_small_rounds, atomics_once},
    {{"atomics once: the same on one CPU"}, "atomics", "src/atomics_unsafe.c",
     "Location is global 'unsafe_instance'", atomics_small_rounds, atomics_once},
    {{"atomics once: TSan names unsafe_instance, its read and its write"}, "atomics",
     "src/atomics_unsafe.c", "Location is global 'unsafe_instance'", atomics_small_rounds,
     atomics_once},
    {{"atomics volatile: unsafe loses updates with --fuzz"}, "atomics",
     "src/atomics_unsafe.c", "Location is global 'unsafe_count'", atomics_small_adds,
     atomics_volatile},
    {{"atomics volatile: the same on one CPU"}, "atomics", "src/atomics_unsafe.c",
     "Location is global 'unsafe_count'", atomics_small_adds, atomics_volatile},
    {{"atomics volatile: TSan names unsafe_count, its read and its write"}, "atomics",
     "src/atomics_unsafe.c", "Location is global 'unsafe_count'", atomics_small_adds,
     atomics_volatile},
    {{"atomics publish: TSan names unsafe_slots, its read and its write"}, "atomics",
     "src/atomics_unsafe.c", "Location is global 'unsafe_slots'", atomics_small_rounds,
     atomics_publish},
};

int main(int argc, char **argv)
{
    struct CMUnitTest counter_tests[] = {
        RLTEST(broken_with_fuzz, &specimens[0]),
        RLTEST(broken_on_one_cpu, &specimens[1]),
        RLTEST(tsan_names_both_lines, &specimens[2]),
    };
    struct CMUnitTest queue_tests[] = {
        RLTEST(broken_with_fuzz, &specimens[3]),
        RLTEST(broken_on_one_cpu, &specimens[4]),
        RLTEST(tsan_names_both_lines, &specimens[5]),
    };
    struct CMUnitTest prints_tests[] = {
        RLTEST(broken_with_fuzz, &specimens[6]),
        RLTEST(broken_on_one_cpu, &specimens[7]),
        RLTEST(tsan_names_both_lines, &specimens[8]),
    };
    struct CMUnitTest pool_tests[] = {
        RLTEST(broken_with_fuzz, &specimens[9]),
        RLTEST(broken_on_one_cpu, &specimens[10]),
        RLTEST(tsan_silent_but_broken, &specimens[11]),
    };
    /* Lab 5's specimen computes the right answer in a release build: its
     * race is undefined behaviour that this build happens to survive, and
     * TSan is what shows it. */
    struct CMUnitTest spinner_tests[] = {
        RLTEST(tsan_names_both_lines, &specimens[12]),
    };
    struct CMUnitTest bank_tests[] = {
        RLTEST(broken_with_fuzz, &specimens[13]),
        RLTEST(broken_on_one_cpu, &specimens[14]),
        RLTEST(tsan_names_both_locks, &specimens[15]),
    };
    struct CMUnitTest atomics_tests[] = {
        RLTEST(broken_with_fuzz, &specimens[16]),
        RLTEST(broken_on_one_cpu, &specimens[17]),
        RLTEST(tsan_names_both_lines, &specimens[18]),
        RLTEST(broken_with_fuzz, &specimens[19]),
        RLTEST(broken_on_one_cpu, &specimens[20]),
        RLTEST(tsan_names_both_lines, &specimens[21]),
        RLTEST(tsan_names_both_lines, &specimens[22]),
    };
    const struct rltest_group groups[] = {
        {"counter", NULL, counter_tests, 3, false},
        {"queue", NULL, queue_tests, 3, false},
        {"prints", NULL, prints_tests, 3, false},
        {"pool", NULL, pool_tests, 3, false},
        {"spinner", NULL, spinner_tests, 1, false},
        {"bank", NULL, bank_tests, 3, false},
        {"atomics", NULL, atomics_tests, 7, false},
    };
    return rltest_main(argc, argv, groups, 7);
}

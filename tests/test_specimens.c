/*
 * test_specimens.c - the specimens must stay broken, visibly. For each lab
 * (each case, for a lab with cases) described in descriptions/LAB.mk, through the
 * table the Makefile writes (build/labs.table), the specimen's run
 * (`-s unsafe` and the SPECIMEN arguments):
 *   - shows the bug with --fuzz: its verdict is SHOWS ("broken" or
 *     "deadlock", exit 1 or 3), and its output says SAYS if given;
 *   - the same pinned to one CPU, where the small runs come out right
 *     without --fuzz (for the counter, 49 runs in 50 here: each thread
 *     finishes within its time slice), so a broken result shows the
 *     amplifier at work, not luck;
 *   - under ThreadSanitizer, the report RACE says: a data race whose
 *     location is RACE ("global 'unsafe_count'", "heap block") and whose
 *     two accesses are the specimen's lines marked "RACE: read" and "RACE:
 *     write"; or "lock-order", an inversion naming the lines marked "LOCK:
 *     first" and "LOCK: second"; or "none": no report, and the verdict
 *     shows the bug all the same (a race condition is not always a data
 *     race).
 * A specimen whose SHOWS is "ok" does no visible damage in a release build
 * (TSan alone shows it): it gets the TSan test only.
 *
 * The programs run as a student would, from the top of the tree, built
 * from solutions/ (the specimens live in src/; a lab that runs on another
 * lab's exercise needs it finished). The marked lines are found by their
 * comments in src/LAB_unsafe.c, so moving code does not break the test.
 */
#include "rltest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One specimen: a row of build/labs.table. */
struct specimen {
    struct rltest_case base;
    char name[160];             /* the test's name */
    char lab[32], kase[32];     /* kase: "" when the lab has no cases */
    char program[32], option[8];
    char args[512];             /* SPECIMEN, split into words when run */
    char shows[16], race[64], says[128];
    bool fuzz;
    char source[64];            /* src/LAB_unsafe.c */
};

/* The verdict line of a program's stdout (or stderr), "" if none: the
 * last line that starts "verdict: ", without its newline. */
static const char *verdict_of(const struct rltest_output *o)
{
    static char line[512];
    line[0] = '\0';
    for (const char *text = o->out;; text = o->err) {
        for (const char *p = text; (p = strstr(p, "verdict: ")) != NULL; p++)
            if (p == text || p[-1] == '\n')
                snprintf(line, sizeof line, "%.*s", (int)strcspn(p, "\n"), p);
        if (line[0] || text == o->err)
            return line;
    }
}

/* Fills argv (size slots): the prefix (NULL-terminated), the program from
 * build/VARIANT/solutions/, the case, "-s unsafe", the SPECIMEN arguments,
 * and "--fuzz --seed SEED" if the program has --fuzz. The words point into
 * words[], which must outlive argv. */
static void specimen_argv(char *argv[], int size, const struct specimen *sp,
                          char *const prefix[], const char *variant, char *seed,
                          char words[1024], char path[128])
{
    int n = 0;
    for (char *const *a = prefix; *a; a++)
        argv[n++] = *a;
    snprintf(path, 128, "build/%s/solutions/%s", variant, sp->program);
    argv[n++] = path;
    if (sp->kase[0])
        argv[n++] = (char *)sp->kase;
    argv[n++] = (char *)sp->option;
    argv[n++] = "unsafe";
    snprintf(words, 1024, "%s", sp->args);
    for (char *w = strtok(words, " "); w && n < size - 4; w = strtok(NULL, " "))
        argv[n++] = w;
    if (sp->fuzz) {
        argv[n++] = "--fuzz";
        argv[n++] = "--seed";
        argv[n++] = seed;
    }
    argv[n] = NULL;
    assert_true(n < size);
}

/* Runs argv and checks that its verdict shows the specimen's bug. */
static void expect_shown(const struct specimen *sp, char *const argv[])
{
    struct rltest_output o;
    int status = rltest_run(argv, false, 60, &o);
    char verdict[512], err[1024];
    snprintf(verdict, sizeof verdict, "%s", verdict_of(&o));
    snprintf(err, sizeof err, "%s", o.err);
    bool says = !sp->says[0] || strstr(o.out, sp->says) || strstr(o.err, sp->says);
    rltest_output_free(&o);

    char want[64];
    snprintf(want, sizeof want, "verdict: %s: ", sp->shows);
    if (status == 128 + 9)
        fail_msg("the %s specimen was still running after 60 s", sp->lab);
    if (strncmp(verdict, want, strlen(want)) != 0)
        fail_msg("the %s specimen's verdict is not '%s...': '%s'", sp->lab, want, verdict);
    if (!says)
        fail_msg("the %s specimen's output does not say '%s': '%s'", sp->lab, sp->says, err);
    assert_int_equal(status, strcmp(sp->shows, "broken") == 0 ? 1 : 3);
}

static void shown_with_fuzz(void **state)
{
    const struct specimen *sp = *state;
    char *const prefix[] = {NULL};
    char *argv[64], words[1024], path[128];
    specimen_argv(argv, 64, sp, prefix, "release", "7", words, path);
    expect_shown(sp, argv);
}

static void shown_on_one_cpu(void **state)
{
    const struct specimen *sp = *state;
    char *const prefix[] = {"taskset", "-c", "0", NULL};
    char *argv[64], words[1024], path[128];
    specimen_argv(argv, 64, sp, prefix, "release", "8", words, path);
    expect_shown(sp, argv);
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

/* TSan's lock-order inversion: one report whose stacks show both locking
 * lines of the specimen, marked "LOCK: first" and "LOCK: second". */
static bool report_both_locks(const char *err, const char *source)
{
    int first = rltest_find_line(source, "LOCK: first");
    int second = rltest_find_line(source, "LOCK: second");
    char at_first[128], at_second[128];
    snprintf(at_first, sizeof at_first, " %s:%d:", source, first);
    snprintf(at_second, sizeof at_second, " %s:%d:", source, second);
    const char *p = err;
    while ((p = strstr(p, "WARNING: ThreadSanitizer: lock-order-inversion")) != NULL) {
        const char *end = strstr(p, "==================");
        if (!end)
            end = p + strlen(p);
        const char *a = strstr(p, at_first), *b = strstr(p, at_second);
        if (a && b && a < end && b < end)
            return true;
        p = end;
    }
    return false;
}

static void tsan_shows_it(void **state)
{
    const struct specimen *sp = *state;
    bool locks = strcmp(sp->race, "lock-order") == 0;
    bool none = strcmp(sp->race, "none") == 0;
    if (locks) {
        assert_true(rltest_find_line(sp->source, "LOCK: first") > 0);
        assert_true(rltest_find_line(sp->source, "LOCK: second") > 0);
    } else if (!none) {
        assert_true(rltest_find_line(sp->source, "RACE: read") > 0);
        assert_true(rltest_find_line(sp->source, "RACE: write") > 0);
    }
    char *const prefix[] = {"sanitizers/run", NULL};
    char *argv[64], words[1024], path[128];
    specimen_argv(argv, 64, sp, prefix, "tsan", "1", words, path);
    struct rltest_output o;
    int status = rltest_run(argv, false, 120, &o);
    bool any = strstr(o.err, "WARNING: ThreadSanitizer") != NULL;
    char location[96];
    snprintf(location, sizeof location, "Location is %s", sp->race);
    bool found = locks ? report_both_locks(o.err, sp->source)
                       : report_read_and_write(o.err, sp->source, location);
    char verdict[512];
    snprintf(verdict, sizeof verdict, "%s", verdict_of(&o));
    rltest_output_free(&o);

    if (none) {
        /* No data race: every access is under a lock. */
        char want[64];
        snprintf(want, sizeof want, "verdict: %s: ", sp->shows);
        if (any)
            fail_msg("TSan reported something for the %s specimen", sp->lab);
        if (strncmp(verdict, want, strlen(want)) != 0)
            fail_msg("the %s specimen did not show its bug under TSan: '%s'", sp->lab, verdict);
        return;
    }
    assert_int_equal(status, 66); /* TSAN_OPTIONS exitcode: reports were made */
    if (!any)
        fail_msg("no report for the %s specimen", sp->lab);
    if (!found && locks)
        fail_msg("no lock-order inversion names both lines marked LOCK: in %s", sp->source);
    if (!found)
        fail_msg("no report names '%s' with a read and a write marked RACE: in %s",
                 location, sp->source);
}

/* Reads build/labs.table into specimens (at most max). */
static int read_table(struct specimen *specimens, int max)
{
    FILE *f = fopen("build/labs.table", "r");
    if (!f) {
        fprintf(stderr, "test_specimens: build/labs.table: not there (make build/labs.table; "
                        "run from the top of the tree)\n");
        exit(2);
    }
    char line[2048];
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *field[16];
        int k = 0;
        for (char *p = line; k < 16; k++) {
            field[k] = p;
            char *bar = strchr(p, '|');
            if (!bar) {
                k++;
                break;
            }
            *bar = '\0';
            p = bar + 1;
        }
        if (k != 15) {
            fprintf(stderr, "test_specimens: build/labs.table: %d fields, want 15\n", k);
            exit(2);
        }
        /* lab|case|program|option|demo|memcheck|specimen|shows|race|says|fuzz|leaks|stress|number|title */
        struct specimen *sp = &specimens[n++];
        memset(sp, 0, sizeof *sp);
        snprintf(sp->lab, sizeof sp->lab, "%s", field[0]);
        snprintf(sp->kase, sizeof sp->kase, "%s", strcmp(field[1], "-") ? field[1] : "");
        snprintf(sp->program, sizeof sp->program, "%s", field[2]);
        snprintf(sp->option, sizeof sp->option, "%s", field[3]);
        snprintf(sp->args, sizeof sp->args, "%s", field[6]);
        snprintf(sp->shows, sizeof sp->shows, "%s", field[7]);
        snprintf(sp->race, sizeof sp->race, "%s", field[8]);
        snprintf(sp->says, sizeof sp->says, "%s", field[9]);
        sp->fuzz = strcmp(field[10], "no") != 0;
        snprintf(sp->source, sizeof sp->source, "src/%s_unsafe.c", sp->lab);
    }
    fclose(f);
    return n;
}

enum { MAX_SPECIMENS = 32, TESTS_EACH = 3 };

int main(int argc, char **argv)
{
    static struct specimen specimens[MAX_SPECIMENS][TESTS_EACH];
    static struct CMUnitTest tests[MAX_SPECIMENS][TESTS_EACH];
    static struct rltest_group groups[MAX_SPECIMENS];
    static char group_names[MAX_SPECIMENS][64];
    struct specimen rows[MAX_SPECIMENS];
    int n = read_table(rows, MAX_SPECIMENS);
    static void (*const fns[TESTS_EACH])(void **) = {shown_with_fuzz, shown_on_one_cpu,
                                                     tsan_shows_it};
    for (int i = 0; i < n; i++) {
        const struct specimen *r = &rows[i];
        char who[64];
        snprintf(who, sizeof who, "%s%s%s", r->lab, r->kase[0] ? " " : "", r->kase);
        snprintf(group_names[i], sizeof group_names[i], "%s%s%s", r->lab, r->kase[0] ? "-" : "",
                 r->kase);
        int k = 0;
        for (int t = 0; t < TESTS_EACH; t++) {
            bool release = t < 2;
            if (release && strcmp(r->shows, "ok") == 0)
                continue; /* no visible damage in a release build: TSan shows it */
            struct specimen *sp = &specimens[i][k];
            *sp = *r;
            if (t == 0)
                snprintf(sp->name, sizeof sp->name, "%s: the specimen's verdict is %s, with --fuzz",
                         who, r->shows);
            else if (t == 1)
                snprintf(sp->name, sizeof sp->name, "%s: the same on one CPU", who);
            else if (strcmp(r->race, "none") == 0)
                snprintf(sp->name, sizeof sp->name,
                         "%s: TSan reports nothing (no data race), the verdict is %s all the "
                         "same", who, r->shows);
            else if (strcmp(r->race, "lock-order") == 0)
                snprintf(sp->name, sizeof sp->name,
                         "%s: TSan reports a lock-order inversion naming both locking lines", who);
            else
                snprintf(sp->name, sizeof sp->name,
                         "%s: TSan names %s, its read and its write", who, r->race);
            sp->base.name = sp->name;
            tests[i][k++] = (struct CMUnitTest)RLTEST(fns[t], sp);
        }
        groups[i] = (struct rltest_group){group_names[i], NULL, tests[i], (size_t)k, false};
    }
    return rltest_main(argc, argv, groups, (size_t)n);
}

/*
 * test_runtime.c - the shared runtime: number and option parsing (exact
 * messages, through a real lab program), output into a closed pipe, the
 * checked pthread wrappers, the workers, the amplifier's repeatability,
 * the progress watchdog, and the tests' own watchdog.
 *
 * Tests that run programs expect to start from the top of the tree, with
 * build/release/solutions/counter built (make test does both).
 */
#define _GNU_SOURCE /* pthread_getaffinity_np, CPU_COUNT */
#include "rltest.h"

#include "racelab.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COUNTER "build/release/solutions/counter"
#define PRINTS "build/release/solutions/prints"
#define BANK "build/release/solutions/bank"
#define BANK_SPECIMEN "build/release/labs/bank"
#define ATOMICS "build/release/solutions/atomics"

/* ---- numbers ----------------------------------------------------------- */

static void parse_u64_accepts_and_refuses(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t min, max;
        const char *why; /* NULL: accepted */
        uint64_t value;
    } cases[] = {
        {"42", 1, 64, NULL, 42},
        {"0", 0, 10, NULL, 0},
        {"18446744073709551615", 0, UINT64_MAX, NULL, UINT64_MAX},
        {"", 1, 64, "empty value, expected a whole number", 0},
        {"abc", 1, 64, "not a whole number", 0},
        {"+5", 1, 64, "not a whole number", 0},
        {" 5", 1, 64, "not a whole number", 0},
        {"10x", 1, 64, "trailing characters after the number", 0},
        {"5 ", 1, 64, "trailing characters after the number", 0},
        {"1.5", 1, 64, "trailing characters after the number", 0},
        {"-3", 1, 64, "must not be negative", 0},
        {"0", 1, 64, "must be at least 1", 0},
        {"65", 1, 64, "too large (at most 64)", 0},
        {"99999999999999999999", 1, 64, "too large (at most 64)", 0},
        {"18446744073709551616", 0, UINT64_MAX, "too large (at most 18446744073709551615)", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 12345;
        const char *why = rl_parse_u64(cases[i].text, cases[i].min, cases[i].max, &v);
        if (cases[i].why == NULL) {
            if (why)
                fail_msg("'%s' refused: %s", cases[i].text, why);
            assert_int_equal(v, cases[i].value);
        } else {
            if (!why)
                fail_msg("'%s' accepted, expected: %s", cases[i].text, cases[i].why);
            assert_string_equal(why, cases[i].why);
            assert_int_equal(v, 12345); /* untouched */
        }
    }
}

static void parse_seconds_accepts_and_refuses(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *why; /* NULL: accepted */
        long ms;
    } cases[] = {
        {"3", NULL, 3000},
        {"0.25", NULL, 250},
        {".5", NULL, 500},
        {"1.500", NULL, 1500},
        {"2.", NULL, 2000},
        {"0", NULL, 0},
        {"3600", NULL, 3600000},
        {"", "empty value, expected seconds", 0},
        {".", "not a number of seconds", 0},
        {"abc", "not a number of seconds", 0},
        {"+1", "not a number of seconds", 0},
        {"-1", "must not be negative", 0},
        {"-.5", "must not be negative", 0},
        {"1e3", "trailing characters after the number", 0},
        {"1.2.3", "trailing characters after the number", 0},
        {"0.0001", "more precise than a millisecond", 0},
        {"0.1000", NULL, 100},
        {"3600.001", "too long (at most 3600.000 s)", 0},
        {"99999999999999999999999", "too long (at most 3600.000 s)", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long ms = 12345;
        const char *why = rl_parse_seconds(cases[i].text, 0, 3600 * 1000, &ms);
        if (cases[i].why == NULL) {
            if (why)
                fail_msg("'%s' refused: %s", cases[i].text, why);
            assert_int_equal(ms, cases[i].ms);
        } else {
            if (!why)
                fail_msg("'%s' accepted as %ld ms, expected: %s", cases[i].text, ms,
                         cases[i].why);
            assert_string_equal(why, cases[i].why);
            assert_int_equal(ms, 12345); /* untouched */
        }
    }
    long ms = 0;
    assert_string_equal(rl_parse_seconds("0.009", 10, 1000, &ms),
                        "too short (at least 0.010 s)");
}

/* ---- options, through the counter program ------------------------------ */

static void bad_options_exit_2_with_one_line(void **state)
{
    (void)state;
    static const struct {
        const char *args[4];
        const char *message; /* the whole of stderr */
    } cases[] = {
        {{"-t", ""}, "counter: option -t/--threads '': empty value, expected a whole number; try 'counter --help'\n"},
        {{"-t", "abc"}, "counter: option -t/--threads 'abc': not a whole number; try 'counter --help'\n"},
        {{"-t", "10x"}, "counter: option -t/--threads '10x': trailing characters after the number; try 'counter --help'\n"},
        {{"-t", "-3"}, "counter: option -t/--threads '-3': must not be negative; try 'counter --help'\n"},
        {{"-t", "0"}, "counter: option -t/--threads '0': must be at least 1; try 'counter --help'\n"},
        {{"-t", "65"}, "counter: option -t/--threads '65': too large (at most 64); try 'counter --help'\n"},
        {{"--threads=100000"}, "counter: option -t/--threads '100000': too large (at most 64); try 'counter --help'\n"},
        {{"-n", "99999999999999999999"}, "counter: option -n/--iterations '99999999999999999999': too large (at most 1000000000); try 'counter --help'\n"},
        {{"-n", "0"}, "counter: option -n/--iterations '0': must be at least 1; try 'counter --help'\n"},
        {{"--fuzz", "--seed", "x1"}, "counter: option --seed 'x1': not a whole number; try 'counter --help'\n"},
        {{"-s", "bogus"}, "counter: option -s/--strategy 'bogus': not one of unsafe, mutex, spin, atomic, sharded; try 'counter --help'\n"},
        {{"--bogus"}, "counter: unknown option '--bogus'; try 'counter --help'\n"},
        {{"-x"}, "counter: unknown option '-x'; try 'counter --help'\n"},
        {{"-t"}, "counter: option -t/--threads needs a value; try 'counter --help'\n"},
        {{"--iterations"}, "counter: option -n/--iterations needs a value; try 'counter --help'\n"},
        {{"--fuzz=1"}, "counter: option --fuzz takes no value; try 'counter --help'\n"},
        {{"--help=1"}, "counter: option --help takes no value; try 'counter --help'\n"},
        {{"--fuzz", "-xy"}, "counter: unknown option '-x'; try 'counter --help'\n"},
        {{"--threads=2", "-qy"}, "counter: unknown option '-q'; try 'counter --help'\n"},
        {{"--s", "mutex"}, "counter: option '--s' is ambiguous; try 'counter --help'\n"},
        {{"--bogus=3"}, "counter: unknown option '--bogus'; try 'counter --help'\n"},
        {{"extra"}, "counter: unexpected argument 'extra'; try 'counter --help'\n"},
        {{"--seed", "5"}, "counter: option --seed '5': only means something with --fuzz; try 'counter --help'\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = rltest_usage_error(COUNTER, cases[i].args, cases[i].message);
        if (why)
            fail_msg("%s", why);
    }
}

/* Labs 6 and 7 add checks of their own: the bank's account cap and its
 * watchdog's seconds; the atomics program's CASE operand, and strategies
 * that belong to one case. */
static void lab_options_exit_2_with_one_line(void **state)
{
    (void)state;
    static const struct {
        const char *program;
        const char *args[4];
        const char *message;
    } cases[] = {
        {BANK, {"-a", "61"}, "bank: option -a/--accounts '61': too large (at most 60); try 'bank --help'\n"},
        {BANK, {"-a", "0"}, "bank: option -a/--accounts '0': must be at least 1; try 'bank --help'\n"},
        {BANK, {"-w", "0.05"}, "bank: option -w/--watchdog '0.05': too short (at least 0.100 s); try 'bank --help'\n"},
        {BANK, {"-w", "1e3"}, "bank: option -w/--watchdog '1e3': trailing characters after the number; try 'bank --help'\n"},
        {BANK, {"-s", "sorted"}, "bank: option -s/--strategy 'sorted': not one of unsafe, ordered, trylock; try 'bank --help'\n"},
        {BANK, {"extra"}, "bank: unexpected argument 'extra'; try 'bank --help'\n"},
        {ATOMICS, {NULL}, "atomics: missing CASE: publish, once or volatile; try 'atomics --help'\n"},
        {ATOMICS, {"nope"}, "atomics: unknown CASE 'nope': publish, once or volatile; try 'atomics --help'\n"},
        {ATOMICS, {"publish", "-s", "atomic"}, "atomics: publish has no strategy 'atomic' (unsafe, release); try 'atomics --help'\n"},
        {ATOMICS, {"once", "volatile"}, "atomics: unexpected argument 'volatile' (one CASE only); try 'atomics --help'\n"},
        {ATOMICS, {"once", "-t", "64"}, "atomics: option -t/--threads '64': too large (at most 63); try 'atomics --help'\n"},
        {ATOMICS, {"publish", "-n", "65537"}, "atomics: option -n/--iterations: publish sends at most 65536 messages, not 65537; try 'atomics --help'\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = rltest_usage_error(cases[i].program, cases[i].args, cases[i].message);
        if (why)
            fail_msg("%s", why);
    }
}

/* A deadlocked bank whose reader went away: the watchdog's account still
 * goes to stderr, and the exit status still says "stuck". */
static void deadlock_into_closed_pipe_exits_3(void **state)
{
    (void)state;
    char *argv[] = {BANK_SPECIMEN, "-w", "0.2", "--fuzz", "--seed", "2", NULL};
    struct rltest_output o;
    int status = rltest_run(argv, true, 30, &o);
    bool told = strstr(o.err, "  a cycle: ") != NULL;
    rltest_output_free(&o);
    assert_int_equal(status, 3);
    assert_true(told);
}

static void help_exits_0(void **state)
{
    (void)state;
    char *argv[] = {COUNTER, "--help", NULL};
    struct rltest_output o;
    int status = rltest_run(argv, false, 30, &o);
    bool usage = strncmp(o.out, "usage: counter [-s STRATEGY]", 28) == 0;
    bool lists = strstr(o.out, "unsafe, mutex, spin, atomic, sharded") != NULL;
    bool quiet = o.err[0] == '\0';
    rltest_output_free(&o);
    assert_int_equal(status, 0);
    assert_true(usage);
    assert_true(lists);
    assert_true(quiet);
}

static void closed_pipe_exits_cleanly(void **state)
{
    (void)state;
    char *argv[] = {COUNTER, "-s", "atomic", "-n", "1000", NULL};
    struct rltest_output o;
    int status = rltest_run(argv, true, 30, &o);
    char err[256];
    snprintf(err, sizeof err, "%s", o.err);
    rltest_output_free(&o);
    assert_int_equal(status, 0); /* the count was exact; nobody was reading */
    assert_string_equal(err, "");
}

/* A hundred million records into a pipe nobody reads: the run must notice
 * the reader is gone and stop at once, quietly (the 30 s limit is a
 * thousand times what that takes; writing them all would take minutes). */
static void prints_into_closed_pipe_stops_quietly(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        char *argv[] = {PRINTS, "-s", k ? "printer" : "mutex", "-n", "100000000", NULL};
        struct rltest_output o;
        int status = rltest_run(argv, true, 30, &o);
        char err[256];
        snprintf(err, sizeof err, "%s", o.err);
        rltest_output_free(&o);
        assert_int_equal(status, 0);
        /* stderr holds the settings line, and nothing else */
        if (strncmp(err, "prints: strategy ", 17) != 0 || strchr(err, '\n') != err + strlen(err) - 1)
            fail_msg("stderr should be the settings line only, got: '%s'", err);
    }
}

/* ---- checked wrappers --------------------------------------------------- */

static void wrapper_reports_the_error_code_and_aborts(void **state)
{
    (void)state;
    int errpipe[2];
    assert_int_equal(pipe(errpipe), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Destroying a locked mutex: pthread returns EBUSY (16). */
        pthread_mutex_t m;
        dup2(errpipe[1], 2);
        rl_init("wrapper-test");
        rl_mutex_init(&m);
        rl_mutex_lock(&m);
        rl_mutex_destroy(&m);
        _exit(0); /* not reached when the wrapper works */
    }
    close(errpipe[1]);
    char err[256] = "";
    ssize_t n = read(errpipe[0], err, sizeof err - 1);
    close(errpipe[0]);
    err[n > 0 ? n : 0] = '\0';
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_string_equal(err, "wrapper-test: pthread_mutex_destroy failed: "
                             "Device or resource busy (error 16)\n");
}

static void timedwait_times_out(void **state)
{
    (void)state;
    pthread_mutex_t m;
    pthread_cond_t c;
    rl_mutex_init(&m);
    rl_cond_init(&c);
    rl_mutex_lock(&m);
    int64_t start = rl_now_ns();
    bool woken = rl_cond_timedwait(&c, &m, start + 20 * 1000000);
    int64_t waited = rl_now_ns() - start;
    rl_mutex_unlock(&m);
    rl_cond_destroy(&c);
    rl_mutex_destroy(&m);
    assert_false(woken);
    assert_true(waited >= 20 * 1000000); /* never early; no upper bound here */
}

/* ---- workers ------------------------------------------------------------ */

static atomic_int ran[RL_MAX_THREADS]; /* atomic: each worker bumps its own */

static void count_me(int index, void *arg)
{
    (void)arg;
    atomic_fetch_add_explicit(&ran[index], 1, memory_order_relaxed);
}

static void workers_each_run_once(void **state)
{
    (void)state;
    for (int n = 1; n <= RL_MAX_THREADS; n *= 4) {
        for (int i = 0; i < RL_MAX_THREADS; i++)
            atomic_store_explicit(&ran[i], 0, memory_order_relaxed);
        double seconds = rl_run_workers(n, count_me, NULL);
        assert_true(seconds >= 0);
        for (int i = 0; i < RL_MAX_THREADS; i++)
            assert_int_equal(atomic_load_explicit(&ran[i], memory_order_relaxed),
                             i < n ? 1 : 0);
    }
}

/* ---- the amplifier ------------------------------------------------------ */

enum { POINTS = 400, TRACED_THREADS = 3 };

/* trace[stream][k]: the action taken at the k-th point of a stream. Each
 * worker writes only its own row; the main thread reads after the join. */
static unsigned char trace[TRACED_THREADS][POINTS];
static int trace_len[TRACED_THREADS];
static atomic_int unnamed_points; /* atomic: any thread may bump it */

static void record(const char *point, unsigned stream, enum rl_fuzz_action a)
{
    if (strcmp(point, "test point") != 0)
        return; /* the runtime's own waits (rl_run_workers' start) */
    if (stream < TRACED_THREADS && trace_len[stream] < POINTS)
        trace[stream][trace_len[stream]++] = (unsigned char)a;
    else
        atomic_fetch_add_explicit(&unnamed_points, 1, memory_order_relaxed);
}

static void hit_points(int index, void *arg)
{
    (void)index;
    (void)arg;
    for (int k = 0; k < POINTS; k++)
        rl_fuzz("test point");
}

/* Runs TRACED_THREADS workers through POINTS points; copies the trace. */
static void traced_run(uint64_t seed, bool enabled,
                       unsigned char out[TRACED_THREADS][POINTS])
{
    memset(trace, 0xff, sizeof trace);
    memset(trace_len, 0, sizeof trace_len);
    if (enabled)
        rl_fuzz_enable(seed);
    rl_fuzz_set_hook(record);
    rl_run_workers(TRACED_THREADS, hit_points, NULL);
    rl_fuzz_set_hook(NULL);
    rl_fuzz_disable();
    memcpy(out, trace, sizeof trace);
}

static void fuzz_is_repeatable_for_a_seed(void **state)
{
    (void)state;
    static unsigned char a[TRACED_THREADS][POINTS], b[TRACED_THREADS][POINTS],
        c[TRACED_THREADS][POINTS];
    traced_run(42, true, a);
    for (int t = 0; t < TRACED_THREADS; t++)
        assert_int_equal(trace_len[t], POINTS);
    traced_run(42, true, b);
    traced_run(43, true, c);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    /* Different threads draw different streams. */
    assert_memory_not_equal(a[0], a[1], POINTS);
    /* And the streams really pause: about 4 in 64 points act. */
    int acted = 0;
    for (int t = 0; t < TRACED_THREADS; t++)
        for (int k = 0; k < POINTS; k++)
            acted += a[t][k] != RL_FUZZ_NONE;
    assert_in_range(acted, 20, 200);
    assert_int_equal(atomic_load_explicit(&unnamed_points, memory_order_relaxed), 0);
}

static void fuzz_off_costs_nothing(void **state)
{
    (void)state;
    static unsigned char a[TRACED_THREADS][POINTS];
    traced_run(0, false, a);
    for (int t = 0; t < TRACED_THREADS; t++)
        assert_int_equal(trace_len[t], 0); /* the hook never ran */
}

/* ---- the progress watchdog ---------------------------------------------- */

/* A watch on a clock the test drives: each time the watchdog asks whether
 * the run is done, the script moves the clock on by step_ns (and the count
 * by one if moving), and may take or release holds. So the look at which
 * it fires is known in advance, on every machine. The watching thread is
 * the test's main thread: every callback runs there. */
struct dog_script {
    struct rl_watchdog *wd;
    int64_t now_ns;         /* the clock */
    int64_t step_ns;        /* added at each look */
    long count;             /* what progress says */
    bool moving;            /* the count moves at each look */
    int looks;              /* how many times done() was asked */
    int last_look;          /* done() says yes after this many */
    int hold_at[2], release_at[2]; /* looks at which to hold, release (0: never) */
    int describes;          /* how many times describe ran */
    long described;         /* the count it was given */
    int described_at;       /* the look it ran after */
};

static int64_t script_clock(void *ctx)
{
    return ((struct dog_script *)ctx)->now_ns;
}

static long script_count(void *ctx)
{
    return ((struct dog_script *)ctx)->count;
}

static void script_describe(void *ctx, long count)
{
    struct dog_script *s = ctx;
    s->describes++;
    s->described = count;
    s->described_at = s->looks;
}

static bool script_done(void *arg)
{
    struct dog_script *s = arg;
    if (s->looks == s->last_look)
        return true;
    s->looks++;
    s->now_ns += s->step_ns;
    if (s->moving)
        s->count++;
    for (int i = 0; i < 2; i++) {
        if (s->hold_at[i] == s->looks)
            rl_watchdog_hold(s->wd);
        if (s->release_at[i] == s->looks)
            rl_watchdog_release(s->wd);
    }
    return false;
}

/* Watches s with a quiet period of 10 s, one second a look. */
static bool script_watch(struct dog_script *s, bool counted)
{
    struct rl_watchdog wd = {.progress = counted ? script_count : NULL,
                             .describe = script_describe, .ctx = s,
                             .quiet_ms = 10 * 1000, .clock = script_clock};
    s->wd = &wd;
    s->step_ns = 1000000000;
    return rl_watchdog_watch(&wd, script_done, s);
}

static void watchdog_fires_once_when_the_count_stands_still(void **state)
{
    (void)state;
    struct dog_script s = {.count = 42, .last_look = 1000};
    bool finished = script_watch(&s, true);
    assert_false(finished);
    assert_int_equal(s.describes, 1);
    assert_int_equal(s.described, 42);
    /* Still from 0 s: ten seconds later, at the tenth look, not before. */
    assert_int_equal(s.described_at, 10);
    assert_int_equal(s.looks, 10);
}

static void watchdog_keeps_quiet_while_the_count_moves(void **state)
{
    (void)state;
    /* A minute on the clock, six quiet periods, and the count moves at
     * every look: the run ends by itself. */
    struct dog_script s = {.moving = true, .last_look = 60};
    bool finished = script_watch(&s, true);
    assert_true(finished);
    assert_int_equal(s.describes, 0);
    assert_int_equal(s.looks, 60);
}

static void watchdog_waits_out_every_hold(void **state)
{
    (void)state;
    /* Two holds from the first looks, released at 20 s and 30 s: the
     * quiet period starts at the last release. */
    struct dog_script s = {.count = 7, .last_look = 1000, .hold_at = {1, 2},
                           .release_at = {20, 30}};
    bool finished = script_watch(&s, true);
    assert_false(finished);
    assert_int_equal(s.describes, 1);
    assert_int_equal(s.described_at, 40);
}

static void watchdog_without_a_count_is_a_deadline(void **state)
{
    (void)state;
    /* The script's count moves, but the watchdog is given none to read. */
    struct dog_script s = {.moving = true, .last_look = 1000};
    bool finished = script_watch(&s, false);
    assert_false(finished);
    assert_int_equal(s.described, 0);
    assert_int_equal(s.described_at, 10);
}

/* The watching thread, in a process of its own (it fires by ending the
 * process): the scenarios are the on-request groups "watchdog fires" and
 * "watchdog stops", which the two tests after them run. */
static struct {
    _Atomic int64_t now_ns;   /* the clock the child's main thread drives */
    atomic_long clock_reads;  /* how often the clock was read */
    atomic_int phase;         /* where the child's main thread is */
    atomic_long count;        /* progress: moves at each read when moving */
    bool moving;              /* set before the start */
} child_dog;

static int64_t child_clock(void *ctx)
{
    (void)ctx;
    atomic_fetch_add_explicit(&child_dog.clock_reads, 1, memory_order_relaxed);
    return atomic_load_explicit(&child_dog.now_ns, memory_order_relaxed);
}

static long child_count(void *ctx)
{
    (void)ctx;
    if (child_dog.moving)
        return atomic_fetch_add_explicit(&child_dog.count, 1, memory_order_relaxed) + 1;
    return atomic_load_explicit(&child_dog.count, memory_order_relaxed);
}

static void child_describe(void *ctx, long count)
{
    (void)ctx;
    printf("on stdout first\n"); /* flushed before the process ends */
    fprintf(stderr, "stuck at %ld in phase %d\n", count,
            atomic_load_explicit(&child_dog.phase, memory_order_relaxed));
}

/* Waits until the watching thread has read the clock n more times: it has
 * looked at least n - 1 times since. */
static void child_wait_looks(long n)
{
    long from = atomic_load_explicit(&child_dog.clock_reads, memory_order_relaxed);
    while (atomic_load_explicit(&child_dog.clock_reads, memory_order_relaxed) < from + n) {
        const struct timespec tick = {0, 1000 * 1000};
        nanosleep(&tick, NULL);
    }
}

/* Runs this binary's on-request group (one of the two scenarios below) in
 * a process of its own: a fresh one, not a fork, since a child forked from
 * threads must not start threads of its own under TSan. */
static int run_self(const char *group, struct rltest_output *o)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = '\0';
    char *argv[] = {self, "--only", (char *)group, NULL};
    return rltest_run(argv, false, 60, o);
}

/* A still count and a hold: the clock jumps an hour, the watchdog looks and
 * keeps quiet; the hold released, the clock jumps again and it fires. */
static void fire_after_hold(void **state)
{
    (void)state;
    struct rl_watchdog wd = {.progress = child_count, .describe = child_describe,
                             .quiet_ms = 20, .clock = child_clock};
    atomic_store_explicit(&child_dog.count, 5, memory_order_relaxed);
    rl_watchdog_start(&wd, 7);
    rl_watchdog_hold(&wd);
    atomic_store_explicit(&child_dog.phase, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&child_dog.now_ns, 3600 * 1000000000LL, memory_order_relaxed);
    child_wait_looks(3);
    atomic_store_explicit(&child_dog.phase, 2, memory_order_relaxed);
    rl_watchdog_release(&wd);
    atomic_fetch_add_explicit(&child_dog.now_ns, 3600 * 1000000000LL, memory_order_relaxed);
    for (;;)
        pause(); /* the watchdog ends the process */
}

/* A count that moves at every look, while the clock runs an hour a look:
 * after fifty looks the run stops the watchdog, which never fired. */
static void quiet_while_moving(void **state)
{
    (void)state;
    struct rl_watchdog wd = {.progress = child_count, .describe = child_describe,
                             .quiet_ms = 20, .clock = child_clock};
    child_dog.moving = true;
    rl_watchdog_start(&wd, 7);
    for (int i = 0; i < 50; i++) {
        atomic_fetch_add_explicit(&child_dog.now_ns, 3600 * 1000000000LL,
                                  memory_order_relaxed);
        child_wait_looks(2);
    }
    rl_watchdog_stop(&wd);
}

static void watchdog_thread_describes_then_exits(void **state)
{
    (void)state;
    struct rltest_output o;
    int status = run_self("watchdog fires", &o);
    size_t len = strlen(o.out);
    const char *last = "on stdout first\n";
    bool flushed = len >= strlen(last) && strcmp(o.out + len - strlen(last), last) == 0;
    char err[128];
    snprintf(err, sizeof err, "%s", o.err);
    rltest_output_free(&o);
    assert_int_equal(status, 7);
    assert_true(flushed);
    assert_string_equal(err, "stuck at 5 in phase 2\n"); /* not 1: the hold held */
}

static void watchdog_thread_stops_quietly(void **state)
{
    (void)state;
    struct rltest_output o;
    int status = run_self("watchdog stops", &o);
    bool described = strstr(o.out, "on stdout first") != NULL;
    char err[128];
    snprintf(err, sizeof err, "%s", o.err);
    rltest_output_free(&o);
    assert_int_equal(status, 0);
    assert_false(described);
    assert_string_equal(err, "[  PASSED  ] 1 test(s).\n"); /* cmocka's, and no more */
}

/* ---- the tests' watchdog -------------------------------------------------- */

static void hang_forever(void **state)
{
    (void)state;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    rl_mutex_lock(&m);
    for (;;)
        rl_cond_wait(&c, &m); /* nobody will ever signal */
}

static void watchdog_fails_a_hung_test_by_name(void **state)
{
    (void)state;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = '\0';
    char *argv[] = {self, "--only", "hangs", NULL};
    setenv("RACELAB_WATCHDOG_SECONDS", "1", 1);
    struct rltest_output o;
    int64_t start = rl_now_ns();
    int status = rltest_run(argv, false, 60, &o);
    int64_t took = rl_now_ns() - start;
    unsetenv("RACELAB_WATCHDOG_SECONDS");
    bool named = strstr(o.out, "[  TIMEOUT ] hangs on purpose: still running after 1 s (a deadlock") != NULL;
    rltest_output_free(&o);
    assert_int_equal(status, 124);
    assert_true(named);
    assert_true(took < 30 * (int64_t)1000000000); /* failed, not waited out */
}

/* ---- the overlap meter --------------------------------------------------- */

static long overlap_key; /* only its address is used: the key */

/* Worker: `notes` notes on the key, one near miss. */
static void *note_some(void *arg)
{
    long notes = (long)(intptr_t)arg;
    for (long i = 0; i < notes; i++)
        rl_overlap_note(&overlap_key);
    rl_overlap_saw(&overlap_key);
    return NULL;
}

/* Off, nothing is kept; on, every note counts, and two threads that ran one
 * after the other (each joined before the next starts) took one turn. */
static void overlap_meter_counts_notes_turns_near_misses(void **state)
{
    (void)state;
    note_some((void *)(intptr_t)5); /* the meter is off */
    rl_overlap_start();
    struct rl_overlap quiet = rl_overlap_stop();
    assert_int_equal(quiet.notes, 0);
    assert_int_equal(quiet.seen, 0);

    rl_overlap_start();
    pthread_t t;
    rl_thread_create(&t, note_some, (void *)(intptr_t)100);
    rl_thread_join(t, NULL);
    rl_thread_create(&t, note_some, (void *)(intptr_t)50);
    rl_thread_join(t, NULL);
    struct rl_overlap met = rl_overlap_stop();
    assert_int_equal(met.notes, 150);
    assert_int_equal(met.turns, 1);
    assert_true(met.side_by_side <= met.turns);
    assert_int_equal(met.seen, 2);

    /* One thread alone never takes a turn, however many notes. */
    rl_overlap_start();
    note_some((void *)(intptr_t)40000); /* past the log's 16384: thinned */
    met = rl_overlap_stop();
    assert_true(met.notes > 0 && met.notes <= 40000);
    assert_int_equal(met.turns, 0);
}

/* Each worker records the CPUs its affinity allows: exactly one, and
 * which, when pinned. */
static struct {
    int count[4];
    int cpu[4];
} placed;

static void record_placement(int index, void *arg)
{
    (void)arg;
    cpu_set_t set;
    if (pthread_getaffinity_np(pthread_self(), sizeof set, &set) != 0)
        return;
    placed.count[index] = CPU_COUNT(&set);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set)) {
            placed.cpu[index] = c;
            break;
        }
}

static void placement_pins_the_workers(void **state)
{
    (void)state;
    int cpus = rl_cpus_allowed();
    rl_set_placement(RL_SAME_CPU);
    memset(&placed, 0, sizeof placed);
    rl_run_workers(4, record_placement, NULL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(placed.count[i], 1);
        assert_int_equal(placed.cpu[i], placed.cpu[0]);
    }
    rl_set_placement(RL_SEPARATE_CPUS);
    memset(&placed, 0, sizeof placed);
    rl_run_workers(2, record_placement, NULL);
    rl_set_placement(RL_UNPINNED);
    assert_int_equal(placed.count[0], 1);
    assert_int_equal(placed.count[1], 1);
    if (cpus >= 2)
        assert_int_not_equal(placed.cpu[0], placed.cpu[1]);
    memset(&placed, 0, sizeof placed);
    rl_run_workers(1, record_placement, NULL);
    assert_int_equal(placed.count[0], cpus); /* unpinned: all of them again */
    assert_string_equal(rl_placement_name(RL_SEPARATE_CPUS), "separate CPUs");
}

static void median_of_rounds(void **state)
{
    (void)state;
    const double odd[] = {3, 1, 2}, even[] = {4, 1, 3, 2};
    double lo = 0, hi = 0;
    assert_true(rl_median(odd, 3, &lo, &hi) == 2);
    assert_true(lo == 1 && hi == 3);
    assert_true(odd[0] == 3 && odd[1] == 1); /* left as it was */
    assert_true(rl_median(even, 4, NULL, &hi) == 2.5);
    assert_true(hi == 4);
    assert_true(rl_median(even, 1, &lo, NULL) == 4 && lo == 4);
}

/* A benchmark's verdict: BELOW needs both, more than 20% short and every
 * round short; either alone is within the noise. */
static void bench_verdict_needs_both(void **state)
{
    (void)state;
    assert_true(rl_bench_meets(1.0, 1.0, 9, 10));   /* at the mark */
    assert_true(rl_bench_meets(0.81, 1.0, 8, 10));  /* short, every round: within 20% */
    assert_false(rl_bench_meets(0.79, 1.0, 8, 10)); /* more than 20%, every round */
    assert_true(rl_bench_meets(0.5, 1.0, 10, 10));  /* far short, but the rounds overlap */
    assert_false(rl_bench_meets(7.9, 10.0, 8, 1));  /* a mark of 10x: 20% short is 8x */
    assert_true(rl_bench_meets(8.1, 10.0, 8, 1));
    assert_true(rl_bench_meets(2.0, 10.0, 10, 1));  /* a round of a at 10x a round of b */
}

static struct rltest_case cases[] = {
    {"numbers: accepted and refused, with the reason"},
    {"options: each bad input, its exact message, exit 2"},
    {"options: --help exits 0"},
    {"output into a closed pipe exits cleanly"},
    {"wrappers: report pthread's error code, then abort"},
    {"wrappers: timed wait times out"},
    {"workers: each index runs exactly once"},
    {"fuzz: the same seed makes the same choices"},
    {"fuzz: off means no point is hit"},
    {"watchdog: a hung test fails by name"},
    {"hangs on purpose"},
    {"prints into a closed pipe stops at once, quietly"},
    {"seconds: accepted and refused, with the reason"},
    {"options: the bank's and the atomics program's own checks, exit 2"},
    {"a deadlocked bank into a closed pipe: its account on stderr, exit 3"},
    {"progress watchdog: a count that stands still fires it once, after the quiet period"},
    {"progress watchdog: a count that moves never fires it"},
    {"progress watchdog: it waits until the last hold is released"},
    {"progress watchdog: with no count, the quiet period is a deadline"},
    {"progress watchdog: its thread describes, then exits with the status"},
    {"progress watchdog: its thread stops without firing"},
    {"a still count and a hold, on a clock an hour a look"},
    {"a count that moves at every look, on a clock an hour a look"},
    {"overlap meter: notes, turns between threads and near misses counted; off, nothing"},
    {"placement: same CPU pins every worker to one, separate CPUs to one each"},
    {"median of rounds: odd and even counts, the spread, the input untouched"},
    {"RACELAB_LIGHT=1 scales work to a tenth, at least 1; unset or other, not at all"},
    {"bench verdict: BELOW only when more than 20% short and every round short"},
};

/* The valgrind run's scale (RACELAB_LIGHT=1): the test restores what the
 * environment held. */
static void light_scales_to_a_tenth(void **state)
{
    (void)state;
    const char *was = getenv("RACELAB_LIGHT");
    char *saved = was ? strdup(was) : NULL;
    unsetenv("RACELAB_LIGHT");
    long unset = rltest_light(1000);
    setenv("RACELAB_LIGHT", "0", 1);
    long other = rltest_light(1000);
    setenv("RACELAB_LIGHT", "1", 1);
    long tenth = rltest_light(1000), small = rltest_light(7), one = rltest_light(1),
         zero = rltest_light(0), odd = rltest_light(25);
    if (saved)
        setenv("RACELAB_LIGHT", saved, 1);
    else
        unsetenv("RACELAB_LIGHT");
    free(saved);
    assert_int_equal(unset, 1000);
    assert_int_equal(other, 1000);
    assert_int_equal(tenth, 100);
    assert_int_equal(small, 1);
    assert_int_equal(one, 1);
    assert_int_equal(zero, 0);
    assert_int_equal(odd, 2);
}

int main(int argc, char **argv)
{
    struct CMUnitTest tests[] = {
        RLTEST(parse_u64_accepts_and_refuses, &cases[0]),
        RLTEST(parse_seconds_accepts_and_refuses, &cases[12]),
        RLTEST(bad_options_exit_2_with_one_line, &cases[1]),
        RLTEST(lab_options_exit_2_with_one_line, &cases[13]),
        RLTEST(help_exits_0, &cases[2]),
        RLTEST(closed_pipe_exits_cleanly, &cases[3]),
        RLTEST(prints_into_closed_pipe_stops_quietly, &cases[11]),
        RLTEST(deadlock_into_closed_pipe_exits_3, &cases[14]),
        RLTEST(wrapper_reports_the_error_code_and_aborts, &cases[4]),
        RLTEST(timedwait_times_out, &cases[5]),
        RLTEST(workers_each_run_once, &cases[6]),
        RLTEST(fuzz_is_repeatable_for_a_seed, &cases[7]),
        RLTEST(fuzz_off_costs_nothing, &cases[8]),
        RLTEST(watchdog_fires_once_when_the_count_stands_still, &cases[15]),
        RLTEST(watchdog_keeps_quiet_while_the_count_moves, &cases[16]),
        RLTEST(watchdog_waits_out_every_hold, &cases[17]),
        RLTEST(watchdog_without_a_count_is_a_deadline, &cases[18]),
        RLTEST(watchdog_thread_describes_then_exits, &cases[19]),
        RLTEST(watchdog_thread_stops_quietly, &cases[20]),
        RLTEST(watchdog_fails_a_hung_test_by_name, &cases[9]),
        RLTEST(overlap_meter_counts_notes_turns_near_misses, &cases[23]),
        RLTEST(placement_pins_the_workers, &cases[24]),
        RLTEST(median_of_rounds, &cases[25]),
        RLTEST(light_scales_to_a_tenth, &cases[26]),
        RLTEST(bench_verdict_needs_both, &cases[27]),
    };
    struct CMUnitTest hangs[] = {RLTEST(hang_forever, &cases[10])};
    struct CMUnitTest fires[] = {RLTEST(fire_after_hold, &cases[21])};
    struct CMUnitTest stops[] = {RLTEST(quiet_while_moving, &cases[22])};
    const struct rltest_group groups[] = {
        {"runtime", NULL, tests, sizeof tests / sizeof tests[0], false},
        {"hangs", NULL, hangs, 1, true},
        {"watchdog fires", NULL, fires, 1, true},
        {"watchdog stops", NULL, stops, 1, true},
    };
    return rltest_main(argc, argv, groups, sizeof groups / sizeof groups[0]);
}

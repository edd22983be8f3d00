/*
 * bench_atomics.c - lab 7's benchmark, two questions:
 *
 *   once      what does a get cost once the config is built? dcl's fast
 *             path is one acquire load; pthread_once is a load and a test
 *             inside a library call; a mutex taken on every call (correct,
 *             and the first fix most people write) makes every get a lock
 *             and an unlock, and every thread fight over the lock's line.
 *   volatile  what does the atomic add cost? Against a mutex per add, and
 *             against the wrong answer, the volatile specimen, which is no
 *             faster than an atomic add by much and loses updates.
 *
 * Calls per second at 1, 2 and 4 threads, with each one's ratio to the
 * mutex. Measured in one run, so the ratios compare like with like: a
 * warm-up round that also sizes each (variant, threads) run to last at
 * least 100 ms (2000000 of dcl's gets took some 5 ms: the scheduler's
 * noise, not the load), then REPS rounds that interleave every pair; each
 * cell is the median of its rounds, the spread (the slowest and the
 * fastest) kept for the CSV and the verdicts, which say BELOW only as
 * rl_bench_meets does: more than 20% short of the expected ratio, and
 * every round short of every round of the mutex at that ratio. This benchmark's first version kept the best time of each, and a
 * best keeps the lucky rounds. Runs unpinned. -O2, no sanitizer, no fuzz.
 * The field's own way to do once, glibc's pthread_once, is in the table;
 * there is no peer for the add: the ratios are to the mutex. A
 * program that reports, not a test that asserts. Still, every run is
 * checked: a get must return the one object built for the round (built
 * once, whole), an add must count. A variant that got it wrong gets no
 * numbers on its row, only what went wrong, no ratio is taken against it,
 * and the benchmark exits 1. (The volatile specimen, wrong on purpose,
 * keeps its numbers, marked: how little its wrong answer saves is the
 * point.)
 */
#include "atomics.h"
#include "racelab.h"

#include <stdio.h>

static const int thread_counts[] = {1, 2, 4};
enum { NCOUNTS = sizeof thread_counts / sizeof thread_counts[0] };
enum { MAX_REPS = 99, START_ITERATIONS = 100000, MAX_ITERATIONS = 1000000000 };

/* ---- the mutex variants: correct, and written here, not in the lab ------ */

static struct atomics_config mutex_config; /* guarded by mutex_lock */
static bool mutex_config_built;            /* guarded by mutex_lock */
static pthread_mutex_t mutex_lock = PTHREAD_MUTEX_INITIALIZER;

static void mutex_once_reset(void)
{
    mutex_config_built = false;
}

static const struct atomics_config *mutex_once_get(void)
{
    rl_mutex_lock(&mutex_lock);
    if (!mutex_config_built) {
        atomics_config_build(&mutex_config);
        mutex_config_built = true;
    }
    rl_mutex_unlock(&mutex_lock);
    return &mutex_config;
}

static long mutex_count; /* guarded by mutex_lock */

static void mutex_reset(int nthreads)
{
    (void)nthreads;
    mutex_count = 0;
}

static void mutex_inc(int tid)
{
    (void)tid;
    rl_mutex_lock(&mutex_lock);
    mutex_count++;
    rl_mutex_unlock(&mutex_lock);
}

static long mutex_total(void)
{
    return mutex_count;
}

/* ---- once: gets per second once built ----------------------------------- */

struct get_job {
    const struct atomics_config *(*get)(void); /* read-only while workers run */
    const struct atomics_config *built;        /* read-only while workers run */
    long gets;                                 /* read-only while workers run */
    long bad[RL_MAX_THREADS];                  /* [tid]: its own only */
};

static void get_worker(int tid, void *arg)
{
    struct get_job *job = arg;
    const struct atomics_config *(*get)(void) = job->get;
    const struct atomics_config *built = job->built;
    for (long i = 0; i < job->gets; i++)
        if (get() != built)
            job->bad[tid]++;
}

/* Seconds for nthreads threads doing gets gets each of an object built
 * before the clock starts (what follows is the fast path). Says in wrong
 * (when still "") what went wrong: a half-built object, more than one
 * build, a get that returned another pointer. */
static double time_gets(void (*reset)(void), const struct atomics_config *(*get)(void),
                        int nthreads, long gets, char *wrong, size_t len)
{
    static struct get_job job;
    job = (struct get_job){.get = get, .gets = gets};
    reset();
    long generation = atomics_config_generation();
    job.built = get();
    double s = rl_run_workers(nthreads, get_worker, &job);
    long builds = atomics_config_generation() - generation, other = 0;
    for (int t = 0; t < nthreads; t++)
        other += job.bad[t];
    if (wrong[0])
        return s;
    if (!job.built || !atomics_config_whole(job.built, generation))
        snprintf(wrong, len, "at %d thread%s: the first get returned %s", nthreads,
                 nthreads == 1 ? "" : "s", job.built ? "a half-built object" : "NULL");
    else if (builds != 1)
        snprintf(wrong, len, "at %d thread%s: %ld builds, want 1", nthreads,
                 nthreads == 1 ? "" : "s", builds);
    else if (other)
        snprintf(wrong, len, "at %d thread%s: %ld of %ld gets returned another pointer", nthreads,
                 nthreads == 1 ? "" : "s", other, nthreads * gets);
    return s;
}

/* ---- the table -------------------------------------------------------------- */

struct variant {
    const char *name;
    const char *what;
    const char *series;              /* its name in the CSV: "get-dcl" */
    bool specimen;                   /* wrong on purpose: shown with its numbers */
    char wrong[96];                  /* what went wrong first, "" if nothing */
    long size[NCOUNTS];              /* calls per thread per run */
    double rates[NCOUNTS][MAX_REPS]; /* calls per second, per measured round */
};

/* Calls per second at thread_counts[t]: the median of the rounds, and the
 * spread (lo, hi) when asked. */
static double rate(const struct variant *v, int t, int reps, double *lo, double *hi)
{
    return rl_median(v->rates[t], reps, lo, hi);
}

/* The rows of a table as CSV, for scripts/plot.sh: a row per (variant,
 * threads), the median and the spread of its rounds in M calls/s; no rows
 * for a variant that was wrong (the specimen too, when it lost updates). */
static void csv_rows(FILE *f, const struct variant *v, int n, int reps)
{
    for (int i = 0; i < n; i++) {
        if (v[i].wrong[0])
            continue;
        for (int t = 0; t < NCOUNTS; t++) {
            double lo, hi, m = rate(&v[i], t, reps, &lo, &hi);
            fprintf(f, "%s,%d,%.1f,%.1f,%.1f\n", v[i].series, thread_counts[t], m / 1e6, lo / 1e6,
                    hi / 1e6);
        }
    }
}

/* Prints the table; returns how many variants (specimens aside) were
 * wrong. */
static int print_table(const char *title, const char *unit, struct variant *v, int n, int reps,
                       int mutex)
{
    printf("\n%s\n  %-13s", title, "variant");
    for (int t = 0; t < NCOUNTS; t++)
        printf("  %2d thread%s M%s/s  x mutex", thread_counts[t], thread_counts[t] == 1 ? " " : "s",
               unit);
    printf("\n");
    int nwrong = 0;
    for (int i = 0; i < n; i++) {
        printf("  %-13s", v[i].name);
        if (v[i].wrong[0] && !v[i].specimen) {
            printf("  WRONG %s: no numbers for a wrong answer\n", v[i].wrong);
            nwrong++;
            continue;
        }
        for (int t = 0; t < NCOUNTS; t++) {
            double x = rate(&v[i], t, reps, NULL, NULL);
            printf("  %15.1f", x / 1e6);
            if (v[mutex].wrong[0])
                printf("  %7s", "-");
            else
                printf("  %7.2f", x / rate(&v[mutex], t, reps, NULL, NULL));
        }
        printf("  %s", v[i].what);
        if (v[i].wrong[0])
            printf(" (wrong on purpose: %s)", v[i].wrong);
        printf("\n");
    }
    return nwrong;
}

/* The expectation that a is at least times b at 2 threads, or why there
 * is no verdict: "ok", or "BELOW" when rl_bench_meets says so. */
static void expect(const char *label, const struct variant *a, const struct variant *b,
                   double times, int reps)
{
    printf("  %-6s >= %.1fx mutex: ", label, times);
    if (a->wrong[0] || b->wrong[0]) {
        printf("no verdict: %s was wrong\n", a->wrong[0] ? a->name : b->name);
        return;
    }
    double a_hi, b_lo;
    double ratio = rate(a, 1, reps, NULL, &a_hi) / rate(b, 1, reps, &b_lo, NULL);
    printf("measured %6.2fx  %s\n", ratio, rl_bench_meets(ratio, times, a_hi, b_lo) ? "ok" : "BELOW");
}

int main(int argc, char **argv)
{
    long iterations = 0, reps = 5;
    bool quick = false;
    const char *csv = NULL;
    const struct rl_opt opts[] = {
        {.long_name = "iterations",
         .short_name = 'n',
         .kind = RL_OPT_LONG,
         .metavar = "N",
         .help = "gets and adds per thread per run (default: sized to 100 ms a run)",
         .min = 1,
         .max = MAX_ITERATIONS,
         .dest = &iterations},
        {.long_name = "reps",
         .short_name = 'r',
         .kind = RL_OPT_LONG,
         .metavar = "N",
         .help = "measured rounds, the median kept (default 5)",
         .min = 1,
         .max = MAX_REPS,
         .dest = &reps},
        {.long_name = "quick",
         .kind = RL_OPT_FLAG,
         .help = "a smoke run: 20000 per thread, 1 round (numbers meaningless)",
         .dest = &quick},
        {.long_name = "csv",
         .kind = RL_OPT_TEXT,
         .metavar = "FILE",
         .help = "also write both tables to FILE: series (get-VARIANT, add-VARIANT),threads,"
                 "median,low,high (M calls/s: the median, slowest and fastest round)",
         .dest = &csv},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "[-n N] [-r N] [--quick] [--csv FILE]",
        .about = "Lab 7 benchmark: gets per second of a built config (dcl's acquire load,\n"
                 "pthread_once, a mutex on every call), and adds per second of a shared\n"
                 "count (one atomic add, a mutex, the wrong volatile), at 1, 2 and 4\n"
                 "threads, unpinned, the median of N interleaved rounds of at least\n"
                 "100 ms each, with ratios to the mutex.",
        .opts = opts,
        .exits = rl_bench_exits,
    };
    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);
    if (quick) {
        iterations = 20000;
        reps = 1;
    }
    const int r = (int)reps;

    static struct variant once[] = {
        {.name = "dcl",
         .what = "one acquire load (solutions' dcl)",
         .series = "get-dcl",
         .specimen = false},
        {.name = "pthread_once",
         .what = "pthread_once every call",
         .series = "get-pthread_once",
         .specimen = false},
        {.name = "mutex",
         .what = "lock, test, unlock every call",
         .series = "get-mutex",
         .specimen = false},
    };
    void (*once_reset[])(void) = {atomics_once_dcl_reset, atomics_once_pthread_reset,
                                  mutex_once_reset};
    const struct atomics_config *(*once_get[])(void) = {atomics_once_dcl_get,
                                                        atomics_once_pthread_get, mutex_once_get};
    static struct variant adds[] = {
        {.name = "atomic",
         .what = "one relaxed fetch_add (solutions' volatile)",
         .series = "add-atomic",
         .specimen = false},
        {.name = "mutex", .what = "lock, add, unlock", .series = "add-mutex", .specimen = false},
        {.name = "unsafe",
         .what = "volatile load and store: the specimen",
         .series = "add-unsafe",
         .specimen = true},
    };
    const struct atomics_strategy mutex_strategy = {.name = "mutex",
                                                    .which = ATOMICS_VOLATILE,
                                                    .volatile_reset = mutex_reset,
                                                    .inc = mutex_inc,
                                                    .total = mutex_total};
    const struct atomics_strategy *add_strategy[] = {atomics_find(ATOMICS_VOLATILE, "atomic"),
                                                     &mutex_strategy,
                                                     atomics_find(ATOMICS_VOLATILE, "unsafe")};
    enum { NONCE = 3, NADDS = 3 };

    if (iterations)
        printf("bench atomics: %ld gets and %ld adds per thread, median of %ld rounds\n",
               iterations, iterations, reps);
    else
        printf("bench atomics: each run sized to at least 100 ms, median of %ld rounds\n", reps);
    printf("  placement: %s; peers: glibc's pthread_once for once (in the table), none in\n"
           "  the field for the add: ratios are to the mutex\n",
           rl_placement_name(RL_UNPINNED));
    fflush(stdout);
    for (long round = 0; round <= reps; round++) { /* round 0: warm-up, sizing */
        for (int t = 0; t < NCOUNTS; t++) {
            for (int i = 0; i < NONCE; i++) {
                struct variant *v = &once[i];
                if (round == 0)
                    v->size[t] = iterations ? iterations : START_ITERATIONS;
                double s;
                for (;;) {
                    s = time_gets(once_reset[i], once_get[i], thread_counts[t], v->size[t],
                                  v->wrong, sizeof v->wrong);
                    if (round > 0 || iterations || s >= 0.1 || v->size[t] >= MAX_ITERATIONS / 2)
                        break;
                    v->size[t] *= 2; /* too short to mean anything: longer */
                }
                if (round > 0)
                    v->rates[t][round - 1] = (double)thread_counts[t] * (double)v->size[t] / s;
            }
            for (int i = 0; i < NADDS; i++) {
                struct variant *v = &adds[i];
                if (round == 0)
                    v->size[t] = iterations ? iterations : START_ITERATIONS;
                struct atomics_result res;
                for (;;) {
                    res = atomics_volatile_run(add_strategy[i], thread_counts[t], v->size[t]);
                    if (res.got != res.expected && !v->wrong[0])
                        snprintf(v->wrong, sizeof v->wrong,
                                 "at %d thread%s: expected %ld, got %ld (lost %ld)",
                                 thread_counts[t], thread_counts[t] == 1 ? "" : "s", res.expected,
                                 res.got, res.expected - res.got);
                    if (round > 0 || iterations || res.seconds >= 0.1 ||
                        v->size[t] >= MAX_ITERATIONS / 2)
                        break;
                    v->size[t] *= 2;
                }
                if (round > 0)
                    v->rates[t][round - 1] =
                        (double)thread_counts[t] * (double)v->size[t] / res.seconds;
            }
        }
    }
    if (csv) {
        FILE *f = rl_csv_open(csv, "million gets or adds per second");
        csv_rows(f, once, NONCE, r);
        csv_rows(f, adds, NADDS, r);
        rl_csv_close(f, csv);
    }

    int nwrong = print_table("once: gets of a built config", "", once, NONCE, r, 2);
    nwrong += print_table("volatile: adds to one shared count", "", adds, NADDS, r, 1);

    printf("\nexpected on a 2-core machine, at 2 threads\n%s:\n", rl_bench_noise_note);
    expect("dcl", &once[0], &once[2], 5.0, r);
    expect("atomic", &adds[0], &adds[1], 1.5, r);
    if (nwrong) {
        printf("\nWRONG: a wrong answer has no speed worth comparing: fix it first "
               "(make check LAB=atomics)\n");
        rl_exit(1);
    }
    rl_exit(0);
}

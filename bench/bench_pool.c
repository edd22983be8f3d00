/*
 * bench_pool.c - lab 4's benchmark: wall time to check the book's 20
 * numbers, sequentially and with 1, 2 and 4 workers in each pool mode, and
 * each mode's speedup over its own 1-worker run.
 *
 * A peer runs in the same rounds: OpenMP's `parallel for` with a dynamic
 * schedule of one number per chunk (gcc's libgomp), the field's way to
 * hand out jobs to a team of threads, against the threads mode: racelab /
 * peer, judged where each worker has a CPU.
 *
 * Measured in one run: REPS rounds that interleave every (mode, workers)
 * pair; each cell is the median of its rounds, and a verdict against the
 * peer says "below" only as rl_bench_meets does: more than 20% short, and
 * every round slower than every round it is compared with.
 * -O2, no sanitizer, no fuzz. Every
 * answer is checked against the book's: a mode that lost, doubled or got
 * wrong an answer gets no times on its row, only what went wrong, no
 * speedup, and the benchmark exits 1.
 *
 * The speedup W workers can reach is not W: the pool hands out numbers in
 * the book's order, and a worker that takes a long one last works on
 * alone. The benchmark times each number alone (sequential, best of the
 * rounds), then plays the pool's dispatch over those times: each number
 * goes, in order, to the worker free first (list scheduling). The total
 * over that makespan is the speedup this order allows; the same with the
 * longest jobs first (LPT, Graham 1969) is what a pool that knew its jobs'
 * lengths and sorted them would reach. Each mode's speedup is judged
 * against the first, within 5%: the kit keeps the book's order (a pool
 * does not know how long a number takes before it checks it: the largest
 * numbers are not the longest jobs; docs/pool.md). A program that reports, not a
 * test that asserts: the expectations for a two-core machine are printed
 * with what was measured, on a two-core machine. (C threads run in
 * parallel: there is no GIL; docs/pool.md discusses the numbers.)
 */
#include "pool.h"
#include "racelab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* The modes, then the peer ("openmp": not a pool mode). */
static const char *const modes[] = {"threads", "processes", "futures", "openmp"};
static const int worker_counts[] = {1, 2, 4};
enum { NMODES = 3, NSERIES = 4, OPENMP = 3, NCOUNTS = 3, MAX_REPS = 100 };

struct tally {
    long answers, wrong;
};

static void check_answer(void *ctx, const struct pool_result *r)
{
    struct tally *t = ctx;
    t->answers++;
    bool known = false;
    for (int i = 0; i < POOL_BOOK_COUNT; i++)
        if (pool_book[i].n == r->n) {
            known = true;
            t->wrong += pool_book[i].prime != r->prime;
            break;
        }
    if (!known) /* --quick numbers: judged by is_prime itself */
        t->wrong += pool_is_prime(r->n) != r->prime;
}

/* Seconds for one run, or a negative number when an answer was wrong or
 * missing: then wrong (if still "") says how. */
/* The time of a list of jobs on w workers, each job in order going to the
 * worker free first (list scheduling, as the pool's queue does). */
static double makespan(const double *job, int n, int w)
{
    double free_at[8] = {0};
    for (int i = 0; i < n; i++) {
        int k = 0;
        for (int j = 1; j < w; j++)
            if (free_at[j] < free_at[k])
                k = j;
        free_at[k] += job[i];
    }
    double end = 0;
    for (int j = 0; j < w; j++)
        end = free_at[j] > end ? free_at[j] : end;
    return end;
}

static int larger_first(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* The peer: the same numbers and the same check, handed out by OpenMP's
 * dynamic schedule, one number at a time, to a team of `workers` threads;
 * each answer reported in the order the numbers were given, after the
 * timing, from this thread. Without OpenMP (a compiler without -fopenmp)
 * it reports nothing, and its row says so. */
static struct pool_outcome openmp_run(const struct pool_config *cfg)
{
    struct pool_outcome out = {0};
#ifdef _OPENMP
    struct pool_result *res = rl_calloc((size_t)cfg->count, sizeof *res, "openmp results");
    int64_t t0 = rl_now_ns();
#pragma omp parallel for schedule(dynamic, 1) num_threads(cfg->workers)
    for (long i = 0; i < cfg->count; i++)
        res[i] = pool_check(cfg->numbers[i]);
    out.seconds = (double)(rl_now_ns() - t0) / 1e9;
    for (long i = 0; i < cfg->count; i++)
        cfg->report(cfg->ctx, &res[i]);
    free(res);
#else
    (void)cfg;
#endif
    return out;
}

static double timed(const char *mode, int workers, const uint64_t *numbers, long count,
                    char *wrong, size_t len)
{
    struct tally t = {0};
    const struct pool_config cfg = {
        .mode = pool_find(mode),
        .workers = workers,
        .numbers = numbers,
        .count = count,
        .report = check_answer,
        .ctx = &t,
    };
    struct pool_outcome out = {0};
    if (strcmp(mode, "openmp") == 0)
        out = openmp_run(&cfg);
    else
        out = pool_run(&cfg);
    if (t.wrong || out.lost || out.duplicated || out.wrong || t.answers != count) {
        if (wrong[0])
            return -1;
        int n = snprintf(wrong, len, "with %d worker%s: %ld answers for %ld numbers", workers,
                         workers == 1 ? "" : "s", t.answers, count);
        const struct {
            long n;
            const char *what;
        } parts[] = {{out.lost, "lost"}, {out.duplicated, "doubled"},
                     {out.wrong, "for numbers never sent"}, {t.wrong, "wrong verdicts"}};
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            if (parts[i].n && n > 0 && (size_t)n < len)
                n += snprintf(wrong + n, len - (size_t)n, ", %ld %s", parts[i].n, parts[i].what);
        return -1;
    }
    return out.seconds;
}

/* The median of a cell's rounds, and their spread; -1 when none ran right. */
static double cell(const double *t, int reps, double *lo, double *hi)
{
    for (int r = 0; r < reps; r++)
        if (t[r] < 0)
            return -1;
    return rl_median(t, reps, lo, hi);
}

int main(int argc, char **argv)
{
    long reps = 3;
    bool quick = false;
    const char *csv = NULL;
    const struct rl_opt opts[] = {
        {.long_name = "reps", .short_name = 'r', .kind = RL_OPT_LONG, .metavar = "N",
         .help = "measured rounds, the median kept (default 3)", .min = 1, .max = MAX_REPS,
         .dest = &reps},
        {.long_name = "quick", .kind = RL_OPT_FLAG,
         .help = "a smoke run: small numbers, 1 round (numbers meaningless)", .dest = &quick},
        {.long_name = "csv", .kind = RL_OPT_TEXT, .metavar = "FILE",
         .help = "also write the table to FILE: series,threads (workers),median,low,high "
                 "(numbers checked per second)",
         .dest = &csv},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "[-r N] [--quick] [--csv FILE]",
        .about = "Lab 4 benchmark: wall time to check the book's 20 numbers sequentially\n"
                 "and with 1, 2, 4 workers per mode and with OpenMP (the peer), the median\n"
                 "of N interleaved rounds, with each mode's speedup over 1 worker. Takes\n"
                 "about a minute.",
        .opts = opts,
        .exits = rl_bench_exits,
    };
    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);

    uint64_t numbers[POOL_BOOK_COUNT];
    for (int i = 0; i < POOL_BOOK_COUNT; i++)
        numbers[i] = quick ? 1000003 + 2 * (uint64_t)i : pool_book[i].n;
    if (quick)
        reps = 1;
    const int r = (int)reps;
    const long cpus = rl_cpus_allowed();
#ifdef _OPENMP
    const bool have_openmp = true;
#else
    const bool have_openmp = false;
#endif

    /* Each number alone, best of the rounds: the jobs' own lengths. */
    double job[POOL_BOOK_COUNT];
    for (int i = 0; i < POOL_BOOK_COUNT; i++) {
        job[i] = 1e30;
        for (long k = 0; k < reps; k++) {
            int64_t t0 = rl_now_ns();
            struct pool_result res = pool_check(numbers[i]);
            double t = (double)(rl_now_ns() - t0) / 1e9;
            (void)res;
            job[i] = t < job[i] ? t : job[i];
        }
    }

    static double secs[NSERIES][NCOUNTS][MAX_REPS], seq_secs[MAX_REPS];
    char seq_wrong[200] = "", wrong[NSERIES][200] = {{0}}; /* the first wrong run, "" if none */
    for (long k = 0; k < reps; k++) {
        seq_secs[k] =
            timed("sequential", 1, numbers, POOL_BOOK_COUNT, seq_wrong, sizeof seq_wrong);
        for (int w = 0; w < NCOUNTS; w++)
            for (int m = 0; m < NSERIES; m++)
                secs[m][w][k] = m == OPENMP && !have_openmp
                                    ? -1
                                    : timed(modes[m], worker_counts[w], numbers,
                                            POOL_BOOK_COUNT, wrong[m], sizeof wrong[m]);
    }
    bool failed = seq_wrong[0];
    for (int m = 0; m < NSERIES; m++)
        failed = failed || wrong[m][0];
    double med[NSERIES][NCOUNTS], lo[NSERIES][NCOUNTS], hi[NSERIES][NCOUNTS];
    for (int m = 0; m < NSERIES; m++)
        for (int w = 0; w < NCOUNTS; w++)
            med[m][w] = cell(secs[m][w], r, &lo[m][w], &hi[m][w]);
    double seq = cell(seq_secs, r, NULL, NULL);

    if (csv) {
        FILE *f = rl_csv_open(csv, "numbers checked per second");
        for (int m = 0; m < NSERIES; m++)
            for (int w = 0; w < NCOUNTS && med[m][w] > 0; w++)
                fprintf(f, "%s,%d,%.2f,%.2f,%.2f\n", modes[m], worker_counts[w],
                        POOL_BOOK_COUNT / med[m][w], POOL_BOOK_COUNT / hi[m][w],
                        POOL_BOOK_COUNT / lo[m][w]);
        rl_csv_close(f, csv);
    }

    printf("pool benchmark: %s, median of %ld interleaved rounds, %ld CPUs for this process\n",
           quick ? "small numbers (--quick)" : "the book's 20 numbers", reps, cpus);
    printf("placement: unpinned; peer: openmp (OpenMP's parallel for, schedule(dynamic, 1))\n");
    printf("  %-10s  %7s  %7s  %7s   %-s\n", "mode", "1", "2", "4", "speedup over 1 worker at 2, 4");
    if (seq_wrong[0])
        printf("  %-10s  WRONG %s\n", "sequential", seq_wrong);
    else
        printf("  %-10s  %6.2fs\n", "sequential", seq);
    for (int m = 0; m < NSERIES; m++) {
        printf("  %-10s", modes[m]);
        if (m == OPENMP && !have_openmp) {
            printf("  (built without OpenMP: no peer)\n");
            continue;
        }
        if (wrong[m][0]) {
            printf("  WRONG %s: no times for wrong answers\n", wrong[m]);
            continue;
        }
        for (int w = 0; w < NCOUNTS; w++)
            printf("  %6.2fs", med[m][w]);
        printf("   %.2fx  %.2fx%s\n", med[m][0] / med[m][1], med[m][0] / med[m][2],
               m == OPENMP ? "   (peer: OpenMP, schedule(dynamic, 1))" : "");
    }
    double total = 0, sorted[POOL_BOOK_COUNT];
    for (int i = 0; i < POOL_BOOK_COUNT; i++) {
        total += job[i];
        sorted[i] = job[i];
    }
    qsort(sorted, POOL_BOOK_COUNT, sizeof sorted[0], larger_first);
    double limit2 = total / makespan(job, POOL_BOOK_COUNT, 2);
    printf("the numbers alone take %.2f s, the longest %.2f s; with a CPU per worker, the "
           "speedup each order allows:\n",
           total, sorted[0]);
    for (int w = 1; w < NCOUNTS; w++) {
        int n = worker_counts[w];
        if (n > cpus)
            continue; /* more workers than CPUs share them: no list schedule to play */
        printf("  %d workers: the book's order %.2fx; the longest first %.2fx (%d.0 if the "
               "jobs split evenly)\n",
               n, total / makespan(job, POOL_BOOK_COUNT, n),
               total / makespan(sorted, POOL_BOOK_COUNT, n), n);
    }
    printf("expected on 2 cores: 2 workers within 5%% of what the book's order allows "
           "(%.2fx); 4 workers about the same as 2;\nthreads level with or ahead of OpenMP "
           "where each worker has a CPU\n%s\n",
           limit2, rl_bench_noise_note);
    if (cpus != 2 && !quick)
        printf("  (not 2 CPUs here: no verdicts)\n");
    for (int m = 0; m < NMODES && !quick && cpus == 2; m++) {
        if (wrong[m][0]) {
            printf("  %-10s no verdict: its answers were wrong\n", modes[m]);
            continue;
        }
        /* Speedups from medians; "below" needs the best pairing of rounds
         * (fastest at 2, slowest at 1) below too. */
        double s2 = med[m][0] / med[m][1], s4 = med[m][0] / med[m][2];
        double s2_best = hi[m][0] / lo[m][1];
        printf("  %-10s 2 workers %.2fx: %s; 4 workers %.2fx: %s\n", modes[m], s2,
               s2 >= 0.95 * limit2 || s2_best >= 0.95 * limit2 ? "as expected"
                                                               : "BELOW EXPECTATION",
               s4, s4 >= 0.9 * s2 ? "costs little" : "COSTS MORE THAN EXPECTED");
    }
    if (!quick && cpus == 2 && have_openmp) {
        printf("  threads / openmp (racelab / peer) at 1, 2 workers:");
        if (wrong[0][0] || wrong[OPENMP][0]) {
            printf(" no verdict: wrong answers\n");
        } else {
            bool met = true;
            for (int w = 0; w < 2; w++) {
                /* Times: the speeds' ratio, racelab's fastest round and
                 * the peer's slowest as speeds. */
                double x = med[OPENMP][w] / med[0][w];
                printf(" %.2fx", x);
                if (!rl_bench_meets(x, 1.0, 1.0 / lo[0][w], 1.0 / hi[OPENMP][w]))
                    met = false;
            }
            printf("  %s\n", met ? "ok" : "BELOW");
        }
    }
    if (failed) {
        printf("WRONG: a pool that loses answers has no speed worth comparing: fix it "
               "first (make check LAB=pool)\n");
        rl_exit(1);
    }
    rl_exit(0);
}

/*
 * bench_pool.c - lab 4's benchmark: wall time to check the book's 20
 * numbers, sequentially and with 1, 2 and 4 workers in each pool mode, and
 * each mode's speedup over its own 1-worker run.
 *
 * Measured in one run: REPS rounds that interleave every (mode, workers)
 * pair, keeping the best time of each. -O2, no sanitizer, no fuzz. Every
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
#include <unistd.h>

static const char *const modes[] = {"threads", "processes", "futures"};
static const int worker_counts[] = {1, 2, 4};
enum { NMODES = 3, NCOUNTS = 3 };

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
    struct pool_outcome out = pool_run(&cfg);
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

int main(int argc, char **argv)
{
    long reps = 3;
    bool quick = false;
    const struct rl_opt opts[] = {
        {.long_name = "reps", .short_name = 'r', .kind = RL_OPT_LONG, .metavar = "N",
         .help = "measured rounds, best kept (default 3)", .min = 1, .max = 100, .dest = &reps},
        {.long_name = "quick", .kind = RL_OPT_FLAG,
         .help = "a smoke run: small numbers, 1 round (numbers meaningless)", .dest = &quick},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "[-r N] [--quick]",
        .about = "Lab 4 benchmark: wall time to check the book's 20 numbers sequentially\n"
                 "and with 1, 2, 4 workers per mode, best of N interleaved rounds, with\n"
                 "each mode's speedup over 1 worker. Takes about a minute.",
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

    /* Each number alone, best of the rounds: the jobs' own lengths. */
    double job[POOL_BOOK_COUNT];
    for (int i = 0; i < POOL_BOOK_COUNT; i++) {
        job[i] = 1e30;
        for (long r = 0; r < reps; r++) {
            int64_t t0 = rl_now_ns();
            struct pool_result res = pool_check(numbers[i]);
            double t = (double)(rl_now_ns() - t0) / 1e9;
            (void)res;
            job[i] = t < job[i] ? t : job[i];
        }
    }

    double seq = -1, best[NMODES][NCOUNTS];
    char seq_wrong[200] = "", wrong[NMODES][200] = {{0}}; /* the first wrong run, "" if none */
    for (int m = 0; m < NMODES; m++)
        for (int k = 0; k < NCOUNTS; k++)
            best[m][k] = -1;
    for (long r = 0; r < reps; r++) {
        double s = timed("sequential", 1, numbers, POOL_BOOK_COUNT, seq_wrong, sizeof seq_wrong);
        if (s >= 0 && (seq < 0 || s < seq))
            seq = s;
        for (int k = 0; k < NCOUNTS; k++)
            for (int m = 0; m < NMODES; m++) {
                double t = timed(modes[m], worker_counts[k], numbers, POOL_BOOK_COUNT, wrong[m],
                                 sizeof wrong[m]);
                if (t >= 0 && (best[m][k] < 0 || t < best[m][k]))
                    best[m][k] = t;
            }
    }
    bool failed = seq_wrong[0];
    for (int m = 0; m < NMODES; m++)
        failed = failed || wrong[m][0];

    printf("pool benchmark: %s, best of %ld interleaved rounds, %ld CPUs online\n",
           quick ? "small numbers (--quick)" : "the book's 20 numbers", reps,
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("  %-10s  %7s  %7s  %7s   %-s\n", "mode", "1", "2", "4", "speedup over 1 worker at 2, 4");
    if (seq_wrong[0])
        printf("  %-10s  WRONG %s\n", "sequential", seq_wrong);
    else
        printf("  %-10s  %6.2fs\n", "sequential", seq);
    for (int m = 0; m < NMODES; m++) {
        printf("  %-10s", modes[m]);
        if (wrong[m][0]) {
            printf("  WRONG %s: no times for wrong answers\n", wrong[m]);
            continue;
        }
        for (int k = 0; k < NCOUNTS; k++)
            printf("  %6.2fs", best[m][k]);
        printf("   %.2fx  %.2fx\n", best[m][0] / best[m][1], best[m][0] / best[m][2]);
    }
    double total = 0, sorted[POOL_BOOK_COUNT];
    for (int i = 0; i < POOL_BOOK_COUNT; i++) {
        total += job[i];
        sorted[i] = job[i];
    }
    qsort(sorted, POOL_BOOK_COUNT, sizeof sorted[0], larger_first);
    double limit2 = total / makespan(job, POOL_BOOK_COUNT, 2);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    printf("the numbers alone take %.2f s, the longest %.2f s; with a CPU per worker, the "
           "speedup each order allows:\n",
           total, sorted[0]);
    for (int k = 1; k < NCOUNTS; k++) {
        int w = worker_counts[k];
        if (w > cpus)
            continue; /* more workers than CPUs share them: no list schedule to play */
        printf("  %d workers: the book's order %.2fx; the longest first %.2fx (%d.0 if the "
               "jobs split evenly)\n",
               w, total / makespan(job, POOL_BOOK_COUNT, w),
               total / makespan(sorted, POOL_BOOK_COUNT, w), w);
    }
    printf("expected on 2 cores: 2 workers within 5%% of what the book's order allows "
           "(%.2fx); 4 workers about the same as 2\n",
           limit2);
    if (sysconf(_SC_NPROCESSORS_ONLN) != 2 && !quick)
        printf("  (not 2 CPUs here: no verdicts)\n");
    for (int m = 0; m < NMODES && !quick && sysconf(_SC_NPROCESSORS_ONLN) == 2; m++) {
        if (wrong[m][0]) {
            printf("  %-10s no verdict: its answers were wrong\n", modes[m]);
            continue;
        }
        double s2 = best[m][0] / best[m][1], s4 = best[m][0] / best[m][2];
        printf("  %-10s 2 workers %.2fx: %s; 4 workers %.2fx: %s\n", modes[m], s2,
               s2 >= 0.95 * limit2 ? "as expected" : "BELOW EXPECTATION", s4,
               s4 >= 0.9 * s2 ? "costs little" : "COSTS MORE THAN EXPECTED");
    }
    if (failed) {
        printf("WRONG: a pool that loses answers has no speed worth comparing: fix it "
               "first (make check LAB=pool)\n");
        rl_exit(1);
    }
    rl_exit(0);
}

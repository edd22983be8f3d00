/*
 * bench_pool.c - lab 4's benchmark: wall time to check the book's 20
 * numbers, sequentially and with 1, 2 and 4 workers in each pool mode, and
 * each mode's speedup over its own 1-worker run.
 *
 * Measured in one run: REPS rounds that interleave every (mode, workers)
 * pair, keeping the best time of each. -O2, no sanitizer, no fuzz. Every
 * answer is checked against the book's: a mode that lost, doubled or got
 * wrong an answer gets no times on its row, only what went wrong, no
 * speedup, and the benchmark exits 1. A program that reports, not a
 * test that asserts: the expectations for a two-core machine are printed
 * with what was measured, on a two-core machine. (C threads run in
 * parallel: there is no GIL; docs/pool.md discusses the numbers.)
 */
#include "pool.h"
#include "racelab.h"

#include <stdio.h>
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
    printf("expected on 2 cores: 2 workers >= 1.8x (limit 2.0); 4 workers about the same as 2\n");
    if (sysconf(_SC_NPROCESSORS_ONLN) != 2 && !quick)
        printf("  (not 2 CPUs here: no verdicts)\n");
    for (int m = 0; m < NMODES && !quick && sysconf(_SC_NPROCESSORS_ONLN) == 2; m++) {
        if (wrong[m][0]) {
            printf("  %-10s no verdict: its answers were wrong\n", modes[m]);
            continue;
        }
        double s2 = best[m][0] / best[m][1], s4 = best[m][0] / best[m][2];
        printf("  %-10s 2 workers %.2fx: %s; 4 workers %.2fx: %s\n", modes[m], s2,
               s2 >= 1.8 ? "as expected" : "BELOW EXPECTATION", s4,
               s4 >= 0.9 * s2 ? "costs little" : "COSTS MORE THAN EXPECTED");
    }
    if (failed) {
        printf("WRONG: a pool that loses answers has no speed worth comparing: fix it "
               "first (make check LAB=pool)\n");
        rl_exit(1);
    }
    rl_exit(0);
}

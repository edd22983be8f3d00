/*
 * bench_queue.c - lab 3's benchmark: items per second through the locked
 * and the lock-free queue with 1, 2 and 4 producers and as many consumers
 * (4 + 4 threads oversubscribe a two-core machine), and the ratio
 * lockfree / locked.
 *
 * Measured in one run, so the ratios compare like with like: one warm-up
 * round, then REPS rounds that interleave every (strategy, shape) pair,
 * each cell the median of its rounds (--csv writes the spread too). -O2, no sanitizer, no fuzz; every run is
 * still checked item by item. A queue that lost, doubled or reordered an
 * item, or broke a call's contract, gets no numbers on its row, only what
 * went wrong, no ratio is taken against it, and the benchmark exits 1: a
 * queue that drops items can be as fast as it likes.
 * A program that reports, not a test that asserts.
 *
 * Where the threads run changes what is measured: a producer and a
 * consumer on one CPU hand items over through its cache and take turns;
 * on two CPUs every item's cache line moves between them. Unpinned, the
 * scheduler picks, round by round, and a best-of-N (this benchmark's
 * first version) kept the rounds where they shared a CPU. So 1P1C is also measured at named placements (both on
 * one CPU, one on each: rl_set_placement), the median of the rounds, and
 * the headline ratio is taken on separate CPUs.
 */
#include "queue.h"
#include "racelab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int sides[] = {1, 2, 4}; /* producers = consumers */
enum { NSHAPES = sizeof sides / sizeof sides[0] };
static const char *const strategies[] = {"locked", "lockfree"};
enum { NSTRATEGIES = sizeof strategies / sizeof strategies[0] };

/* What went wrong in run r, on one line. */
static void describe(const struct queue_result *r, long items, char *buf, size_t len)
{
    snprintf(buf, len, "sent %ld of %ld, received %ld, lost %ld, duplicated %ld", r->sent, items,
             r->received, r->lost, r->duplicated);
    size_t n = strlen(buf);
    if (r->out_of_order)
        n += (size_t)snprintf(buf + n, len - n, ", %ld out of order", r->out_of_order);
    if (r->first_error[0] && n < len)
        snprintf(buf + n, len - n, "; %s", r->first_error);
}

static const enum rl_placement placements[] = {RL_SAME_CPU, RL_SEPARATE_CPUS};
enum { NPLACES = sizeof placements / sizeof placements[0] };

/* Expected on a two-core machine, at one producer and one consumer (issue:
 * lab 3 benchmark). */
#define EXPECTED_1P1C 2.0

int main(int argc, char **argv)
{
    long items = 1000000, reps = 5, capacity = 1024;
    bool quick = false;
    const char *csv = NULL;
    const struct rl_opt opts[] = {
        {.long_name = "items", .short_name = 'n', .kind = RL_OPT_LONG, .metavar = "N",
         .help = "items per run, shared among the producers (default 1000000)",
         .min = 16, .max = 100000000, .dest = &items},
        {.long_name = "capacity", .short_name = 'k', .kind = RL_OPT_LONG, .metavar = "N",
         .help = "queue capacity (default 1024)", .min = 1, .max = QUEUE_MAX_CAPACITY,
         .dest = &capacity},
        {.long_name = "reps", .short_name = 'r', .kind = RL_OPT_LONG, .metavar = "N",
         .help = "measured rounds, the median kept (default 5)", .min = 1,
         .max = 99, .dest = &reps},
        {.long_name = "quick", .kind = RL_OPT_FLAG,
         .help = "a smoke run: 20000 items, 1 round (numbers meaningless)", .dest = &quick},
        {.long_name = "csv", .kind = RL_OPT_TEXT, .metavar = "FILE",
         .help = "also write the unpinned table to FILE: series,threads (per side),median,low,high "
                 "(M items/s)",
         .dest = &csv},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "[-n N] [-k N] [-r N] [--quick]",
        .about = "Lab 3 benchmark: items per second through the locked and lock-free\n"
                 "queues at 1, 2 and 4 producers and consumers, the median of N interleaved\n"
                 "rounds, with the ratio lockfree / locked.",
        .opts = opts,
        .exits = rl_bench_exits,
    };
    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);
    if (quick) {
        items = 20000;
        reps = 1;
    }
    FILE *csv_file = NULL;
    if (csv) {
        csv_file = fopen(csv, "w");
        if (!csv_file) {
            fprintf(stderr, "bench_queue: cannot write %s\n", csv);
            rl_exit(1);
        }
        fprintf(csv_file, "series,threads,median,low,high\n");
    }

    static double secs[NSTRATEGIES][NSHAPES][100]; /* per round */
    double med[NSTRATEGIES][NSHAPES]; /* seconds: the median of the rounds */
    char wrong[NSTRATEGIES][320] = {{0}}; /* the first wrong run, "" if none */
    for (int i = 0; i < NSTRATEGIES; i++)
        for (int k = 0; k < NSHAPES; k++)
            med[i][k] = 1e30;

    printf("bench queue: %ld items per run, capacity %ld, median of %ld rounds\n", items,
           capacity, reps);
    fflush(stdout);
    static double placed[NSTRATEGIES][NPLACES][100]; /* 1P1C seconds per round */
    static double bare[NSTRATEGIES][NPLACES][100];   /* the same, counting only */
    bool two_cpus = rl_cpus_allowed() >= 2;
    for (long round = 0; round <= reps; round++) { /* round 0: warm-up */
        for (int p = 0; p < NPLACES && two_cpus; p++) {
            rl_set_placement(placements[p]);
            for (int i = 0; i < NSTRATEGIES; i++) {
                struct queue_config cfg = {.producers = 1, .consumers = 1, .items = items,
                                           .capacity = capacity};
                struct queue_result r = queue_run(queue_find(strategies[i]), &cfg, NULL);
                if (!queue_result_ok(&r) && !wrong[i][0]) {
                    int n = snprintf(wrong[i], sizeof wrong[i], "at 1P1C, %s: ",
                                     rl_placement_name(placements[p]));
                    describe(&r, items, wrong[i] + n, sizeof wrong[i] - (size_t)n);
                }
                if (round > 0)
                    placed[i][p][round - 1] = r.seconds;
                cfg.bare = true;
                r = queue_run(queue_find(strategies[i]), &cfg, NULL);
                if (!queue_result_ok(&r) && !wrong[i][0]) {
                    int n = snprintf(wrong[i], sizeof wrong[i], "at 1P1C, %s, bare: ",
                                     rl_placement_name(placements[p]));
                    describe(&r, items, wrong[i] + n, sizeof wrong[i] - (size_t)n);
                }
                if (round > 0)
                    bare[i][p][round - 1] = r.seconds;
            }
        }
        rl_set_placement(RL_UNPINNED);
        for (int k = 0; k < NSHAPES; k++) {
            for (int i = 0; i < NSTRATEGIES; i++) {
                struct queue_config cfg = {
                    .producers = sides[k], .consumers = sides[k],
                    .items = items / sides[k], .capacity = capacity,
                };
                struct queue_result r = queue_run(queue_find(strategies[i]), &cfg, NULL);
                if (!queue_result_ok(&r) && !wrong[i][0]) {
                    int n = snprintf(wrong[i], sizeof wrong[i], "at %dP%dC: ", sides[k],
                                     sides[k]);
                    describe(&r, cfg.items * sides[k], wrong[i] + n,
                             sizeof wrong[i] - (size_t)n);
                }
                if (round > 0)
                    secs[i][k][round - 1] = r.seconds;
            }
        }
    }

    for (int i = 0; i < NSTRATEGIES; i++)
        for (int k = 0; k < NSHAPES; k++) {
            double lo, hi;
            med[i][k] = rl_median(secs[i][k], (int)reps, &lo, &hi);
            if (csv_file && !wrong[i][0]) {
                double moved = (double)(items / sides[k] * sides[k]);
                fprintf(csv_file, "%s,%d,%.2f,%.2f,%.2f\n", strategies[i], sides[k],
                        moved / med[i][k] / 1e6, moved / hi / 1e6, moved / lo / 1e6);
            }
        }
    if (csv_file && fclose(csv_file) != 0) {
        fprintf(stderr, "bench_queue: cannot write %s\n", csv);
        rl_exit(1);
    }

    printf("\n  %-9s", "strategy");
    for (int k = 0; k < NSHAPES; k++)
        printf("  %dP%dC M items/s", sides[k], sides[k]);
    printf("\n");
    int nwrong = 0;
    for (int i = 0; i < NSTRATEGIES; i++) {
        printf("  %-9s", strategies[i]);
        if (wrong[i][0]) {
            printf("  WRONG %s: no numbers for a wrong queue\n", wrong[i]);
            nwrong++;
            continue;
        }
        for (int k = 0; k < NSHAPES; k++) {
            long moved = items / sides[k] * sides[k];
            printf("  %16.2f", (double)moved / med[i][k] / 1e6);
        }
        printf("\n");
    }
    printf("  %-9s", "ratio");
    for (int k = 0; k < NSHAPES; k++)
        if (nwrong)
            printf("  %16s", "-");
        else
            printf("  %15.2fx", med[0][k] / med[1][k]);
    printf("   (lockfree / locked)\n");

    double rate[NSTRATEGIES][NPLACES] = {{0}};
    if (two_cpus && !nwrong) {
        printf("\n  1 producer + 1 consumer, pinned (M items/s, median of %ld rounds);\n"
               "  bare: the consumer only counts, no per-item checking:\n",
               reps);
        printf("  %-9s  %16s  %16s  %16s  %16s\n", "strategy", rl_placement_name(placements[0]),
               rl_placement_name(placements[1]), "same CPU, bare", "separate, bare");
        double bare_rate[NSTRATEGIES][NPLACES];
        for (int i = 0; i < NSTRATEGIES; i++) {
            printf("  %-9s", strategies[i]);
            for (int p = 0; p < NPLACES; p++) {
                rate[i][p] = (double)items / rl_median(placed[i][p], (int)reps, NULL, NULL) / 1e6;
                printf("  %16.2f", rate[i][p]);
            }
            for (int p = 0; p < NPLACES; p++) {
                bare_rate[i][p] = (double)items / rl_median(bare[i][p], (int)reps, NULL, NULL) / 1e6;
                printf("  %16.2f", bare_rate[i][p]);
            }
            printf("\n");
        }
        printf("  %-9s  %15.2fx  %15.2fx  %15.2fx  %15.2fx   (lockfree / locked)\n", "ratio",
               rate[1][0] / rate[0][0], rate[1][1] / rate[0][1],
               bare_rate[1][0] / bare_rate[0][0], bare_rate[1][1] / bare_rate[0][1]);
    }

    printf("\nexpected on a 2-core machine: lockfree >= %.1fx locked at 1P1C, on separate "
           "CPUs: ",
           EXPECTED_1P1C);
    if (nwrong) {
        printf("no verdict: %s%s%s lost or broke items\n", wrong[0][0] ? strategies[0] : "",
               wrong[0][0] && wrong[1][0] ? " and " : "", wrong[1][0] ? strategies[1] : "");
        printf("\nWRONG: a queue that loses items has no speed worth comparing: fix it first "
               "(make check LAB=queue)\n");
        rl_exit(1);
    }
    if (!two_cpus) {
        printf("no verdict: this process may use one CPU\n");
        rl_exit(0);
    }
    double ratio = rate[1][1] / rate[0][1];
    printf("measured %.2fx  %s\n", ratio, ratio >= EXPECTED_1P1C ? "ok" : "BELOW");
    rl_exit(0);
}

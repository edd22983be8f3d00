/*
 * bench_counter.c - lab 1's benchmark: increments per second for each
 * strategy at 1, 2 and 4 threads, and each one's ratio to mutex.
 *
 * Measured in one run, so the ratios compare like with like: a warm-up
 * pass that also sizes each (strategy, threads) run to last at least
 * 100 ms (a 2 ms run measures the scheduler, not the counter: mutex at 2
 * threads once read anywhere from 29 to 79 M/s), then REPS rounds that
 * interleave every pair; each cell is the median of its rounds. -O2, no
 * sanitizer, no fuzz. A program that
 * reports, not a test that asserts: the expectations for a two-core
 * machine are printed with what was measured.
 *
 * Peers run in the same rounds (bench/peer_counters.c): "slots",
 * perfbook's per-thread counters, against the sharded reference, and
 * "ck_fas", a count under concurrencykit's fetch-and-store spinlock,
 * against the spin reference; each ratio is racelab / peer.
 *
 * Every run's count is checked. A strategy that lost an update gets no
 * numbers on its row, only what went wrong, and no ratio is taken against
 * it: a wrong count is not a speed. Then the benchmark exits 1. (The
 * specimen, wrong on purpose, keeps its numbers, marked.)
 */
#include "counter.h"
#include "peers.h"
#include "racelab.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static const int thread_counts[] = {1, 2, 4};
enum { NCOUNTS = sizeof thread_counts / sizeof thread_counts[0], MAX_STRATEGIES = 16 };

/* Expected at 2 threads on a two-core machine (issue: lab 1 benchmark). */
static const struct {
    const char *strategy;
    double at_least; /* times mutex */
} expectations[] = {{"sharded", 10.0}, {"atomic", 1.5}};

/* The table as CSV, for scripts/plot.sh: a row per (strategy, threads),
 * the median and the spread of its rounds, in M/s; no rows for a strategy
 * that counted wrong. */
static void write_csv(const char *path, const struct counter_strategy *strategies, int n,
                      double rates[][NCOUNTS][100], int reps, char wrong[][96])
{
    FILE *f = rl_csv_open(path, NULL);
    for (int i = 0; i < n; i++) {
        if (wrong[i][0])
            continue;
        for (int t = 0; t < NCOUNTS; t++) {
            double lo, hi, m = rl_median(rates[i][t], reps, &lo, &hi);
            fprintf(f, "%s,%d,%.1f,%.1f,%.1f\n", strategies[i].name, thread_counts[t],
                    m / 1e6, lo / 1e6, hi / 1e6);
        }
    }
    rl_csv_close(f, path);
}

/* racelab's strategy against its peer, at each thread count: the ratios,
 * and a verdict where each thread has a CPU (4 threads on 2 CPUs measure
 * the scheduler's time slices as much as the counters): rl_bench_meets,
 * at 1.0. */
static void judge_peer(const char *what, int a, int peer, const struct counter_strategy *strategies,
                       double rates[][NCOUNTS][100], int reps, char wrong[][96])
{
    printf("  %s / %s (racelab / peer) at 1, 2, 4 threads:", strategies[a].name,
           strategies[peer].name);
    if (wrong[a][0] || wrong[peer][0]) {
        printf(" no verdict: a wrong count\n");
        return;
    }
    bool met = true;
    long cpus = rl_cpus_allowed();
    for (int t = 0; t < NCOUNTS; t++) {
        double a_hi, peer_lo;
        double x = rl_median(rates[a][t], reps, NULL, &a_hi) /
                   rl_median(rates[peer][t], reps, &peer_lo, NULL);
        printf(" %.2fx", x);
        if (thread_counts[t] <= cpus && !rl_bench_meets(x, 1.0, a_hi, peer_lo))
            met = false;
    }
    printf("  %s\n    (the peer: %s)\n", met ? "ok" : "BELOW", what);
}

int main(int argc, char **argv)
{
    long iterations = 0, reps = 5;
    bool quick = false;
    const char *csv = NULL;
    const struct rl_opt opts[] = {
        {.long_name = "iterations", .short_name = 'n', .kind = RL_OPT_LONG, .metavar = "N",
         .help = "increments per thread per run (default: sized to 100 ms a run)",
         .min = 1, .max = 1000000000, .dest = &iterations},
        {.long_name = "reps", .short_name = 'r', .kind = RL_OPT_LONG, .metavar = "N",
         .help = "measured rounds, the median kept (default 5)", .min = 1, .max = 99,
         .dest = &reps},
        {.long_name = "quick", .kind = RL_OPT_FLAG,
         .help = "a smoke run: 20000 increments, 1 round (numbers meaningless)", .dest = &quick},
        {.long_name = "csv", .kind = RL_OPT_TEXT, .metavar = "FILE",
         .help = "also write the table to FILE: series,threads,median,low,high (M/s)",
         .dest = &csv},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "[-n N] [-r N] [--quick]",
        .about = "Lab 1 benchmark: increments per second of every counter strategy at\n"
                 "1, 2 and 4 threads, the median of N interleaved rounds of at least\n"
                 "100 ms each, with ratios to mutex and to a peer (perfbook's count_stat).",
        .opts = opts,
        .exits = rl_bench_exits,
    };
    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);
    if (quick) {
        iterations = 20000;
        reps = 1;
    }

    /* racelab's strategies, then the peer. */
    struct counter_strategy strategies[MAX_STRATEGIES];
    int nstrategies = 0;
    for (const struct counter_strategy *s = counter_strategies;
         s->name && nstrategies < MAX_STRATEGIES - 2; s++) /* room for the 2 peers */
        strategies[nstrategies++] = *s;
    const int first_peer = nstrategies, slots = nstrategies;
    strategies[nstrategies++] = peer_slots;
    const int ck_fas = nstrategies;
    strategies[nstrategies++] = peer_ck_fas;

    /* rates[i][t][round]: increments per second; iters[i][t]: per thread. */
    static double rates[MAX_STRATEGIES][NCOUNTS][100];
    long iters[MAX_STRATEGIES][NCOUNTS];
    double rate[MAX_STRATEGIES][NCOUNTS];
    char wrong[MAX_STRATEGIES][96] = {{0}}; /* the first wrong count, "" if none */

    if (iterations)
        printf("bench counter: %ld increments per thread, median of %ld rounds\n", iterations,
               reps);
    else
        printf("bench counter: each run sized to at least 100 ms, median of %ld rounds\n", reps);
    printf("placement: unpinned; peers: slots (perfbook's count_stat), ck_fas "
           "(concurrencykit's ck_spinlock_fas)\n");
    fflush(stdout);
    for (long round = 0; round <= reps; round++) { /* round 0: warm-up, sizing */
        for (int t = 0; t < NCOUNTS; t++) {
            for (int i = 0; i < nstrategies; i++) {
                if (round == 0)
                    iters[i][t] = iterations ? iterations : 100000;
                struct counter_result r;
                for (;;) {
                    r = counter_run(&strategies[i], thread_counts[t], iters[i][t]);
                    if (round > 0 || iterations || r.seconds >= 0.1 ||
                        iters[i][t] >= 1000000000L / 2)
                        break;
                    iters[i][t] *= 2; /* too short to mean anything: longer */
                }
                if (r.got != r.expected && !wrong[i][0])
                    snprintf(wrong[i], sizeof wrong[i],
                             "at %d thread%s: expected %ld, got %ld (%s %ld)", thread_counts[t],
                             thread_counts[t] == 1 ? "" : "s", r.expected, r.got,
                             r.got < r.expected ? "lost" : "extra",
                             r.got < r.expected ? r.expected - r.got : r.got - r.expected);
                if (round > 0)
                    rates[i][t][round - 1] = (double)r.expected / r.seconds;
            }
        }
    }
    for (int i = 0; i < nstrategies; i++)
        for (int t = 0; t < NCOUNTS; t++)
            rate[i][t] = rl_median(rates[i][t], (int)reps, NULL, NULL);
    if (csv)
        write_csv(csv, strategies, nstrategies, rates, (int)reps, wrong);

    const long mutex = counter_find("mutex") - counter_strategies;
    /* The specimen comes first (counter.h), wrong on purpose. */
    const long specimen = 0;

    printf("\n  %-9s", "strategy");
    for (int t = 0; t < NCOUNTS; t++)
        printf("  %2d thread%s M/s  x mutex", thread_counts[t],
               thread_counts[t] == 1 ? " " : "s");
    printf("\n");
    int nwrong = 0;
    for (int i = 0; i < nstrategies; i++) {
        printf("  %-9s", strategies[i].name);
        if (wrong[i][0] && i != specimen) {
            printf("  WRONG %s: no numbers for a wrong count\n", wrong[i]);
            nwrong++;
            continue;
        }
        for (int t = 0; t < NCOUNTS; t++) {
            printf("  %13.1f", rate[i][t] / 1e6);
            if (wrong[mutex][0])
                printf("  %7s", "-");
            else
                printf("  %7.2f", rate[i][t] / rate[mutex][t]);
        }
        if (wrong[i][0])
            printf("  (the specimen, wrong on purpose: %s)", wrong[i]);
        if (i >= first_peer)
            printf("  (peer)");
        printf("\n");
    }

    printf("\nexpected on a 2-core machine, at 2 threads\n%s:\n", rl_bench_noise_note);
    for (size_t e = 0; e < sizeof expectations / sizeof expectations[0]; e++) {
        const struct counter_strategy *x = counter_find(expectations[e].strategy);
        long xi = x - counter_strategies;
        printf("  %-8s >= %4.1fx mutex: ", x->name, expectations[e].at_least);
        if (wrong[xi][0] || wrong[mutex][0]) {
            printf("no verdict: %s counted wrong\n", wrong[xi][0] ? x->name : "mutex");
            continue;
        }
        double x_hi, mutex_lo;
        rl_median(rates[xi][1], (int)reps, NULL, &x_hi);
        rl_median(rates[mutex][1], (int)reps, &mutex_lo, NULL);
        double ratio = rate[xi][1] / rate[mutex][1];
        printf("measured %6.2fx  %s\n", ratio,
               rl_bench_meets(ratio, expectations[e].at_least, x_hi, mutex_lo) ? "ok" : "BELOW");
    }
    judge_peer("perfbook's count_stat", (int)(counter_find("sharded") - counter_strategies),
               slots, strategies, rates, (int)reps, wrong);
    judge_peer("concurrencykit's ck_spinlock_fas", (int)(counter_find("spin") - counter_strategies),
               ck_fas, strategies, rates, (int)reps, wrong);
    if (nwrong) {
        printf("\nWRONG: %d strateg%s lost updates: fix %s first (make check LAB=counter)\n",
               nwrong, nwrong == 1 ? "y" : "ies", nwrong == 1 ? "it" : "them");
        rl_exit(1);
    }
    rl_exit(0);
}

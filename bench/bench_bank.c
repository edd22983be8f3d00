/*
 * bench_bank.c - lab 6's benchmark: transfers per second for each
 * deadlock-free strategy, from heavy contention (2 accounts) to light (60),
 * and trylock's ratio to ordered.
 *
 * What it shows: neither way out of deadlock is expensive. A lock order
 * costs one comparison per transfer; trylock's retries are rare, and its
 * back-off can even help when two accounts are fought over. (With 2
 * accounts, half the transfers go from an account to itself and cost
 * nothing: rates fall as accounts grow.) Measured in one run:
 * one warm-up pass, then REPS rounds that interleave every (strategy,
 * accounts) pair, keeping the best time of each. -O2, no sanitizer, no
 * fuzz, no auditor (its pauses would dominate). A program that reports,
 * not a test that asserts. Still, every run's total is checked: a
 * strategy that made or lost money gets no numbers on its row, only what
 * went wrong, no ratio is taken against it, and the benchmark exits 1 (as
 * it does, at once, when a run deadlocks).
 */
#include "bank.h"
#include "racelab.h"

#include <stdio.h>

static const int account_counts[] = {2, 10, 60};
enum { NCOUNTS = sizeof account_counts / sizeof account_counts[0], NSTRATEGIES = 2 };
static const char *const names[NSTRATEGIES] = {"ordered", "trylock"};

int main(int argc, char **argv)
{
    long transfers = 200000, reps = 5, threads = 4;
    bool quick = false;
    const struct rl_opt opts[] = {
        {.long_name = "transfers", .short_name = 'n', .kind = RL_OPT_LONG, .metavar = "N",
         .help = "transfers per thread per run (default 200000)",
         .min = 1, .max = 100000000, .dest = &transfers},
        {.long_name = "threads", .short_name = 't', .kind = RL_OPT_LONG, .metavar = "N",
         .help = "teller threads (default 4)", .min = 1, .max = RL_MAX_THREADS,
         .dest = &threads},
        {.long_name = "reps", .short_name = 'r', .kind = RL_OPT_LONG, .metavar = "N",
         .help = "measured rounds, best kept (default 5)", .min = 1, .max = 100, .dest = &reps},
        {.long_name = "quick", .kind = RL_OPT_FLAG,
         .help = "a smoke run: 2000 transfers, 1 round (numbers meaningless)", .dest = &quick},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "[-n N] [-t N] [-r N] [--quick]",
        .about = "Lab 6 benchmark: transfers per second of ordered and trylock with 2, 10\n"
                 "and 60 accounts, best of N interleaved rounds, with trylock's ratio to\n"
                 "ordered.",
        .opts = opts,
        .exits = rl_bench_exits,
    };
    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);
    if (quick) {
        transfers = 2000;
        reps = 1;
    }

    double best[NSTRATEGIES][NCOUNTS];
    char wrong[NSTRATEGIES][96] = {{0}}; /* the first wrong total, "" if none */
    for (int i = 0; i < NSTRATEGIES; i++)
        for (int a = 0; a < NCOUNTS; a++)
            best[i][a] = 1e30;

    printf("bench bank: %ld threads x %ld transfers, best of %ld rounds\n", threads,
           transfers, reps);
    fflush(stdout);
    for (long round = 0; round <= reps; round++) { /* round 0: warm-up */
        for (int a = 0; a < NCOUNTS; a++) {
            for (int i = 0; i < NSTRATEGIES; i++) {
                const struct bank_config c = {
                    .threads = (int)threads, .accounts = account_counts[a],
                    .transfers = transfers, .opening = 1000, .seed = (uint64_t)round + 1,
                    .audit = false, .stuck_ms = 10000,
                };
                struct bank_result r = bank_run(bank_find(names[i]), &c);
                if (r.stuck) {
                    printf("%s with %d accounts: stuck\n%s", names[i], account_counts[a],
                           r.report);
                    rl_exit(1);
                }
                if (r.total != r.expected && !wrong[i][0])
                    snprintf(wrong[i], sizeof wrong[i],
                             "with %d accounts: total %ld of %ld kept (%+ld)", account_counts[a],
                             r.total, r.expected, r.total - r.expected);
                if (round > 0 && r.seconds < best[i][a])
                    best[i][a] = r.seconds;
            }
        }
    }

    printf("\n  %-9s", "strategy");
    for (int a = 0; a < NCOUNTS; a++)
        printf("  %2d accounts: M/s  x ordered", account_counts[a]);
    printf("\n");
    int nwrong = 0;
    for (int i = 0; i < NSTRATEGIES; i++) {
        printf("  %-9s", names[i]);
        if (wrong[i][0]) {
            printf("  WRONG %s: no numbers for a wrong bank\n", wrong[i]);
            nwrong++;
            continue;
        }
        for (int a = 0; a < NCOUNTS; a++) {
            double rate = (double)threads * (double)transfers / best[i][a] / 1e6;
            printf("  %16.2f", rate);
            if (wrong[0][0])
                printf("  %9s", "-");
            else
                printf("  %9.2f", best[0][a] / best[i][a]);
        }
        printf("\n");
    }
    if (nwrong) {
        printf("\nWRONG: a bank whose total changed has no speed worth comparing: fix it "
               "first (make check LAB=bank)\n");
        rl_exit(1);
    }
    printf("\nBoth avoid deadlock for little: a lock order costs one comparison per\n"
           "transfer, trylock a retry now and then. With 2 accounts, half the\n"
           "transfers go from an account to itself and cost nothing.\n");
    rl_exit(0);
}

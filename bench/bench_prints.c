/*
 * bench_prints.c - lab 2's benchmark: records per second for each strategy
 * at 1, 2 and 4 workers, and each one's ratio to mutex.
 *
 * The records go to /dev/null through the same output stream the program
 * uses, so the numbers are the cost of the locking and of stdio, not of a
 * terminal or a pipe reader. Measured in one run: one warm-up round, then
 * REPS rounds interleaving every (strategy, workers) pair, best time kept.
 * -O2, no sanitizer, no fuzz. A program that reports, not a test.
 *
 * The warm-up round's output is captured and checked with the line
 * checker (src/prints_check.c), and every run's finish must not report
 * lost records: a strategy whose output was wrong gets no numbers on its
 * row, only what went wrong, no ratio is taken against it, and the
 * benchmark exits 1. (The specimen, wrong on purpose, keeps its numbers,
 * marked.)
 */
#include "prints.h"
#include "racelab.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

static const int worker_counts[] = {1, 2, 4};
enum { NCOUNTS = sizeof worker_counts / sizeof worker_counts[0], MAX_STRATEGIES = 8 };

int main(int argc, char **argv)
{
    long records = 200000, reps = 5;
    bool quick = false;
    const struct rl_opt opts[] = {
        {.long_name = "records", .short_name = 'n', .kind = RL_OPT_LONG, .metavar = "N",
         .help = "records per run (default 200000)", .min = 1, .max = 100000000,
         .dest = &records},
        {.long_name = "reps", .short_name = 'r', .kind = RL_OPT_LONG, .metavar = "N",
         .help = "measured rounds, best kept (default 5)", .min = 1, .max = 100, .dest = &reps},
        {.long_name = "quick", .kind = RL_OPT_FLAG,
         .help = "a smoke run: 5000 records, 1 round (numbers meaningless)", .dest = &quick},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "[-n N] [-r N] [--quick]",
        .about = "Lab 2 benchmark: records per second of every prints strategy at 1, 2\n"
                 "and 4 workers, best of N interleaved rounds, with ratios to mutex.",
        .opts = opts,
        .exits = rl_bench_exits,
    };
    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);
    if (quick) {
        records = 5000;
        reps = 1;
    }

    int nstrategies = 0;
    while (prints_strategies[nstrategies].name && nstrategies < MAX_STRATEGIES)
        nstrategies++;
    double best[MAX_STRATEGIES][NCOUNTS];
    char wrong[MAX_STRATEGIES][280] = {{0}}; /* what went wrong first, "" if nothing */
    for (int i = 0; i < nstrategies; i++)
        for (int t = 0; t < NCOUNTS; t++)
            best[i][t] = 1e30;

    printf("bench prints: %ld records per run to /dev/null, best of %ld rounds\n", records,
           reps);
    fflush(stdout);
    for (long round = 0; round <= reps; round++) { /* round 0: warm-up */
        for (int t = 0; t < NCOUNTS; t++) {
            for (int i = 0; i < nstrategies; i++) {
                const struct prints_strategy *ps = &prints_strategies[i];
                const char *at = worker_counts[t] == 1 ? "worker" : "workers";
                if (round == 0) {
                    /* The warm-up, into memory, checked line by line. */
                    size_t len;
                    double s;
                    char *text = prints_capture(ps, worker_counts[t], records, &len, &s);
                    struct prints_verdict v;
                    if (!prints_check(text, len, records, ps->ordered, &v) && !wrong[i][0])
                        snprintf(wrong[i], sizeof wrong[i], "at %d %s: broken at line %ld: %s",
                                 worker_counts[t], at, v.line, v.why);
                    free(text);
                    if (s < 0 && !wrong[i][0])
                        snprintf(wrong[i], sizeof wrong[i], "at %d %s: finish lost records",
                                 worker_counts[t], at);
                    continue;
                }
                int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                    rl_die_errno("open /dev/null", errno);
                FILE *out = prints_open_output(fd);
                double s = prints_run(ps, out, worker_counts[t], records);
                fclose(out);
                if (s < 0 && !wrong[i][0])
                    snprintf(wrong[i], sizeof wrong[i], "at %d %s: finish lost records",
                             worker_counts[t], at);
                if (s > 0 && s < best[i][t])
                    best[i][t] = s;
            }
        }
    }

    const long mutex = prints_find("mutex") - prints_strategies;
    /* The specimen comes first (prints.h), wrong on purpose. */
    const long specimen = 0;
    printf("\n  %-8s", "strategy");
    for (int t = 0; t < NCOUNTS; t++)
        printf("  %d worker%s  M rec/s  x mutex", worker_counts[t],
               worker_counts[t] == 1 ? " " : "s");
    printf("\n");
    int nwrong = 0;
    for (int i = 0; i < nstrategies; i++) {
        printf("  %-8s", prints_strategies[i].name);
        if (wrong[i][0] && i != specimen) {
            printf("  WRONG %s: no numbers for wrong output\n", wrong[i]);
            nwrong++;
            continue;
        }
        for (int t = 0; t < NCOUNTS; t++) {
            printf("  %17.2f", (double)records / best[i][t] / 1e6);
            if (wrong[mutex][0])
                printf("  %7s", "-");
            else
                printf("  %7.2f", best[mutex][t] / best[i][t]);
        }
        if (wrong[i][0])
            printf("  (the specimen, wrong on purpose: %s)", wrong[i]);
        printf("\n");
    }
    if (nwrong) {
        printf("\nWRONG: wrong output has no speed worth comparing: fix it first "
               "(make check LAB=prints)\n");
        rl_exit(1);
    }
    rl_exit(0);
}

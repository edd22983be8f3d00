/*
 * bench_prints.c - lab 2's benchmark: records per second for each strategy
 * at 1, 2 and 4 workers, and each one's ratio to mutex.
 *
 * The records go to /dev/null through the same output stream the program
 * uses, so the numbers are the cost of the locking and of stdio, not of a
 * terminal or a pipe reader. Measured in one run, so the ratios compare
 * like with like: a warm-up round that also sizes each (strategy, workers)
 * run to last at least 100 ms (200000 records took some 40 ms, short
 * enough for one time slice more or less to move a rate by a quarter),
 * then REPS rounds that interleave every pair; each cell is the median of
 * its rounds, the spread (the slowest and the fastest) kept for the CSV.
 * This benchmark's first version kept the best of 5, and a best keeps the
 * lucky rounds: the one where the scheduler left a worker alone. Runs
 * unpinned. -O2, no sanitizer, no fuzz. A program that reports, not a
 * test. No peer from the field here: the ratios are to mutex.
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
enum { MAX_REPS = 99, CHECKED_RECORDS = 200000, MAX_RECORDS = 100000000 };

/* rates[i][t][k]: records per second of the k-th right run of strategy i
 * at worker_counts[t]; nrates[i][t] of them. */
static double rates[MAX_STRATEGIES][NCOUNTS][MAX_REPS];
static int nrates[MAX_STRATEGIES][NCOUNTS];

/* The median of a cell's rounds in records per second, and the spread;
 * 0 when no run of it came out right. */
static double cell(int i, int t, double *lo, double *hi)
{
    if (nrates[i][t] == 0) {
        if (lo)
            *lo = 0;
        if (hi)
            *hi = 0;
        return 0;
    }
    return rl_median(rates[i][t], nrates[i][t], lo, hi);
}

/* One run of s with nworkers workers writing records to /dev/null: its
 * seconds, or -1 when finish reported lost records. */
static double run_to_null(const struct prints_strategy *s, int nworkers, long records)
{
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        rl_die_errno("open /dev/null", errno);
    FILE *out = prints_open_output(fd);
    double secs = prints_run(s, out, nworkers, records);
    fclose(out);
    return secs;
}

/* The table as CSV, for scripts/plot.sh: a row per (strategy, workers),
 * the median and the spread of its rounds, in M records/s; no rows for a
 * strategy whose output was wrong. */
static void write_csv(const char *path, int n, char wrong[][280])
{
    FILE *f = rl_csv_open(path, "million records per second");
    for (int i = 0; i < n; i++) {
        if (wrong[i][0])
            continue;
        for (int t = 0; t < NCOUNTS; t++) {
            double lo, hi, m = cell(i, t, &lo, &hi);
            fprintf(f, "%s,%d,%.2f,%.2f,%.2f\n", prints_strategies[i].name, worker_counts[t],
                    m / 1e6, lo / 1e6, hi / 1e6);
        }
    }
    rl_csv_close(f, path);
}

int main(int argc, char **argv)
{
    long records = 0, reps = 5;
    bool quick = false;
    const char *csv = NULL;
    const struct rl_opt opts[] = {
        {.long_name = "records",
         .short_name = 'n',
         .kind = RL_OPT_LONG,
         .metavar = "N",
         .help = "records per run (default: sized to 100 ms a run; the warm-up's checked "
                 "run: 200000)",
         .min = 1,
         .max = MAX_RECORDS,
         .dest = &records},
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
         .help = "a smoke run: 5000 records, 1 round (numbers meaningless)",
         .dest = &quick},
        {.long_name = "csv",
         .kind = RL_OPT_TEXT,
         .metavar = "FILE",
         .help = "also write the table to FILE: series (strategy),threads (workers),median,"
                 "low,high (M records/s: the median, slowest and fastest round)",
         .dest = &csv},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "[-n N] [-r N] [--quick] [--csv FILE]",
        .about = "Lab 2 benchmark: records per second of every prints strategy at 1, 2\n"
                 "and 4 workers, to /dev/null, unpinned, the median of N interleaved\n"
                 "rounds of at least 100 ms each, with ratios to mutex (no peer from the\n"
                 "field for this lab).",
        .opts = opts,
        .exits = rl_bench_exits,
    };
    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);
    if (quick) {
        records = 5000;
        reps = 1;
    }
    const long checked = records ? records : CHECKED_RECORDS;

    int nstrategies = 0;
    while (prints_strategies[nstrategies].name && nstrategies < MAX_STRATEGIES)
        nstrategies++;
    long size[MAX_STRATEGIES][NCOUNTS];      /* records per run */
    char wrong[MAX_STRATEGIES][280] = {{0}}; /* what went wrong first, "" if nothing */

    if (records)
        printf("bench prints: %ld records per run to /dev/null, median of %ld rounds\n", records,
               reps);
    else
        printf("bench prints: each run to /dev/null sized to at least 100 ms, median of %ld "
               "rounds\n",
               reps);
    printf("  placement: %s; peers: none in the field for this one: ratios are to mutex\n",
           rl_placement_name(RL_UNPINNED));
    fflush(stdout);
    for (long round = 0; round <= reps; round++) { /* round 0: warm-up, check, sizing */
        for (int t = 0; t < NCOUNTS; t++) {
            for (int i = 0; i < nstrategies; i++) {
                const struct prints_strategy *ps = &prints_strategies[i];
                const char *at = worker_counts[t] == 1 ? "worker" : "workers";
                if (round == 0) {
                    /* The warm-up, into memory, checked line by line. */
                    size_t len;
                    double s;
                    char *text = prints_capture(ps, worker_counts[t], checked, &len, &s);
                    struct prints_verdict v;
                    if (!prints_check(text, len, checked, ps->ordered, &v) && !wrong[i][0])
                        snprintf(wrong[i], sizeof wrong[i], "at %d %s: broken at line %ld: %s",
                                 worker_counts[t], at, v.line, v.why);
                    free(text);
                    if (s < 0 && !wrong[i][0])
                        snprintf(wrong[i], sizeof wrong[i], "at %d %s: finish lost records",
                                 worker_counts[t], at);
                    size[i][t] = checked;
                }
                double s;
                for (;;) {
                    s = run_to_null(ps, worker_counts[t], size[i][t]);
                    if (round > 0 || records || s < 0 || s >= 0.1 || size[i][t] >= MAX_RECORDS / 2)
                        break;
                    size[i][t] *= 2; /* too short to mean anything: longer */
                }
                if (s < 0 && !wrong[i][0])
                    snprintf(wrong[i], sizeof wrong[i], "at %d %s: finish lost records",
                             worker_counts[t], at);
                if (round > 0 && s > 0)
                    rates[i][t][nrates[i][t]++] = (double)size[i][t] / s;
            }
        }
    }
    if (csv)
        write_csv(csv, nstrategies, wrong);

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
            double r = cell(i, t, NULL, NULL), m = cell((int)mutex, t, NULL, NULL);
            if (r > 0)
                printf("  %17.2f", r / 1e6);
            else
                printf("  %17s", "-");
            if (wrong[mutex][0] || r <= 0 || m <= 0)
                printf("  %7s", "-");
            else
                printf("  %7.2f", r / m);
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

/*
 * counter_main.c - the lab 1 program: run one strategy, print what it
 * counted against what it should have counted.
 *
 *   counter [-s STRATEGY] [-t THREADS] [-n ITERATIONS] [--fuzz] [--seed N]
 *
 * The last line is the verdict (racelab.h): "verdict: ok: T of T updates
 * counted", or "verdict: broken: lost L of T updates" (or "counted C too
 * many"), exit 0 or 1.
 */
#include "counter.h"
#include "racelab.h"

#include <inttypes.h>
#include <stdio.h>

/* With these defaults `unsafe` loses updates on every run on two cores,
 * and with a CPU hog on each core too: each thread needs several time
 * slices, so the threads' slices overlap (docs/counter.md shows the
 * numbers; bench/counter_odds.sh and bench/specimens_busy.sh measure
 * them). With --fuzz the amplifier makes the threads meet, a shorter run
 * does, and each of its pauses costs time: DEFAULT_FUZZ_ITERATIONS. */
enum { DEFAULT_THREADS = 4, DEFAULT_ITERATIONS = 4000000, DEFAULT_FUZZ_ITERATIONS = 1000000 };
#define MAX_ITERATIONS 1000000000UL /* threads * iterations must fit a long */

int main(int argc, char **argv)
{
    int strategy = 0;
    long threads = DEFAULT_THREADS, iterations = DEFAULT_ITERATIONS;
    bool fuzz = false, list = false, iterations_given = false;
    uint64_t seed = 0;
    bool seed_given = false;
    const char *strategy_names[16];
    int n = 0;
    for (const struct counter_strategy *s = counter_strategies; s->name; s++)
        strategy_names[n++] = s->name;
    strategy_names[n] = NULL;

    const struct rl_opt opts[] = {
        {.long_name = "strategy", .short_name = 's', .kind = RL_OPT_CHOICE,
         .metavar = "STRATEGY", .help = "how the count is shared (default unsafe)",
         .choices = strategy_names, .dest = &strategy},
        {.long_name = "threads", .short_name = 't', .kind = RL_OPT_LONG,
         .metavar = "THREADS", .help = "worker threads (default 4, at most 64)",
         .min = 1, .max = RL_MAX_THREADS, .dest = &threads},
        {.long_name = "iterations", .short_name = 'n', .kind = RL_OPT_LONG,
         .metavar = "ITERATIONS", .help = "increments per thread (default 4000000; with --fuzz 1000000)",
         .min = 1, .max = MAX_ITERATIONS, .dest = &iterations, .seen = &iterations_given},
        {.long_name = "fuzz", .kind = RL_OPT_FLAG,
         .help = "widen the race window: random yields and sleeps at marked points",
         .dest = &fuzz},
        {.long_name = "seed", .kind = RL_OPT_U64, .metavar = "N",
         .help = "seed for --fuzz: the same pauses again (default: random, printed)",
         .max = UINT64_MAX, .dest = &seed, .seen = &seed_given},
        {.long_name = "list", .kind = RL_OPT_FLAG,
         .help = "print the strategies, one per line: name, role, source file",
         .dest = &list},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "[-s STRATEGY] [-t THREADS] [-n ITERATIONS] [--fuzz] [--seed N] [--list]",
        .about =
            "Lab 1: THREADS threads each add 1 to one shared count ITERATIONS times.\n"
            "The right total is THREADS x ITERATIONS; the last line, the verdict,\n"
            "compares it with what the strategy counted.\n"
            "The exercises live in labs/counter.c; see docs/counter.md.",
        .opts = opts,
        .positional = false,
        .exits = (const struct rl_exit_doc[]){
            {0, "verdict ok: every update counted"},
            {1, "verdict broken: updates lost (or counted twice)"},
            {0, NULL},
        },
    };

    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);
    if (list) {
        for (const struct counter_strategy *s = counter_strategies; s->name; s++)
            rl_list_strategy("counter", s->name);
        rl_exit(0);
    }
    seed = rl_fuzz_from_options(fuzz, seed_given, seed);
    if (fuzz && !iterations_given)
        iterations = DEFAULT_FUZZ_ITERATIONS;

    const struct counter_strategy *s = &counter_strategies[strategy];
    printf("counter: strategy %s, %ld thread%s x %ld increment%s", s->name, threads,
           threads == 1 ? "" : "s", iterations, iterations == 1 ? "" : "s");
    if (fuzz)
        printf(", fuzz seed %" PRIu64, seed);
    printf("\n");
    fflush(stdout); /* the line shows before any TSan report */

    struct counter_result r = counter_run(s, (int)threads, iterations);

    printf("time %.6f s\n", r.seconds);
    if (r.got == r.expected)
        rl_verdict(RL_OK, "%ld of %ld updates counted", r.got, r.expected);
    if (r.got < r.expected)
        rl_verdict(RL_BROKEN, "lost %ld of %ld updates", r.expected - r.got, r.expected);
    rl_verdict(RL_BROKEN, "counted %ld too many, %ld for %ld updates", r.got - r.expected,
               r.got, r.expected);
}

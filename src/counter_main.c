/*
 * counter_main.c - the lab 1 program: run one strategy, print what it
 * counted against what it should have counted.
 *
 *   counter [-s STRATEGY] [-t THREADS] [-n ITERATIONS] [--fuzz] [--seed N]
 *
 * The last line is always "expected E, got G (lost L)". Exit status: 0 when
 * the count is exact, 1 when it is not, 2 on a usage error.
 */
#include "counter.h"
#include "racelab.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* With these defaults `unsafe` loses updates on every run on two cores,
 * fuzz or no fuzz (bench/README and docs/counter.md show the numbers). */
enum { DEFAULT_THREADS = 4, DEFAULT_ITERATIONS = 1000000 };
#define MAX_ITERATIONS 1000000000UL /* threads * iterations must fit a long */

int main(int argc, char **argv)
{
    int strategy = 0;
    long threads = DEFAULT_THREADS, iterations = DEFAULT_ITERATIONS;
    bool fuzz = false, list = false;
    uint64_t seed = UINT64_MAX; /* UINT64_MAX: not given */
    const char *strategy_names[16];
    int n = 0;
    for (const struct counter_strategy *s = counter_strategies; s->name; s++)
        strategy_names[n++] = s->name;
    strategy_names[n] = NULL;

    const struct rl_opt opts[] = {
        {"strategy", 's', RL_OPT_CHOICE, "STRATEGY", "how the count is shared (default unsafe)",
         0, 0, strategy_names, &strategy},
        {"threads", 't', RL_OPT_LONG, "THREADS", "worker threads (default 4, at most 64)",
         1, RL_MAX_THREADS, NULL, &threads},
        {"iterations", 'n', RL_OPT_LONG, "ITERATIONS", "increments per thread (default 1000000)",
         1, MAX_ITERATIONS, NULL, &iterations},
        {"fuzz", 0, RL_OPT_FLAG, NULL, "widen the race window: random yields and sleeps at marked points",
         0, 0, NULL, &fuzz},
        {"seed", 0, RL_OPT_U64, "N", "seed for --fuzz, to repeat a run exactly (default: random, printed)",
         0, UINT64_MAX - 1, NULL, &seed},
        {"list", 0, RL_OPT_FLAG, NULL, "print the strategy names, one per line, and exit",
         0, 0, NULL, &list},
        {NULL, 0, 0, NULL, NULL, 0, 0, NULL, NULL},
    };
    const struct rl_prog prog = {
        .usage = "[-s STRATEGY] [-t THREADS] [-n ITERATIONS] [--fuzz] [--seed N]",
        .about =
            "Lab 1: THREADS threads each add 1 to one shared count ITERATIONS times.\n"
            "The right total is THREADS x ITERATIONS; the last line compares it with\n"
            "what the strategy counted. Exit status: 0 exact, 1 updates lost, 2 usage.\n"
            "The exercises live in labs/counter.c; see docs/counter.md.",
        .opts = opts,
        .positional = false,
    };

    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);
    if (list) {
        for (const struct counter_strategy *s = counter_strategies; s->name; s++)
            printf("%s\n", s->name);
        rl_exit(0);
    }
    if (seed != UINT64_MAX && !fuzz)
        rl_usage_error("option --seed '%" PRIu64 "': only means something with --fuzz", seed);
    if (fuzz && seed == UINT64_MAX)
        seed = (uint64_t)time(NULL) % 1000000 * 1000 + (uint64_t)getpid() % 1000;
    if (fuzz)
        rl_fuzz_enable(seed);

    const struct counter_strategy *s = &counter_strategies[strategy];
    printf("counter: strategy %s, %ld threads x %ld increments", s->name,
           threads, iterations);
    if (fuzz)
        printf(", fuzz seed %" PRIu64, seed);
    printf("\n");
    fflush(stdout); /* the line shows before any TSan report */

    struct counter_result r = counter_run(s, (int)threads, iterations);

    printf("time %.6f s\n", r.seconds);
    if (r.got <= r.expected)
        printf("expected %ld, got %ld (lost %ld)\n", r.expected, r.got,
               r.expected - r.got);
    else
        printf("expected %ld, got %ld (%ld too many)\n", r.expected, r.got,
               r.got - r.expected);
    rl_exit(r.got == r.expected ? 0 : 1);
}

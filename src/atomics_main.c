/*
 * atomics_main.c - the lab 7 program: run one strategy of one case, and
 * say whether the run was right.
 *
 *   atomics CASE [-s STRATEGY] [-t THREADS] [-n N] [--fuzz] [--seed N] [--list]
 *
 * CASE is publish, once or volatile. The last line is the verdict
 * (racelab.h), ok (exit 0) or broken (exit 1), with the case's figures:
 *   publish   "R of R reads whole (N messages)" or "T of R reads torn or stale"
 *   once      "N rounds, one build each, G gets whole" or "B builds in N
 *             rounds, H of G gets half-built, P other pointers"
 *   volatile  "T of T updates counted" or "lost L of T updates"
 * A run that came out right proves nothing about a data race: that is
 * ThreadSanitizer's job (make tsan LAB=atomics).
 */
#include "atomics.h"
#include "racelab.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Per case: -n's meaning and default (and with --fuzz, if it differs).
 * With these, `volatile -s unsafe` loses updates on every run on two
 * cores, with a CPU hog on each core too (bench/specimens_busy.sh); with
 * --fuzz a shorter run does, as for lab 1's counter (counter_main.c). `once
 * -s unsafe --fuzz` hands out half-built objects on every run. */
static const struct {
    const char *n_means;
    long n_default, n_fuzz_default;
} per_case[ATOMICS_NCASES] = {
    [ATOMICS_PUBLISH] = {"messages", 20000, 20000},
    [ATOMICS_ONCE] = {"rounds", 1000, 1000},
    [ATOMICS_VOLATILE] = {"increments per thread", 4000000, 1000000},
};
#define MAX_N 1000000000L /* threads * iterations must fit a long */
/* once: a right run of the specimen with fewer near misses than this says
 * its threads barely overlapped (a near miss is about as likely as a hit:
 * both need a get within tens of nanoseconds of the build). */
enum { NEAR_MISSES_AT_LEAST = 10 };

static void print_list(enum atomics_case which)
{
    for (const struct atomics_strategy *s = atomics_strategies; s->name; s++)
        if (s->which == which)
            rl_list_strategy("atomics", s->name);
}

/* "unsafe, release" for the message that names a case's strategies. */
static const char *strategy_list(enum atomics_case which)
{
    static char list[128];
    list[0] = '\0';
    for (const struct atomics_strategy *s = atomics_strategies; s->name; s++)
        if (s->which == which)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     list[0] ? ", " : "", s->name);
    return list;
}

static _Noreturn void run_publish(const struct atomics_strategy *s, long threads, long n)
{
    struct atomics_result r = atomics_publish_run(s, (int)threads, n);
    printf("time %.6f s\n", r.seconds);
    if (r.torn)
        printf("first torn or stale read: slot %d held {seq %ld, square %ld, check %ld}, "
               "want seq %d\n", r.first_torn_slot, r.first_torn.seq, r.first_torn.square,
               r.first_torn.check, r.first_torn_slot + 1);
    else if (strcmp(s->name, "unsafe") == 0)
        printf("every read came out whole this time: x86 keeps stores in order, and so did\n"
               "the compiler here. The data race is there all the same (the compiler may\n"
               "reorder, Arm and POWER do): see it with make tsan LAB=atomics.\n");
    if (atomics_result_ok(ATOMICS_PUBLISH, &r))
        rl_verdict(RL_OK, "%ld of %ld reads whole (%ld messages)", r.reads, r.reads, r.sent);
    rl_verdict(RL_BROKEN, "%ld of %ld reads torn or stale (%ld messages)", r.torn, r.reads,
               r.sent);
}

static _Noreturn void run_once(const struct atomics_strategy *s, long threads, long rounds)
{
    rl_overlap_start(); /* the specimen tells of each near miss */
    struct atomics_result r = atomics_once_run(s, (int)threads, rounds,
                                               ATOMICS_GETS_PER_THREAD);
    struct rl_overlap met = rl_overlap_stop();
    printf("time %.6f s\n", r.seconds);
    /* Right, and hardly ever did a thread come while another was building
     * (it saw NULL, then the object built): a get must land in the few dozen
     * nanoseconds of the build to see it half-built. Only the specimen
     * tells of near misses: a right fix says nothing here. */
    if (atomics_result_ok(ATOMICS_ONCE, &r) && strcmp(s->name, "unsafe") == 0 && threads > 1 &&
        met.seen < NEAR_MISSES_AT_LEAST)
        rl_overlap_say(stdout, (int)threads, "threads",
                       "a thread found the config built between its two looks: "
                       "%ld times in %ld rounds", met.seen, rounds);
    if (atomics_result_ok(ATOMICS_ONCE, &r))
        rl_verdict(RL_OK, "%ld rounds, one build each, %ld gets whole", r.rounds, r.gets);
    rl_verdict(RL_BROKEN, "%ld builds in %ld rounds, %ld of %ld gets half-built, "
               "%ld other pointers", r.builds, r.rounds, r.half_built, r.gets, r.other_pointer);
}

static _Noreturn void run_volatile(const struct atomics_strategy *s, long threads, long iterations)
{
    struct atomics_result r = atomics_volatile_run(s, (int)threads, iterations);
    printf("time %.6f s\n", r.seconds);
    if (atomics_result_ok(ATOMICS_VOLATILE, &r))
        rl_verdict(RL_OK, "%ld of %ld updates counted", r.got, r.expected);
    if (r.got < r.expected)
        rl_verdict(RL_BROKEN, "lost %ld of %ld updates", r.expected - r.got, r.expected);
    rl_verdict(RL_BROKEN, "counted %ld too many, %ld for %ld updates", r.got - r.expected,
               r.got, r.expected);
}

int main(int argc, char **argv)
{
    int strategy = 0;
    long threads = 4, n = 0;
    bool fuzz = false, list = false, n_given = false;
    uint64_t seed = 0;
    bool seed_given = false;

    /* -s takes any strategy name of any case; main checks it fits CASE. */
    const char *names[16];
    int nnames = 0;
    for (const struct atomics_strategy *s = atomics_strategies; s->name; s++) {
        bool known = false;
        for (int i = 0; i < nnames; i++)
            known = known || strcmp(names[i], s->name) == 0;
        if (!known && nnames < 15)
            names[nnames++] = s->name;
    }
    names[nnames] = NULL;

    const struct rl_opt opts[] = {
        {.long_name = "strategy", .short_name = 's', .kind = RL_OPT_CHOICE,
         .metavar = "STRATEGY", .help = "the specimen or a fix (default unsafe), one of CASE's",
         .choices = names, .dest = &strategy},
        {.long_name = "threads", .short_name = 't', .kind = RL_OPT_LONG, .metavar = "THREADS",
         .help = "threads (publish: consumers); default 4, at most 63",
         .min = 1, .max = RL_MAX_THREADS - 1, .dest = &threads},
        {.long_name = "iterations", .short_name = 'n', .kind = RL_OPT_LONG, .metavar = "N",
         .help = "messages, rounds or increments per thread (see above)",
         .min = 1, .max = MAX_N, .dest = &n, .seen = &n_given},
        {.long_name = "fuzz", .kind = RL_OPT_FLAG,
         .help = "widen the race window: random yields and sleeps at marked points",
         .dest = &fuzz},
        {.long_name = "seed", .kind = RL_OPT_U64, .metavar = "N",
         .help = "seed for --fuzz: the same pauses again (default: random, printed)",
         .max = UINT64_MAX, .dest = &seed, .seen = &seed_given},
        {.long_name = "list", .kind = RL_OPT_FLAG,
         .help = "print CASE's strategies, one per line: name, role, source file",
         .dest = &list},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "CASE [-s STRATEGY] [-t THREADS] [-n N] [--fuzz] [--seed N] [--list]",
        .about =
            "Lab 7: memory order. CASE is one of:\n"
            "  publish   a producer writes N messages (default 20000, at most 65536),\n"
            "            each then its ready flag; THREADS consumers wait for each\n"
            "            flag, then read the message\n"
            "  once      N rounds (default 1000): THREADS threads get a config that\n"
            "            the first of them builds (double-checked locking)\n"
            "  volatile  THREADS threads each add 1 to a shared count N times\n"
            "            (default 4000000; with --fuzz 1000000)\n"
            "A run that came out right can still hold a data race: make tsan LAB=atomics.\n"
            "The exercises live in labs/atomics.c; see docs/atomics.md.",
        .opts = opts,
        .positional = true,
        .exits = (const struct rl_exit_doc[]){
            {0, "verdict ok: the run came out right"},
            {1, "verdict broken: the run showed the bug"},
            {0, NULL},
        },
    };

    rl_init(argv[0]);
    int first = rl_parse_options(argc, argv, &prog);
    if (first >= argc)
        rl_usage_error("missing CASE: publish, once or volatile");
    if (argc - first > 1)
        rl_usage_error("unexpected argument '%s' (one CASE only)", argv[first + 1]);
    int which = 0;
    while (atomics_cases[which] && strcmp(atomics_cases[which], argv[first]) != 0)
        which++;
    if (!atomics_cases[which])
        rl_usage_error("unknown CASE '%s': publish, once or volatile", argv[first]);
    enum atomics_case c = (enum atomics_case)which;
    if (list) {
        print_list(c);
        rl_exit(0);
    }
    const struct atomics_strategy *s = atomics_find(c, names[strategy]);
    if (!s)
        rl_usage_error("%s has no strategy '%s' (%s)", atomics_cases[c], names[strategy],
                       strategy_list(c));
    if (!n_given)
        n = fuzz ? per_case[c].n_fuzz_default : per_case[c].n_default;
    if (c == ATOMICS_PUBLISH && n > ATOMICS_MAX_SLOTS)
        rl_usage_error("option -n/--iterations: publish sends at most %d messages, not %ld",
                       ATOMICS_MAX_SLOTS, n);
    seed = rl_fuzz_from_options(fuzz, seed_given, seed);

    printf("atomics %s: strategy %s, %ld thread%s, %ld %s", atomics_cases[c], s->name,
           threads, threads == 1 ? "" : "s", n, per_case[c].n_means);
    if (fuzz)
        printf(", fuzz seed %" PRIu64, seed);
    printf("\n");
    fflush(stdout); /* the line shows before any TSan report */

    if (c == ATOMICS_PUBLISH)
        run_publish(s, threads, n);
    if (c == ATOMICS_ONCE)
        run_once(s, threads, n);
    run_volatile(s, threads, n);
}

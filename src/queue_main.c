/*
 * queue_main.c - the lab 3 program: producers and consumers pass numbered
 * items through one bounded queue; every item is checked on arrival.
 *
 *   queue [-s STRATEGY] [-p PRODUCERS] [-c CONSUMERS] [-n ITEMS]
 *         [-k CAPACITY] [--pills] [--fuzz] [--seed N]
 *
 * The last lines are "sent S, received R, lost L, duplicated D" and the
 * verdict (racelab.h): ok when every item arrived exactly once and in order
 * per producer (exit 0), broken when not (exit 1), stuck when no item moved
 * for 10 seconds (exit 3: a deadlock, or a waiter nobody wakes).
 */
#include "queue.h"
#include "racelab.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>

enum { STALL_SECONDS = 10 };
/* Fewer meetings than this (two producers, or two consumers, on two CPUs
 * within a microsecond), and a right run says its threads barely overlapped
 * (measured: right runs saw 0 or 1, nearly every run that went wrong 11 or
 * more). */
enum { MET_AT_LEAST = 10 };

/* The program never hangs, whatever the queue does: if no item moves for
 * STALL_SECONDS, the runtime's watchdog prints this and exits 3. */
static void describe_stall(void *ctx, long moves)
{
    (void)ctx;
    fprintf(stderr, "queue: no item moved for %d seconds after %ld moves: "
            "a deadlock, or a waiter nobody wakes\n", STALL_SECONDS, moves);
    rl_say_verdict(stdout, RL_STUCK, "no item moved for %d s after %ld moves", STALL_SECONDS,
                   moves);
}

int main(int argc, char **argv)
{
    int strategy = 0;
    long producers = 4, consumers = 4, items = 10000, capacity = 16;
    bool fuzz = false, list = false, pills = false, seed_given = false;
    uint64_t seed = 0;
    const char *names[8];
    int n = 0;
    for (const struct queue_strategy *const *s = queue_strategies; *s; s++)
        names[n++] = queue_strategy_name(*s);
    names[n] = NULL;

    const struct rl_opt opts[] = {
        {.long_name = "strategy", .short_name = 's', .kind = RL_OPT_CHOICE,
         .metavar = "STRATEGY", .help = "which queue (default unsafe)",
         .choices = names, .dest = &strategy},
        {.long_name = "producers", .short_name = 'p', .kind = RL_OPT_LONG,
         .metavar = "PRODUCERS", .help = "producer threads (default 4, at most 16)",
         .min = 1, .max = QUEUE_MAX_SIDE, .dest = &producers},
        {.long_name = "consumers", .short_name = 'c', .kind = RL_OPT_LONG,
         .metavar = "CONSUMERS", .help = "consumer threads (default 4, at most 16)",
         .min = 1, .max = QUEUE_MAX_SIDE, .dest = &consumers},
        {.long_name = "items", .short_name = 'n', .kind = RL_OPT_LONG,
         .metavar = "ITEMS", .help = "items each producer puts (default 10000)",
         .min = 1, .max = 100000000, .dest = &items},
        {.long_name = "capacity", .short_name = 'k', .kind = RL_OPT_LONG,
         .metavar = "CAPACITY", .help = "the queue's capacity (default 16)",
         .min = 1, .max = QUEUE_MAX_CAPACITY, .dest = &capacity},
        {.long_name = "pills", .kind = RL_OPT_FLAG,
         .help = "shut down with one poison pill per consumer instead of close",
         .dest = &pills},
        {.long_name = "fuzz", .kind = RL_OPT_FLAG,
         .help = "widen the race windows: random yields and sleeps at marked points",
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
        .usage = "[-s STRATEGY] [-p PRODUCERS] [-c CONSUMERS] [-n ITEMS] [-k CAPACITY]\n"
                 "       [--pills] [--fuzz] [--seed N] [--list]",
        .about =
            "Lab 3: PRODUCERS threads each put ITEMS numbered items into one queue of\n"
            "CAPACITY slots; CONSUMERS threads get them until the queue is closed (or\n"
            "each gets its poison pill). Every item is checked: received exactly once,\n"
            "and in order per producer. The last line is the verdict.\n"
            "The exercises live in labs/queue.c; see docs/queue.md.",
        .opts = opts,
        .exits = (const struct rl_exit_doc[]){
            {0, "verdict ok: every item received once, in order per producer"},
            {1, "verdict broken: items lost, duplicated or reordered, or the contract broken"},
            {3, "verdict stuck: no item moved for 10 s (a deadlock, or a waiter nobody wakes)"},
            {0, NULL},
        },
    };

    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);
    if (list) {
        for (int i = 0; names[i]; i++)
            rl_list_strategy("queue", names[i]);
        rl_exit(0);
    }
    seed = rl_fuzz_from_options(fuzz, seed_given, seed);

    const struct queue_strategy *s = queue_strategies[strategy];
    struct queue_config cfg = {
        .producers = (int)producers, .consumers = (int)consumers, .items = items,
        .capacity = capacity, .pills = pills,
    };
    printf("queue: strategy %s, %ld producer%s x %ld items, %ld consumer%s, capacity %ld, "
           "shut down by %s", queue_strategy_name(s), producers, producers == 1 ? "" : "s",
           items, consumers, consumers == 1 ? "" : "s", capacity,
           pills ? "poison pills" : "close");
    if (fuzz)
        printf(", fuzz seed %" PRIu64, seed);
    printf("\n");
    fflush(stdout); /* the line shows before any TSan report */

    _Atomic long progress = 0; /* atomic, relaxed: items moved so far */
    struct rl_watchdog watchdog = {.progress = rl_watchdog_count, .ctx = &progress,
                                   .describe = describe_stall,
                                   .quiet_ms = STALL_SECONDS * 1000};
    rl_watchdog_start(&watchdog, 3);
    rl_overlap_start(); /* the specimen notes each put and get it makes */
    struct queue_result r = queue_run(s, &cfg, &progress);
    struct rl_overlap met = rl_overlap_stop();
    rl_watchdog_stop(&watchdog);

    printf("time %.6f s (%.0f items/s)\n", r.seconds,
           r.seconds > 0 ? (double)r.received / r.seconds : 0.0);
    if (r.bad_status + r.bad_length > 0)
        printf("contract broken %ld time%s, first: %s\n", r.bad_status + r.bad_length,
               r.bad_status + r.bad_length == 1 ? "" : "s", r.first_error);
    if (r.out_of_order > 0)
        printf("out of order: %ld items came after a later item of their producer\n",
               r.out_of_order);
    /* A right run whose threads never met at one end of the queue on two
     * CPUs at once proves nothing: the specimen's windows last nanoseconds. */
    if (queue_result_ok(&r) && met.notes > 0 && (producers > 1 || consumers > 1) &&
        met.side_by_side < MET_AT_LEAST)
        rl_overlap_say(stdout, (int)(producers + consumers), "threads",
                       "two at one end of the queue at once: %ld times in %ld turns",
                       met.side_by_side, met.turns);
    printf("sent %ld, received %ld, lost %ld, duplicated %ld\n", r.sent, r.received,
           r.lost, r.duplicated);
    if (queue_result_ok(&r))
        rl_verdict(RL_OK, "%ld items, each received once, in order", r.sent);
    if (r.lost + r.duplicated > 0)
        rl_verdict(RL_BROKEN, "%ld of %ld items lost, %ld duplicated", r.lost, r.sent,
                   r.duplicated);
    if (r.bad_status + r.bad_length > 0)
        rl_verdict(RL_BROKEN, "the contract broken %ld time%s", r.bad_status + r.bad_length,
                   r.bad_status + r.bad_length == 1 ? "" : "s");
    rl_verdict(RL_BROKEN, "%ld of %ld items out of order", r.out_of_order, r.sent);
}

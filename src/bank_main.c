/*
 * bank_main.c - the lab 6 program: tellers move money between random pairs
 * of accounts while an auditor checks that the total never changes; a
 * watchdog ends a run that deadlocks and says who waits for whom.
 *
 *   bank [-s STRATEGY] [-t THREADS] [-a ACCOUNTS] [-n TRANSFERS]
 *        [-w SECONDS] [--fuzz] [--seed N]
 *
 * The last line on stdout is the verdict (racelab.h), one of
 *   "verdict: ok: total T of T kept; A audits, all right"          exit 0
 *   "verdict: broken: total T of E (+D); B of A audits wrong ..."   exit 1
 *   "verdict: deadlock: stuck after N of M transfers" (or "stuck:
 *    ... with no cycle of waits"), after the watchdog's account on
 *    stderr                                                         exit 3
 */
#include "bank.h"
#include "racelab.h"

#include <inttypes.h>
#include <stdio.h>

/* DEFAULT_TRANSFERS: long enough that the specimen deadlocks on a busy
 * machine too (with a CPU hog on each core, 100000 let 2 runs in 150 finish:
 * the threads ran one after another; bench/specimens_busy.sh). A fix's run
 * takes ~0.15 s. */
enum { DEFAULT_THREADS = 4, DEFAULT_ACCOUNTS = 10, DEFAULT_TRANSFERS = 400000,
       OPENING = 1000, DEFAULT_WATCHDOG_MS = 2000 };
#define MAX_TRANSFERS 100000000L

int main(int argc, char **argv)
{
    int strategy = 0;
    long threads = DEFAULT_THREADS, accounts = DEFAULT_ACCOUNTS;
    long transfers = DEFAULT_TRANSFERS, watchdog_ms = DEFAULT_WATCHDOG_MS;
    bool fuzz = false, list = false, seed_given = false;
    uint64_t seed = 0;
    const char *strategy_names[8];
    int n = 0;
    for (const struct bank_strategy *s = bank_strategies; s->name; s++)
        strategy_names[n++] = s->name;
    strategy_names[n] = NULL;

    const struct rl_opt opts[] = {
        {.long_name = "strategy", .short_name = 's', .kind = RL_OPT_CHOICE,
         .metavar = "STRATEGY", .help = "how a transfer takes its two locks (default unsafe)",
         .choices = strategy_names, .dest = &strategy},
        {.long_name = "threads", .short_name = 't', .kind = RL_OPT_LONG,
         .metavar = "THREADS", .help = "teller threads (default 4, at most 64)",
         .min = 1, .max = RL_MAX_THREADS, .dest = &threads},
        {.long_name = "accounts", .short_name = 'a', .kind = RL_OPT_LONG,
         .metavar = "ACCOUNTS", .help = "accounts, each opened with 1000 (default 10, at most 60)",
         .min = 1, .max = BANK_MAX_ACCOUNTS, .dest = &accounts},
        {.long_name = "transfers", .short_name = 'n', .kind = RL_OPT_LONG,
         .metavar = "TRANSFERS", .help = "transfers per thread (default 400000)",
         .min = 1, .max = MAX_TRANSFERS, .dest = &transfers},
        {.long_name = "watchdog", .short_name = 'w', .kind = RL_OPT_SECONDS,
         .metavar = "SECONDS", .help = "stop a run with no transfer for this long (default 2)",
         .min = 100, .max = 3600 * 1000, .dest = &watchdog_ms},
        {.long_name = "fuzz", .kind = RL_OPT_FLAG,
         .help = "widen the race window: random yields and sleeps around each lock",
         .dest = &fuzz},
        {.long_name = "seed", .kind = RL_OPT_U64, .metavar = "N",
         .help = "seed for --fuzz and the transfers: the same run again (default: random, printed)",
         .max = UINT64_MAX, .dest = &seed, .seen = &seed_given},
        {.long_name = "list", .kind = RL_OPT_FLAG,
         .help = "print the strategies, one per line: name, role, source file",
         .dest = &list},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "[-s STRATEGY] [-t THREADS] [-a ACCOUNTS] [-n TRANSFERS] [-w SECONDS] "
                 "[--fuzz] [--seed N] [--list]",
        .about =
            "Lab 6: THREADS tellers each make TRANSFERS transfers between random pairs\n"
            "of ACCOUNTS accounts, each with its own lock, while an auditor adds up\n"
            "every balance. The total must never change. A watchdog stops a run that\n"
            "deadlocks and says which threads wait for which accounts.\n"
            "The exercises live in labs/bank.c; see docs/bank.md.",
        .opts = opts,
        .positional = false,
        .exits = (const struct rl_exit_doc[]){
            {0, "verdict ok: the total kept, every audit right"},
            {1, "verdict broken: the total changed, or an audit saw a wrong total"},
            {3, "verdict deadlock (or stuck): no transfer for SECONDS (-w)"},
            {0, NULL},
        },
    };

    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);
    if (list) {
        for (const struct bank_strategy *s = bank_strategies; s->name; s++)
            rl_list_strategy("bank", s->name);
        rl_exit(0);
    }
    seed = rl_fuzz_from_options(fuzz, seed_given, seed);

    const struct bank_strategy *s = &bank_strategies[strategy];
    printf("bank: strategy %s, %ld threads x %ld transfers between %ld accounts",
           s->name, threads, transfers, accounts);
    if (fuzz)
        printf(", fuzz seed %" PRIu64, seed);
    printf("\n");
    fflush(stdout); /* the line shows before any TSan report */

    const struct bank_config c = {
        .threads = (int)threads, .accounts = (int)accounts, .transfers = transfers,
        .opening = OPENING, .seed = fuzz ? seed : 1, .audit = true,
        .stuck_ms = watchdog_ms,
    };
    struct bank_result r = bank_run(s, &c);
    long all = threads * transfers;

    if (r.stuck) {
        fflush(stdout);
        fprintf(stderr, "bank: no transfer for %.1f s, %s; who waits for whom:\n%s",
                (double)watchdog_ms / 1000,
                r.deadlock ? "a deadlock" : "but no cycle of waits", r.report);
        /* The stuck threads cannot be joined: leave them to exit(). */
        if (r.deadlock)
            rl_verdict(RL_DEADLOCK, "stuck after %ld of %ld transfers", r.transfers, all);
        rl_verdict(RL_STUCK, "after %ld of %ld transfers, with no cycle of waits",
                   r.transfers, all);
    }
    printf("time %.6f s, %ld transfers, %ld audits\n", r.seconds, r.transfers, r.audits);
    if (r.total == r.expected && r.bad_audits == 0)
        rl_verdict(RL_OK, "total %ld of %ld kept; %ld audits, all right", r.total, r.expected,
                   r.audits);
    char first[64] = "";
    if (r.bad_audits > 0)
        snprintf(first, sizeof first, " (the first saw %ld)", r.first_bad);
    rl_verdict(RL_BROKEN, "total %ld of %ld (%+ld); %ld of %ld audits wrong%s", r.total,
               r.expected, r.total - r.expected, r.bad_audits, r.audits, first);
}

/*
 * pool_main.c - lab 4's program, `primes`: check numbers for primality on
 * a pool of workers, one row per result as it arrives.
 *
 *   primes [-w WORKERS] [-m MODE] [--fuzz] [--seed N] [--crash N] [N ...]
 *
 * Every number is checked before any work starts: one that is not a whole
 * number from 0 to 2^64 - 1 is a usage error (exit 2). The last line, the
 * verdict (racelab.h), says whether every number got exactly one answer:
 * ok (exit 0) or broken (results lost or doubled, exit 1); stuck (exit 3)
 * when the pool stopped moving or cannot run (lab 3's queue unfinished).
 * Interrupted (SIGINT or SIGTERM, processes mode): exit 130, no verdict.
 */
#include "pool.h"
#include "racelab.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* --help's text; %s is the list of modes. */
#define ABOUT                                                                   \
    "Lab 4: checks each number N for primality on a pool of WORKERS workers\n" \
    "(default: Fluent Python's 20 numbers near 10^16). One row per result as\n" \
    "it arrives: the number, P if prime, the seconds its check took; then\n" \
    "the total time, and whether every number got exactly one answer.\n" \
    "Modes (-m):\n%s" \
    "The exercises live in labs/pool.c; see docs/pool.md."

static void print_row(void *ctx, const struct pool_result *r)
{
    (void)ctx;
    printf("%20" PRIu64 "  %c %9.6fs\n", r->n, r->prime ? 'P' : ' ', r->seconds);
    fflush(stdout); /* as it arrives, even into a pipe */
}

/* --crash N: the worker given N is killed before it can read it. */
static uint64_t crash_n;
static bool crash_done;

static void crash_hook(void *ctx, int worker, pid_t pid, uint64_t n)
{
    (void)ctx;
    (void)worker;
    if (!crash_done && n == crash_n) {
        crash_done = true;
        kill(pid, SIGKILL);
    }
}

static void *put_later(void *arg)
{
    const struct timespec pause = {0, 10 * 1000 * 1000};
    nanosleep(&pause, NULL);
    queue_put(arg, arg);
    return NULL;
}

/* The locked queue's contract in brief: the answers to each call on one
 * thread, and a get on an empty queue that waits for a put from another.
 * Enough to tell an unfinished lab 3 from a finished one (its own tests
 * judge the rest). */
static bool queue_basics_work(void)
{
    struct queue *q = queue_create(queue_find("locked"), 2);
    int a, b;
    void *x = NULL, *y = NULL;
    bool ok = q && queue_put(q, &a) == QUEUE_OK && queue_put(q, &b) == QUEUE_OK &&
              queue_try_put(q, &a) == QUEUE_FULL && queue_get(q, &x) == QUEUE_OK &&
              queue_try_get(q, &y) == QUEUE_OK && x == &a && y == &b &&
              queue_try_get(q, &x) == QUEUE_EMPTY;
    if (ok) {
        pthread_t t;
        rl_thread_create(&t, put_later, q);
        /* It must wait for the put; 5 s bounds a get nobody wakes. */
        ok = queue_get_timeout(q, &x, 5.0) == QUEUE_OK && x == q;
        rl_thread_join(t, NULL);
    }
    if (q) {
        queue_close(q);
        ok = ok && queue_get(q, &x) == QUEUE_CLOSED && queue_put(q, &a) == QUEUE_CLOSED;
        queue_destroy(q);
    }
    return ok;
}

/* The run cannot be done: the verdict stuck, saying why (exit 3). */
static _Noreturn void give_up(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void give_up(const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    rl_verdict(RL_STUCK, "cannot run: %s", why);
}

/* The modes --crash works in, from the table: "processes". */
static const char *killable_modes(void)
{
    static char names[128]; /* main thread only */
    size_t len = 0;
    for (const struct pool_mode *m = pool_modes; m->name; m++)
        if (m->killable && len < sizeof names)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s",
                                    len ? " or -m " : "", m->name);
    return names;
}

static int default_workers(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        return 1;
    return cpus > RL_MAX_THREADS ? RL_MAX_THREADS : (int)cpus;
}

int main(int argc, char **argv)
{
    long workers = default_workers();
    int mode = 0;
    bool fuzz = false, list = false, seed_given = false, crash_given = false;
    uint64_t seed = 0;
    const char *mode_names[16];
    int k = 0;
    for (const struct pool_mode *m = pool_modes; m->name; m++)
        mode_names[k++] = m->name;
    mode_names[k] = NULL;

    const struct rl_opt opts[] = {
        {.long_name = "workers", .short_name = 'w', .kind = RL_OPT_LONG,
         .metavar = "WORKERS", .help = "workers in the pool (default: one per CPU, at most 64)",
         .min = 1, .max = RL_MAX_THREADS, .dest = &workers},
        {.long_name = "mode", .short_name = 'm', .kind = RL_OPT_CHOICE,
         .metavar = "MODE", .help = "how the numbers are shared out (default unsafe)",
         .choices = mode_names, .dest = &mode},
        {.long_name = "fuzz", .kind = RL_OPT_FLAG,
         .help = "widen the race window: each row prints slowly (0.5-2 ms), as on a slow terminal",
         .dest = &fuzz},
        {.long_name = "seed", .kind = RL_OPT_U64, .metavar = "N",
         .help = "seed for --fuzz: the same pauses again (default: random, printed)",
         .max = UINT64_MAX, .dest = &seed, .seen = &seed_given},
        {.long_name = "crash", .kind = RL_OPT_U64, .metavar = "N",
         .help = "processes mode: kill (SIGKILL) the worker that is given N",
         .max = UINT64_MAX, .dest = &crash_n, .seen = &crash_given},
        {.long_name = "list", .kind = RL_OPT_FLAG,
         .help = "print the modes, one per line: name, role, source file", .dest = &list},
        {.long_name = NULL},
    };
    /* The Modes paragraph of --help, from the table of modes. */
    char modes_help[1024] = "";
    for (const struct pool_mode *mm = pool_modes; mm->name; mm++) {
        size_t len = strlen(modes_help);
        snprintf(modes_help + len, sizeof modes_help - len, "  %-10s  %s\n", mm->name,
                 mm->about);
    }
    char about[2048];
    snprintf(about, sizeof about, ABOUT, modes_help);
    const struct rl_prog prog = {
        .usage = "[-w WORKERS] [-m MODE] [--fuzz] [--seed N] [--crash N] [--list] [N ...]",
        .about = about,
        .opts = opts,
        .positional = true,
        .exits = (const struct rl_exit_doc[]){
            {0, "verdict ok: every number answered once"},
            {1, "verdict broken: results lost or doubled"},
            {3, "verdict stuck: the pool stopped moving, or cannot run (lab 3's queue "
                "unfinished)"},
            {130, "interrupted (Ctrl-C, SIGTERM)"},
            {0, NULL},
        },
    };

    rl_init(argv[0]);
    int first = rl_parse_options(argc, argv, &prog);
    if (list) {
        for (const struct pool_mode *m = pool_modes; m->name; m++)
            if (m->kit_file)
                rl_list_line(m->name, RL_KIT, "pool", m->kit_file);
            else
                rl_list_strategy("pool", m->name);
        rl_exit(0);
    }
    const struct pool_mode *m = &pool_modes[mode];

    /* Every number is checked before any work starts. */
    long count = argc - first;
    if (count > POOL_MAX_NUMBERS)
        rl_usage_error("%ld numbers: at most %ld at a time", count, POOL_MAX_NUMBERS);
    uint64_t *numbers = malloc((size_t)(count > 0 ? count : POOL_BOOK_COUNT) * sizeof *numbers);
    if (!numbers)
        rl_die_errno("malloc", ENOMEM);
    for (long i = 0; i < count; i++) {
        const char *why = rl_parse_u64(argv[first + i], 0, UINT64_MAX, &numbers[i]);
        if (why)
            rl_usage_error("number '%s': %s (a whole number from 0 to %" PRIu64 ")",
                           argv[first + i], why, UINT64_MAX);
    }
    if (count == 0) {
        count = POOL_BOOK_COUNT;
        for (long i = 0; i < count; i++)
            numbers[i] = pool_book[i].n;
    }
    if (crash_given && !m->killable)
        rl_usage_error("option --crash: only for -m %s (threads share one process: "
                       "killing one kills all)", killable_modes());
    if (crash_given) {
        bool found = false;
        for (long i = 0; i < count; i++)
            found = found || numbers[i] == crash_n;
        if (!found)
            rl_usage_error("option --crash '%" PRIu64 "': not one of the numbers to check",
                           crash_n);
    }
    if (m->on_queue && !queue_basics_work())
        give_up("lab 3's queue does not work yet (make check LAB=queue): -m %s runs on "
                "the locked queue in queue.c beside pool.c", m->name);
    seed = rl_fuzz_from_options(fuzz, seed_given, seed);

    printf("primes: mode %s", m->name);
    if (m->pool)
        printf(", %ld worker%s", workers, workers == 1 ? "" : "s");
    printf(", %ld number%s", count, count == 1 ? "" : "s");
    if (fuzz)
        printf(", fuzz seed %" PRIu64, seed);
    printf("\n");
    fflush(stdout); /* shows before any TSan report, and before fork */

    const struct pool_process_hooks hooks = {.dispatch = crash_hook};
    const struct pool_config cfg = {
        .mode = m,
        .workers = (int)workers,
        .numbers = numbers,
        .count = count,
        .report = print_row,
        .hooks = crash_given ? &hooks : NULL,
    };
    struct pool_outcome out = pool_run(&cfg);

    printf("Total time: %.2fs\n", out.seconds);
    if (out.interrupted) {
        printf("interrupted: %ld of %ld numbers answered\n", out.reported, count);
        free(numbers);
        rl_exit(130);
    }
    if (out.lost > 0) {
        printf("lost:");
        for (long i = 0; i < out.lost && i < POOL_LOST_SHOWN; i++)
            printf(" %" PRIu64, out.lost_numbers[i]);
        printf("%s\n", out.lost > POOL_LOST_SHOWN ? " ..." : "");
    }
    free(numbers);
    if (out.lost > 0)
        rl_verdict(RL_BROKEN, "lost %ld of %ld results", out.lost, count);
    if (out.duplicated > 0 || out.wrong > 0)
        rl_verdict(RL_BROKEN, "%ld results doubled, %ld for numbers never sent",
                   out.duplicated, out.wrong);
    rl_verdict(RL_OK, "answered %ld of %ld numbers, each once", out.reported, count);
}

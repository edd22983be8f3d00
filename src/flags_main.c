/*
 * flags_main.c - the lab 8 program: start a slow local server, download
 * every flag from it in one of five ways, print a row per flag as it
 * arrives, a summary, and the verdict.
 *
 *   flags [-m MODE] [-w WORKERS] [-n FLAGS] [--delay S] [--errors PERCENT]
 *         [--limit K] [--quota N] [--fuzz] [--seed N] ...
 *   flags --count-async [--blocking]
 *   flags --serve [--port P] [-n FLAGS] [--delay S] [--errors PERCENT]
 *
 * The verdict (racelab.h) compares what the mode counted with what the
 * downloads came to, the server's own count of requests in progress with
 * --limit, and the flags kept with --quota: ok (exit 0) or broken (exit
 * 1); stuck (exit 3) when workers stop moving. A server that cannot be
 * started, reached, or understood is one line and exit 5.
 */
#include "flags.h"
#include "racelab.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum {
    DEFAULT_WORKERS = 20,   /* the book's MAX_WORKERS */
    DEFAULT_DELAY_MS = 100,
    DEFAULT_TIMEOUT_MS = 5000,
    EXIT_SERVER = 5,
};

struct rows {
    bool quiet;
};

/* One row per flag as it ends; called by the workers at once, and each
 * row is one printf: stdio locks the stream for the call. */
static void print_row(void *ctx, const struct flags_result *r)
{
    const struct rows *rows = ctx;
    if (rows->quiet)
        return;
    char who[24] = "";
    if (r->worker >= 0)
        snprintf(who, sizeof who, "  worker %d", r->worker);
    if (r->outcome == FLAGS_OK)
        printf("%-4s ok          %5zu bytes  %.3f s%s\n", r->code, r->bytes, r->seconds, who);
    else if (r->outcome == FLAGS_NOT_FOUND)
        printf("%-4s not found   http 404     %.3f s%s\n", r->code, r->seconds, who);
    else
        printf("%-4s error       %s: %s%s\n", r->code, flags_error_name(r->error), r->why, who);
}

static _Noreturn void server_trouble(const char *what)
{
    fflush(stdout);
    fprintf(stderr, "flags: %s\n", what);
    rl_exit(EXIT_SERVER);
}

/* The run's summary line: "20 flags in 0.12 s: 18 ok, 1 not found, 1 error
 * (1 dropped)". */
static void print_summary(const struct flags_config *cfg, const struct flags_outcome_counts *o)
{
    long downloaded = cfg->count - o->skipped;
    printf("%ld flag%s in %.2f s: %ld ok, %ld not found, %ld error%s", downloaded,
           downloaded == 1 ? "" : "s", o->seconds, o->count[FLAGS_OK],
           o->count[FLAGS_NOT_FOUND], o->count[FLAGS_ERROR],
           o->count[FLAGS_ERROR] == 1 ? "" : "s");
    if (o->count[FLAGS_ERROR] > 0) {
        const char *sep = " (";
        for (int e = 1; e < FLAGS_ERRORS; e++) {
            if (o->errors[e] == 0)
                continue;
            printf("%s%ld %s", sep, o->errors[e], flags_error_name(e));
            sep = ", ";
        }
        printf(")");
    }
    if (cfg->quota >= 0)
        printf("; %ld kept on a quota of %ld, %ld turned down", o->kept, cfg->quota, o->skipped);
    printf("\n");
}

static int run_count_async(bool blocking)
{
    double seconds = 0;
    bool together = flags_count_async(stdout, blocking, &seconds);
    if (together)
        rl_verdict(RL_OK, "3 tasks slept 1 s each, together: %.2f s", seconds);
    rl_verdict(RL_BROKEN,
               "3 tasks took %.2f s: each blocking sleep froze the loop, and every task with it",
               seconds);
}

int main(int argc, char **argv)
{
    int mode = 1; /* threads */
    long workers = DEFAULT_WORKERS, count = FLAGS_DEFAULT_COUNT, limit = 0, quota = -1;
    long delay_ms = DEFAULT_DELAY_MS, timeout_ms = DEFAULT_TIMEOUT_MS, errors = 0, port = 0;
    bool fuzz = false, list = false, seed_given = false, workers_given = false;
    bool quota_given = false, count_async = false, blocking = false, serve = false;
    bool quiet = false, limit_given = false;
    const char *url = NULL;
    uint64_t seed = 0;
    const char *mode_names[16];
    int n = 0;
    for (const struct flags_mode *m = flags_modes; m->name; m++)
        mode_names[n++] = m->name;
    mode_names[n] = NULL;

    const struct rl_opt opts[] = {
        {.long_name = "mode", .short_name = 'm', .kind = RL_OPT_CHOICE, .metavar = "MODE",
         .help = "how to wait (default threads)",
         .choices = mode_names, .dest = &mode},
        {.long_name = "workers", .short_name = 'w', .kind = RL_OPT_LONG, .metavar = "WORKERS",
         .help = "threads of the threads, futures and unsafe modes (default 20, at most 64)",
         .min = 1, .max = RL_MAX_THREADS, .dest = &workers, .seen = &workers_given},
        {.long_name = "flags", .short_name = 'n', .kind = RL_OPT_LONG, .metavar = "FLAGS",
         .help = "flags to download (default 20, at most 10000)", .min = 1, .max = FLAGS_MAX,
         .dest = &count},
        {.long_name = "delay", .kind = RL_OPT_SECONDS, .metavar = "S",
         .help = "the server waits S seconds (+-10%) before each flag (default 0.1)",
         .min = 0, .max = 10000, .dest = &delay_ms},
        {.long_name = "errors", .kind = RL_OPT_LONG, .metavar = "PERCENT",
         .help = "this share of the flags fail, the same ones every run: 404, 500 or a "
                 "dropped connection (default 0)",
         .min = 0, .max = 100, .dest = &errors},
        {.long_name = "limit", .kind = RL_OPT_LONG, .metavar = "K",
         .help = "at most K downloads in flight at once (default: no limit)", .min = 1,
         .max = FLAGS_MAX, .dest = &limit, .seen = &limit_given},
        {.long_name = "quota", .kind = RL_OPT_LONG, .metavar = "N",
         .help = "-m coro: keep at most N flags, a quota the coroutines share", .min = 0,
         .max = FLAGS_MAX, .dest = &quota, .seen = &quota_given},
        {.long_name = "timeout", .kind = RL_OPT_SECONDS, .metavar = "S",
         .help = "give up on a transfer after S seconds (default 5)", .min = 10, .max = 600000,
         .dest = &timeout_ms},
        {.long_name = "fuzz", .kind = RL_OPT_FLAG,
         .help = "widen the race windows: random yields and sleeps at marked points",
         .dest = &fuzz},
        {.long_name = "seed", .kind = RL_OPT_U64, .metavar = "N",
         .help = "seed for --fuzz: the same pauses again (default: random, printed)",
         .max = UINT64_MAX, .dest = &seed, .seen = &seed_given},
        {.long_name = "quiet", .short_name = 'q', .kind = RL_OPT_FLAG,
         .help = "no row per flag: the settings, the summary and the verdict", .dest = &quiet},
        {.long_name = "count-async", .kind = RL_OPT_FLAG,
         .help = "the seeds' count_async: three coroutines, each awaits a 1 s sleep",
         .dest = &count_async},
        {.long_name = "blocking", .kind = RL_OPT_FLAG,
         .help = "with --count-async: a real sleep() inside each coroutine instead",
         .dest = &blocking},
        {.long_name = "serve", .kind = RL_OPT_FLAG,
         .help = "only run the server, until Ctrl-C (with --port, -n, --delay, --errors)",
         .dest = &serve},
        {.long_name = "server", .kind = RL_OPT_TEXT, .metavar = "URL",
         .help = "download from a flags server already running (flags --serve) at URL",
         .max = 60, .dest = &url},
        {.long_name = "port", .kind = RL_OPT_LONG, .metavar = "P",
         .help = "the server's port (default: any free one)", .min = 1, .max = 65535,
         .dest = &port},
        {.long_name = "list", .kind = RL_OPT_FLAG,
         .help = "print the modes, one per line: name, role, source file", .dest = &list},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "[-m MODE] [-w WORKERS] [-n FLAGS] [--delay S] [--errors PERCENT] [--limit K]\n"
                 "       [--quota N] [--timeout S] [--server URL] [--fuzz] [--seed N] [-q] [--list]\n"
                 "   or: flags --count-async [--blocking]\n"
                 "   or: flags --serve [--port P] [-n FLAGS] [--delay S] [--errors PERCENT]",
        .about =
            "Lab 8: download FLAGS small flag files from a local HTTP server that\n"
            "answers each after a delay, as a slow network would: one after another,\n"
            "the delays add up; concurrently, they overlap. A row per flag as it\n"
            "arrives, a summary, the server's counts, and the verdict: did the mode\n"
            "count every download, keep the limit, keep the quota?\n"
            "The exercises live in labs/flags.c; see docs/flags.md.",
        .opts = opts,
        .positional = false,
        .exits =
            (const struct rl_exit_doc[]){
                {0, "verdict ok: every download counted, the limit and the quota kept"},
                {1, "verdict broken: counts lost, too many in flight, or the quota overspent "
                    "(--count-async: the loop was blocked)"},
                {3, "verdict stuck: no download ended for the time-out plus 3 s"},
                {5, "the server could not be started, reached or understood"},
                {0, NULL},
            },
    };

    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);
    const struct flags_mode *m = &flags_modes[mode];
    if (list) {
        for (const struct flags_mode *l = flags_modes; l->name; l++) {
            if (l->kit_file)
                rl_list_line(l->name, RL_KIT, "flags", l->kit_file);
            else
                rl_list_strategy("flags", l->name);
        }
        rl_exit(0);
    }
    if (blocking && !count_async)
        rl_usage_error("--blocking goes with --count-async");
    if (count_async)
        return run_count_async(blocking);
    if (quota_given && !m->quota)
        rl_usage_error("--quota is for -m coro: only the coroutines share a quota");
    if (workers_given && !m->workers)
        rl_usage_error("-m %s runs on one thread: --workers is for threads, futures, unsafe",
                       m->name);
    if (!workers_given && workers > count)
        workers = count; /* as the book: no more workers than flags */
    seed = rl_fuzz_from_options(fuzz, seed_given, seed);

    struct flags_server_config scfg = {
        .port = (int)port,
        .count = (int)count,
        .delay_ms = delay_ms,
        .jitter = 0.1,
        .errors = (double)errors / 100.0,
        .seed = seed,
    };
    if (serve)
        rl_exit(flags_server_serve(&scfg));
    if (url && strncmp(url, "http://", 7) != 0)
        rl_usage_error("--server '%s': not an http:// URL", url);
    if (url && port)
        rl_usage_error("--port is for the server this program starts, not for --server");

    struct flags_server server = {0};
    char err[200];
    if (url) {
        /* Someone else's server: it answers /reset at once, or it is not
         * one to download from. Asking is this thread's first use of
         * libcurl, before any other thread runs. */
        snprintf(server.url, sizeof server.url, "%s", url);
        size_t len = strlen(server.url);
        if (len > 7 && server.url[len - 1] == '/')
            server.url[len - 1] = '\0';
        flags_curl_ready();
        char hello[128];
        if (!flags_get_text(server.url, "/reset", 2000, hello, sizeof hello, err, sizeof err)) {
            char line[300];
            snprintf(line, sizeof line, "no flags server at %s: %s", server.url, err);
            server_trouble(line);
        }
        if (strncmp(hello, "racelab flags server", 20) != 0)
            server_trouble("not a racelab flags server: it answered /reset with something else");
    } else if (!flags_server_spawn(&scfg, &server, err, sizeof err)) {
        /* A child process, started while this one has a single thread. */
        server_trouble(err);
    }

    printf("flags: mode %s, %ld flag%s", m->name, count, count == 1 ? "" : "s");
    if (m->workers)
        printf(", %ld worker%s", workers, workers == 1 ? "" : "s");
    if (limit_given)
        printf(", at most %ld in flight", limit);
    if (quota_given)
        printf(", a quota of %ld", quota);
    printf(", delay %.3f s, from %s", (double)delay_ms / 1000, server.url);
    if (errors)
        printf(", %ld%% fail", errors);
    if (fuzz)
        printf(", fuzz seed %" PRIu64, seed);
    printf("\n");
    fflush(stdout); /* the line shows before any TSan report */

    static struct flags_result results[FLAGS_MAX];
    struct rows rows = {quiet};
    struct flags_config cfg = {
        .mode = m,
        .base = server.url,
        .count = (int)count,
        .workers = (int)workers,
        .limit = (int)limit,
        .quota = quota,
        .timeout_ms = timeout_ms,
        .on_result = print_row,
        .ctx = &rows,
        .results = results,
    };
    struct flags_outcome_counts o;
    flags_run(&cfg, &o);

    struct flags_stats st = {0};
    flags_curl_ready(); /* done already by the mode, whichever it was */
    bool have_stats = flags_get_stats(server.url, 2000, &st, err, sizeof err);
    if (!url)
        flags_server_stop(&server);
    curl_global_cleanup(); /* the one init's partner */
    print_summary(&cfg, &o);
    if (have_stats)
        printf("server: %ld request%s, at most %ld in progress at once, at most %ld "
               "connections open\n",
               st.requests, st.requests == 1 ? "" : "s", st.busy_max, st.open_max);

    long lost = 0, extra = 0, counted = 0;
    for (int k = 0; k < FLAGS_OUTCOMES; k++) {
        counted += o.tallied[k];
        if (o.tallied[k] < o.count[k])
            lost += o.count[k] - o.tallied[k];
        else
            extra += o.tallied[k] - o.count[k];
    }
    long downloaded = count - o.skipped;
    if (o.empty_futures > 0)
        rl_verdict(RL_BROKEN,
                   "%ld of %ld futures came back without a result (lab 4's future_get: "
                   "make check LAB=pool)",
                   o.empty_futures, downloaded);
    if (lost > 0 || extra > 0)
        rl_verdict(RL_BROKEN, "the tally counted %ld of %ld downloads (%ld lost, %ld extra)",
                   counted, downloaded, lost, extra);
    if (limit_given && !have_stats)
        server_trouble(err);
    if (limit_given && st.busy_max > limit)
        rl_verdict(RL_BROKEN, "%ld downloads in progress at once, by the server's count; the "
                              "limit is %ld",
                   st.busy_max, limit);
    if (quota_given && o.kept > quota)
        rl_verdict(RL_BROKEN, "%ld flags kept on a quota of %ld", o.kept, quota);
    if (quota_given && o.quota_left != quota - o.kept)
        rl_verdict(RL_BROKEN, "%ld flags kept on a quota of %ld, but the quota says %ld left",
                   o.kept, quota, o.quota_left);
    if (o.overlap_turns >= 0 && o.overlap_turns < 2)
        rl_overlap_say(stdout, (int)workers, "workers", "%ld turns at the tally",
                       o.overlap_turns);
    if (quota_given)
        rl_verdict(RL_OK, "%ld of %ld downloads counted, %ld kept on a quota of %ld", counted,
                   downloaded, o.kept, quota);
    if (limit_given)
        rl_verdict(RL_OK, "%ld of %ld downloads counted, at most %ld at once (limit %ld)",
                   counted, downloaded, st.busy_max, limit);
    rl_verdict(RL_OK, "%ld of %ld downloads counted", counted, downloaded);
}

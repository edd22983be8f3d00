/*
 * flags_run.c - lab 8's driver: the five ways to download the flags, and
 * the specimen, behind one table (flags_modes) that the program, the tests
 * and the benchmark share.
 *
 * Every mode downloads flags 0 .. count-1 of the catalogue and writes what
 * each came to in cfg->results (one slot per flag, written by whoever
 * downloaded it: nothing shared). Those slots are the truth the verdict
 * compares each mode's own tally with:
 *
 *   sequential  this thread, one easy transfer after another
 *   threads     rl_run_workers' W threads take flag numbers from lab 3's
 *               locked queue; each calls flags_curl_ready, enters the
 *               limit, downloads, leaves, bumps the shared tally
 *               (labs/flags.c: init, limit, tally)
 *   futures     lab 4's executor: futures_map of one download per flag;
 *               each result comes back in its future and this thread
 *               counts them: no tally to share
 *   loop        this thread: every transfer started at once on a curl
 *               multi handle (at most limit in flight), a callback per
 *               transfer that ends
 *   coro        the same io under the coroutine scheduler: one task per
 *               flag, flags_quota_task (labs/flags.c: quota)
 *   unsafe      threads, with the specimen's tally (src/flags_unsafe.c),
 *               taking flag numbers from an atomic count, not the queue
 *
 * A worker stuck in exercise code (a limit that never lets anyone in) ends
 * the run through a watchdog: no download ended for the time-out plus
 * 3 s, a line on stderr, the verdict stuck, exit 3.
 */
#include "flags.h"
#include "pool.h"
#include "queue.h"
#include "racelab.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void report(const struct flags_config *cfg, const struct flags_result *r)
{
    if (cfg->on_result)
        cfg->on_result(cfg->ctx, r);
}

/* ---- the watchdog over the threads ------------------------------------- */

static struct {
    struct rl_watchdog dog;
    _Atomic long ended;      /* atomic, relaxed: downloads ended */
    long count;              /* set before the watchdog starts */
    long quiet_s;
    const char *suspects;    /* what the workers of this mode wait on */
} watch;

static void watch_describe(void *ctx, long ended)
{
    (void)ctx;
    fprintf(stderr,
            "flags: stuck: %ld of %ld downloads ended, none for %ld s (the workers wait "
            "on %s)\n",
            ended, watch.count, watch.quiet_s, watch.suspects);
    rl_say_verdict(stdout, RL_STUCK, "%ld of %ld downloads, none ended for %ld s", ended,
                   watch.count, watch.quiet_s);
}

/* Starts the watch over a mode whose workers wait on what suspects says,
 * besides the limit when there is one. */
static void watch_start(const struct flags_config *cfg, const char *suspects)
{
    static char text[200];
    snprintf(text, sizeof text, "%s%s", suspects,
             cfg->limit > 0 ? "; or in flags_limit_enter, for a place that never frees "
                              "(make check LAB=flags)"
                            : "");
    watch.suspects = text;
    atomic_store_explicit(&watch.ended, 0, memory_order_relaxed);
    watch.count = cfg->count;
    watch.quiet_s = cfg->timeout_ms / 1000 + 3;
    watch.dog = (struct rl_watchdog){.progress = rl_watchdog_count,
                                     .describe = watch_describe,
                                     .ctx = &watch.ended,
                                     .quiet_ms = watch.quiet_s * 1000};
    rl_watchdog_start(&watch.dog, 3); /* the stuck threads cannot be joined */
}

/* ---- sequential --------------------------------------------------------- */

static void run_sequential(const struct flags_config *cfg, struct flags_outcome_counts *out)
{
    flags_curl_ready();
    CURL *easy = curl_easy_init();
    if (!easy)
        rl_die_errno("curl_easy_init", ENOMEM);
    for (int i = 0; i < cfg->count; i++) {
        char code[FLAGS_CODE_MAX];
        flags_code(i, code);
        flags_fetch(easy, cfg->base, code, cfg->timeout_ms, 0, &cfg->results[i]);
        out->tallied[cfg->results[i].outcome]++;
        report(cfg, &cfg->results[i]);
    }
    curl_easy_cleanup(easy);
}

/* ---- threads, and the specimen ----------------------------------------- */

struct threads_run {
    const struct flags_config *cfg;
    struct queue *codes;         /* flag number + 1, as a pointer; NULL: next */
    _Atomic int next;            /* atomic: the specimen's next flag number */
    struct flags_tally *tally;   /* NULL: the specimen's */
    struct flags_limit *limit;   /* NULL: no limit */
};

/* The next flag to download, or -1 when there is none left. The threads
 * mode takes them from lab 3's queue; the specimen counts them out with an
 * atomic add, so that it needs nothing of labs/ and its only race is its
 * tally. */
static int next_flag(struct threads_run *run)
{
    if (!run->codes) {
        int i = atomic_fetch_add_explicit(&run->next, 1, memory_order_relaxed);
        return i < run->cfg->count ? i : -1;
    }
    void *item;
    if (queue_get(run->codes, &item) != QUEUE_OK)
        return -1; /* closed and drained */
    return (int)((intptr_t)item - 1);
}

static void threads_worker(int index, void *arg)
{
    struct threads_run *run = arg;
    const struct flags_config *cfg = run->cfg;
    if (run->tally) /* the specimen's caller did it, before the threads */
        flags_curl_ready();
    CURL *easy = curl_easy_init();
    if (!easy)
        rl_die_errno("curl_easy_init", ENOMEM);
    for (int i; (i = next_flag(run)) >= 0;) {
        char code[FLAGS_CODE_MAX];
        flags_code(i, code);
        if (run->limit)
            flags_limit_enter(run->limit);
        flags_fetch(easy, cfg->base, code, cfg->timeout_ms, index, &cfg->results[i]);
        if (run->limit)
            flags_limit_leave(run->limit);
        if (run->tally)
            flags_tally_add(run->tally, cfg->results[i].outcome);
        else
            flags_unsafe_add(cfg->results[i].outcome);
        report(cfg, &cfg->results[i]);
        atomic_fetch_add_explicit(&watch.ended, 1, memory_order_relaxed);
    }
    curl_easy_cleanup(easy);
}

static void run_workers(const struct flags_config *cfg, struct flags_outcome_counts *out,
                        bool specimen)
{
    struct threads_run run = {.cfg = cfg};
    if (!specimen) {
        run.codes = queue_create(queue_find("locked"), cfg->count);
        if (!run.codes)
            rl_die_errno("queue_create", errno);
        for (int i = 0; i < cfg->count; i++)
            if (queue_put(run.codes, (void *)(intptr_t)(i + 1)) != QUEUE_OK)
                rl_die_errno("queue_put: lab 3's queue refused an item", EIO);
        queue_close(run.codes); /* the workers drain it, then stop */
        run.tally = flags_tally_create();
    } else {
        flags_unsafe_reset();
        rl_overlap_start();
    }
    if (cfg->limit > 0)
        run.limit = flags_limit_create(cfg->limit);

    watch_start(cfg, specimen ? "no exercise: the specimen counts its flags out itself"
                              : "lab 3's queue for their next flag (make check LAB=queue)");
    rl_run_workers(cfg->workers, threads_worker, &run);
    rl_watchdog_stop(&watch.dog);

    for (int o = 0; o < FLAGS_OUTCOMES; o++)
        out->tallied[o] = specimen ? flags_unsafe_get(o) : flags_tally_get(run.tally, o);
    if (specimen) {
        struct rl_overlap seen = rl_overlap_stop();
        out->overlap_turns = seen.turns;
    } else {
        flags_tally_destroy(run.tally);
        queue_destroy(run.codes);
    }
    if (run.limit)
        flags_limit_destroy(run.limit);
}

static void run_threads(const struct flags_config *cfg, struct flags_outcome_counts *out)
{
    run_workers(cfg, out, false);
}

static void run_unsafe(const struct flags_config *cfg, struct flags_outcome_counts *out)
{
    /* libcurl is set up here, by this thread alone before any other
     * starts, so that the tally is the specimen's only race. */
    flags_curl_ready();
    run_workers(cfg, out, true);
}

/* ---- futures ------------------------------------------------------------ */

struct future_job {
    const struct flags_config *cfg;
    struct flags_limit *limit;
    int index;
};

static _Atomic int future_workers; /* atomic, relaxed: numbers the workers */
static _Thread_local int future_worker = -1;

/* Runs on a worker of the executor; its result, the flag's slot, comes back
 * in the future. */
static void *download_one(void *arg)
{
    struct future_job *job = arg;
    const struct flags_config *cfg = job->cfg;
    if (future_worker < 0)
        future_worker = atomic_fetch_add_explicit(&future_workers, 1, memory_order_relaxed);
    flags_curl_ready();
    CURL *easy = curl_easy_init();
    if (!easy)
        rl_die_errno("curl_easy_init", ENOMEM);
    char code[FLAGS_CODE_MAX];
    flags_code(job->index, code);
    struct flags_result *r = &cfg->results[job->index];
    if (job->limit)
        flags_limit_enter(job->limit);
    flags_fetch(easy, cfg->base, code, cfg->timeout_ms, future_worker, r);
    if (job->limit)
        flags_limit_leave(job->limit);
    curl_easy_cleanup(easy);
    report(cfg, r);
    atomic_fetch_add_explicit(&watch.ended, 1, memory_order_relaxed);
    return r;
}

static void run_futures(const struct flags_config *cfg, struct flags_outcome_counts *out)
{
    struct future_job *jobs = rl_calloc((size_t)cfg->count, sizeof *jobs, "flags: calloc");
    void **args = rl_calloc((size_t)cfg->count, sizeof *args, "flags: calloc");
    void **results = rl_calloc((size_t)cfg->count, sizeof *results, "flags: calloc");
    struct flags_limit *limit = cfg->limit > 0 ? flags_limit_create(cfg->limit) : NULL;
    for (int i = 0; i < cfg->count; i++) {
        jobs[i] = (struct future_job){.cfg = cfg, .limit = limit, .index = i};
        args[i] = &jobs[i];
    }
    atomic_store_explicit(&future_workers, 0, memory_order_relaxed);
    watch_start(cfg, "lab 4's executor: a future never set, or lab 3's queue under it "
                     "(make check LAB=pool; make check LAB=queue)");
    struct futures *ex = futures_create(cfg->workers);
    futures_map(ex, download_one, args, results, cfg->count);
    futures_shutdown(ex);
    rl_watchdog_stop(&watch.dog);
    /* One thread counts what the futures carried back: nothing shared. */
    for (int i = 0; i < cfg->count; i++) {
        const struct flags_result *r = results[i];
        if (r)
            out->tallied[r->outcome]++;
        else
            out->empty_futures++;
    }
    if (limit)
        flags_limit_destroy(limit);
    free(results);
    free(args);
    free(jobs);
}

/* ---- loop --------------------------------------------------------------- */

struct loop_run {
    const struct flags_config *cfg;
    struct flags_outcome_counts *out;
};

/* Called by the io, in this thread, as each transfer ends. */
static void loop_done(void *ctx, struct flags_xfer *x)
{
    struct loop_run *run = ctx;
    int i = (int)(x - (struct flags_xfer *)x->owner);
    run->cfg->results[i] = x->result;
    run->out->tallied[x->result.outcome]++;
    report(run->cfg, &x->result);
}

static struct flags_xfer *xfers_create(const struct flags_config *cfg)
{
    struct flags_xfer *xfers = rl_calloc((size_t)cfg->count, sizeof *xfers, "flags: calloc");
    for (int i = 0; i < cfg->count; i++) {
        char code[FLAGS_CODE_MAX];
        flags_code(i, code);
        CURL *easy = curl_easy_init();
        if (!easy)
            rl_die_errno("curl_easy_init", ENOMEM);
        flags_xfer_setup(&xfers[i], easy, cfg->base, code, cfg->timeout_ms, -1);
        xfers[i].owner = xfers; /* so loop_done finds the slot */
    }
    return xfers;
}

static void xfers_destroy(struct flags_xfer *xfers, int count)
{
    for (int i = 0; i < count; i++)
        curl_easy_cleanup(xfers[i].easy);
    free(xfers);
}

static void run_loop(const struct flags_config *cfg, struct flags_outcome_counts *out)
{
    flags_curl_ready();
    struct loop_run run = {cfg, out};
    struct flags_xfer *xfers = xfers_create(cfg);
    struct co_io *io = co_io_curl_create(cfg->limit, loop_done, &run);
    for (int i = 0; i < cfg->count; i++)
        io->start(io->ctx, &xfers[i]);
    while (io->wait(io->ctx, -1) > 0)
        ;
    co_io_curl_destroy(io);
    xfers_destroy(xfers, cfg->count);
}

/* ---- coro --------------------------------------------------------------- */

static void run_coro(const struct flags_config *cfg, struct flags_outcome_counts *out)
{
    flags_curl_ready();
    struct loop_run run = {cfg, out};
    struct flags_xfer *xfers = xfers_create(cfg);
    struct co_io *io = co_io_curl_create(cfg->limit, loop_done, &run);
    struct co_sched *sched = co_sched_create(io);
    long quota = cfg->quota >= 0 ? cfg->quota : cfg->count;
    struct flags_quota *q = flags_quota_create(quota);
    struct flags_quota_task *tasks = rl_calloc((size_t)cfg->count, sizeof *tasks, "flags: calloc");
    for (int i = 0; i < cfg->count; i++) {
        tasks[i] = (struct flags_quota_task){.sched = sched, .quota = q, .xfer = &xfers[i]};
        co_spawn(sched, flags_quota_task, &tasks[i]);
    }
    int left = co_sched_run(sched);
    if (left > 0) {
        fprintf(stderr, "flags: stuck: %d coroutines wait for something nothing will bring\n",
                left);
        rl_verdict(RL_STUCK, "%d of %d tasks never ended", left, cfg->count);
    }
    for (int i = 0; i < cfg->count; i++) {
        if (tasks[i].kept)
            out->kept++;
        if (!xfers[i].done) {
            out->skipped++;
            flags_code(i, cfg->results[i].code);
            cfg->results[i].skipped = true;
        }
    }
    out->quota_left = flags_quota_left(q);
    free(tasks);
    flags_quota_destroy(q);
    co_sched_destroy(sched);
    co_io_curl_destroy(io);
    xfers_destroy(xfers, cfg->count);
}

/* ---- the table ---------------------------------------------------------- */

const struct flags_mode flags_modes[] = {
    {"sequential", "one download after another, in this thread", run_sequential, false, false,
     "src/flags_run.c"},
    {"threads", "WORKERS threads on lab 3's queue, sharing one tally", run_threads, true, false,
     NULL},
    {"futures", "lab 4's executor: futures_map, results counted by one thread", run_futures,
     true, false, NULL},
    {"loop", "one thread: every transfer at once, a poll loop, callbacks", run_loop, false,
     false, "src/flags_run.c"},
    {"coro", "coroutines on one thread awaiting downloads, sharing a quota", run_coro, false,
     true, NULL},
    {"unsafe", "the specimen: threads, with a tally guarded by nothing", run_unsafe, true,
     false, NULL},
    {NULL, NULL, NULL, false, false, NULL},
};

const struct flags_mode *flags_find(const char *name)
{
    for (const struct flags_mode *m = flags_modes; m->name; m++)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

void flags_run(const struct flags_config *cfg, struct flags_outcome_counts *out)
{
    /* The loop and coro modes keep a socket per download in flight. */
    flags_raise_fd_limit((long)cfg->count + 64);
    memset(out, 0, sizeof *out);
    out->overlap_turns = -1;
    memset(cfg->results, 0, (size_t)cfg->count * sizeof *cfg->results);
    int64_t start = rl_now_ns();
    cfg->mode->run(cfg, out);
    out->seconds = (double)(rl_now_ns() - start) / 1e9;
    for (int i = 0; i < cfg->count; i++) {
        const struct flags_result *r = &cfg->results[i];
        if (r->skipped)
            continue;
        out->count[r->outcome]++;
        if (r->outcome == FLAGS_ERROR)
            out->errors[r->error]++;
    }
}

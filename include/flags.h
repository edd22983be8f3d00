/*
 * flags.h - lab 8: waiting, not computing. The seeds' flags downloads and
 * count_async, in C, against a real HTTP server on this machine.
 *
 * A program downloads N small flag files from a local server that answers
 * each request after a delay, the way a slow network would. Done one after
 * another, the delays add up; done concurrently, they overlap, and the
 * program runs in about one delay instead of N. Five ways to wait:
 *
 *   sequential  one easy transfer after another (the kit's)
 *   threads     W worker threads pulling codes from lab 3's queue; each
 *               bumps a shared tally (exercise tally), keeps at most K
 *               transfers in flight (exercise limit), and makes sure
 *               libcurl is initialised once (exercise init)
 *   futures     lab 4's executor: futures_map over the codes, each result
 *               (an error too) carried in its future, tallied by the
 *               calling thread alone: nothing shared to lock
 *   loop        one thread, non-blocking transfers and a poll loop, as
 *               asyncio does it underneath (the kit's)
 *   coro        the same loop, written as coroutines with await points on a
 *               small cooperative scheduler; they share a download quota
 *               (exercise quota: the race that survives one thread)
 *   unsafe      the specimen: threads, with the tally lost to a data race
 *
 * The exercises are in labs/flags.c, their reference fixes in
 * solutions/flags.c; docs/flags.md tells the lab.
 */
#ifndef FLAGS_H
#define FLAGS_H

#include "racelab.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- the catalogue (src/flags_catalog.c) -------------------------------- */

enum {
    FLAGS_MAX = 10000,     /* flags a run may ask for */
    FLAGS_CODE_MAX = 8,    /* a code and its NUL: "CN", "AA", "AAA" */
    FLAGS_BODY_MAX = 4096, /* the largest flag file */
    FLAGS_DEFAULT_COUNT = 20,
};

/* The i-th code (0 <= i < FLAGS_MAX; "" for any other i): the first 20 are the book's, the
 * countries with the most people (CN IN US ID BR PK NG BD RU JP MX PH VN
 * ET EG DE IR TR CD FR); then every other two-letter code AA..ZZ; then
 * three letters AAA.. . */
void flags_code(int i, char code[FLAGS_CODE_MAX]);

/* The flag file the server serves for code: a small SVG (a few hundred to
 * some 2,000 bytes), the same bytes every time for the same code. Writes
 * it to buf (cap bytes at most, no NUL) and returns its length, which is
 * at most FLAGS_BODY_MAX. */
size_t flags_body(const char *code, char *buf, size_t cap);

/* ---- the server (src/flags_server.c) ------------------------------------ */

/*
 * A real HTTP/1.1 server (libmicrohttpd) on 127.0.0.1:
 *   GET /flags/CODE.svg   the flag, after the delay; or an injected error
 *   GET /hello            "racelab flags server: N flags\n", at once: what a
 *                         client asks first, to know it talks to this server
 *   GET /stats            counts, at once, one "name value" per line:
 *                         requests (flag requests), busy (in their delay
 *                         now), busy_max, open (connections), open_max
 *   GET /reset            zeroes the counts; answers like /hello
 * A flag request is busy from its arrival to the end of its delay: that is
 * before its answer is written, so the most busy at once never exceeds the
 * most transfers a client had in flight, and meets it whenever their
 * delays overlap. That is how the limit exercise is checked exactly.
 */
struct flags_server_config {
    int port;          /* 0: an ephemeral port */
    int count;         /* serves the first count codes; others: 404 */
    long delay_ms;     /* before each flag's answer */
    double jitter;     /* each delay is delay_ms x (1 +- jitter), uniform */
    double errors;     /* the fraction of codes that fail, a third each as
                          404, 500 and a dropped connection: the same codes
                          every time for a seed */
    uint64_t seed;
};

struct flags_server {
    pid_t pid;         /* the child serving; 0: none */
    int port;
    char url[64];      /* "http://127.0.0.1:PORT" */
};

/* Starts a server in a child process and waits until it listens. Call it
 * while this process has one thread: under ThreadSanitizer, a child forked
 * from a process with threads dies when it starts its own (a cmocka test
 * under rltest's watchdog has two; tests/test_flags_kit.c forks a helper
 * first). The child ends when the thread that called this ends.
 * Returns true; or false with a one-line reason in err ("port 8080 is in
 * use"). */
bool flags_server_spawn(const struct flags_server_config *cfg, struct flags_server *s,
                        char *err, size_t errlen);

/* Stops the child (SIGTERM) and reaps it. */
void flags_server_stop(struct flags_server *s);

/* Serves in this process until SIGINT or SIGTERM (flags --serve): prints
 * "serving N flags on http://127.0.0.1:PORT/ ..." on stdout first. Returns
 * 0, or 5 after a one-line reason on stderr when it cannot listen. */
int flags_server_serve(const struct flags_server_config *cfg);

/* ---- one download (src/flags_client.c) ---------------------------------- */

/* What a download came to. The tally counts these three. */
enum flags_outcome { FLAGS_OK, FLAGS_NOT_FOUND, FLAGS_ERROR, FLAGS_OUTCOMES };

/* What kind of error, for the summary (outcome FLAGS_ERROR). */
enum flags_error {
    FLAGS_E_NONE,
    FLAGS_E_STATUS,   /* an HTTP status other than 200 and 404 */
    FLAGS_E_DROPPED,  /* the connection closed before a whole answer */
    FLAGS_E_TIMEOUT,  /* no whole answer within the time-out */
    FLAGS_E_CONNECT,  /* no connection (refused, ...) */
    FLAGS_E_BODY,     /* a 200 whose body is not the flag */
    FLAGS_E_OTHER,
    FLAGS_ERRORS
};

/* "ok", "not found", "error"; "http status", "dropped", ... */
const char *flags_outcome_name(enum flags_outcome o);
const char *flags_error_name(enum flags_error e);

struct flags_result {
    char code[FLAGS_CODE_MAX];
    enum flags_outcome outcome;
    enum flags_error error;
    long status;         /* the HTTP status, 0 when none came */
    size_t bytes;        /* body bytes received */
    double seconds;      /* from the start of the transfer to its end */
    int worker;          /* who downloaded it (-1: the loop) */
    bool skipped;        /* coro: the quota turned it down, no download */
    char why[96];        /* for an error: curl's words, or the status */
};

/* One transfer: an easy handle set up for one code, and what came back. */
struct flags_xfer {
    CURL *easy;
    struct flags_result result;
    char body[FLAGS_BODY_MAX + 1];
    size_t len;
    bool overflow;       /* more than FLAGS_BODY_MAX bytes came */
    int64_t start_ns;
    bool done;           /* set once result is final (coro mode awaits it) */
    char errbuf[CURL_ERROR_SIZE];
    void *owner;         /* for whoever runs the transfer */
};

/* Sets easy up to download base/flags/code.svg into x (reset first: x
 * may be reused): a time-out of timeout_ms for the whole transfer, no
 * connection reuse (each download opens its own, so the server's count of
 * open connections means downloads), no proxy, no signals, a small
 * receive buffer. */
void flags_xfer_setup(struct flags_xfer *x, CURL *easy, const char *base, const char *code,
                      long timeout_ms, int worker);

/* Fills x->result from curl's code for the finished transfer and what came:
 * the outcome, the error kind, the body checked against flags_body. Sets
 * x->done. */
void flags_xfer_finish(struct flags_xfer *x, CURLcode rc);

/* One blocking download with easy (set up and performed): the sequential,
 * threads and futures modes. */
void flags_fetch(CURL *easy, const char *base, const char *code, long timeout_ms, int worker,
                 struct flags_result *r);

/* GET base/path into buf (NUL-terminated, at most cap - 1 bytes), with a
 * time-out: the client's /hello, /stats and /reset. Returns true for a 200;
 * false with a one-line reason in err. */
bool flags_get_text(const char *base, const char *path, long timeout_ms, char *buf, size_t cap,
                    char *err, size_t errlen);

/* A thousand downloads in flight, or a server of a thousand connections,
 * need more descriptors than the 1,024 a process usually starts with:
 * raises the soft limit to want, or as far as the hard limit allows. */
void flags_raise_fd_limit(long want);

/* The server's counts, from GET /stats. */
struct flags_stats {
    long requests, busy_max, open_max;
};
bool flags_get_stats(const char *base, long timeout_ms, struct flags_stats *st, char *err,
                     size_t errlen);

/* ---- coroutines (src/flags_coro.c) -------------------------------------- */

/*
 * Stackless coroutines on one thread, in the manner of protothreads: a
 * coroutine is a function that returns to the scheduler at an await point
 * and is called again later; CO_BEGIN jumps back to where it stopped. Its
 * locals do not survive an await: keep what must in its struct. Nothing
 * else runs while a coroutine runs, and it can only be interrupted at its
 * awaits: no data race is possible, but a decision taken before an await
 * may be stale after it. (No await inside a switch of its own: the
 * await's case label would belong to that switch.)
 *
 *   int task(void *arg)
 *   {
 *       struct my_task *t = arg;
 *       CO_BEGIN(&t->co);
 *       puts("One");
 *       CO_SLEEP(&t->co, t->sched, 1000);
 *       puts("Two");
 *       CO_END(&t->co);
 *   }
 */
enum co_status {
    CO_WAITING,       /* it ran, and stopped at an await point or a yield */
    CO_DONE,          /* it has ended */
    CO_STILL_WAITING, /* resumed at its await point, it found the condition
                         still false and ran nothing: when a whole turn
                         says this, the scheduler may block */
};

struct co {
    int line;            /* where to resume: 0 at the start, -1 when done */
    int64_t wake_ns;     /* CO_SLEEP: when it may go on */
};

#define CO_BEGIN(c)                                                                           \
    switch ((c)->line) {                                                                      \
    case 0:

/* Returns to the scheduler until cond holds; cond is evaluated again each
 * time the scheduler comes back. Arriving here it returns CO_WAITING,
 * resumed here CO_STILL_WAITING; passing it returns nothing. */
#define CO_AWAIT(c, cond)                                                                     \
    do {                                                                                      \
        (c)->line = __LINE__;                                                                 \
        if (!(cond))                                                                          \
            return CO_WAITING;                                                                \
        break;                                                                                \
    case __LINE__:                                                                            \
        if (!(cond))                                                                          \
            return CO_STILL_WAITING;                                                          \
    } while (0)

/* Gives the other coroutines a turn. */
#define CO_YIELD(c)                                                                           \
    do {                                                                                      \
        (c)->line = __LINE__;                                                                 \
        return CO_WAITING;                                                                    \
    case __LINE__:;                                                                           \
    } while (0)

/* Awaits ms milliseconds: the other coroutines run meanwhile. */
#define CO_SLEEP(c, sched, ms)                                                                \
    do {                                                                                      \
        (c)->wake_ns = co_deadline((sched), (ms));                                            \
        CO_AWAIT(c, co_now(sched) >= (c)->wake_ns);                                           \
    } while (0)

/* Starts transfer x (set up by the caller) and awaits its end. */
#define CO_AWAIT_FETCH(c, sched, x)                                                           \
    do {                                                                                      \
        co_fetch_start((sched), (x));                                                         \
        CO_AWAIT(c, (x)->done);                                                               \
    } while (0)

/* Ends the coroutine; CO_RETURN ends it early. Resuming a coroutine that
 * has ended (line -1) matches no case: it ends again. */
#define CO_RETURN(c)                                                                          \
    do {                                                                                      \
        (c)->line = -1;                                                                       \
        return CO_DONE;                                                                       \
    } while (0)
#define CO_END(c)                                                                             \
    }                                                                                         \
    (c)->line = -1;                                                                           \
    return CO_DONE

typedef int co_fn(void *arg);

/* What the scheduler waits on while every coroutine waits. The real one
 * is a curl multi handle (co_io_curl); a test plugs in its own, to finish
 * transfers in the order it chooses, on a clock it moves. */
struct co_io {
    /* Begins transfer x (x->easy set up); finishing it must set x->done. */
    void (*start)(void *ctx, struct flags_xfer *x);
    /* Waits at most timeout_ms (-1: no deadline) for transfers to
     * progress, finishing those that end. Returns the number of transfers
     * still in flight (queued ones too). With none in flight it waits out
     * timeout_ms (the scheduler sleeps this way), or returns at once when
     * that is -1. */
    int (*wait)(void *ctx, long timeout_ms);
    /* The time, in ns: rl_now_ns for the real one. */
    int64_t (*now)(void *ctx);
    void *ctx;
};

/* The real io: one curl multi handle, at most limit transfers at once
 * (limit <= 0: no limit; others queue, in start order), on_done(ctx, x)
 * called in the loop's thread as each transfer ends (after
 * flags_xfer_finish; on_done may be NULL). It sets x->start_ns when it
 * hands x to curl. The caller has called curl_global_init. Destroy it once
 * wait has returned 0: the easy handles stay the caller's. */
struct co_io *co_io_curl_create(int limit, void (*on_done)(void *ctx, struct flags_xfer *x),
                                void *ctx);
void co_io_curl_destroy(struct co_io *io);

struct co_sched;

/* io NULL: a scheduler with no transfers, on the monotonic clock, that
 * sleeps when every coroutine waits (count_async). */
struct co_sched *co_sched_create(struct co_io *io);
void co_sched_destroy(struct co_sched *s);

/* Adds a coroutine; it first runs inside co_sched_run, in spawn order (one
 * spawned by a coroutine runs later in the same turn). */
void co_spawn(struct co_sched *s, co_fn *fn, void *arg);

/* Runs every coroutine until all are done: each turn resumes, in spawn
 * order, every coroutine not done; when a turn moved none of them, waits
 * on the io until a transfer ends or the nearest CO_SLEEP deadline.
 * Returns 0; or, when every coroutine left waits for something nothing
 * can bring (no transfer in flight, no sleep pending), how many are left:
 * a deadlock of coroutines. */
int co_sched_run(struct co_sched *s);

/* The io's clock, in ns. */
int64_t co_now(struct co_sched *s);
/* co_now + ms, and noted: while a coroutine waits, the scheduler wakes at
 * the earliest deadline still ahead. */
int64_t co_deadline(struct co_sched *s, long ms);
/* Sets x->done false and hands x to the io. */
void co_fetch_start(struct co_sched *s, struct flags_xfer *x);

/* count_async: three coroutines print "One", await a one-second sleep
 * (CO_SLEEP), print "Two"; with blocking, each calls sleep(1) instead,
 * which freezes the whole loop. Prints the lines on out, as they happen,
 * then "count_async: N tasks in S.SS s". Returns true when the three
 * "One" lines came before any "Two": the tasks waited together. */
bool flags_count_async(FILE *out, bool blocking, double *seconds);

/* ---- the exercises (labs/flags.c) --------------------------------------- */

/* TODO(lab 8) tally. The counts of each outcome, bumped by every worker of
 * the threads mode as its downloads end. The struct is the exercise's. */
struct flags_tally;
struct flags_tally *flags_tally_create(void);
void flags_tally_destroy(struct flags_tally *t);
/* Adds one to outcome o's count. Called by any number of threads at once:
 * no count may be lost. */
void flags_tally_add(struct flags_tally *t, enum flags_outcome o);
/* Outcome o's count, once every adding thread is joined. */
long flags_tally_get(struct flags_tally *t, enum flags_outcome o);

/* TODO(lab 8) limit. At most k transfers in flight at once, however many
 * workers there are: a worker enters before its download and leaves after
 * it. */
struct flags_limit;
struct flags_limit *flags_limit_create(int k); /* 1 <= k <= FLAGS_MAX */
void flags_limit_destroy(struct flags_limit *l);
/* Returns once the caller is one of at most k inside; waits meanwhile
 * (without burning a CPU). Any number of threads at once. */
void flags_limit_enter(struct flags_limit *l);
void flags_limit_leave(struct flags_limit *l);

/* TODO(lab 8) init. Returns once curl_global_init(CURL_GLOBAL_DEFAULT) has
 * been called exactly once in this process and that call has returned.
 * Called by every thread before it uses libcurl: any number of threads,
 * any number of times, at once. (libcurl's documented contract: the
 * global init is not thread-safe; call it once, before any other libcurl
 * call. docs/flags.md says what libcurl 7.84 changed.) */
void flags_curl_ready(void);

/* TODO(lab 8) quota. A download quota the coroutines of the coro mode
 * share: at most n flags kept, and only a download that succeeded counts. */
struct flags_quota;
struct flags_quota *flags_quota_create(long n); /* n >= 0 */
void flags_quota_destroy(struct flags_quota *q);
/* What is left of the quota, once every task is done. */
long flags_quota_left(const struct flags_quota *q);

struct flags_quota_task {
    struct co co;                /* the coroutine's place */
    struct co_sched *sched;
    struct flags_quota *quota;
    struct flags_xfer *xfer;     /* this task's download, set up by the kit:
                                    CO_AWAIT_FETCH(&t->co, t->sched, t->xfer) */
    bool kept;                   /* out: the flag was downloaded, and kept
                                    against the quota */
};
/* The coroutine of one task: if the quota allows, download the flag and
 * keep it if it came (xfer->result.outcome == FLAGS_OK). Never keep more
 * flags than the quota; a failed download costs nothing; when no download
 * fails and there are at least n tasks, exactly n are kept. Left at the
 * end == n - kept. */
int flags_quota_task(void *arg);

/* ---- the specimen (src/flags_unsafe.c) ---------------------------------- */

/* A tally whose counts are plain longs bumped by a read and a separate
 * write: the threads mode's tally in the unsafe mode. */
void flags_unsafe_reset(void);
void flags_unsafe_add(enum flags_outcome o);
long flags_unsafe_get(enum flags_outcome o);

/* ---- the driver (src/flags_run.c) --------------------------------------- */

struct flags_config;
struct flags_outcome_counts;

/* One mode: its name and what the driver does for it. */
struct flags_mode {
    const char *name;        /* "threads" */
    const char *about;       /* one line for --help */
    /* Downloads every flag into cfg->results, and says what its tally,
     * quota... counted in out (tallied, kept, quota_left, skipped). */
    void (*run)(const struct flags_config *cfg, struct flags_outcome_counts *out);
    bool workers;            /* runs on cfg->workers threads */
    bool quota;              /* runs flags_quota_task: --quota means something */
    const char *kit_file;    /* the kit's own code: its file (for --list);
                                NULL: the specimen or an exercise */
};

/* Every mode, sequential first; terminated by a NULL name. */
extern const struct flags_mode flags_modes[];
const struct flags_mode *flags_find(const char *name);

struct flags_config {
    const struct flags_mode *mode;
    const char *base;        /* the server: "http://127.0.0.1:PORT" */
    int count;               /* flags 0 .. count-1 of the catalogue */
    int workers;             /* threads, futures, unsafe: 1 .. RL_MAX_THREADS */
    int limit;               /* transfers in flight at once; 0: no limit */
    long quota;              /* coro: flags to keep; -1: no quota */
    long timeout_ms;         /* per transfer */
    /* Called once per flag as it ends, in the thread that downloaded it
     * (threads at once: it must be thread-safe). May be NULL. */
    void (*on_result)(void *ctx, const struct flags_result *r);
    void *ctx;
    struct flags_result *results; /* count slots, one per flag, filled in */
};

/* What a run did. */
struct flags_outcome_counts {
    long count[FLAGS_OUTCOMES];      /* from the results: the truth */
    long errors[FLAGS_ERRORS];       /* error kinds, from the results */
    long tallied[FLAGS_OUTCOMES];    /* what the mode's tally said */
    long kept;                       /* coro: flags kept against the quota */
    long quota_left;                 /* coro with a quota: what it says is left */
    long skipped;                    /* coro: flags the quota turned down */
    long empty_futures;              /* futures: results that came back NULL
                                        (lab 4's future_get returned early) */
    long overlap_turns;              /* unsafe: the overlap meter's turns;
                                        -1: the mode has no meter */
    double seconds;
};

/* Runs cfg->mode over the flags; fills cfg->results and out. A mode
 * stuck in exercise code (no flag ended for the time-out plus 3 s) ends
 * the process after a line on stderr: the verdict stuck, exit 3. */
void flags_run(const struct flags_config *cfg, struct flags_outcome_counts *out);

#endif /* FLAGS_H */

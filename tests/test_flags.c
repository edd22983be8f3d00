/*
 * test_flags.c - lab 8's exercise tests: the tally, the limit, the init
 * and the quota, each a group (--only tally), each judged on what its
 * contract in include/flags.h promises, whatever design meets it.
 *
 * One source, linked against labs/flags.c or solutions/flags.c (or any
 * IMPL=DIR). `make check` runs it in the shake build, where every shared
 * access of the exercise file is also a fuzz point, and under
 * ThreadSanitizer, which must report nothing.
 *
 *   tally   threads add at once, with the window between read and write
 *           held open (--fuzz's stall): no count lost
 *   limit   never more than k inside, and k at once when k want in;
 *           waiters sleep; and a real server, downloads through the limit:
 *           the server's own count of requests in progress stays <= k
 *   init    curl_global_init (a stand-in defined here, slow and counting)
 *           runs once and has returned before any caller goes on; each
 *           scenario in a fresh process (this binary again, with
 *           --init-child), since "once" is once per process
 *   quota   coroutines on a scheduler whose transfers end when and how the
 *           test says (a fake io): never more kept than the quota, a
 *           failed download costs nothing, the whole quota used
 *
 * Workers only record; the main thread asserts after the join.
 */
#define _GNU_SOURCE /* gettid, dlsym's RTLD_NEXT */
#include "rltest.h"

#include "flags.h"
#include "racelab.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { SEED = 8000 };

/* The server the limit's last test downloads from: started in main, before
 * any thread (a child forked from a process with threads may not start
 * threads of its own under ThreadSanitizer). */
static struct flags_server server;
static bool server_up;
static const char *self; /* argv[0]: this binary, for the init's children */
static char server_why[200];

struct flags_case {
    struct rltest_case base;
    int threads;
    int k;
    uint64_t seed;
    char name[64];
};

/* ---- tally -------------------------------------------------------------- */

#ifdef UNDER_TSAN
enum { TALLY_ADDS = 12 };
#else
enum { TALLY_ADDS = 30 };
#endif

struct tally_run {
    struct flags_tally *tally;
    int adds;
};

static void tally_worker(int index, void *arg)
{
    struct tally_run *run = arg;
    for (int i = 0; i < run->adds; i++)
        flags_tally_add(run->tally, (enum flags_outcome)((index + i) % FLAGS_OUTCOMES));
}

static void test_tally_exact(void **state)
{
    const struct flags_case *c = *state;
    struct tally_run run = {flags_tally_create(), TALLY_ADDS};
    rl_fuzz_enable(c->seed);
    rl_run_workers(c->threads, tally_worker, &run);
    rl_fuzz_disable();
    long expected[FLAGS_OUTCOMES] = {0};
    for (int t = 0; t < c->threads; t++)
        for (int i = 0; i < run.adds; i++)
            expected[(t + i) % FLAGS_OUTCOMES]++;
    for (int o = 0; o < FLAGS_OUTCOMES; o++) {
        long got = flags_tally_get(run.tally, (enum flags_outcome)o);
        if (got != expected[o])
            fail_msg("%d threads adding at once: the count of '%s' is %ld, expected %ld "
                     "(%s): the read and the write of an add must be one step",
                     c->threads, flags_outcome_name((enum flags_outcome)o), got, expected[o],
                     got < expected[o] ? "counts lost" : "counted too many");
    }
    flags_tally_destroy(run.tally);
}

/* Two tallies are two sets of counts. */
static void test_tally_separate(void **state)
{
    (void)state;
    struct flags_tally *a = flags_tally_create(), *b = flags_tally_create();
    flags_tally_add(a, FLAGS_OK);
    flags_tally_add(a, FLAGS_OK);
    flags_tally_add(b, FLAGS_ERROR);
    long a_ok = flags_tally_get(a, FLAGS_OK), b_ok = flags_tally_get(b, FLAGS_OK);
    long b_err = flags_tally_get(b, FLAGS_ERROR), a_nf = flags_tally_get(a, FLAGS_NOT_FOUND);
    flags_tally_destroy(a);
    flags_tally_destroy(b);
    if (a_ok != 2 || b_ok != 0 || b_err != 1 || a_nf != 0)
        fail_msg("two tallies share their counts (a: ok %ld, not found %ld; b: ok %ld, "
                 "error %ld): keep the counts in the struct, not in globals",
                 a_ok, a_nf, b_ok, b_err);
}

/* ---- limit -------------------------------------------------------------- */

#ifdef UNDER_TSAN
enum { LIMIT_ROUNDS = 8 };
#else
enum { LIMIT_ROUNDS = 40 };
#endif

struct limit_run {
    _Atomic long rounds;     /* atomic, relaxed: first, for rltest_count_progress */
    struct flags_limit *limit;
    _Atomic int inside;      /* atomic: threads between enter and leave */
    _Atomic int most;        /* atomic: the most inside at once */
};

static void note_inside(struct limit_run *run)
{
    int now = atomic_fetch_add_explicit(&run->inside, 1, memory_order_relaxed) + 1;
    int most = atomic_load_explicit(&run->most, memory_order_relaxed);
    while (now > most &&
           !atomic_compare_exchange_weak_explicit(&run->most, &most, now, memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

static void limit_worker(int index, void *arg)
{
    struct limit_run *run = arg;
    for (int i = 0; i < LIMIT_ROUNDS; i++) {
        flags_limit_enter(run->limit);
        note_inside(run);
        rl_fuzz("test: a download in flight");
        atomic_fetch_sub_explicit(&run->inside, 1, memory_order_relaxed);
        flags_limit_leave(run->limit);
        atomic_fetch_add_explicit(&run->rounds, 1, memory_order_relaxed);
    }
}

struct limit_args {
    _Atomic long *rounds;    /* first: what moves */
    struct flags_case *c;
    struct limit_run *run;
};

static void limit_run_fn(void *arg)
{
    struct limit_args *a = arg;
    rl_run_workers(a->c->threads, limit_worker, a->run);
}

static long limit_progress(void *arg)
{
    struct limit_args *a = arg;
    return atomic_load_explicit(a->rounds, memory_order_relaxed);
}

static void test_limit_never_over(void **state)
{
    struct flags_case *c = *state;
    struct limit_run *run = calloc(1, sizeof *run);
    run->limit = flags_limit_create(c->k);
    struct limit_args *a = malloc(sizeof *a); /* left to a stuck run */
    *a = (struct limit_args){&run->rounds, c, run};
    rl_fuzz_enable(c->seed);
    bool ended = rltest_run_watched(limit_run_fn, a, limit_progress, 5);
    rl_fuzz_disable();
    if (!ended)
        fail_msg("%d threads through a limit of %d: no one got through for 5 s (a place "
                 "never given back? a leave that wakes no one?)",
                 c->threads, c->k);
    free(a);
    int most = atomic_load(&run->most);
    flags_limit_destroy(run->limit);
    free(run);
    if (most > c->k)
        fail_msg("a limit of %d let %d threads in at once: checking there is room, then "
                 "taking it, is two steps; another thread gets between them",
                 c->k, most);
}

/* k threads wanting in all get in at once; the others wait, asleep. */
struct gate_run {
    struct flags_limit *limit;
    _Atomic int inside;
    _Atomic int entered;
    _Atomic bool open;       /* atomic: the test lets them leave */
    _Atomic pid_t tids[16];
    _Atomic bool in[16];     /* atomic: thread i got past flags_limit_enter */
};

static void gate_worker(int index, void *arg)
{
    struct gate_run *run = arg;
    atomic_store(&run->tids[index], gettid());
    flags_limit_enter(run->limit);
    atomic_store(&run->in[index], true);
    atomic_fetch_add(&run->inside, 1);
    atomic_fetch_add(&run->entered, 1);
    while (!atomic_load(&run->open)) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    atomic_fetch_sub(&run->inside, 1);
    flags_limit_leave(run->limit);
}

struct gate_args {
    struct gate_run *run;
    int threads;
};

static void gate_run_fn(void *arg)
{
    struct gate_args *a = arg;
    rl_run_workers(a->threads, gate_worker, a->run);
}

static long gate_progress(void *arg)
{
    struct gate_args *a = arg;
    return atomic_load(&a->run->entered) + (atomic_load(&a->run->open) ? 1000 : 0);
}

static void *gate_thread(void *arg)
{
    rltest_run_watched(gate_run_fn, arg, gate_progress, 5);
    return NULL;
}

static void test_limit_k_at_once(void **state)
{
    const struct flags_case *c = *state;
    struct gate_run *run = calloc(1, sizeof *run);
    run->limit = flags_limit_create(c->k);
    struct gate_args args = {run, c->threads};
    pthread_t t;
    rl_thread_create(&t, gate_thread, &args);

    /* Wait (up to 5 s: a deadline, not a measure) for k inside. */
    int64_t deadline = rl_now_ns() + 5 * 1000000000LL;
    while (atomic_load(&run->inside) < c->k && rl_now_ns() < deadline) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    int inside = atomic_load(&run->inside);
    /* Those left out wait: asleep, not spinning. Sample their states (only
     * theirs: the k inside poll the gate). */
    int asleep = 0, samples = 0;
    if (inside == c->k) {
        /* Time for the others to reach their wait (a deadline, not a
         * measure: a thread still on its way looks like a spinning one). */
        struct timespec settle = {0, 200000000};
        nanosleep(&settle, NULL);
        for (int s = 0; s < 20; s++) {
            for (int i = 0; i < c->threads; i++) {
                pid_t tid = atomic_load(&run->tids[i]);
                if (atomic_load(&run->in[i]) || tid == 0)
                    continue;
                char st = rltest_thread_state(tid);
                samples++;
                if (st == 'S' || st == 'D')
                    asleep++;
            }
            struct timespec ms = {0, 5000000};
            nanosleep(&ms, NULL);
        }
    }
    int over = atomic_load(&run->inside);
    atomic_store(&run->open, true);
    rl_thread_join(t, NULL);
    int entered = atomic_load(&run->entered);
    flags_limit_destroy(run->limit);
    free(run);
    if (inside < c->k)
        fail_msg("%d threads want in through a limit of %d, but only %d got in at once "
                 "in 5 s: a limit of k lets k in",
                 c->threads, c->k, inside);
    if (over > c->k)
        fail_msg("a limit of %d let %d threads in at once", c->k, over);
    if (entered != c->threads)
        fail_msg("%d of %d threads got through the limit after the others left: a "
                 "leave must let a waiting thread in",
                 entered, c->threads);
    if (asleep * 4 < samples * 3)
        fail_msg("the threads waiting to enter a limit of %d were running, not asleep, "
                 "in %d of %d looks: wait by blocking (a semaphore, a condition "
                 "variable), not by spinning",
                 c->k, samples - asleep, samples);
}

/* Downloads from the real server through the limit; the server counts the
 * requests in their delay at once, and that count is the judge. */
struct fetch_run {
    struct flags_limit *limit;
    _Atomic int next;
    int count;
};

static void fetch_worker(int index, void *arg)
{
    struct fetch_run *run = arg;
    CURL *easy = curl_easy_init();
    if (!easy)
        return;
    for (;;) {
        int i = atomic_fetch_add(&run->next, 1);
        if (i >= run->count)
            break;
        char code[FLAGS_CODE_MAX];
        flags_code(i, code);
        struct flags_result r;
        flags_limit_enter(run->limit);
        flags_fetch(easy, server.url, code, 5000, index, &r);
        flags_limit_leave(run->limit);
    }
    curl_easy_cleanup(easy);
}

static void fetch_run_fn(void *arg)
{
    struct flags_case *c = ((void **)arg)[0];
    rl_run_workers(c->threads, fetch_worker, ((void **)arg)[1]);
}

static void test_limit_server(void **state)
{
    struct flags_case *c = *state;
    if (!server_up)
        fail_msg("no server to download from: %s", server_why);
    char buf[128], why[200];
    if (!flags_get_text(server.url, "/reset", 2000, buf, sizeof buf, why, sizeof why))
        fail_msg("the server: %s", why);
    struct fetch_run *run = calloc(1, sizeof *run);
    run->limit = flags_limit_create(c->k);
    run->count = 3 * c->threads;
    void *args[2] = {c, run};
    rl_fuzz_enable(c->seed);
    bool ended = rltest_run_watched(fetch_run_fn, args, NULL, 15);
    rl_fuzz_disable();
    if (!ended)
        fail_msg("%d threads downloading through a limit of %d: stuck for 15 s", c->threads,
                 c->k);
    struct flags_stats st;
    bool have = flags_get_stats(server.url, 2000, &st, why, sizeof why);
    flags_limit_destroy(run->limit);
    free(run);
    if (!have)
        fail_msg("the server's counts: %s", why);
    if (st.requests != 3L * c->threads)
        fail_msg("the server saw %ld requests, expected %d", st.requests, 3 * c->threads);
    if (st.busy_max > c->k)
        fail_msg("the server had %ld requests in progress at once; the limit was %d",
                 st.busy_max, c->k);
}

/* ---- init --------------------------------------------------------------- */

/* The stand-in for libcurl's global init, for this binary: the exercise's
 * call lands here (main made the real one, once, before any test). Slow,
 * as a real init is (it loads and sets up TLS), and counting. */
static _Atomic int init_calls, init_inside, init_overlaps, init_done;

CURLcode curl_global_init(long flags)
{
    (void)flags;
    atomic_fetch_add(&init_calls, 1);
    if (atomic_fetch_add(&init_inside, 1) > 0)
        atomic_fetch_add(&init_overlaps, 1);
    rl_fuzz_stall("test: curl_global_init at work", 2000, 6000);
    atomic_fetch_sub(&init_inside, 1);
    atomic_store(&init_done, 1);
    return CURLE_OK;
}

static _Atomic int init_early; /* callers that went on before the init returned */

static void init_worker(int index, void *arg)
{
    (void)arg;
    int rounds = 1 + index % 3;
    for (int i = 0; i < rounds; i++) {
        flags_curl_ready();
        if (!atomic_load(&init_done))
            atomic_fetch_add(&init_early, 1);
    }
}

/* The child: threads (or one thread, three calls) call flags_curl_ready
 * at once; prints "calls overlaps early". */
static int init_child(const char *threads_arg, const char *seed_arg)
{
    int threads = atoi(threads_arg);
    rl_fuzz_enable(strtoull(seed_arg, NULL, 10));
    if (threads == 0)
        init_worker(2, NULL); /* one thread, three calls */
    else
        rl_run_workers(threads, init_worker, NULL);
    printf("%d %d %d\n", atomic_load(&init_calls), atomic_load(&init_overlaps),
           atomic_load(&init_early));
    return 0;
}

/* Runs the scenario in a fresh process: this binary (argv[0], not
 * /proc/self/exe, which is valgrind itself under valgrind), --init-child. */
static void test_init_once(void **state)
{
    const struct flags_case *c = *state;
    char threads[16], seed[32];
    snprintf(threads, sizeof threads, "%d", c->threads);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    char *const argv[] = {(char *)self, "--init-child", threads, seed, NULL};
    struct rltest_output o;
    int status = rltest_run(argv, false, 15, &o);
    int got[3] = {-1, -1, -1};
    int n = sscanf(o.out, "%d %d %d", &got[0], &got[1], &got[2]);
    char err[200];
    snprintf(err, sizeof err, "%s", o.err);
    rltest_output_free(&o);
    if (status != 0 || n != 3)
        fail_msg("the process running flags_curl_ready ended with status %d: %s", status, err);
    const char *who = c->threads ? "threads at once" : "calls by one thread";
    if (got[0] != 1)
        fail_msg("%d %s: curl_global_init ran %d times (%d at the same time): it must run "
                 "exactly once",
                 c->threads ? c->threads : 3, who, got[0], got[1]);
    if (got[2] != 0)
        fail_msg("%d %s: %d calls of flags_curl_ready returned while curl_global_init was "
                 "still running: a caller must wait until the init has returned",
                 c->threads ? c->threads : 3, who, got[2]);
}

/* ---- quota -------------------------------------------------------------- */

/* A fake io: transfers end when the scheduler waits, in the order and with
 * the outcomes the test chose. */
enum finish_order { FIRST_FIRST, LAST_FIRST, ONE_PER_WAIT };

struct fake_io {
    struct co_io io;
    struct flags_xfer *pending[64];
    int npending;
    int started;
    enum finish_order order;
    const bool *fails;       /* by task index (xfer - xfers) */
    struct flags_xfer *xfers;
    int64_t now;
};

static void fake_start(void *ctx, struct flags_xfer *x)
{
    struct fake_io *f = ctx;
    f->pending[f->npending++] = x;
    f->started++;
}

static void fake_finish(struct fake_io *f, struct flags_xfer *x)
{
    int i = (int)(x - f->xfers);
    x->result.outcome = f->fails[i] ? FLAGS_ERROR : FLAGS_OK;
    x->result.error = f->fails[i] ? FLAGS_E_STATUS : FLAGS_E_NONE;
    x->done = true;
}

static int fake_wait(void *ctx, long timeout_ms)
{
    (void)timeout_ms;
    struct fake_io *f = ctx;
    f->now += 10 * 1000000LL;
    if (f->npending == 0)
        return 0;
    if (f->order == ONE_PER_WAIT) {
        fake_finish(f, f->pending[0]);
        memmove(f->pending, f->pending + 1, (size_t)(f->npending - 1) * sizeof f->pending[0]);
        f->npending--;
    } else {
        for (int i = 0; i < f->npending; i++)
            fake_finish(f, f->pending[f->order == LAST_FIRST ? f->npending - 1 - i : i]);
        f->npending = 0;
    }
    return f->npending;
}

static int64_t fake_now(void *ctx)
{
    return ((struct fake_io *)ctx)->now;
}

struct quota_case {
    struct rltest_case base;
    int tasks;
    long quota;
    int fail_first;          /* the first fail_first downloads fail */
    enum finish_order order;
    char name[80];
};

static void test_quota(void **state)
{
    const struct quota_case *c = *state;
    static struct flags_xfer xfers[16];
    static struct flags_quota_task tasks[16];
    bool fails[16] = {false};
    for (int i = 0; i < c->fail_first; i++)
        fails[i] = true;
    memset(xfers, 0, sizeof xfers);
    struct fake_io f = {.order = c->order, .fails = fails, .xfers = xfers};
    f.io = (struct co_io){fake_start, fake_wait, fake_now, &f};
    struct co_sched *s = co_sched_create(&f.io);
    struct flags_quota *q = flags_quota_create(c->quota);
    for (int i = 0; i < c->tasks; i++) {
        tasks[i] = (struct flags_quota_task){.sched = s, .quota = q, .xfer = &xfers[i]};
        co_spawn(s, flags_quota_task, &tasks[i]);
    }
    int undone = co_sched_run(s);
    long kept = 0, kept_failed = 0;
    for (int i = 0; i < c->tasks; i++) {
        kept += tasks[i].kept;
        kept_failed += tasks[i].kept && fails[i];
    }
    long left = flags_quota_left(q);
    flags_quota_destroy(q);
    co_sched_destroy(s);

    if (undone)
        fail_msg("%d of %d tasks never ended: each waits for something no task will "
                 "bring (a coroutine lock never released?)",
                 undone, c->tasks);
    if (kept > c->quota)
        fail_msg("%d tasks, a quota of %ld: %ld flags kept. The quota was checked before "
                 "the await and spent after it; every other task ran in between and saw it "
                 "unspent",
                 c->tasks, c->quota, kept);
    if (kept_failed)
        fail_msg("%ld flags kept whose download failed", kept_failed);
    if (left != c->quota - kept)
        fail_msg("a quota of %ld, %ld flags kept, but %ld left: a failed download must "
                 "cost nothing, and each kept flag exactly one",
                 c->quota, kept, left);
    long possible = c->tasks - c->fail_first < c->quota ? c->tasks - c->fail_first : c->quota;
    if (c->fail_first == 0 && kept != possible)
        fail_msg("%d tasks, a quota of %ld, no download failed: %ld kept, expected %ld",
                 c->tasks, c->quota, kept, possible);
    if (f.started < kept)
        fail_msg("%ld flags kept but only %d downloads started: keep a flag by downloading "
                 "it (CO_AWAIT_FETCH)",
                 kept, f.started);
}

/* ---- the groups --------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--init-child") == 0)
        return init_child(argv[2], argv[3]);
    self = argv[0];
    /* libcurl's real init, once, before any thread: the stand-in above
     * takes the exercise's calls. */
    CURLcode (*real_init)(long) = NULL;
    *(void **)&real_init = dlsym(RTLD_NEXT, "curl_global_init");
    if (!real_init || real_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "test_flags: libcurl's curl_global_init not found\n");
        return 1;
    }
    struct flags_server_config scfg = {.count = 200, .delay_ms = 20, .jitter = 0.1};
    server_up = flags_server_spawn(&scfg, &server, server_why, sizeof server_why);

    static struct flags_case tally[3], limit[6], init[4];
    static struct quota_case quota[8];
    static struct CMUnitTest t_tally[4], t_limit[6], t_init[4], t_quota[8];
    int nt = 0, nl = 0, ni = 0, nq = 0;

    static const int tally_threads[] = {2, 4, 8};
    for (int i = 0; i < 3; i++) {
        struct flags_case *c = &tally[i];
        c->threads = tally_threads[i];
        c->seed = SEED + (uint64_t)i;
        snprintf(c->name, sizeof c->name, "tally: %d threads add at once", c->threads);
        c->base.name = c->name;
        t_tally[nt++] = (struct CMUnitTest)RLTEST(test_tally_exact, c);
    }
    static struct rltest_case separate = {"tally: two tallies, two sets of counts"};
    t_tally[nt++] = (struct CMUnitTest)RLTEST(test_tally_separate, &separate);

    static const struct {
        void (*fn)(void **);
        int threads, k;
        const char *what;
    } limit_tests[] = {
        {test_limit_never_over, 4, 1, "never more than k inside"},
        {test_limit_never_over, 8, 3, "never more than k inside"},
        {test_limit_k_at_once, 5, 3, "k at once, the others asleep"},
        {test_limit_k_at_once, 3, 1, "k at once, the others asleep"},
        {test_limit_server, 8, 3, "the server counts at most k in progress"},
    };
    for (size_t i = 0; i < sizeof limit_tests / sizeof limit_tests[0]; i++) {
        struct flags_case *c = &limit[i];
        c->threads = limit_tests[i].threads;
        c->k = limit_tests[i].k;
        c->seed = SEED + 100 + i;
        snprintf(c->name, sizeof c->name, "limit: %d threads, k = %d: %s", c->threads, c->k,
                 limit_tests[i].what);
        c->base.name = c->name;
        t_limit[nl++] = (struct CMUnitTest)RLTEST(limit_tests[i].fn, c);
    }

    static const int init_threads[] = {0, 2, 8, 16};
    for (int i = 0; i < 4; i++) {
        struct flags_case *c = &init[i];
        c->threads = init_threads[i];
        c->seed = SEED + 200 + (uint64_t)i;
        if (c->threads)
            snprintf(c->name, sizeof c->name, "init: %d threads at once", c->threads);
        else
            snprintf(c->name, sizeof c->name, "init: one thread, three calls");
        c->base.name = c->name;
        t_init[ni++] = (struct CMUnitTest)RLTEST(test_init_once, c);
    }

    static const struct {
        int tasks;
        long quota;
        int fail_first;
        enum finish_order order;
        const char *what;
    } quota_tests[] = {
        {5, 3, 0, FIRST_FIRST, "downloads end together"},
        {5, 3, 0, LAST_FIRST, "the last started ends first"},
        {5, 3, 0, ONE_PER_WAIT, "one download ends at a time"},
        {6, 2, 1, FIRST_FIRST, "the first download fails"},
        {6, 3, 2, ONE_PER_WAIT, "two downloads fail"},
        {4, 0, 0, FIRST_FIRST, "a quota of 0"},
        {3, 5, 0, LAST_FIRST, "a quota larger than the tasks"},
    };
    for (size_t i = 0; i < sizeof quota_tests / sizeof quota_tests[0]; i++) {
        struct quota_case *c = &quota[i];
        c->tasks = quota_tests[i].tasks;
        c->quota = quota_tests[i].quota;
        c->fail_first = quota_tests[i].fail_first;
        c->order = quota_tests[i].order;
        snprintf(c->name, sizeof c->name, "quota: %d tasks, a quota of %ld: %s", c->tasks,
                 c->quota, quota_tests[i].what);
        c->base.name = c->name;
        t_quota[nq++] = (struct CMUnitTest)RLTEST(test_quota, c);
    }

    const struct rltest_group groups[] = {
        {"tally", "TODO(lab 8) tally: make each add one indivisible step (a lock around the "
                  "read and the write, or one atomic add)",
         t_tally, (size_t)nt, false},
        {"limit", "TODO(lab 8) limit: a counting semaphore (or a mutex and a condition "
                  "variable in a while loop): check and take a place in one step",
         t_limit, (size_t)nl, false},
        {"init", "TODO(lab 8) init: pthread_once (or call_once): one init, and every caller "
                 "waits until it has returned",
         t_init, (size_t)ni, false},
        {"quota", "TODO(lab 8) quota: no await between checking the quota and taking from "
                  "it; give it back when the download fails",
         t_quota, (size_t)nq, false},
    };
    int rc = rltest_main(argc, argv, groups, sizeof groups / sizeof groups[0]);
    if (server_up)
        flags_server_stop(&server);
    return rc;
}

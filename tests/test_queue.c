/*
 * test_queue.c - lab 3's exercise tests: each queue strategy must keep the
 * contract in include/queue.h.
 *
 * One source, linked against labs/queue.c or solutions/queue.c (or any
 * IMPL=DIR). `make check` runs each exercise's group twice: in the shake
 * build, where every shared access, lock and condition wait in the
 * exercise file is a fuzz point (a wait may wake for no reason), and under
 * ThreadSanitizer, which must report nothing.
 *
 * The tests:
 *   - API: bad capacities refused; FIFO, full, empty and length in one
 *     thread; a closed queue drains, then says closed;
 *   - blocking, with a schedule the test controls: put on a full queue and
 *     get on an empty one stay blocked until the other side acts; close
 *     wakes every blocked getter and every blocked putter; a timed get
 *     returns within its time (generous bounds: these catch hangs and
 *     early returns, they do not measure speed);
 *   - stress with the amplifier on: producers and consumers in several
 *     shapes, shut down by close and by poison pills, every item received
 *     exactly once and in order per producer, while another thread calls
 *     length() all along.
 * Helper threads only record what their call returned; the main thread
 * joins them and asserts.
 */
#include "rltest.h"

#include "queue.h"
#include "racelab.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Items moved through the queue per stress test: TSan needs few to see a
 * race and slows every access, the shake build needs many pauses to land
 * in the right places. The close-midway shape runs a few rounds only: the
 * races between close and a put in flight are the explorer's to find
 * (tests/explore_queue.c), on every run, where 300 rounds here found them
 * only sometimes. */
#ifdef UNDER_TSAN
enum { STRESS_ITEMS = 600, CLOSE_ROUNDS = 10 };
#else
enum { STRESS_ITEMS = 6000, CLOSE_ROUNDS = 30 };
#endif
enum { CLOSE_ITEMS = 24 }; /* per producer, per run of the close-midway shape */
enum { SEED = 3000 };

/* How long a blocked call is given to show it returns too early, and how
 * long a woken one is given to return: bounds for a hang, not a speed. */
#define SETTLE_S 0.1
#define WAKE_S 5.0

struct queue_case {
    struct rltest_case base;
    const struct queue_strategy *strategy;
    struct queue_config cfg;    /* stress tests */
    char name[96];
};

static struct queue *make(const struct queue_case *c, long capacity)
{
    struct queue *q = queue_create(c->strategy, capacity);
    if (!q)
        fail_msg("%s: create(%ld) returned NULL: %s", queue_strategy_name(c->strategy),
                 capacity, strerror(errno));
    return q;
}

#define ITEM(n) ((void *)(uintptr_t)(n))

/* A call that must return a given status, with a message that says which. */
#define EXPECT(call, want) expect_status(#call, (call), (want))
static void expect_status(const char *call, enum queue_status got, enum queue_status want)
{
    if (got != want)
        fail_msg("%s returned '%s', expected '%s'", call, queue_status_name(got),
                 queue_status_name(want));
}

/* ---- one thread, no waiting -------------------------------------------- */

static void test_create_refuses(void **state)
{
    const struct queue_case *c = *state;
    const long bad[] = {0, -1, LONG_MIN, QUEUE_MAX_CAPACITY + 1, LONG_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        struct queue *q = queue_create(c->strategy, bad[i]);
        if (q) {
            queue_destroy(q);
            fail_msg("create(%ld) made a queue; it must return NULL (errno EINVAL)", bad[i]);
        }
        if (errno != EINVAL)
            fail_msg("create(%ld) returned NULL with errno %d (%s), not EINVAL", bad[i],
                     errno, strerror(errno));
    }
    struct queue *q = make(c, 1);
    queue_destroy(q);
}

static void test_fifo_one_thread(void **state)
{
    const struct queue_case *c = *state;
    enum { CAP = 5, LAPS = 3 };
    struct queue *q = make(c, CAP);
    void *item = ITEM(999);
    long next = 0;
    for (int lap = 0; lap < LAPS; lap++) {
        assert_int_equal(queue_length(q), 0);
        EXPECT(queue_try_get(q, &item), QUEUE_EMPTY);
        for (long i = 0; i < CAP; i++) {
            EXPECT(queue_try_put(q, ITEM(next + i)), QUEUE_OK);
            assert_int_equal(queue_length(q), i + 1);
        }
        EXPECT(queue_try_put(q, ITEM(-1)), QUEUE_FULL);
        for (long i = 0; i < CAP; i++) {
            enum queue_status s = i % 2 ? queue_get(q, &item) : queue_try_get(q, &item);
            assert_int_equal(s, QUEUE_OK);
            if (item != ITEM(next + i))
                fail_msg("lap %d: got item %ld, expected %ld (first in, first out)", lap,
                         (long)(uintptr_t)item, next + i);
        }
        next += CAP;
    }
    /* NULL is an item like any other. */
    EXPECT(queue_put(q, NULL), QUEUE_OK);
    EXPECT(queue_get(q, &item), QUEUE_OK);
    assert_null(item);
    queue_destroy(q);
}

/* ---- blocking calls, on a schedule the test controls ------------------- */

enum op { PUT, GET, GET_TIMEOUT };

struct call {
    pthread_t thread;
    struct queue *q;
    enum op op;
    void *item;                 /* PUT: what to put */
    double seconds;             /* GET_TIMEOUT */
    unsigned stream;            /* fuzz stream */
    enum queue_status status;   /* written before done is set */
    void *got;                  /* GET: the item, written before done */
    int64_t returned_ns;        /* written before done */
    atomic_bool done;           /* release by the helper, acquire by main */
};

static void *call_main(void *arg)
{
    struct call *c = arg;
    rl_fuzz_thread(c->stream);
    switch (c->op) {
    case PUT: c->status = queue_put(c->q, c->item); break;
    case GET: c->status = queue_get(c->q, &c->got); break;
    case GET_TIMEOUT: c->status = queue_get_timeout(c->q, &c->got, c->seconds); break;
    }
    c->returned_ns = rl_now_ns();
    /* release: pairs with the acquire in is_done, which then sees the
     * status, item and time written above. */
    atomic_store_explicit(&c->done, true, memory_order_release);
    return NULL;
}

static void start(struct call *c, struct queue *q, enum op op, void *item, unsigned stream)
{
    c->q = q;
    c->op = op;
    c->item = item;
    c->stream = stream;
    c->got = ITEM(12345);
    atomic_init(&c->done, false);
    rl_thread_create(&c->thread, call_main, c);
}

static bool is_done(struct call *c)
{
    return atomic_load_explicit(&c->done, memory_order_acquire);
}

static void pause_s(double s)
{
    struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&t, NULL);
}

/* How many of calls[0..n) are done, after waiting up to seconds for all. */
static int wait_all(struct call *calls, int n, double seconds)
{
    int64_t deadline = rl_now_ns() + (int64_t)(seconds * 1e9);
    for (;;) {
        int done = 0;
        for (int i = 0; i < n; i++)
            done += is_done(&calls[i]);
        if (done == n || rl_now_ns() >= deadline)
            return done;
        pause_s(0.001);
    }
}

/* Helper threads that never returned are left blocked on their queue: the
 * test has failed, and the queue and the calls stay allocated for them. */
static void join_all(struct call *calls, int n)
{
    for (int i = 0; i < n; i++)
        rl_thread_join(calls[i].thread, NULL);
}

static void test_close_drains(void **state)
{
    const struct queue_case *c = *state;
    struct queue *q = make(c, 4);
    void *item = NULL;
    for (long i = 1; i <= 3; i++)
        EXPECT(queue_put(q, ITEM(i)), QUEUE_OK);
    queue_close(q);
    EXPECT(queue_put(q, ITEM(4)), QUEUE_CLOSED);
    EXPECT(queue_try_put(q, ITEM(4)), QUEUE_CLOSED);
    for (long i = 1; i <= 3; i++) {
        enum queue_status s = i == 1 ? queue_get(q, &item)
                            : i == 2 ? queue_try_get(q, &item)
                                     : queue_get_timeout(q, &item, 1.0);
        if (s != QUEUE_OK)
            fail_msg("get %ld of 3 after close returned '%s': a closed queue is drained "
                     "before it says closed", i, queue_status_name(s));
        assert_ptr_equal(item, ITEM(i));
    }
    EXPECT(queue_try_get(q, &item), QUEUE_CLOSED);
    /* A get that waits forever here would hang the test: a helper makes it,
     * and a stuck one fails in seconds (the queue is then left to it). */
    static struct call get;
    start(&get, q, GET, NULL, 1);
    if (wait_all(&get, 1, WAKE_S) != 1)
        fail_msg("get on a closed, drained queue still waiting after %.0f s: it must "
                 "return 'closed'", WAKE_S);
    join_all(&get, 1);
    expect_status("get on a closed, drained queue", get.status, QUEUE_CLOSED);
    EXPECT(queue_get_timeout(q, &item, 1.0), QUEUE_CLOSED);
    queue_close(q); /* twice is harmless */
    EXPECT(queue_try_get(q, &item), QUEUE_CLOSED);
    queue_destroy(q);
}

static void test_put_blocks_when_full(void **state)
{
    const struct queue_case *c = *state;
    static struct call put;
    rl_fuzz_enable(SEED + 1);
    struct queue *q = make(c, 2);
    void *item = NULL;
    EXPECT(queue_put(q, ITEM(1)), QUEUE_OK);
    EXPECT(queue_put(q, ITEM(2)), QUEUE_OK);
    start(&put, q, PUT, ITEM(3), 1);
    pause_s(SETTLE_S);
    if (is_done(&put))
        fail_msg("put on a full queue returned '%s' at once; it must wait for a get",
                 queue_status_name(put.status));
    EXPECT(queue_get(q, &item), QUEUE_OK);
    assert_ptr_equal(item, ITEM(1));
    if (wait_all(&put, 1, WAKE_S) != 1)
        fail_msg("put still blocked %.0f s after a get made room", WAKE_S);
    join_all(&put, 1);
    expect_status("put, once woken", put.status, QUEUE_OK);
    EXPECT(queue_get(q, &item), QUEUE_OK);
    assert_ptr_equal(item, ITEM(2));
    EXPECT(queue_get(q, &item), QUEUE_OK);
    assert_ptr_equal(item, ITEM(3));
    rl_fuzz_disable();
    queue_destroy(q);
}

static void test_get_blocks_when_empty(void **state)
{
    const struct queue_case *c = *state;
    static struct call get;
    rl_fuzz_enable(SEED + 2);
    struct queue *q = make(c, 2);
    start(&get, q, GET, NULL, 1);
    pause_s(SETTLE_S);
    if (is_done(&get))
        fail_msg("get on an empty queue returned '%s' at once; it must wait for a put "
                 "(a wait in an `if` instead of a `while`?)", queue_status_name(get.status));
    EXPECT(queue_put(q, ITEM(7)), QUEUE_OK);
    if (wait_all(&get, 1, WAKE_S) != 1)
        fail_msg("get still blocked %.0f s after a put", WAKE_S);
    join_all(&get, 1);
    expect_status("get, once woken", get.status, QUEUE_OK);
    assert_ptr_equal(get.got, ITEM(7));
    rl_fuzz_disable();
    queue_destroy(q);
}

enum { BLOCKED = 4 };

static void test_close_wakes_getters(void **state)
{
    const struct queue_case *c = *state;
    static struct call gets[BLOCKED];
    rl_fuzz_enable(SEED + 3);
    struct queue *q = make(c, 3);
    for (int i = 0; i < BLOCKED; i++)
        start(&gets[i], q, GET, NULL, (unsigned)i + 1);
    pause_s(SETTLE_S);
    int early = wait_all(gets, BLOCKED, 0);
    if (early > 0)
        fail_msg("%d of %d gets on an empty open queue returned before close", early,
                 BLOCKED);
    queue_close(q);
    int woken = wait_all(gets, BLOCKED, WAKE_S);
    if (woken != BLOCKED)
        fail_msg("close woke %d of %d blocked gets; it must wake every one "
                 "(broadcast, not signal)", woken, BLOCKED);
    join_all(gets, BLOCKED);
    for (int i = 0; i < BLOCKED; i++)
        if (gets[i].status != QUEUE_CLOSED)
            fail_msg("a get woken by close returned '%s', not 'closed'",
                     queue_status_name(gets[i].status));
    rl_fuzz_disable();
    queue_destroy(q);
}

static void test_close_wakes_putters(void **state)
{
    const struct queue_case *c = *state;
    static struct call puts_[BLOCKED];
    rl_fuzz_enable(SEED + 4);
    struct queue *q = make(c, 1);
    void *item = NULL;
    EXPECT(queue_put(q, ITEM(1)), QUEUE_OK);
    for (int i = 0; i < BLOCKED; i++)
        start(&puts_[i], q, PUT, ITEM(100 + i), (unsigned)i + 1);
    pause_s(SETTLE_S);
    int early = wait_all(puts_, BLOCKED, 0);
    if (early > 0)
        fail_msg("%d of %d puts on a full open queue returned before close", early,
                 BLOCKED);
    queue_close(q);
    int woken = wait_all(puts_, BLOCKED, WAKE_S);
    if (woken != BLOCKED)
        fail_msg("close woke %d of %d blocked puts; it must wake every one", woken,
                 BLOCKED);
    join_all(puts_, BLOCKED);
    for (int i = 0; i < BLOCKED; i++)
        if (puts_[i].status != QUEUE_CLOSED)
            fail_msg("a put woken by close returned '%s', not 'closed'",
                     queue_status_name(puts_[i].status));
    EXPECT(queue_get(q, &item), QUEUE_OK);
    assert_ptr_equal(item, ITEM(1));
    EXPECT(queue_get(q, &item), QUEUE_CLOSED);
    rl_fuzz_disable();
    queue_destroy(q);
}

static void test_timed_get(void **state)
{
    const struct queue_case *c = *state;
    static struct call get;
    const double wait_s = 0.2;
    rl_fuzz_enable(SEED + 5);
    struct queue *q = make(c, 2);
    void *item = NULL;

    /* Empty: gives up after its time, not before, not much after. Several
     * seeds, so that some wait wakes for no reason (see rl_fuzz_wakeup)
     * and a single wait in an `if` is caught giving up early. */
    for (uint64_t k = 0; k < 8; k++) {
        rl_fuzz_enable(SEED + 50 + k);
        double w = k == 0 ? wait_s : wait_s / 8;
        int64_t t0 = rl_now_ns();
        enum queue_status s = queue_get_timeout(q, &item, w);
        double took = (double)(rl_now_ns() - t0) / 1e9;
        if (s != QUEUE_TIMEOUT)
            fail_msg("get_timeout(%.3f s) on an empty queue returned '%s', not 'timeout'",
                     w, queue_status_name(s));
        if (took < w)
            fail_msg("get_timeout(%.3f s) gave up after %.3f s: too early (a wait that "
                     "woke up must wait again until the deadline)", w, took);
        if (took > w + WAKE_S)
            fail_msg("get_timeout(%.3f s) took %.3f s", w, took);
    }
    EXPECT(queue_get_timeout(q, &item, 0), QUEUE_TIMEOUT);
    EXPECT(queue_get_timeout(q, &item, -1), QUEUE_TIMEOUT);

    /* An item there: returns it at once. */
    EXPECT(queue_put(q, ITEM(5)), QUEUE_OK);
    EXPECT(queue_get_timeout(q, &item, 0), QUEUE_OK);
    assert_ptr_equal(item, ITEM(5));

    /* Woken by a put long before its time runs out. */
    get.seconds = 60;
    start(&get, q, GET_TIMEOUT, NULL, 1);
    pause_s(SETTLE_S);
    if (is_done(&get))
        fail_msg("get_timeout(60 s) on an empty queue returned '%s' at once",
                 queue_status_name(get.status));
    int64_t put_ns = rl_now_ns();
    EXPECT(queue_put(q, ITEM(6)), QUEUE_OK);
    if (wait_all(&get, 1, WAKE_S) != 1)
        fail_msg("get_timeout(60 s) still waiting %.0f s after a put", WAKE_S);
    join_all(&get, 1);
    expect_status("get_timeout(60 s), once woken", get.status, QUEUE_OK);
    assert_ptr_equal(get.got, ITEM(6));
    assert_true(get.returned_ns >= put_ns);
    rl_fuzz_disable();
    queue_destroy(q);
}

/* ---- stress ------------------------------------------------------------ */

struct stress {
    const struct queue_case *c;
    struct queue_config cfg;    /* c's, scaled down by rltest_light */
    _Atomic long progress;      /* atomic, relaxed: items moved */
    struct queue_result r;      /* read after the run is joined */
};

static void stress_run(void *arg)
{
    struct stress *st = arg;
    st->r = queue_run(st->c->strategy, &st->cfg, &st->progress);
}

static long stress_progress(void *arg)
{
    struct stress *st = arg;
    return atomic_load_explicit(&st->progress, memory_order_relaxed);
}

static void stress_once(const struct queue_case *c, uint64_t seed, int round);


static void test_stress(void **state)
{
    const struct queue_case *c = *state;
    uint64_t seed = SEED + (uint64_t)c->cfg.producers * 100 + (uint64_t)c->cfg.consumers;
    /* A close that races with puts has one chance per run to hit a bad
     * moment: give it many short runs. */
    int rounds = c->cfg.close_midway ? rltest_light(CLOSE_ROUNDS) : 1;
    for (int round = 0; round < rounds; round++)
        stress_once(c, seed + (uint64_t)round * 7919, round);
}

static void stress_once(const struct queue_case *c, uint64_t seed, int round)
{
    rl_fuzz_enable(seed);
    struct stress *st = calloc(1, sizeof *st); /* leaked if the run is stuck */
    assert_non_null(st);
    st->c = c;
    st->cfg = c->cfg;
    if (!c->cfg.close_midway) /* RACELAB_LIGHT: fewer */
        st->cfg.items = rltest_light(c->cfg.items);
    long items = st->cfg.items;
    /* The run goes on in another thread while this one watches it move:
     * a run that stops fails in seconds, with the counts so far. */
    if (!rltest_run_watched(stress_run, st, stress_progress, WAKE_S))
        fail_msg("%s, run %d: stuck: no item moved for %.0f s, after %ld puts and gets "
                 "(a lost wake-up, or a corrupted queue)", c->name, round + 1, WAKE_S,
                 stress_progress(st));
    rl_fuzz_disable();
    struct queue_result r = st->r;
    free(st);
    if (r.bad_status > 0 || r.bad_length > 0)
        fail_msg("%s, run %d: %s", c->name, round + 1, r.first_error);
    if (!queue_result_ok(&r))
        fail_msg("%s, run %d: sent %ld, received %ld, lost %ld, duplicated %ld, out of "
                 "order %ld", c->name, round + 1, r.sent, r.received, r.lost, r.duplicated,
                 r.out_of_order);
    if (!c->cfg.close_midway)
        assert_int_equal(r.sent, (long)c->cfg.producers * items);
    assert_int_equal(r.received, r.sent);
}

/* Producers, consumers, capacity, pills: one to one; many to many; many
 * consumers fighting over one slot (stolen and spurious wake-ups); many
 * producers on a tiny queue; both again with pills. */
static const struct queue_config shapes[] = {
    {1, 1, 0, 4, false, true, false, false},
    {4, 4, 0, 16, false, true, false, false},
    {1, 8, 0, 1, false, true, false, false},
    {8, 1, 0, 2, false, true, false, false},
    {4, 4, 0, 1, true, true, false, false},
    {2, 6, 0, 3, true, true, false, false},
    {8, 2, 0, 64, false, true, true, false},
};
enum { NSHAPES = sizeof shapes / sizeof shapes[0] };

struct single {
    const char *name;
    void (*fn)(void **state);
};
static const struct single singles[] = {
    {"create refuses bad capacities", test_create_refuses},
    {"first in, first out, in one thread", test_fifo_one_thread},
    {"close drains, then says closed", test_close_drains},
    {"put on a full queue waits for a get", test_put_blocks_when_full},
    {"get on an empty queue waits for a put", test_get_blocks_when_empty},
    {"close wakes every blocked get", test_close_wakes_getters},
    {"close wakes every blocked put", test_close_wakes_putters},
    {"get with a timeout", test_timed_get},
};
enum { NSINGLES = sizeof singles / sizeof singles[0], PER_GROUP = NSINGLES + NSHAPES };

static const struct {
    const char *strategy;
    const char *hint;
} exercises[] = {
    {"locked", "TODO(lab 3) locked: one mutex around every access, each wait in a "
               "while loop, close broadcasts both conditions"},
    {"lockfree", "TODO(lab 3) lockfree: claim a position with compare-exchange, "
                 "publish the slot's seq with release, read it with acquire"},
};
enum { NEXERCISES = sizeof exercises / sizeof exercises[0] };

int main(int argc, char **argv)
{
    static struct queue_case cases[NEXERCISES][PER_GROUP];
    static struct CMUnitTest tests[NEXERCISES][PER_GROUP];
    struct rltest_group groups[NEXERCISES];

    for (int e = 0; e < NEXERCISES; e++) {
        const struct queue_strategy *s = queue_find(exercises[e].strategy);
        for (int k = 0; k < PER_GROUP; k++) {
            struct queue_case *c = &cases[e][k];
            c->strategy = s;
            void (*fn)(void **) = test_stress;
            if (k < NSINGLES) {
                snprintf(c->name, sizeof c->name, "%s: %s", exercises[e].strategy,
                         singles[k].name);
                fn = singles[k].fn;
            } else {
                c->cfg = shapes[k - NSINGLES];
                c->cfg.items = c->cfg.close_midway ? CLOSE_ITEMS
                                                   : STRESS_ITEMS / c->cfg.producers;
                snprintf(c->name, sizeof c->name,
                         "%s: %d producer%s, %d consumer%s, capacity %ld, %s, fuzz",
                         exercises[e].strategy, c->cfg.producers,
                         c->cfg.producers == 1 ? "" : "s", c->cfg.consumers,
                         c->cfg.consumers == 1 ? "" : "s", c->cfg.capacity,
                         c->cfg.pills ? "poison pills"
                         : c->cfg.close_midway ? "closed while producers put, many runs"
                                               : "close");
            }
            c->base.name = c->name;
            tests[e][k] = (struct CMUnitTest)RLTEST(fn, c);
        }
        groups[e] = (struct rltest_group){exercises[e].strategy, exercises[e].hint,
                                          tests[e], PER_GROUP, false};
    }
    return rltest_main(argc, argv, groups, NEXERCISES);
}

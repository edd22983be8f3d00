/*
 * explore_queue.c - lab 3's explorer scenarios: two or three threads make a
 * few calls on one small queue, under every schedule up to a preemption
 * bound, and a check holds the outcome to the contract in include/queue.h.
 *
 * The same scenarios run on both exercises (locked, lockfree): they test
 * the contract, not the reference's insides. Each thread follows a script
 * (put, get, try_get, get_timeout, close, drain: get until closed, sleep);
 * every call is logged with its status, its item, its virtual start and
 * end times, and a tick before and after it (one thread runs at a time,
 * so the ticks order calls that did not overlap). The check then drains
 * what is left and asks:
 *   - every item whose put said ok came out exactly once, and no other;
 *   - a get that said closed (closed and drained) saw no item come out
 *     after it; a put that started after a close returned said closed; no
 *     call said closed before any close began;
 *   - items of puts that did not overlap came out in their order;
 *   - get_timeout said timeout no earlier than its time, and returned no
 *     later (virtual time: a one-second wait costs no wall time).
 * Blocked calls that never return are the explorer's own verdicts
 * (deadlock, livelock). Spurious wake-ups are choices where a scenario
 * allows one, as POSIX does.
 *
 * The races between close and a put in flight, which make check catches
 * only sometimes (docs/queue.md), are small scenarios here that catch
 * them on every run: a put racing a close and a try_get, and a put racing
 * another thread's put, close and try_gets.
 *
 * What no scenario can show: a relaxed order where release/acquire was
 * needed (the explorer runs sequentially consistent), or an unlocked read
 * of length() (a data race, but it reads a value the queue had). Those are
 * ThreadSanitizer's, in make check.
 *
 * The specimen (src/queue_unsafe.c) shows its lost item (two puts read the
 * same tail) and its duplicate (two gets read the same head).
 */
#include "explore.h"

#include "queue.h"

#include <stdint.h>
#include <time.h>

/* ---- one strategy's calls, on its own struct (named "q" in traces) ------ */

struct impl {
    void *(*create)(long capacity);
    enum queue_status (*put)(void *q, void *item);
    enum queue_status (*get)(void *q, void **item);
    enum queue_status (*try_put)(void *q, void *item);
    enum queue_status (*try_get)(void *q, void **item);
    enum queue_status (*get_timeout)(void *q, void **item, double seconds);
    void (*close)(void *q);
};

#define IMPL(S)                                                                \
    static void *S##_create(long c) { return queue_##S##_create(c); }          \
    static enum queue_status S##_put(void *q, void *i) { return queue_##S##_put(q, i); } \
    static enum queue_status S##_get(void *q, void **i) { return queue_##S##_get(q, i); } \
    static enum queue_status S##_try_put(void *q, void *i)                     \
    {                                                                         \
        return queue_##S##_try_put(q, i);                                      \
    }                                                                         \
    static enum queue_status S##_try_get(void *q, void **i)                    \
    {                                                                         \
        return queue_##S##_try_get(q, i);                                      \
    }                                                                         \
    static enum queue_status S##_get_timeout(void *q, void **i, double s)      \
    {                                                                         \
        return queue_##S##_get_timeout(q, i, s);                               \
    }                                                                         \
    static void S##_close(void *q) { queue_##S##_close(q); }                   \
    static const struct impl S##_impl = {                                      \
        S##_create, S##_put, S##_get, S##_try_put, S##_try_get,                \
        S##_get_timeout, S##_close,                                            \
    };

IMPL(unsafe)
IMPL(locked)
IMPL(lockfree)

/* ---- scripts ------------------------------------------------------------ */

enum op { END, PUT, GET, TRY_GET, GET_TIMEOUT, DRAIN, CLOSE, SLEEP };
static const char *const op_names[] = {
    "end", "put", "get", "try_get", "get_timeout", "get", "close", "sleep",
};

enum { MAX_OPS = 4, MAX_CALLS = 16, MAX_SIDE = 3 };

struct step {
    enum op op;
    double units;       /* get_timeout, sleep: in the group's time unit */
};

struct script {
    long capacity;
    int prefill;        /* items put by setup, before the threads start */
    struct step steps[MAX_SIDE][MAX_OPS];
};

/* An item: its producer (1 + thread, or 9 for setup) and its number. */
#define ITEM(producer, n) ((void *)(uintptr_t)((producer) * 100 + (n)))
enum { SETUP_PRODUCER = 9 };

/* One call as it happened. */
struct call {
    enum op op;
    enum queue_status status;
    uintptr_t item;             /* put: the item; get: what came out, if ok */
    double seconds;             /* get_timeout */
    long long t0, t1;           /* virtual ns */
    long s0, s1;                /* ticks */
};

static const struct impl *impl;
static const struct script *script;
static double unit;             /* seconds per time unit of the script */
static void *q;
static long ticks;              /* global order of call starts and ends */
static struct call calls[MAX_SIDE + 1][MAX_CALLS]; /* the last row: check's drain */
static int ncalls[MAX_SIDE + 1];
static long setup_ticks;

static void start(const struct impl *i, const struct script *s, double u)
{
    impl = i;
    script = s;
    unit = u;
    q = impl->create(s->capacity);
    if (!q)
        return;
    rlx_name(q, "q");
    for (int n = 1; n <= s->prefill; n++) {
        struct call *c = &calls[MAX_SIDE][ncalls[MAX_SIDE]++];
        *c = (struct call){.op = PUT, .item = (uintptr_t)ITEM(SETUP_PRODUCER, n)};
        c->status = impl->try_put(q, (void *)c->item);
    }
    setup_ticks = ++ticks;
}

static struct call *begin(int tid, enum op op)
{
    if (ncalls[tid] == MAX_CALLS)
        return NULL;
    struct call *c = &calls[tid][ncalls[tid]++];
    *c = (struct call){.op = op, .t0 = rlx_now_ns(), .s0 = ++ticks};
    return c;
}

static void end(struct call *c)
{
    c->t1 = rlx_now_ns();
    c->s1 = ++ticks;
}

static void body(int tid)
{
    int puts = 0;
    for (int k = 0; k < MAX_OPS && script->steps[tid][k].op != END; k++) {
        const struct step *st = &script->steps[tid][k];
        if (st->op == SLEEP) {
            double s = st->units * unit;
            struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
            nanosleep(&ts, NULL);
            continue;
        }
        if (st->op == DRAIN) {
            for (;;) {
                struct call *c = begin(tid, GET);
                if (!c)
                    return;
                void *item = NULL;
                c->status = impl->get(q, &item);
                c->item = (uintptr_t)item;
                end(c);
                if (c->status != QUEUE_OK)
                    break;
            }
            continue;
        }
        struct call *c = begin(tid, st->op);
        if (!c)
            return;
        void *item = NULL;
        switch (st->op) {
        case PUT:
            c->item = (uintptr_t)ITEM(tid + 1, ++puts);
            c->status = impl->put(q, (void *)c->item);
            break;
        case GET:
            c->status = impl->get(q, &item);
            break;
        case TRY_GET:
            c->status = impl->try_get(q, &item);
            break;
        case GET_TIMEOUT:
            c->seconds = st->units * unit;
            c->status = impl->get_timeout(q, &item, c->seconds);
            break;
        case CLOSE:
            impl->close(q);
            break;
        default:
            break;
        }
        if (st->op != PUT)
            c->item = (uintptr_t)item;
        end(c);
    }
}

/* ---- the check ---------------------------------------------------------- */

static bool is_put(const struct call *c)
{
    return c->op == PUT;
}

static bool is_get(const struct call *c)
{
    return c->op == GET || c->op == TRY_GET || c->op == GET_TIMEOUT;
}

static const char *who(int t)
{
    static const char *const names[] = {"thread a", "thread b", "thread c", "setup"};
    return t == MAX_SIDE ? "the final drain" : names[t];
}

static const char *item_name(uintptr_t item)
{
    static char buf[2][16];
    static int k;
    k ^= 1;
    if (item / 100 == SETUP_PRODUCER)
        snprintf(buf[k], sizeof buf[k], "s%lu", (unsigned long)(item % 100));
    else if (item / 100 >= 1 && item / 100 <= MAX_SIDE)
        snprintf(buf[k], sizeof buf[k], "%c%lu", (char)('a' + item / 100 - 1),
                 (unsigned long)(item % 100));
    else
        snprintf(buf[k], sizeof buf[k], "%#lx", (unsigned long)item);
    return buf[k];
}

/* Every call made, as (thread, call) pairs; the prefill and the final
 * drain are row MAX_SIDE (the prefill first, ticks 0; the drain last). */
#define EACH_CALL(t, i)                                                        \
    for (int t = 0; t <= MAX_SIDE; t++)                                        \
        for (int i = 0; i < ncalls[t]; i++)

static const char *check_statuses(void)
{
    long close_start = -1, close_end = -1;
    EACH_CALL(t, i) {
        const struct call *c = &calls[t][i];
        if (c->op == CLOSE && close_start < 0) {
            close_start = c->s0;
            close_end = c->s1;
        }
    }
    EACH_CALL(t, i) {
        const struct call *c = &calls[t][i];
        enum queue_status s = c->status;
        const char *name = op_names[c->op];
        bool allowed = c->op == CLOSE || s == QUEUE_OK || s == QUEUE_CLOSED ||
                       (c->op == TRY_GET && s == QUEUE_EMPTY) ||
                       (c->op == GET_TIMEOUT && s == QUEUE_TIMEOUT);
        if (!allowed)
            return rlx_say("%s: %s returned '%s'%s", who(t), name, queue_status_name(s),
                           s == QUEUE_FULL || s == QUEUE_EMPTY
                               ? ": it must wait (only the try_ calls say full or empty)"
                               : "");
        if (c->op == CLOSE)
            continue;
        if (s == QUEUE_CLOSED && (close_start < 0 || close_start > c->s1))
            return rlx_say("%s: %s said closed, but no close had begun", who(t), name);
        if (is_put(c) && s == QUEUE_OK && close_end >= 0 && close_end < c->s0)
            return rlx_say("%s: %s(%s) began after the close returned, and said ok, not closed",
                           who(t), name, item_name(c->item));
        if (c->op == GET_TIMEOUT) {
            long long want = (long long)(c->seconds * 1e9), took = c->t1 - c->t0;
            /* lockfree's back-off may sleep up to 1 ms past the deadline */
            long long slack = 2000000;
            if (s == QUEUE_TIMEOUT && took < want)
                return rlx_say("%s: get_timeout(%.3f s) said timeout after %.3f s: too early "
                               "(a wake-up taken for the end of the wait?)",
                               who(t), c->seconds, (double)took / 1e9);
            if (took > want + slack)
                return rlx_say("%s: get_timeout(%.3f s) returned '%s' after %.3f s: its deadline "
                               "was at %.3f s (restarted after a wake-up?)",
                               who(t), c->seconds, queue_status_name(s), (double)took / 1e9,
                               (double)(c->t0 + want) / 1e9);
        }
    }
    return NULL;
}

static const char *check_items(void)
{
    EACH_CALL(t, i) {
        const struct call *p = &calls[t][i];
        if (!is_put(p))
            continue;
        int got = 0;
        EACH_CALL(u, j) {
            const struct call *g = &calls[u][j];
            got += is_get(g) && g->status == QUEUE_OK && g->item == p->item;
        }
        if (p->status == QUEUE_OK && got == 0)
            return rlx_say("item %s was lost: its put said ok, no get returned it",
                           item_name(p->item));
        if (p->status == QUEUE_OK && got > 1)
            return rlx_say("item %s came out %d times", item_name(p->item), got);
        if (p->status != QUEUE_OK && got > 0)
            return rlx_say("item %s came out, but its put said '%s'", item_name(p->item),
                           queue_status_name(p->status));
    }
    EACH_CALL(t, i) {
        const struct call *g = &calls[t][i];
        if (!is_get(g) || g->status != QUEUE_OK)
            continue;
        bool sent = false;
        EACH_CALL(u, j)
            sent |= is_put(&calls[u][j]) && calls[u][j].item == g->item;
        if (!sent)
            return rlx_say("%s: %s returned %s, which no one put", who(t), op_names[g->op],
                           item_name(g->item));
        /* Closed means closed and drained: nothing may come out after. */
        EACH_CALL(u, j) {
            const struct call *c = &calls[u][j];
            if (is_get(c) && c->status == QUEUE_CLOSED && c->s1 < g->s0)
                return rlx_say("%s: %s said closed (drained), but item %s was still to come "
                               "(%s got it later)",
                               who(u), op_names[c->op], item_name(g->item), who(t));
        }
    }
    /* Puts that did not overlap: their items come out in their order. */
    EACH_CALL(t, i) {
        const struct call *p1 = &calls[t][i];
        if (!is_put(p1) || p1->status != QUEUE_OK)
            continue;
        EACH_CALL(u, j) {
            const struct call *p2 = &calls[u][j];
            if (!is_put(p2) || p2->status != QUEUE_OK || !(p1->s1 < p2->s0))
                continue;
            EACH_CALL(v, k) {
                const struct call *g1 = &calls[v][k];
                if (!is_get(g1) || g1->status != QUEUE_OK || g1->item != p1->item)
                    continue;
                EACH_CALL(w, l) {
                    const struct call *g2 = &calls[w][l];
                    if (is_get(g2) && g2->status == QUEUE_OK && g2->item == p2->item &&
                        g2->s1 < g1->s0)
                        return rlx_say("item %s came out before %s, which was put first",
                                       item_name(p2->item), item_name(p1->item));
                }
            }
        }
    }
    return NULL;
}

static const char *check(void)
{
    if (!q)
        return "create returned NULL";
    /* What is left comes out now: it counts as received, last. */
    for (;;) {
        if (ncalls[MAX_SIDE] == MAX_CALLS)
            return "the final drain found more items than were put";
        struct call *c = &calls[MAX_SIDE][ncalls[MAX_SIDE]++];
        void *item = NULL;
        *c = (struct call){.op = TRY_GET, .s0 = ++ticks};
        c->status = impl->try_get(q, &item);
        c->item = (uintptr_t)item;
        c->s1 = ++ticks;
        if (c->status != QUEUE_OK) {
            ncalls[MAX_SIDE]--; /* an empty queue's answer proves nothing here */
            break;
        }
    }
    const char *why = check_statuses();
    return why ? why : check_items();
}

/* ---- the scenarios ------------------------------------------------------ */

#define DO(o) {.op = o}
#define FOR(o, u) {.op = o, .units = u}

/* One put and one get on each side of a one-slot queue: every put after
 * the first waits for room, every get for an item, and a spurious wake-up
 * tests the loop around each wait. */
static const struct script one_slot = {
    .capacity = 1,
    .steps = {{DO(PUT), DO(PUT)}, {DO(GET), DO(GET)}},
};

/* Two getters on a queue that already holds two items. */
static const struct script two_getters = {
    .capacity = 2, .prefill = 2,
    .steps = {{DO(GET)}, {DO(GET)}},
};

/* Two getters wait on an empty queue; the third thread closes it. */
static const struct script close_getters = {
    .capacity = 1,
    .steps = {{DO(GET)}, {DO(GET)}, {DO(CLOSE)}},
};

/* A get and a get_timeout wait on an empty queue; the third thread closes
 * it. Both must wake: a close that wakes one waiter and counts on it to
 * pass the wake-up on must pass it on from every kind of get. */
static const struct script close_mixed = {
    .capacity = 1,
    .steps = {{DO(GET)}, {FOR(GET_TIMEOUT, 1)}, {DO(CLOSE)}},
};

/* Two putters wait on a full queue; the third closes it, then drains. */
static const struct script close_putters = {
    .capacity = 1, .prefill = 1,
    .steps = {{DO(PUT)}, {DO(PUT)}, {DO(CLOSE), DO(DRAIN)}},
};

/* get_timeout(1 unit) on an empty queue; half a unit later one thread puts
 * an item and another tries to take it first. A wait woken with the queue
 * still empty goes on waiting, until its own deadline. */
static const struct script stolen_timeout = {
    .capacity = 1,
    .steps = {{FOR(GET_TIMEOUT, 1)}, {FOR(SLEEP, 0.5), DO(PUT)}, {FOR(SLEEP, 0.5), DO(TRY_GET)}},
};

/* A put races a close and a try_get after it (try_get, not get: a get
 * would wait out a claimed put, and every step of its wait is one more
 * place to preempt). */
static const struct script put_close = {
    .capacity = 2,
    .steps = {{DO(PUT)}, {DO(CLOSE), DO(TRY_GET)}},
};

/* A put races another thread's put, close and two try_gets. */
static const struct script put_put_close = {
    .capacity = 2,
    .steps = {{DO(PUT)}, {DO(PUT), DO(CLOSE), DO(TRY_GET), DO(TRY_GET)}},
};

#define SETUP(strat, name, u)                                                  \
    static void setup_##strat##_##name(void) { start(&strat##_impl, &name, u); }

/* Steps in one schedule before the explorer calls it a livelock: three
 * times what the longest scenario needs, so that a livelock's trace (a get
 * that never sees the close polls on and on) stays short. The lock-free
 * get_timeout polls, sleeping, until its time is up: up to 1000 steps for
 * a wait of 10 ms, so twice that. */
enum { STEPS = 1000, POLL_STEPS = 2000 };

#define SCENARIO(strat, nm, text, n, pre, spur, steps)                        \
    {.name = text, .threads = n, .setup = setup_##strat##_##nm, .body = body,  \
     .check = check, .preemptions = pre, .spurious = spur, .max_steps = steps}

/* The contract's scenarios, for an exercise; u: its time unit in seconds
 * (lockfree waits by polling, so its virtual second costs real steps);
 * close_pre: the preemptions of "a put races a close". Two let a claim fall
 * between a close's two steps and a get between the claim and its publish
 * (a close made of a load and a store); a lock leaves no such window, so
 * one is enough there. Bounds are the fewest that catch the wrong fixes in
 * tests/mutants/queue/: each schedule costs a fork. */
#define CONTRACT(strat, u, close_pre)                                          \
    SETUP(strat, one_slot, u)                                                  \
    SETUP(strat, two_getters, u)                                               \
    SETUP(strat, close_getters, u)                                             \
    SETUP(strat, close_mixed, u)                                               \
    SETUP(strat, close_putters, u)                                             \
    SETUP(strat, stolen_timeout, u)                                            \
    SETUP(strat, put_put_close, u)                                             \
    SETUP(strat, put_close, u)                                                 \
    static const struct rlx_scenario strat##_scenarios[] = {                   \
        SCENARIO(strat, one_slot, "capacity 1, 2 puts against 2 gets, a spurious wake-up", \
                 2, 1, 1, STEPS),                                              \
        SCENARIO(strat, two_getters, "2 gets share 2 items", 2, 1, 0, STEPS),  \
        SCENARIO(strat, close_getters, "close wakes 2 waiting gets", 3, 0, 0, STEPS), \
        SCENARIO(strat, close_mixed, "close wakes a waiting get and get_timeout", \
                 3, 0, 0, POLL_STEPS),                                         \
        SCENARIO(strat, close_putters, "close wakes 2 waiting puts, then drains", \
                 3, 0, 0, STEPS),                                              \
        SCENARIO(strat, stolen_timeout, "get_timeout(T) woken by a put at T/2, item stolen", \
                 3, 0, 0, POLL_STEPS),                                         \
        SCENARIO(strat, put_put_close, "a put races a put, a close and 2 try_gets", \
                 2, 1, 0, STEPS),                                              \
        SCENARIO(strat, put_close, "a put races a close and a try_get", 2, close_pre, 0, STEPS), \
    };

CONTRACT(locked, 1.0, 1)
CONTRACT(lockfree, 0.01, 2)

/* The specimen: two puts at once lose an item, two gets duplicate one. */
static const struct script two_putters = {
    .capacity = 2,
    .steps = {{DO(PUT)}, {DO(PUT)}},
};
SETUP(unsafe, two_putters, 1.0)
SETUP(unsafe, two_getters, 1.0)
static const struct rlx_scenario unsafe_scenarios[] = {
    SCENARIO(unsafe, two_putters, "2 puts at once", 2, 1, 0, STEPS),
    SCENARIO(unsafe, two_getters, "2 gets share 2 items", 2, 1, 0, STEPS),
};

static const struct rlx_group groups[] = {
    RLX_GROUP(unsafe, true),
    RLX_GROUP(locked, false),
    RLX_GROUP(lockfree, false),
};

int main(int argc, char **argv)
{
    return rlx_main(argc, argv, "queue", groups, RLX_COUNT(groups));
}

/*
 * queue.c - lab 3: two thread-safe bounded queues that fix the specimen in
 * src/queue_unsafe.c, one with a lock and condition variables, one without
 * locks. The contract of every function is in include/queue.h.
 *
 * labs/queue.c is the exercise (grade it: make check LAB=queue),
 * solutions/queue.c the reference fix; `make diff LAB=queue` shows the
 * difference. Labs 2 and 4 run on the locked queue of the same directory.
 */
#include "queue.h"
#include "racelab.h"

#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* ---- locked ------------------------------------------------------------ */

/*
 * A ring buffer of capacity slots: the items are slots[head], then
 * slots[head + 1], ... (modulo capacity), count of them.
 *
 * Two condition variables, one per thing a thread can wait for. Each wait
 * sits in a while loop that re-tests its condition after waking, because
 * waking proves nothing: another thread may have taken the item first (a
 * "stolen" wake-up), and POSIX allows wake-ups for no reason at all.
 */
struct queue_locked {
    pthread_mutex_t lock;
    pthread_cond_t not_empty; /* waited on by get while count == 0 */
    pthread_cond_t not_full;  /* waited on by put while count == capacity */
    void **slots;             /* TODO(lab 3) locked: guarded by nothing yet */
    long capacity;            /* constant after create */
    long head, count;         /* TODO(lab 3) locked: guarded by nothing yet */
    bool closed;              /* TODO(lab 3) locked: guarded by nothing yet */
};

struct queue_locked *queue_locked_create(long capacity)
{
    if (capacity < 1 || capacity > QUEUE_MAX_CAPACITY) {
        errno = EINVAL;
        return NULL;
    }
    struct queue_locked *q = calloc(1, sizeof *q);
    void **slots = calloc((size_t)capacity, sizeof *slots);
    if (!q || !slots) {
        free(q);
        free(slots);
        errno = ENOMEM;
        return NULL;
    }
    rl_mutex_init(&q->lock);
    rl_cond_init(&q->not_empty);
    rl_cond_init(&q->not_full);
    q->slots = slots;
    q->capacity = capacity;
    return q;
}

void queue_locked_destroy(struct queue_locked *q)
{
    if (!q)
        return;
    rl_cond_destroy(&q->not_full);
    rl_cond_destroy(&q->not_empty);
    rl_mutex_destroy(&q->lock);
    free(q->slots);
    free(q);
}

/* TODO(lab 3) locked: make every function below keep the contract in
 * include/queue.h when many threads call them at once. As shipped they
 * touch the ring with no lock, and where they should wait they return
 * QUEUE_FULL or QUEUE_EMPTY instead. Contract for your fix:
 *   - every access to slots, head, count and closed happens with q->lock
 *     held, reads included (length too);
 *   - put waits on not_full while the queue is full and open; get waits on
 *     not_empty while it is empty and open; get_timeout the same, with
 *     rl_cond_timedwait and its deadline. Each wait sits in a `while` loop
 *     that re-tests the condition: waking up proves nothing;
 *   - a put that adds an item signals not_empty; a get that removes one
 *     signals not_full;
 *   - close sets closed and wakes every waiter of both conditions;
 *   - a closed queue refuses puts and hands out what it still holds before
 *     get says QUEUE_CLOSED.
 * Use rl_mutex_lock, rl_cond_wait, ... (include/racelab.h): they check
 * errors, and with --fuzz rl_cond_wait sometimes wakes for no reason, as
 * POSIX allows, to test your loops. */

/* The two halves every put and get share. */
static void locked_push(struct queue_locked *q, void *item)
{
    q->slots[(q->head + q->count) % q->capacity] = item;
    q->count++;
}

static void *locked_pop(struct queue_locked *q)
{
    void *item = q->slots[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    return item;
}

enum queue_status queue_locked_put(struct queue_locked *q, void *item)
{
    if (q->closed)
        return QUEUE_CLOSED;
    if (q->count == q->capacity)
        return QUEUE_FULL; /* TODO(lab 3) locked: wait instead */
    locked_push(q, item);
    return QUEUE_OK;
}

enum queue_status queue_locked_get(struct queue_locked *q, void **item)
{
    if (q->count == 0)
        return q->closed ? QUEUE_CLOSED : QUEUE_EMPTY; /* TODO(lab 3) locked: wait */
    *item = locked_pop(q);
    return QUEUE_OK;
}

enum queue_status queue_locked_try_put(struct queue_locked *q, void *item)
{
    if (q->closed)
        return QUEUE_CLOSED;
    if (q->count == q->capacity)
        return QUEUE_FULL;
    locked_push(q, item);
    return QUEUE_OK;
}

enum queue_status queue_locked_try_get(struct queue_locked *q, void **item)
{
    if (q->count == 0)
        return q->closed ? QUEUE_CLOSED : QUEUE_EMPTY;
    *item = locked_pop(q);
    return QUEUE_OK;
}

enum queue_status queue_locked_get_timeout(struct queue_locked *q, void **item, double seconds)
{
    (void)seconds; /* TODO(lab 3) locked: wait until queue_deadline_ns(seconds) */
    if (q->count == 0)
        return q->closed ? QUEUE_CLOSED : QUEUE_TIMEOUT;
    *item = locked_pop(q);
    return QUEUE_OK;
}

void queue_locked_close(struct queue_locked *q)
{
    q->closed = true; /* TODO(lab 3) locked: and wake every waiter */
}

long queue_locked_length(struct queue_locked *q)
{
    return q->count;
}

/* ---- lockfree ---------------------------------------------------------- */

/*
 * Dmitry Vyukov's bounded MPMC queue. Positions 0, 1, 2, ... are handed
 * out by two counters, tail for puts and head for gets; position pos lives
 * in slot pos % capacity. Each slot has a sequence number that says whose
 * turn it is. Vyukov counts it in whole steps; here it counts half-steps,
 * so that capacity 1 works too (with whole steps, "full for the get at pos"
 * and "free for the put at pos + 1" would be the same number):
 *
 *   seq == 2 * pos        the slot is free for the put at position pos
 *   seq == 2 * pos + 1    the slot holds the item of the put at pos, for
 *                         the get at pos
 *   after that get:       seq = 2 * (pos + capacity), free for the put one
 *                         lap later
 *
 * A put claims position pos by moving tail from pos to pos + 1 with a
 * compare-exchange, writes its item, then publishes it with a release
 * store of the slot's seq; the get that acquires that seq sees the item.
 * The same pairing runs the other way when the get frees the slot.
 *
 * Closing sets the top bit of tail. From then on no put can claim a
 * position (its compare-exchange expects a tail without that bit), so the
 * positions below the closed tail are all the items there will ever be:
 * a get that finds head at that position knows the queue is drained.
 */
#define CLOSED_BIT (UINT64_C(1) << 63)

enum { CACHE_LINE = 64 };

struct lf_slot {
    _Atomic uint64_t seq; /* atomic, release/acquire: see above */
    void *item;           /* written by the put that claimed the slot,
                             read by the get that acquires its seq */
};

struct queue_lockfree {
    /* head and tail on separate cache lines: producers hammer one,
     * consumers the other. */
    alignas(CACHE_LINE) _Atomic uint64_t tail; /* atomic: next put position | CLOSED_BIT */
    alignas(CACHE_LINE) _Atomic uint64_t head; /* atomic: next get position */
    alignas(CACHE_LINE) struct lf_slot *slots; /* constant after create */
    uint64_t capacity;                         /* constant after create */
};

struct queue_lockfree *queue_lockfree_create(long capacity)
{
    if (capacity < 1 || capacity > QUEUE_MAX_CAPACITY) {
        errno = EINVAL;
        return NULL;
    }
    struct queue_lockfree *q = aligned_alloc(CACHE_LINE, sizeof *q);
    struct lf_slot *slots = calloc((size_t)capacity, sizeof *slots);
    if (!q || !slots) {
        free(q);
        free(slots);
        errno = ENOMEM;
        return NULL;
    }
    q->slots = slots;
    q->capacity = (uint64_t)capacity;
    for (uint64_t i = 0; i < q->capacity; i++)
        atomic_init(&slots[i].seq, 2 * i);
    atomic_init(&q->tail, 0);
    atomic_init(&q->head, 0);
    return q;
}

void queue_lockfree_destroy(struct queue_lockfree *q)
{
    if (q) {
        free(q->slots);
        free(q);
    }
}

/* TODO(lab 3) lockfree: write try_put and try_get, the heart of the
 * design described above. Contract, besides include/queue.h's:
 *   - no lock, no waiting: a loop that retries only when another thread
 *     made progress (took the position we wanted);
 *   - try_put: read tail; if it has CLOSED_BIT, QUEUE_CLOSED. Acquire-load
 *     the seq of slot pos % capacity: 2 * pos means free, claim pos by
 *     moving tail from pos to pos + 1 with one compare-exchange (a load
 *     then a store lets two puts claim the same position), write the item,
 *     then publish it with a release store of 2 * pos + 1. Below 2 * pos,
 *     the slot still holds last lap's item: QUEUE_FULL. Above: another put
 *     got pos first; reload tail and retry;
 *   - try_get: the mirror image on head, waiting for seq 2 * pos + 1 and
 *     freeing the slot with a release store of 2 * (pos + capacity). When
 *     nothing is published at pos: QUEUE_CLOSED if tail is closed and its
 *     position is at most pos (no put will ever come), else QUEUE_EMPTY;
 *   - every atomic names its memory order, and each acquire says in a
 *     comment which release it pairs with.
 * As shipped, both refuse everything, so the tests fail at once. */
enum queue_status queue_lockfree_try_put(struct queue_lockfree *q, void *item)
{
    (void)q, (void)item;
    return QUEUE_CLOSED;
}

enum queue_status queue_lockfree_try_get(struct queue_lockfree *q, void **item)
{
    (void)q, (void)item;
    return QUEUE_CLOSED;
}

/*
 * Waiting without a lock: spin a little (the other side is often a few
 * hundred nanoseconds away), then yield the CPU, then sleep, doubling up to
 * a millisecond. A full or empty queue costs a sleeping thread at most a
 * thousand wake-ups a second, and a close is seen within a millisecond.
 */
struct backoff {
    unsigned rounds;
};

static void backoff_pause(struct backoff *b)
{
    enum { SPINS = 64, YIELDS = 16, MAX_SLEEP_NS = 1000000 };
    if (b->rounds < SPINS) {
        rl_cpu_relax();
    } else if (b->rounds < SPINS + YIELDS) {
        sched_yield();
    } else {
        unsigned doublings = b->rounds - SPINS - YIELDS;
        long ns = doublings >= 10 ? MAX_SLEEP_NS : 1000L << doublings;
        struct timespec t = {0, ns < MAX_SLEEP_NS ? ns : MAX_SLEEP_NS};
        nanosleep(&t, NULL);
    }
    b->rounds++;
}

enum queue_status queue_lockfree_put(struct queue_lockfree *q, void *item)
{
    struct backoff b = {0};
    enum queue_status s;
    while ((s = queue_lockfree_try_put(q, item)) == QUEUE_FULL)
        backoff_pause(&b);
    return s;
}

enum queue_status queue_lockfree_get(struct queue_lockfree *q, void **item)
{
    struct backoff b = {0};
    enum queue_status s;
    while ((s = queue_lockfree_try_get(q, item)) == QUEUE_EMPTY)
        backoff_pause(&b);
    return s;
}

enum queue_status queue_lockfree_get_timeout(struct queue_lockfree *q, void **item, double seconds)
{
    int64_t deadline = queue_deadline_ns(seconds);
    struct backoff b = {0};
    enum queue_status s;
    while ((s = queue_lockfree_try_get(q, item)) == QUEUE_EMPTY) {
        if (rl_now_ns() >= deadline)
            return QUEUE_TIMEOUT;
        backoff_pause(&b);
    }
    return s;
}

void queue_lockfree_close(struct queue_lockfree *q)
{
    /* TODO(lab 3) lockfree: set CLOSED_BIT in tail, in one atomic step
     * that cannot undo a concurrent claim. */
    (void)q;
}

long queue_lockfree_length(struct queue_lockfree *q)
{
    /* Two relaxed loads of two counters: each value was true at some
     * moment, not necessarily the same one, so the difference is clamped
     * to what a queue can hold. */
    uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed) & ~CLOSED_BIT;
    if (tail <= head)
        return 0;
    return tail - head > q->capacity ? (long)q->capacity : (long)(tail - head);
}

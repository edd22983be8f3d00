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
    void **slots;             /* guarded by lock */
    long capacity;            /* constant after create */
    long head, count;         /* guarded by lock */
    bool closed;              /* guarded by lock */
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

/*
 * Before a put or get sleeps on its condition variable, it steps aside a
 * few times: it lets go of the lock, yields the CPU, takes the lock back
 * and looks again. A sleep and its wake-up cost a futex wait, a wake and a
 * reschedule, some 20 us from one CPU to another here; the other side is
 * often closer than that. On the same CPU the yield lets it run now; on
 * another, the yield is one cheap system call and the other side has
 * meanwhile made room or brought an item. At a small capacity, where a
 * queue fills or empties on nearly every item, a queue that slept at once
 * spent its time in wake-ups: at capacity 4, 2 producers and 2 consumers
 * on two CPUs moved 0.04 M items/s with 1.8 context switches per item,
 * some ten times less than with it (bench_queue's table 3 has the
 * numbers; docs/queue.md). Only a
 * speed-up: the while loop around the wait still decides, so the queue
 * is just as correct without it. Called and returns with the lock held.
 */
enum { LINGER = 16 };

static void linger(struct queue_locked *q, long blocked_at)
{
    for (int i = 0; i < LINGER && q->count == blocked_at && !q->closed; i++) {
        rl_mutex_unlock(&q->lock);
        sched_yield();
        rl_mutex_lock(&q->lock);
    }
}

/* The two halves every put and get share. Called with the lock held. */
static void locked_push(struct queue_locked *q, void *item)
{
    assert(q->count < q->capacity);
    q->slots[(q->head + q->count) % q->capacity] = item;
    q->count++;
    /* One item: one getter can use it. signal, not broadcast: every
     * waiter on not_empty waits for the same thing, so waking one is
     * enough, and each wakes the next by its own get if more remain. */
    rl_cond_signal(&q->not_empty);
}

static void *locked_pop(struct queue_locked *q)
{
    assert(q->count > 0);
    void *item = q->slots[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    rl_cond_signal(&q->not_full);
    return item;
}

enum queue_status queue_locked_put(struct queue_locked *q, void *item)
{
    rl_mutex_lock(&q->lock);
    linger(q, q->capacity);
    while (q->count == q->capacity && !q->closed)
        rl_cond_wait(&q->not_full, &q->lock);
    enum queue_status s = QUEUE_CLOSED;
    if (!q->closed) {
        locked_push(q, item);
        s = QUEUE_OK;
    }
    rl_mutex_unlock(&q->lock);
    return s;
}

enum queue_status queue_locked_get(struct queue_locked *q, void **item)
{
    rl_mutex_lock(&q->lock);
    linger(q, 0);
    while (q->count == 0 && !q->closed)
        rl_cond_wait(&q->not_empty, &q->lock);
    enum queue_status s = QUEUE_CLOSED; /* closed, and nothing left */
    if (q->count > 0) {
        *item = locked_pop(q);
        s = QUEUE_OK;
    }
    rl_mutex_unlock(&q->lock);
    return s;
}

enum queue_status queue_locked_try_put(struct queue_locked *q, void *item)
{
    rl_mutex_lock(&q->lock);
    enum queue_status s = q->closed                 ? QUEUE_CLOSED
                          : q->count == q->capacity ? QUEUE_FULL
                                                    : QUEUE_OK;
    if (s == QUEUE_OK)
        locked_push(q, item);
    rl_mutex_unlock(&q->lock);
    return s;
}

enum queue_status queue_locked_try_get(struct queue_locked *q, void **item)
{
    rl_mutex_lock(&q->lock);
    enum queue_status s = q->count > 0 ? QUEUE_OK : q->closed ? QUEUE_CLOSED : QUEUE_EMPTY;
    if (s == QUEUE_OK)
        *item = locked_pop(q);
    rl_mutex_unlock(&q->lock);
    return s;
}

enum queue_status queue_locked_get_timeout(struct queue_locked *q, void **item, double seconds)
{
    int64_t deadline = queue_deadline_ns(seconds);
    rl_mutex_lock(&q->lock);
    /* A wait that times out may still have been signalled (POSIX lets it
     * swallow the wake-up): test the condition again after the last wait,
     * so the item that signal announced is taken here, not stranded. */
    while (q->count == 0 && !q->closed)
        if (!rl_cond_timedwait(&q->not_empty, &q->lock, deadline))
            break;
    enum queue_status s = q->count > 0 ? QUEUE_OK : q->closed ? QUEUE_CLOSED : QUEUE_TIMEOUT;
    if (s == QUEUE_OK)
        *item = locked_pop(q);
    rl_mutex_unlock(&q->lock);
    return s;
}

void queue_locked_close(struct queue_locked *q)
{
    rl_mutex_lock(&q->lock);
    q->closed = true;
    /* broadcast, not signal: every waiter, on both sides, must wake to see
     * the queue closed. signal would wake one and strand the rest. */
    rl_cond_broadcast(&q->not_empty);
    rl_cond_broadcast(&q->not_full);
    rl_mutex_unlock(&q->lock);
}

long queue_locked_length(struct queue_locked *q)
{
    rl_mutex_lock(&q->lock); /* count is guarded: even a read takes the lock */
    long n = q->count;
    rl_mutex_unlock(&q->lock);
    return n;
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

enum queue_status queue_lockfree_try_put(struct queue_lockfree *q, void *item)
{
    /* relaxed: the position is only a guess; the slot's seq, acquired
     * below, decides, and the compare-exchange makes it ours. */
    uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
    for (;;) {
        if (pos & CLOSED_BIT)
            return QUEUE_CLOSED;
        struct lf_slot *slot = &q->slots[pos % q->capacity];
        /* acquire: pairs with the release store in try_get that freed this
         * slot, so that get's read of the old item happens before our
         * write of the new one. */
        uint64_t seq = atomic_load_explicit(&slot->seq, memory_order_acquire);
        int64_t diff = (int64_t)(seq - 2 * pos);
        if (diff == 0) {
            /* relaxed: claiming the position orders nothing by itself;
             * on failure pos is reloaded with the current tail. */
            if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                slot->item = item;
                /* release: pairs with the acquire load in try_get, which
                 * then sees the item written just above. */
                atomic_store_explicit(&slot->seq, 2 * pos + 1, memory_order_release);
                return QUEUE_OK;
            }
        } else if (diff < 0) {
            /* The slot still holds the item from one lap ago: full. */
            return QUEUE_FULL;
        } else {
            /* Another put took this position: try the current tail. */
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        }
    }
}

enum queue_status queue_lockfree_try_get(struct queue_lockfree *q, void **item)
{
    uint64_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (;;) {
        struct lf_slot *slot = &q->slots[pos % q->capacity];
        /* acquire: pairs with the release store in try_put that published
         * the item, so our read of slot->item sees it. */
        uint64_t seq = atomic_load_explicit(&slot->seq, memory_order_acquire);
        int64_t diff = (int64_t)(seq - (2 * pos + 1));
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->head, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                *item = slot->item;
                /* release: pairs with the acquire load in try_put one lap
                 * later: our read of the item comes before its overwrite. */
                atomic_store_explicit(&slot->seq, 2 * (pos + q->capacity), memory_order_release);
                return QUEUE_OK;
            }
        } else if (diff < 0) {
            /* Nothing published at pos yet. If the queue is closed and
             * no put ever claimed pos, nothing ever will. relaxed: the
             * closing fetch_or and every claiming compare-exchange are
             * read-modify-writes of tail, so whatever value we read
             * already counts every claim made before the close. */
            uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
            if ((tail & CLOSED_BIT) && (tail & ~CLOSED_BIT) <= pos)
                return QUEUE_CLOSED;
            return QUEUE_EMPTY; /* or a put at pos is still writing */
        } else {
            pos = atomic_load_explicit(&q->head, memory_order_relaxed);
        }
    }
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
    /* relaxed: see try_get; sleepers notice within one backoff pause. */
    atomic_fetch_or_explicit(&q->tail, CLOSED_BIT, memory_order_relaxed);
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

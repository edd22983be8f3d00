/*
 * queue.h - lab 3: a thread-safe bounded FIFO queue of pointers, the one
 * lab 2's printer thread and lab 4's worker pool are built on.
 *
 * Three strategies implement one contract: `unsafe` (the specimen, in
 * src/queue_unsafe.c), `locked` and `lockfree` (the exercises in
 * labs/queue.c; their reference fixes in solutions/queue.c). Code that just
 * needs a queue uses the queue_* functions at the bottom, which take the
 * strategy as a value, so labs 2 and 4 run on your queue.
 *
 * ---- The contract (every strategy; Q_ stands for queue_locked_, ...) ----
 *
 * Items are opaque pointers (NULL is a valid item). The queue never
 * dereferences or frees them.
 *
 * Q_create(capacity)
 *     A new open, empty queue that holds at most capacity items.
 *     capacity must be 1 .. QUEUE_MAX_CAPACITY: otherwise returns NULL with
 *     errno EINVAL. Out of memory: returns NULL with errno ENOMEM.
 * Q_destroy(q)
 *     Frees the queue. No other call on q may be running or start later.
 *     Items still inside are dropped (not freed). NULL is ignored.
 * Q_put(q, item)
 *     Waits while the queue is full and open. Returns QUEUE_OK once item is
 *     in, or QUEUE_CLOSED (item not stored) if the queue was closed before
 *     or while waiting.
 * Q_get(q, &item)
 *     Waits while the queue is empty and open. Returns QUEUE_OK with the
 *     oldest item, or QUEUE_CLOSED when the queue is closed and empty: a
 *     closed queue is drained first.
 * Q_try_put(q, item)          never waits: QUEUE_OK, QUEUE_FULL or QUEUE_CLOSED.
 * Q_try_get(q, &item)         never waits: QUEUE_OK, QUEUE_EMPTY, or
 *                             QUEUE_CLOSED when closed and empty.
 * Q_get_timeout(q, &item, s)  like get, but waits at most s seconds
 *     (CLOCK_MONOTONIC; s <= 0 means do not wait): QUEUE_TIMEOUT when the
 *     time ran out with the queue still empty and open. Python's
 *     Queue.get(timeout=s).
 * Q_close(q)
 *     From now on puts fail with QUEUE_CLOSED; gets drain what is left,
 *     then return QUEUE_CLOSED. Wakes every waiting put and get. Calling it
 *     again does nothing.
 * Q_length(q)
 *     How many items are in the queue, 0 .. capacity. Safe to call at any
 *     time from any thread; by the time it returns the number may be out of
 *     date, so it is for reports, not for decisions. (lockfree: a value the
 *     queue had at some moment during the call, or close to it.)
 *
 * Every call may run at the same time as any other, from any number of
 * threads (multi-producer, multi-consumer). Order: items come out in the
 * order their puts took effect, so the items of one producer come out in
 * the order it put them.
 *
 * Shutdown, two ways (docs/queue.md compares them):
 *   close:        producers done, someone calls Q_close; each consumer
 *                 gets until QUEUE_CLOSED. Nothing is lost.
 *   poison pill:  producers done, someone puts one agreed "pill" item per
 *                 consumer; each consumer stops at its pill. Works with
 *                 any queue, even one without close (Python's queue.Queue).
 */
#ifndef QUEUE_H
#define QUEUE_H

#include "racelab.h"

#include <stdbool.h>
#include <stdint.h>

enum queue_status {
    QUEUE_OK = 0,
    QUEUE_CLOSED,   /* put: the queue is closed; get: closed and empty */
    QUEUE_FULL,     /* try_put only */
    QUEUE_EMPTY,    /* try_get only */
    QUEUE_TIMEOUT,  /* get_timeout only */
};

/* "ok", "closed", "full", "empty", "timeout", or "unknown status N". */
const char *queue_status_name(enum queue_status s);

/* The monotonic deadline for a wait of `seconds` from now, for
 * get_timeout: seconds <= 0 (or NaN) is now, and absurd waits are capped
 * at a year, so the arithmetic cannot overflow. */
static inline int64_t queue_deadline_ns(double seconds)
{
    if (!(seconds > 0))
        seconds = 0;
    if (seconds > 365 * 86400.0)
        seconds = 365 * 86400.0;
    return rl_now_ns() + (int64_t)(seconds * 1e9);
}

/* Large enough for any lab, small enough that a typo is caught. */
#define QUEUE_MAX_CAPACITY (1L << 20)

/* unsafe: the specimen. A ring buffer with no lock: two producers that see
 * the same tail write the same slot (an item lost), two consumers that see
 * the same head take the same item (a duplicate). It busy-waits. Kept
 * broken on purpose (src/queue_unsafe.c). */
struct queue_unsafe;
struct queue_unsafe *queue_unsafe_create(long capacity);
void queue_unsafe_destroy(struct queue_unsafe *q);
enum queue_status queue_unsafe_put(struct queue_unsafe *q, void *item);
enum queue_status queue_unsafe_get(struct queue_unsafe *q, void **item);
enum queue_status queue_unsafe_try_put(struct queue_unsafe *q, void *item);
enum queue_status queue_unsafe_try_get(struct queue_unsafe *q, void **item);
enum queue_status queue_unsafe_get_timeout(struct queue_unsafe *q, void **item,
                                           double seconds);
void queue_unsafe_close(struct queue_unsafe *q);
long queue_unsafe_length(struct queue_unsafe *q);

/* locked: one mutex, two condition variables (not empty, not full), every
 * wait in a while loop. */
struct queue_locked;
struct queue_locked *queue_locked_create(long capacity);
void queue_locked_destroy(struct queue_locked *q);
enum queue_status queue_locked_put(struct queue_locked *q, void *item);
enum queue_status queue_locked_get(struct queue_locked *q, void **item);
enum queue_status queue_locked_try_put(struct queue_locked *q, void *item);
enum queue_status queue_locked_try_get(struct queue_locked *q, void **item);
enum queue_status queue_locked_get_timeout(struct queue_locked *q, void **item,
                                           double seconds);
void queue_locked_close(struct queue_locked *q);
long queue_locked_length(struct queue_locked *q);

/* lockfree: a bounded multi-producer multi-consumer ring with a sequence
 * number per slot (Dmitry Vyukov's design). try_put and try_get never
 * block and never lock; put and get wait by backing off: spin, yield, then
 * sleep. Weaker than the contract above in one way: try_get may say
 * QUEUE_EMPTY while a put at the head is still writing its item, even if
 * later items are already in (and try_put may see a stale FULL); the
 * waiting calls just try again. */
struct queue_lockfree;
struct queue_lockfree *queue_lockfree_create(long capacity);
void queue_lockfree_destroy(struct queue_lockfree *q);
enum queue_status queue_lockfree_put(struct queue_lockfree *q, void *item);
enum queue_status queue_lockfree_get(struct queue_lockfree *q, void **item);
enum queue_status queue_lockfree_try_put(struct queue_lockfree *q, void *item);
enum queue_status queue_lockfree_try_get(struct queue_lockfree *q, void **item);
enum queue_status queue_lockfree_get_timeout(struct queue_lockfree *q, void **item,
                                             double seconds);
void queue_lockfree_close(struct queue_lockfree *q);
long queue_lockfree_length(struct queue_lockfree *q);

/* ---- any strategy, chosen at run time (src/queue_run.c) ---------------- */

/* A strategy is a table of its operations. Besides the lab's own, the
 * benchmark's peers (queues from outside the lab: bench/peer_*.c) fill one
 * in. A peer may provide only create, destroy, put and get, leaving the
 * rest NULL: queue_run() drives such a queue with poison pills, which need
 * nothing else. */
struct queue_strategy {
    const char *name;
    void *(*create)(long capacity);
    void (*destroy)(void *q);
    enum queue_status (*put)(void *q, void *item);
    enum queue_status (*get)(void *q, void **item);
    enum queue_status (*try_put)(void *q, void *item);       /* may be NULL */
    enum queue_status (*try_get)(void *q, void **item);      /* may be NULL */
    enum queue_status (*get_timeout)(void *q, void **item, double seconds); /* may be NULL */
    void (*close)(void *q);                                  /* may be NULL */
    long (*length)(void *q);                                 /* may be NULL */
};
struct queue; /* a queue of some strategy */

/* Every strategy, specimen first; terminated by NULL. */
extern const struct queue_strategy *const queue_strategies[];
/* NULL when no strategy has that name. */
const struct queue_strategy *queue_find(const char *name);
const char *queue_strategy_name(const struct queue_strategy *s);

/* The contract above, for a queue of strategy s. */
struct queue *queue_create(const struct queue_strategy *s, long capacity);
void queue_destroy(struct queue *q);
enum queue_status queue_put(struct queue *q, void *item);
enum queue_status queue_get(struct queue *q, void **item);
enum queue_status queue_try_put(struct queue *q, void *item);
enum queue_status queue_try_get(struct queue *q, void **item);
enum queue_status queue_get_timeout(struct queue *q, void **item, double seconds);
void queue_close(struct queue *q);
long queue_length(struct queue *q);

/* ---- the lab driver: a producer/consumer stress run -------------------- */

struct queue_config {
    int producers, consumers;   /* 1 .. QUEUE_MAX_SIDE each */
    long items;                 /* each producer puts this many */
    long capacity;
    bool pills;                 /* shut down with poison pills, not close */
    bool watch_length;          /* one more thread calls length() throughout */
    bool close_midway;          /* producer 0 closes the queue a third of the way
                                   through its items, while the others still put;
                                   puts refused after that are not errors */
    bool bare;                  /* consumers only count what they get, each in
                                   its own variable: the queue's speed without
                                   the per-item checking (a shared counter and a
                                   seen[] array); loss shows only as a short
                                   count, and a loss and a duplicate can cancel:
                                   for benchmarks, beside a checked run */
};
enum { QUEUE_MAX_SIDE = 16 };

struct queue_result {
    long sent;          /* puts that returned QUEUE_OK (pills not counted) */
    long received;      /* gets that returned an item (pills not counted) */
    long lost;          /* items sent and never received */
    long duplicated;    /* receptions beyond the first of an item, plus
                           items that were never sent (garbage) */
    long out_of_order;  /* a consumer got a producer's item after a later one */
    long bad_length;    /* length() outside 0 .. capacity */
    long bad_status;    /* calls that broke the contract (put said FULL...) */
    char first_error[160]; /* the first broken call, for the report */
    double seconds;     /* first worker's start to last worker's end */
};

/* Runs producers and consumers through one queue of strategy s, checks
 * every item, and returns what it saw. The last producer to finish closes
 * the queue (or puts one pill per consumer). A queue that cannot be
 * created is reported in bad_status and first_error. progress, when not NULL, is bumped on every
 * item moved, for a caller that watches for a deadlock. */
struct queue_result queue_run(const struct queue_strategy *s,
                              const struct queue_config *cfg,
                              _Atomic long *progress);

/* true when nothing was lost, duplicated, reordered or broken. */
bool queue_result_ok(const struct queue_result *r);

#endif /* QUEUE_H */

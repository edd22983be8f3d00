/*
 * queue_unsafe.c - lab 3's specimen, broken on purpose: a ring buffer that
 * every thread reads and writes with no lock at all, and that waits by
 * spinning. It is correct with one producer and one consumer on a machine
 * that never reorders memory, which is how code like this survives its
 * first tests.
 *
 * With several producers, two of them read the same tail, both write their
 * item into the same slot, and both move the tail to the same next value:
 * one item is overwritten (lost). With several consumers, two read the
 * same head and both take the same item (duplicated). rl_fuzz() between
 * reading an index and writing it back makes that happen on every run with
 * --fuzz, even on one CPU. Without it, the window is a few nanoseconds: it
 * takes two producers (or consumers) on two CPUs at the same moment. The
 * rl_overlap_note() after each move lets the program say when that never
 * happened (the overlap meter, racelab.h: outside the window, no shared
 * data touched).
 *
 * ThreadSanitizer reports several races here, which ones first depends on
 * the run. Every racing access is marked with a "RACE:" comment; the test
 * for the report wants one that names a marked read and a marked write:
 * keep the marks on the accesses.
 */
#include "queue.h"
#include "racelab.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>

struct queue_unsafe {
    void **slots;
    long capacity;      /* constant after create */
    long head, tail;    /* shared, and guarded by nothing: that is the bug */
    bool closed;        /* shared, and guarded by nothing */
};

struct queue_unsafe *queue_unsafe_create(long capacity)
{
    if (capacity < 1 || capacity > QUEUE_MAX_CAPACITY) {
        errno = EINVAL;
        return NULL;
    }
    struct queue_unsafe *q = calloc(1, sizeof *q);
    void **slots = calloc((size_t)capacity, sizeof *slots);
    if (!q || !slots) {
        free(q);
        free(slots);
        errno = ENOMEM;
        return NULL;
    }
    q->slots = slots;
    q->capacity = capacity;
    return q;
}

void queue_unsafe_destroy(struct queue_unsafe *q)
{
    if (q) {
        free(q->slots);
        free(q);
    }
}

enum queue_status queue_unsafe_try_put(struct queue_unsafe *q, void *item)
{
    if (q->closed)
        return QUEUE_CLOSED;
    long tail = q->tail;                        /* RACE: read */
    if (tail - q->head >= q->capacity)          /* RACE: read */
        return QUEUE_FULL;
    q->slots[tail % q->capacity] = item;        /* RACE: write */
    rl_fuzz("queue: between reading the tail and moving it");
    q->tail = tail + 1;                         /* RACE: write */
    rl_overlap_note(&q->tail); /* after the window: did two producers meet? */
    return QUEUE_OK;
}

enum queue_status queue_unsafe_try_get(struct queue_unsafe *q, void **item)
{
    long head = q->head;                        /* RACE: read */
    long tail = q->tail;                        /* RACE: read */
    if (tail - head <= 0)
        return q->closed ? QUEUE_CLOSED : QUEUE_EMPTY;
    *item = q->slots[head % q->capacity];       /* RACE: read */
    rl_fuzz("queue: between reading the head and moving it");
    q->head = head + 1;                         /* RACE: write */
    rl_overlap_note(&q->head); /* after the window: did two consumers meet? */
    return QUEUE_OK;
}

enum queue_status queue_unsafe_put(struct queue_unsafe *q, void *item)
{
    enum queue_status s;
    while ((s = queue_unsafe_try_put(q, item)) == QUEUE_FULL)
        sched_yield(); /* spin: burns a CPU while it waits */
    return s;
}

enum queue_status queue_unsafe_get(struct queue_unsafe *q, void **item)
{
    enum queue_status s;
    while ((s = queue_unsafe_try_get(q, item)) == QUEUE_EMPTY)
        sched_yield();
    return s;
}

enum queue_status queue_unsafe_get_timeout(struct queue_unsafe *q, void **item,
                                           double seconds)
{
    int64_t deadline = queue_deadline_ns(seconds);
    enum queue_status s;
    while ((s = queue_unsafe_try_get(q, item)) == QUEUE_EMPTY) {
        if (rl_now_ns() >= deadline)
            return QUEUE_TIMEOUT;
        sched_yield();
    }
    return s;
}

void queue_unsafe_close(struct queue_unsafe *q)
{
    q->closed = true;
}

long queue_unsafe_length(struct queue_unsafe *q)
{
    long n = q->tail - q->head;
    return n < 0 ? 0 : n > q->capacity ? q->capacity : n;
}

/*
 * peer_sbuf.c - a peer for lab 3's benchmark: the semaphore bounded buffer
 * of CS:APP (Bryant and O'Hallaron, "Computer Systems: A Programmer's
 * Perspective", 3rd ed., section 12.5.4, sbuf.c), written here from its
 * description: three POSIX semaphores, one as the mutex, one counting the
 * free slots, one counting the items. A put waits for a slot, a get for
 * an item; each posts the other's semaphore after the unlock, so a thread
 * is woken only when there is something for it, and only one at a time.
 *
 * Only put and get (queue.h: a peer's table): the benchmark runs it with
 * poison pills. The textbook baseline the locked queue is measured
 * against at every capacity.
 */
#include "peers.h"
#include "racelab.h"

#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>

struct sbuf {
    sem_t mutex; /* 1: the buffer is free */
    sem_t slots; /* free slots */
    sem_t items; /* items in the buffer */
    void **buf;
    long n, front, rear; /* guarded by mutex */
};

static void *sbuf_create(long capacity)
{
    if (capacity < 1 || capacity > QUEUE_MAX_CAPACITY) {
        errno = EINVAL;
        return NULL;
    }
    struct sbuf *sp = calloc(1, sizeof *sp);
    if (!sp)
        return NULL;
    sp->buf = calloc((size_t)capacity, sizeof *sp->buf);
    if (!sp->buf) {
        free(sp);
        errno = ENOMEM;
        return NULL;
    }
    sp->n = capacity;
    if (sem_init(&sp->mutex, 0, 1) != 0 || sem_init(&sp->slots, 0, (unsigned)capacity) != 0 ||
        sem_init(&sp->items, 0, 0) != 0)
        rl_die_errno("sbuf: sem_init", errno);
    return sp;
}

static void sbuf_destroy(void *q)
{
    struct sbuf *sp = q;
    sem_destroy(&sp->mutex);
    sem_destroy(&sp->slots);
    sem_destroy(&sp->items);
    free(sp->buf);
    free(sp);
}

/* sem_wait, again after a signal handler interrupts it. */
static void P(sem_t *s)
{
    while (sem_wait(s) != 0)
        if (errno != EINTR)
            rl_die_errno("sbuf: sem_wait", errno);
}

static void V(sem_t *s)
{
    if (sem_post(s) != 0)
        rl_die_errno("sbuf: sem_post", errno);
}

static enum queue_status sbuf_insert(void *q, void *item)
{
    struct sbuf *sp = q;
    P(&sp->slots);
    P(&sp->mutex);
    sp->buf[sp->rear] = item;
    sp->rear = (sp->rear + 1) % sp->n;
    V(&sp->mutex);
    V(&sp->items);
    return QUEUE_OK;
}

static enum queue_status sbuf_remove(void *q, void **item)
{
    struct sbuf *sp = q;
    P(&sp->items);
    P(&sp->mutex);
    *item = sp->buf[sp->front];
    sp->front = (sp->front + 1) % sp->n;
    V(&sp->mutex);
    V(&sp->slots);
    return QUEUE_OK;
}

const struct queue_strategy peer_sbuf = {
    .name = "sbuf",
    .create = sbuf_create,
    .destroy = sbuf_destroy,
    .put = sbuf_insert,
    .get = sbuf_remove,
};

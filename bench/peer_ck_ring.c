/*
 * peer_ck_ring.c - a peer for lab 3's benchmark: concurrencykit's ck_ring
 * (Samy Al Bahra, http://concurrencykit.org; Debian libck-dev), its
 * multi-producer multi-consumer pointer ring, ck_ring_enqueue_mpmc and
 * ck_ring_dequeue_mpmc. The lock-free queue's peer.
 *
 * ck_ring never blocks: a full or empty ring returns false. Waiting is the
 * caller's, and here it is the lab's lock-free queue's own policy (spin,
 * yield, then sleep up to a millisecond: solutions/queue.c), so the two
 * differ in the ring and not in how they wait.
 *
 * A ring's size is a power of two and holds one item less: the smallest
 * that holds the capacity asked for, so it may hold more (1024 asks for a
 * ring of 2048, which holds 2047): the peer gets the larger ring, never
 * the smaller. Only put and get (queue.h: a peer's table).
 */
#include "peers.h"
#include "racelab.h"

#include <ck_ring.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

struct ck_peer {
    ck_ring_t ring;
    ck_ring_buffer_t *buffer;
};

static void *ck_create(long capacity)
{
    if (capacity < 1 || capacity > QUEUE_MAX_CAPACITY) {
        errno = EINVAL;
        return NULL;
    }
    unsigned size = 2;
    while (size < (unsigned long)capacity + 1)
        size *= 2;
    size_t bytes =
        (sizeof(struct ck_peer) + CK_MD_CACHELINE - 1) / CK_MD_CACHELINE * CK_MD_CACHELINE;
    struct ck_peer *p = aligned_alloc(CK_MD_CACHELINE, bytes); /* the ring's lines apart */
    if (!p)
        return NULL;
    p->buffer = calloc(size, sizeof *p->buffer);
    if (!p->buffer) {
        free(p);
        errno = ENOMEM;
        return NULL;
    }
    ck_ring_init(&p->ring, size);
    return p;
}

static void ck_destroy(void *q)
{
    struct ck_peer *p = q;
    free(p->buffer);
    free(p);
}

/* The lock-free queue's waiting, step by step: 64 spins, 16 yields, then
 * sleeps from 1 us doubling to 1 ms. */
static void wait_step(unsigned *round)
{
    if (*round < 64) {
        rl_cpu_relax();
    } else if (*round < 64 + 16) {
        sched_yield();
    } else {
        unsigned d = *round - 64 - 16;
        struct timespec t = {0, d >= 10 ? 1000000L : 1000L << d};
        nanosleep(&t, NULL);
    }
    ++*round;
}

static enum queue_status ck_put(void *q, void *item)
{
    struct ck_peer *p = q;
    for (unsigned round = 0; !ck_ring_enqueue_mpmc(&p->ring, p->buffer, item);)
        wait_step(&round);
    return QUEUE_OK;
}

static enum queue_status ck_get(void *q, void **item)
{
    struct ck_peer *p = q;
    for (unsigned round = 0; !ck_ring_dequeue_mpmc(&p->ring, p->buffer, item);)
        wait_step(&round);
    return QUEUE_OK;
}

const struct queue_strategy peer_ck_ring = {
    .name = "ck_ring",
    .create = ck_create,
    .destroy = ck_destroy,
    .put = ck_put,
    .get = ck_get,
};

/*
 * peers.h - the field's reference code, run beside racelab's references in
 * the same benchmark rounds, so that every ratio is racelab / peer measured
 * side by side. Each peer names its source in its file.
 *
 *   peer_counters.c perfbook's count_stat (slots), and a count under
 *                   concurrencykit's ck_spinlock_fas        (lab 1; libck-dev)
 *   peer_sbuf.c     CS:APP's semaphore bounded buffer       (lab 3)
 *   peer_ck_ring.c  concurrencykit's ck_ring, MPMC          (lab 3; libck-dev)
 *   bench_pool.c    OpenMP's dynamic schedule, in the benchmark itself
 *                   (lab 4; gcc's libgomp)
 *
 * A lab names its peers' files in descriptions/LAB.mk (BENCH, BENCH_LIBS).
 */
#ifndef PEERS_H
#define PEERS_H

#include "counter.h"
#include "queue.h"

extern const struct counter_strategy peer_slots, peer_ck_fas;
extern const struct queue_strategy peer_sbuf;
extern const struct queue_strategy peer_ck_ring;

#endif /* PEERS_H */

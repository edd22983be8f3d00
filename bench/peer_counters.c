/*
 * peer_counters.c - peers for lab 1's benchmark, run in the same rounds:
 *
 *   slots   per-thread counters, each on its own cache line, incremented
 *           with a plain ++ and summed at the end: perfbook's count_stat
 *           (Paul McKenney, "Is Parallel Programming Hard, And, If So, What
 *           Can You Do About It?", section 5.2). The sharded reference's
 *           peer.
 *   ck_fas  one count under concurrencykit's fetch-and-store spinlock,
 *           ck_spinlock_fas (Samy Al Bahra; Debian libck-dev): the spin
 *           reference's peer. It spins with a pause and never yields.
 */
#include "peers.h"
#include "racelab.h"

#include <ck_spinlock.h>

/* ---- slots ------------------------------------------------------------- */

enum { SLOT_LINE = 64 };
struct slot {
    _Alignas(SLOT_LINE) long count; /* written by its own thread only */
};
static struct slot slots[RL_MAX_THREADS];

static void slots_reset(int nthreads)
{
    (void)nthreads;
    for (int i = 0; i < RL_MAX_THREADS; i++)
        slots[i].count = 0;
}

static void slots_inc(int tid)
{
    slots[tid].count++;
}

static long slots_total(void)
{
    long sum = 0;
    for (int i = 0; i < RL_MAX_THREADS; i++)
        sum += slots[i].count;
    return sum;
}

const struct counter_strategy peer_slots = {"slots", slots_reset, slots_inc, slots_total};

/* ---- ck_fas ------------------------------------------------------------ */

static ck_spinlock_fas_t fas_lock = CK_SPINLOCK_FAS_INITIALIZER;
static long fas_count; /* guarded by fas_lock */

static void fas_reset(int nthreads)
{
    (void)nthreads;
    fas_count = 0;
}

static void fas_inc(int tid)
{
    (void)tid;
    ck_spinlock_fas_lock(&fas_lock);
    fas_count++;
    ck_spinlock_fas_unlock(&fas_lock);
}

static long fas_total(void)
{
    return fas_count;
}

const struct counter_strategy peer_ck_fas = {"ck_fas", fas_reset, fas_inc, fas_total};

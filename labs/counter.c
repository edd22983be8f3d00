/*
 * counter.c - lab 1: four ways to share one count between threads without
 * losing an update, each fixing the specimen in src/counter_unsafe.c. The
 * contract of every function is in include/counter.h.
 *
 * labs/counter.c is the exercise (grade it: make check LAB=counter),
 * solutions/counter.c the reference fix; `make diff LAB=counter` shows the
 * difference. Each rl_fuzz() mark is a point where --fuzz may pause a
 * thread: keep them, they make a race show on every run.
 */
#include "counter.h"
#include "racelab.h"

#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>

/* ---- mutex ------------------------------------------------------------- */

static long mutex_count; /* TODO(lab 1) mutex: guarded by nothing yet */

void counter_mutex_reset(int nthreads)
{
    (void)nthreads;
    mutex_count = 0;
}

/* TODO(lab 1) mutex: make this add exactly 1 when all threads call it at
 * once. Contract: one pthread mutex, held from before the read until after
 * the write, so that no other thread reads mutex_count while this one is
 * between its read and its write. Leave the rl_fuzz() mark between them. */
void counter_mutex_inc(int tid)
{
    (void)tid;
    long seen = mutex_count;
    rl_fuzz("counter: between read and write");
    mutex_count = seen + 1;
}

long counter_mutex_total(void)
{
    return mutex_count;
}

/* ---- spin -------------------------------------------------------------- */

static long spin_count; /* TODO(lab 1) spin: guarded by nothing yet */

/* TODO(lab 1) spin: write the lock. Contract: a test-and-test-and-set
 * spinlock on a C11 atomic_bool. spin_lock() returns once this thread
 * holds the lock: wait with relaxed loads while it looks held, backing off
 * with rl_cpu_relax() and, after a while, sched_yield(); then take it with
 * one atomic exchange (memory_order_acquire), and retry if another thread
 * got there first. spin_unlock() releases it with a memory_order_release
 * store. Name each order's partner in a comment. */
static void spin_lock(void)
{
}

static void spin_unlock(void)
{
}

void counter_spin_reset(int nthreads)
{
    (void)nthreads;
    spin_count = 0;
}

void counter_spin_inc(int tid)
{
    (void)tid;
    spin_lock();
    long seen = spin_count;
    rl_fuzz("counter: between read and write");
    spin_count = seen + 1;
    spin_unlock();
}

long counter_spin_total(void)
{
    return spin_count;
}

/* ---- atomic ------------------------------------------------------------ */

static long atomic_count; /* TODO(lab 1) atomic: not atomic yet */

void counter_atomic_reset(int nthreads)
{
    (void)nthreads;
    atomic_count = 0;
}

/* TODO(lab 1) atomic: make the increment one indivisible step. Contract:
 * atomic_count becomes an atomic_long, and this function does a single
 * atomic_fetch_add_explicit, with the weakest memory order that is
 * correct, named and justified in a comment. A separate atomic load and
 * atomic store is still two steps, and still loses updates. */
void counter_atomic_inc(int tid)
{
    (void)tid;
    long seen = atomic_count;
    rl_fuzz("counter: between read and write");
    atomic_count = seen + 1;
}

long counter_atomic_total(void)
{
    return atomic_count;
}

/* ---- sharded ----------------------------------------------------------- */

/* 64 bytes is the cache line on x86-64 and most Arm cores. Two slots on one
 * line would still be correct, but every write would steal the line from
 * the other core ("false sharing"), and the speed-up would be lost. */
enum { CACHE_LINE = 64 };

/* TODO(lab 1) sharded: give each thread its own slot. Contract: worker
 * tid only ever touches shards[tid], so no lock is needed; each slot sits
 * on its own cache line (alignas), or the threads will fight over the
 * line; counter_sharded_total() adds the slots up. */
struct shard {
    long count;
};
static struct shard shards[RL_MAX_THREADS];
static int shard_threads; /* set by reset, read-only while workers run */

void counter_sharded_reset(int nthreads)
{
    shard_threads = nthreads;
    for (int i = 0; i < RL_MAX_THREADS; i++)
        shards[i].count = 0;
}

void counter_sharded_inc(int tid)
{
    (void)tid; /* TODO(lab 1) sharded: every thread still shares slot 0 */
    long seen = shards[0].count;
    rl_fuzz("counter: between read and write");
    shards[0].count = seen + 1;
}

long counter_sharded_total(void)
{
    /* Called after every worker was joined: join orders their writes
     * before these reads. */
    long sum = 0;
    for (int i = 0; i < shard_threads; i++)
        sum += shards[i].count;
    return sum;
}

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

#include <assert.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>

/* ---- mutex ------------------------------------------------------------- */

static long mutex_count; /* guarded by count_lock */
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

void counter_mutex_reset(int nthreads)
{
    (void)nthreads;
    mutex_count = 0;
}

void counter_mutex_inc(int tid)
{
    (void)tid;
    /* The read and the write are one critical section: no thread can read
     * the old value while another is between its read and its write. */
    rl_mutex_lock(&count_lock);
    long seen = mutex_count;
    rl_fuzz("counter: between read and write");
    mutex_count = seen + 1;
    rl_mutex_unlock(&count_lock);
}

long counter_mutex_total(void)
{
    return mutex_count;
}

/* ---- spin -------------------------------------------------------------- */

static long spin_count;       /* guarded by spin_held */
static atomic_bool spin_held; /* true while a thread holds the spinlock */

/* Test-and-test-and-set: try the exchange first (a free lock costs one
 * transfer of its cache line, not a read and then a write), and when it
 * is held, wait with plain loads (the line stays shared, nobody writes it)
 * until it looks free, then try again. Waiting backs off: a CPU pause for
 * a while, then sched_yield so a lock holder that was preempted gets a CPU
 * to finish on. (Loading before the first exchange left it behind
 * concurrencykit's fetch-and-store lock at 2 threads, 0.55-0.94x over four
 * runs of bench_counter; level since.) */
static void spin_lock(void)
{
    unsigned waited = 0;
    /* acquire: pairs with the release store in spin_unlock, so the
     * previous holder's write of spin_count is visible to us. */
    while (atomic_exchange_explicit(&spin_held, true, memory_order_acquire)) {
        while (atomic_load_explicit(&spin_held, memory_order_relaxed)) {
            if (++waited < 100)
                rl_cpu_relax();
            else
                sched_yield();
        }
    }
}

static void spin_unlock(void)
{
    assert(atomic_load_explicit(&spin_held, memory_order_relaxed)); /* held */
    /* release: pairs with the acquire exchange in spin_lock. */
    atomic_store_explicit(&spin_held, false, memory_order_release);
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

static atomic_long atomic_count; /* atomic; relaxed is enough, see below */

void counter_atomic_reset(int nthreads)
{
    (void)nthreads;
    atomic_store_explicit(&atomic_count, 0, memory_order_relaxed);
}

void counter_atomic_inc(int tid)
{
    (void)tid;
    /* One indivisible read-modify-write: there is no gap between the read
     * and the write for another thread to slip into.
     * relaxed: the count guards no other data, so no ordering with other
     * memory is needed; only the atomicity of the add matters. The final
     * read happens after pthread_join, which orders it after every add. */
    atomic_fetch_add_explicit(&atomic_count, 1, memory_order_relaxed);
}

long counter_atomic_total(void)
{
    return atomic_load_explicit(&atomic_count, memory_order_relaxed);
}

/* ---- sharded ----------------------------------------------------------- */

/* 64 bytes is the cache line on x86-64 and most Arm cores. Two slots on one
 * line would still be correct, but every write would steal the line from
 * the other core ("false sharing"), and the speed-up would be lost. */
enum { CACHE_LINE = 64 };

struct shard {
    alignas(CACHE_LINE) long count; /* written only by its own thread */
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
    /* Thread tid is the only one that touches shards[tid]: nothing to race
     * with, so the read and the write need no lock. */
    long seen = shards[tid].count;
    rl_fuzz("counter: between read and write");
    shards[tid].count = seen + 1;
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

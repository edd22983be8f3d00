/*
 * atomics.c - lab 7: the three specimens of src/atomics_unsafe.c, fixed:
 * a message handed over by a flag (publish), an object built once on first
 * use (once, two ways), a shared count (volatile). The contract of every
 * function is in include/atomics.h; docs/atomics.md says why each fix
 * works.
 *
 * labs/atomics.c is the exercise (grade it: make check LAB=atomics),
 * solutions/atomics.c the reference fix; `make diff LAB=atomics` shows the
 * difference. Each rl_fuzz() mark is a point where --fuzz may pause a
 * thread: keep them, they make a race show on every run.
 */
#include "atomics.h"
#include "racelab.h"

#include <pthread.h>
#include <stdatomic.h>

/* ---- publish -------------------------------------------------------------- */

struct slot {
    struct atomics_message msg; /* written before ready is set, read after it is seen */
    atomic_bool ready;          /* atomic, release/acquire */
};
static struct slot slots[ATOMICS_MAX_SLOTS];

void atomics_publish_reset(int nslots)
{
    /* No other thread runs: starting the workers orders these writes
     * before anything they do. */
    for (int i = 0; i < nslots; i++) {
        slots[i].msg = (struct atomics_message){0, 0, 0};
        atomic_store_explicit(&slots[i].ready, false, memory_order_relaxed);
    }
}

void atomics_publish_send(int slot, const struct atomics_message *m)
{
    struct slot *s = &slots[slot];
    s->msg.seq = m->seq;
    s->msg.square = m->square;
    s->msg.check = m->check;
    rl_fuzz("publish: before the flag");
    /* release: pairs with the acquire load in atomics_publish_receive.
     * Every write this thread made before it (the message) is visible to a
     * thread whose acquire load reads the true it stores. */
    atomic_store_explicit(&s->ready, true, memory_order_release);
}

bool atomics_publish_receive(int slot, struct atomics_message *out)
{
    struct slot *s = &slots[slot];
    /* acquire: pairs with the release store in atomics_publish_send. Once
     * it reads true, the message written before that store is visible, and
     * no read below can be moved above it. */
    if (!atomic_load_explicit(&s->ready, memory_order_acquire))
        return false;
    rl_fuzz("publish: after the flag");
    out->seq = s->msg.seq;
    out->square = s->msg.square;
    out->check = s->msg.check;
    return true;
}

/* ---- once, part 1: pthread_once --------------------------------------------- */

static struct atomics_config pthread_config; /* built inside pthread_once, read-only after */
static pthread_once_t pthread_config_once = PTHREAD_ONCE_INIT;

static void pthread_config_build(void)
{
    atomics_config_build(&pthread_config);
}

void atomics_once_pthread_reset(void)
{
    /* A pthread_once_t has no reset: a program initialises once. The lab
     * starts over between runs, with no thread using it, by copying a
     * fresh PTHREAD_ONCE_INIT into it (a real program would not). */
    static const pthread_once_t fresh = PTHREAD_ONCE_INIT;
    pthread_config_once = fresh;
    pthread_config = (struct atomics_config){0, 0, 0};
}

const struct atomics_config *atomics_once_pthread_get(void)
{
    /* pthread_once calls the build exactly once; every other caller waits
     * until it has returned, and sees what it wrote (POSIX lists
     * pthread_once among the functions that synchronise memory). After
     * that, a call is a load and a test: no lock. */
    int err = pthread_once(&pthread_config_once, pthread_config_build);
    if (err != 0)
        rl_die_errno("pthread_once", err);
    return &pthread_config;
}

/* ---- once, part 2: double-checked locking, done right ------------------------ */

/* Built under dcl_lock, before dcl_instance is set; read-only after. */
static struct atomics_config dcl_config;
static _Atomic(struct atomics_config *) dcl_instance; /* atomic, release/acquire */
static pthread_mutex_t dcl_lock = PTHREAD_MUTEX_INITIALIZER;

void atomics_once_dcl_reset(void)
{
    atomic_store_explicit(&dcl_instance, NULL, memory_order_relaxed); /* no thread runs */
    dcl_config = (struct atomics_config){0, 0, 0};
}

const struct atomics_config *atomics_once_dcl_get(void)
{
    /* The fast path, once built: one acquire load, no lock.
     * acquire: pairs with the release store below; a thread that sees the
     * pointer sees the whole object it points to. */
    struct atomics_config *c = atomic_load_explicit(&dcl_instance, memory_order_acquire);
    if (c != NULL)
        return c;
    rl_mutex_lock(&dcl_lock);
    /* The second check: another thread may have built it while this one
     * waited for the lock. relaxed: the lock orders it after that thread's
     * store (which was made while holding the lock). */
    c = atomic_load_explicit(&dcl_instance, memory_order_relaxed);
    if (c == NULL) {
        atomics_config_build(&dcl_config);
        c = &dcl_config;
        /* release: pairs with the acquire load above; the object is built
         * before anyone can see the pointer to it. */
        atomic_store_explicit(&dcl_instance, c, memory_order_release);
    }
    rl_mutex_unlock(&dcl_lock);
    return c;
}

/* ---- volatile --------------------------------------------------------------- */

static atomic_long volatile_count; /* atomic; relaxed is enough, see below */

void atomics_volatile_reset(int nthreads)
{
    (void)nthreads;
    atomic_store_explicit(&volatile_count, 0, memory_order_relaxed);
}

void atomics_volatile_inc(int tid)
{
    (void)tid;
    /* One indivisible read-modify-write, where volatile gave a load and a
     * store with a gap between them.
     * relaxed: the count hands over no other data, so no ordering with
     * other memory is needed; pthread_join orders every add before the
     * total is read. */
    atomic_fetch_add_explicit(&volatile_count, 1, memory_order_relaxed);
}

long atomics_volatile_total(void)
{
    return atomic_load_explicit(&volatile_count, memory_order_relaxed);
}

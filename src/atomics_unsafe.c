/*
 * atomics_unsafe.c - lab 7's three specimens, broken on purpose. Each
 * compiles without a warning, and each gets the order of memory wrong:
 *
 *   publish   the ready flag is an atomic, but relaxed: the flag itself
 *             does not race, the message it hands over does. On x86 the
 *             hardware keeps stores in order and loads in order, and this
 *             compiler did not reorder these ones, so a release build
 *             usually reads every message whole: the bug is real all the
 *             same (the compiler may reorder, and Arm or POWER will), and
 *             ThreadSanitizer reports it on every run.
 *   once      double-checked locking with a plain pointer. The fast path
 *             reads it without the lock, so a thread can see the pointer
 *             before the object behind it is built.
 *   volatile  lab 1's counter, made volatile: every access reaches memory,
 *             and `count++` is still a load, an add and a store.
 *
 * Where a bug needs the compiler's or a weak CPU's help to show, the code
 * below is written in the order they are allowed to choose, so that it
 * shows on every run (with --fuzz), on any machine, like lab 1's count++
 * written out as a read and a write. The comments say where.
 *
 * once tells the overlap meter (racelab.h) of each near miss: a thread that
 * saw NULL on the fast path, and the object built when it had the lock.
 * Without --fuzz the build lasts a few dozen nanoseconds: the program says
 * when the threads hardly ever came that close.
 *
 * The test for the TSan reports finds the racing lines by their "RACE:"
 * comments below; keep those on the accesses.
 */
#include "atomics.h"
#include "racelab.h"

#include <stdatomic.h>

/* ---- publish -------------------------------------------------------------- */

struct unsafe_slot {
    struct atomics_message msg; /* guarded by nothing: the bug */
    atomic_bool ready;          /* atomic, relaxed: orders nothing else */
};
static struct unsafe_slot unsafe_slots[ATOMICS_MAX_SLOTS];

void atomics_publish_unsafe_reset(int nslots)
{
    for (int i = 0; i < nslots; i++) {
        unsafe_slots[i].msg = (struct atomics_message){0, 0, 0};
        atomic_store_explicit(&unsafe_slots[i].ready, false, memory_order_relaxed);
    }
}

void atomics_publish_unsafe_send(int slot, const struct atomics_message *m)
{
    struct unsafe_slot *s = &unsafe_slots[slot];
    s->msg.seq = m->seq;                /* RACE: write */
    s->msg.square = m->square;          /* RACE: write */
    s->msg.check = m->check;            /* RACE: write */
    rl_fuzz("publish: before the flag");
    /* relaxed: the store is atomic, and that is all. It does not keep the
     * three writes above before it: not in the compiler, not in the CPU. */
    atomic_store_explicit(&s->ready, true, memory_order_relaxed);
}

bool atomics_publish_unsafe_receive(int slot, struct atomics_message *out)
{
    struct unsafe_slot *s = &unsafe_slots[slot];
    /* relaxed: seeing true says nothing about the message. */
    if (!atomic_load_explicit(&s->ready, memory_order_relaxed))
        return false;
    rl_fuzz("publish: after the flag");
    out->seq = s->msg.seq;              /* RACE: read */
    out->square = s->msg.square;        /* RACE: read */
    out->check = s->msg.check;          /* RACE: read */
    return true;
}

/* ---- once ----------------------------------------------------------------- */

static struct atomics_config unsafe_config;    /* built under unsafe_lock, read without it */
static struct atomics_config *unsafe_instance; /* written under unsafe_lock, read without
                                                  it on the fast path: the bug */
static pthread_mutex_t unsafe_lock = PTHREAD_MUTEX_INITIALIZER;

void atomics_once_unsafe_reset(void)
{
    unsafe_instance = NULL;
    unsafe_config = (struct atomics_config){0, 0, 0};
}

const struct atomics_config *atomics_once_unsafe_get(void)
{
    struct atomics_config *c = unsafe_instance;         /* RACE: read (no lock) */
    if (c == NULL) {
        rl_mutex_lock(&unsafe_lock);
        c = unsafe_instance;                            /* the second check */
        if (c != NULL) /* built since our first look: a near miss, for the meter */
            rl_overlap_saw(&unsafe_instance);
        if (c == NULL) {
            /* `unsafe_instance = build();`, in the order the compiler may
             * emit it once build() is inlined, and a weak CPU may show it
             * even when the compiler does not: the pointer's store first,
             * then the object's. Under the lock that is invisible; to the
             * fast path above, which takes no lock, it is a half-built
             * object. (The classic account: Meyers and Alexandrescu, "C++
             * and the Perils of Double-Checked Locking", 2004.) */
            c = &unsafe_config;
            unsafe_instance = c;                        /* RACE: write */
            atomics_config_build(c);
        }
        rl_mutex_unlock(&unsafe_lock);
    }
    return c;
}

/* ---- volatile ------------------------------------------------------------- */

static volatile long unsafe_count; /* volatile, and guarded by nothing: the bug */

void atomics_volatile_unsafe_reset(int nthreads)
{
    (void)nthreads;
    unsafe_count = 0;
}

void atomics_volatile_unsafe_inc(int tid)
{
    (void)tid;
    /* `unsafe_count++`, as gcc -O2 compiles it for a volatile long: a
     * load, an add, a store (docs/atomics.md shows the assembly). volatile
     * makes each access happen; it does not make the three one. */
    long seen = unsafe_count;       /* RACE: read */
    rl_fuzz("volatile: between read and write");
    unsafe_count = seen + 1;        /* RACE: write */
}

long atomics_volatile_unsafe_total(void)
{
    return unsafe_count;
}

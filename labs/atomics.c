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

/* TODO(lab 7) publish: hand the message over through the flag. Contract:
 * once atomics_publish_receive has seen the slot ready, every field of the
 * message that atomics_publish_send wrote before setting it is visible:
 * no data race on the flag or on the message (ThreadSanitizer judges).
 * The flag is already an atomic_bool, and that is not enough: relaxed
 * orders nothing but the flag itself. Choose the memory order of the store
 * and of the load (which pairs with which?), name each one's partner in a
 * comment. No volatile, and no standalone atomic_thread_fence: TSan cannot
 * judge a fence. As shipped it is the specimen's relaxed flag. */
struct slot {
    struct atomics_message msg; /* TODO(lab 7) publish: handed over by nothing yet */
    atomic_bool ready;          /* atomic, relaxed */
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
    atomic_store_explicit(&s->ready, true, memory_order_relaxed);
}

bool atomics_publish_receive(int slot, struct atomics_message *out)
{
    struct slot *s = &slots[slot];
    if (!atomic_load_explicit(&s->ready, memory_order_relaxed))
        return false;
    rl_fuzz("publish: after the flag");
    out->seq = s->msg.seq;
    out->square = s->msg.square;
    out->check = s->msg.check;
    return true;
}

/* ---- once, part 1: pthread_once --------------------------------------------- */

/* TODO(lab 7) once: two ways to build the config exactly once, on first
 * use, whichever threads get there at the same time (the contract is in
 * include/atomics.h: one atomics_config_build between two resets, and
 * every get returns the whole object).
 *   Part 1, here: let pthread_once do it. Its init routine takes no
 *   argument: a static function that builds pthread_config. A
 *   pthread_once_t has no reset: atomics_once_pthread_reset (called with
 *   no thread running) copies a fresh PTHREAD_ONCE_INIT into it, from a
 *   static const pthread_once_t.
 *   Part 2, below: double-checked locking done right. The fast path is
 *   one acquire load of an _Atomic pointer; when it is NULL, take the
 *   mutex, check again (another thread may have built it while this one
 *   waited), build, then publish the pointer with a release store. Name
 *   each order's partner in a comment.
 * As shipped, part 1 checks a plain bool and builds without a lock (two
 * threads build), and part 2 is the classic broken double-checked
 * locking: its fast path reads a plain pointer, a data race. */
static struct atomics_config pthread_config;
static bool pthread_config_built; /* TODO(lab 7) once: guarded by nothing yet */

void atomics_once_pthread_reset(void)
{
    pthread_config_built = false;
    pthread_config = (struct atomics_config){0, 0, 0};
}

const struct atomics_config *atomics_once_pthread_get(void)
{
    if (!pthread_config_built) {
        atomics_config_build(&pthread_config);
        pthread_config_built = true;
    }
    return &pthread_config;
}

/* ---- once, part 2: double-checked locking, done right ------------------------ */

/* Built under dcl_lock, before dcl_instance is set; read-only after. */
static struct atomics_config dcl_config;
static struct atomics_config *dcl_instance; /* TODO(lab 7) once: read without the lock */
static pthread_mutex_t dcl_lock = PTHREAD_MUTEX_INITIALIZER;

void atomics_once_dcl_reset(void)
{
    dcl_instance = NULL;
    dcl_config = (struct atomics_config){0, 0, 0};
}

const struct atomics_config *atomics_once_dcl_get(void)
{
    struct atomics_config *c = dcl_instance;
    if (c != NULL)
        return c;
    rl_mutex_lock(&dcl_lock);
    c = dcl_instance;
    if (c == NULL) {
        atomics_config_build(&dcl_config);
        c = &dcl_config;
        dcl_instance = c;
    }
    rl_mutex_unlock(&dcl_lock);
    return c;
}

/* ---- volatile --------------------------------------------------------------- */

static volatile long volatile_count; /* TODO(lab 7) volatile: volatile, and not atomic */

void atomics_volatile_reset(int nthreads)
{
    (void)nthreads;
    volatile_count = 0;
}

/* TODO(lab 7) volatile: make the increment one indivisible step. Contract:
 * every call adds exactly 1 when all threads call it at once. volatile
 * makes each access reach memory and nothing more: the load and the store
 * below are still two steps (they are what `volatile_count++` compiles
 * to). volatile_count becomes an atomic_long, and this function does a
 * single atomic_fetch_add_explicit, with the weakest memory order that is
 * correct, named and justified in a comment. */
void atomics_volatile_inc(int tid)
{
    (void)tid;
    long seen = volatile_count;
    rl_fuzz("volatile: between read and write");
    volatile_count = seen + 1;
}

long atomics_volatile_total(void)
{
    return volatile_count;
}

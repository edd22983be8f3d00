/*
 * atomics.h - lab 7: memory order. Three small specimens of code that
 * shares memory between threads and gets the order wrong, each with its
 * fix:
 *
 *   publish   a producer writes a message, then sets a ready flag; a
 *             consumer sees the flag, then reads the message. The flag is
 *             atomic but relaxed: nothing orders the message before it.
 *   once      lazy initialisation by double-checked locking: a fast path
 *             that looks at a pointer without the lock, a slow path that
 *             builds the object under it.
 *   volatile  the lab 1 counter made `volatile`: every access reaches
 *             memory, and updates are lost all the same.
 *
 * The specimens are in src/atomics_unsafe.c (broken on purpose), the
 * exercises in labs/atomics.c (grade them: make check LAB=atomics), their
 * reference fixes in solutions/atomics.c, the driver that runs any of them
 * in src/atomics_run.c. The state behind each function is private to the
 * file that implements it.
 */
#ifndef ATOMICS_H
#define ATOMICS_H

#include <stdbool.h>

/* ---- publish ------------------------------------------------------------
 *
 * One producer sends messages 0 .. n-1 into slots 0 .. n-1, in order;
 * every consumer reads every slot, in order, each waiting until its slot
 * is ready. The functions:
 *
 *   atomics_publish_X_reset(nslots)  called before any producer or
 *                              consumer starts, with no other call running:
 *                              every slot 0 .. nslots-1 (at most
 *                              ATOMICS_MAX_SLOTS) becomes empty, not ready.
 *   atomics_publish_X_send(slot, m)  called by the producer, once per slot:
 *                              store *m in the slot, then make it ready.
 *   atomics_publish_X_receive(slot, out)  called by any number of consumers
 *                              at once, and at the same time as send: if
 *                              the slot is ready, copy its message to *out
 *                              and return true; else return false at once
 *                              (the caller tries again). Once it returned
 *                              true, *out is the whole message that send
 *                              stored, never part of it, never an older one.
 */
enum { ATOMICS_MAX_SLOTS = 1 << 16 };

struct atomics_message {
    long seq;        /* the slot's number + 1 (never 0: 0 is "not written") */
    long square;     /* seq * seq */
    long check;      /* seq ^ ATOMICS_CHECK */
};
#define ATOMICS_CHECK 0x5a5a5a5aL

/* unsafe: the specimen. A relaxed atomic flag: no data race on the flag,
 * and a data race on the message (src/atomics_unsafe.c). */
void atomics_publish_unsafe_reset(int nslots);
void atomics_publish_unsafe_send(int slot, const struct atomics_message *m);
bool atomics_publish_unsafe_receive(int slot, struct atomics_message *out);

/* release: the exercise: the flag set with a release store and read with
 * an acquire load (or any other correct design). */
void atomics_publish_reset(int nslots);
void atomics_publish_send(int slot, const struct atomics_message *m);
bool atomics_publish_receive(int slot, struct atomics_message *out);

/* ---- once ---------------------------------------------------------------
 *
 * A configuration that is expensive to build, built on first use by
 * whichever thread needs it first:
 *
 *   atomics_once_X_reset()     called with no other call running: forget
 *                              the object, so that the next get builds it
 *                              anew (a test or a round of the program
 *                              starts over; a real program would not).
 *   atomics_once_X_get()       called by any number of threads at once:
 *                              return the object, fully built, building it
 *                              first if no thread has. Between two resets
 *                              the object is built exactly once (one call
 *                              of atomics_config_build), and every get
 *                              returns the same pointer.
 *
 * atomics_config_build (src/atomics_run.c) is the expensive step: it fills
 * the fields one at a time, and with --fuzz it sleeps between them, as a
 * real one would read a file.
 */
struct atomics_config {
    long generation; /* which build this is: atomics_config_generation() */
    long size;       /* generation * 1000 */
    long checksum;   /* generation ^ size ^ ATOMICS_CHECK */
};

/* Fills *c field by field and counts the build. Not thread-safe for one c:
 * that is the caller's job. */
void atomics_config_build(struct atomics_config *c);

/* unsafe: the specimen: double-checked locking with a plain pointer, which
 * a thread on the fast path can see before the object is built. */
void atomics_once_unsafe_reset(void);
const struct atomics_config *atomics_once_unsafe_get(void);

/* pthread_once: the exercise, part 1: pthread_once builds the object. */
void atomics_once_pthread_reset(void);
const struct atomics_config *atomics_once_pthread_get(void);

/* dcl: the exercise, part 2: double-checked locking done right: an acquire
 * load on the fast path, a mutex and a second check on the slow path, a
 * release store to publish. */
void atomics_once_dcl_reset(void);
const struct atomics_config *atomics_once_dcl_get(void);

/* ---- volatile -----------------------------------------------------------
 *
 * Lab 1's contract (include/counter.h): N threads each add 1, M times.
 *   atomics_volatile_X_reset(nthreads)  before any worker starts: count 0.
 *   atomics_volatile_X_inc(tid)         by every worker at once: add 1.
 *   atomics_volatile_X_total()          after every worker was joined.
 */

/* unsafe: the specimen: a volatile long, read, then written back. */
void atomics_volatile_unsafe_reset(int nthreads);
void atomics_volatile_unsafe_inc(int tid);
long atomics_volatile_unsafe_total(void);

/* atomic: the exercise: one atomic read-modify-write. */
void atomics_volatile_reset(int nthreads);
void atomics_volatile_inc(int tid);
long atomics_volatile_total(void);

/* ---- the lab driver (src/atomics_run.c), shared by program, tests, bench */

enum atomics_case { ATOMICS_PUBLISH, ATOMICS_ONCE, ATOMICS_VOLATILE, ATOMICS_NCASES };

/* "publish", "once", "volatile", in enum order, NULL-terminated. */
extern const char *const atomics_cases[];

/* One strategy: the functions of one case (the others NULL). */
struct atomics_strategy {
    const char *name;           /* as -s takes it; "unsafe" is the specimen */
    enum atomics_case which;
    void (*publish_reset)(int nslots);
    void (*send)(int slot, const struct atomics_message *m);
    bool (*receive)(int slot, struct atomics_message *out);
    void (*once_reset)(void);
    const struct atomics_config *(*get)(void);
    void (*volatile_reset)(int nthreads);
    void (*inc)(int tid);
    long (*total)(void);
};

/* Every strategy of every case, each case's specimen first; terminated by
 * a NULL name. */
extern const struct atomics_strategy atomics_strategies[];

/* NULL when the case has no strategy of that name. */
const struct atomics_strategy *atomics_find(enum atomics_case which, const char *name);

/* The expected message for a slot, and whether *m is it. */
struct atomics_message atomics_message_for(int slot);
bool atomics_message_whole(const struct atomics_message *m, int slot);

/* The generation the next atomics_config_build writes; whether *c is the
 * whole object of generation g. */
long atomics_config_generation(void);
bool atomics_config_whole(const struct atomics_config *c, long generation);

/* What one run did, per case: */
struct atomics_result {
    /* publish: messages sent; reads (consumers x messages), those that
     * were torn or stale, and the first of them. */
    long sent, reads, torn;
    int first_torn_slot;
    struct atomics_message first_torn;
    /* once: rounds; gets (all threads, all rounds); builds (want one per
     * round); gets that returned a half-built or stale object, or another
     * pointer than the round's first. */
    long rounds, gets, builds, half_built, other_pointer;
    /* volatile: the lab 1 count. */
    long expected, got;
    double seconds;             /* from the first start to the last join */
};

/* publish: one producer and nconsumers consumers (1 .. RL_MAX_THREADS - 1),
 * n messages (1 .. ATOMICS_MAX_SLOTS). */
struct atomics_result atomics_publish_run(const struct atomics_strategy *s,
                                          int nconsumers, long n);

/* once: rounds rounds; in each, reset, then nthreads threads call get
 * gets_per_thread times each, and check what they got. */
enum { ATOMICS_GETS_PER_THREAD = 8 };
struct atomics_result atomics_once_run(const struct atomics_strategy *s, int nthreads,
                                       long rounds, long gets_per_thread);

/* volatile: nthreads workers, iterations increments each. */
struct atomics_result atomics_volatile_run(const struct atomics_strategy *s,
                                           int nthreads, long iterations);

/* Whether the run was right: nothing torn, one build a round, no count
 * lost. */
bool atomics_result_ok(enum atomics_case which, const struct atomics_result *r);

#endif /* ATOMICS_H */

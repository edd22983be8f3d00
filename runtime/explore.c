/*
 * explore.c - the schedule explorer's runtime (contract in include/explore.h).
 *
 * Two halves in one file:
 *   - the child: runs one schedule of a scenario. Its controlled threads are
 *     real pthreads that pass a baton: exactly one holds it and runs; every
 *     hook (an instrumented access, a wrapped call) is a scheduling point
 *     where the holder asks choose() who runs next and hands the baton over.
 *     Locks, conditions, semaphores, once-controls, joins and sleeps are
 *     modelled here (struct object), never taken for real, so a thread that
 *     would block is one that choose() does not pick. Every point is written
 *     to shared memory (its alternatives and the choice made) and every step
 *     to the trace, for the parent.
 *   - the parent: picks the schedules (a guide of choices: depth-first within
 *     a preemption bound, or PCT), forks a child for each, reads back what
 *     happened, and for a failure shrinks it, renders its trace as a table
 *     (one column per thread) and encodes it as a replay token.
 *
 * Thread states, as choose() sees them: a parked thread has a pending
 * operation (struct thread.pending); it is enabled when that operation can
 * go on now (a plain step always; a lock when the mutex is free; a
 * condition wait once signalled and the mutex is free; a sleep once the
 * virtual clock reached its deadline; a join once the target ended ...).
 * A thread that has made SPIN_LIMIT steps in a row that change nothing
 * (reads, failed trylocks or CASes, yields) is parked as a spinner while
 * another thread can run, until some thread changes something: so a spin
 * lock or a polling loop cannot keep the explorer busy forever.
 *
 * This file is compiled without instrumentation, so nothing here recurses.
 */
#define _GNU_SOURCE
#include "explore.h"
#include "racelab.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <execinfo.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define API __attribute__((visibility("default")))

enum {
    MAX_STEPS = 20000,         /* points (and trace rows) of one schedule */
    MAX_ALTS = 2 * RLX_MAX_THREADS + 1,
    MAX_PCS = 5,
    MAX_NAMES = 32,
    MAX_OBJECTS = 256,
    MAX_WAITS = RLX_MAX_THREADS,
    SPIN_LIMIT = 12,           /* steps changing nothing before a thread is parked */
    SPIN_ROUNDS = 40,          /* all parked, nothing changing: a livelock */
    ACT_WAKE = 16,             /* action: ACT_WAKE + t = wake t spuriously */
    ACT_TIME = 32,             /* action: ACT_TIME + t = time jumps to t's deadline, t runs */
};

/* ---- what parent and child share --------------------------------------- */

enum event_kind {
    EV_READ, EV_WRITE, EV_LOAD, EV_STORE, EV_RMW, EV_CAS_OK, EV_CAS_FAIL,
    EV_LOCK, EV_TRYLOCK_FAIL, EV_UNLOCK, EV_WAIT, EV_WOKEN, EV_SIGNAL, EV_BROADCAST,
    EV_SEM_WAIT, EV_SEM_TRY_FAIL, EV_SEM_POST, EV_SLEEP, EV_YIELD, EV_CLOCK,
    EV_SPAWN, EV_JOIN, EV_ONCE_RUN, EV_ONCE_DONE, EV_ONCE_SKIP, EV_END, EV_RDLOCK,
    EV_OUTPUT, EV_DEADLINE,
};

struct event {
    uint8_t tid, kind, size;
    int8_t arg;                /* woken: 0 signal, 1 spurious, 2 time-out;
                                  signal: thread woken or -1; spawn: new thread */
    uintptr_t addr, addr2;     /* the object; for waits, the mutex */
    uint64_t value, value2;    /* read, written, old/new; sleep: ns */
    int64_t vtime;             /* the virtual clock when it happened */
    const char *op;            /* RMW: "fetch_add" (a literal: same address in the parent) */
    char text[28];             /* output: the start of what was written */
    uintptr_t pcs[MAX_PCS];    /* where: the call site first */
};

struct point {
    uint8_t nalts, chosen;     /* chosen: index into alts */
    uint8_t alts[MAX_ALTS];    /* actions: thread t, ACT_WAKE + t, ACT_TIME + t */
    uint8_t cost[MAX_ALTS];    /* 1: a preemption, 2: a spurious wake-up, 4: a time jump */
    uint16_t pre, spur, jumps; /* spent before this point */
};

enum pending {
    P_START, P_STEP, P_YIELD, P_LOCK, P_COND, P_SLEEP, P_JOIN, P_SEM, P_ONCE, P_END,
    P_RDLOCK, P_WRLOCK,
};

struct wait_desc {             /* one blocked thread, for a deadlock's verdict */
    int tid, pending, holder;
    uintptr_t obj;
};

struct shared {
    /* parent -> child */
    int guide_len;
    uint8_t guide[MAX_STEPS];
    bool pct;
    uint64_t pct_seed;
    int pct_depth;
    long pct_steps;            /* change points fall in 1 .. pct_steps */
    int max_spurious;
    int max_jumps;
    long max_steps;
    /* child -> parent */
    int verdict;               /* enum rlx_verdict, or -1 while running */
    char why[512];
    bool diverged;             /* the guide asked for a choice that was not there */
    int diverged_at;           /* first at that point */
    int nwaits;
    struct wait_desc waits[MAX_WAITS];
    int nthreads;
    int npoints;
    struct point points[MAX_STEPS];
    int nevents;
    struct event events[MAX_STEPS];
    int nnames;
    struct { uintptr_t addr; size_t size; char name[32]; } names[MAX_NAMES];
};

static struct shared *sh;

/* ---- the child: controlled threads -------------------------------------- */

struct thread {
    bool used, done, parked;
    int pending;
    uintptr_t obj, mutex;      /* what it waits for; a condition wait's mutex */
    int64_t deadline;          /* virtual ns; -1: none */
    int woken;                 /* condition wait: -1 waiting, 0 signal, 1 spurious, 2 time-out */
    unsigned long wait_seq;    /* condition waiters are woken oldest first */
    int idle;                  /* steps in a row that changed nothing */
    int write_event;           /* its last write, whose value is read at its next step */
    pthread_cond_t baton;
    pthread_t real;
    void *(*fn)(void *);
    void *arg, *ret;
    int (*c11_fn)(void *);
    uint64_t priority;         /* PCT */
};

enum object_kind { O_MUTEX, O_COND, O_SEM, O_ONCE, O_RWLOCK };

struct object {
    uintptr_t addr;
    int kind;
    int owner;                 /* mutex, rwlock: holder (writer), or -1; once: runner */
    int count;                 /* mutex: depth (recursive); sem: value; once: 2 when
                                  done; rwlock: readers */
    int type;                  /* mutex: 0 normal, 1 recursive, 2 error-checking */
    clockid_t clock;           /* condition: the clock its deadlines are on */
};

static pthread_mutex_t baton_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t main_wake = PTHREAD_COND_INITIALIZER;
static struct thread threads[RLX_MAX_THREADS];
static int nthreads, current = -1, live;
static struct object objects[MAX_OBJECTS];
static int nobjects;
static int64_t vnow;           /* the virtual clock, ns since the schedule began */
static bool in_child;          /* time is virtual from here on */
static unsigned long wait_seq;
static int spin_rounds;
static int time_rounds;        /* rounds of time passing for spinners */
static long steps;
static uint64_t pct_state;
static long pct_change[8];
static int pct_nchange;
static __thread int self = -1;

/* Virtual clocks start at fixed times, so every run reads the same. */
enum { VMONO_BASE_S = 1000, VREAL_BASE_S = 1700000000 };

/* Pointers into the real functions: --wrap gives us __real_NAME. */
#define REAL(ret, name, params) ret __real_##name params
REAL(int, pthread_mutex_lock, (pthread_mutex_t *));
REAL(int, pthread_mutex_unlock, (pthread_mutex_t *));
REAL(int, pthread_mutex_trylock, (pthread_mutex_t *));
REAL(int, pthread_cond_wait, (pthread_cond_t *, pthread_mutex_t *));
REAL(int, pthread_cond_timedwait, (pthread_cond_t *, pthread_mutex_t *, const struct timespec *));
REAL(int, pthread_cond_clockwait, (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *));
REAL(int, pthread_cond_signal, (pthread_cond_t *));
REAL(int, pthread_cond_broadcast, (pthread_cond_t *));
REAL(int, pthread_cond_init, (pthread_cond_t *, const pthread_condattr_t *));
REAL(int, pthread_rwlock_rdlock, (pthread_rwlock_t *));
REAL(int, pthread_rwlock_wrlock, (pthread_rwlock_t *));
REAL(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *));
REAL(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *));
REAL(int, pthread_rwlock_unlock, (pthread_rwlock_t *));
REAL(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *));
REAL(int, pthread_join, (pthread_t, void **));
REAL(void, pthread_exit, (void *)) __attribute__((noreturn));
REAL(int, pthread_once, (pthread_once_t *, void (*)(void)));
REAL(void, call_once, (once_flag *, void (*)(void)));
REAL(int, pthread_spin_lock, (pthread_spinlock_t *));
REAL(int, pthread_spin_trylock, (pthread_spinlock_t *));
REAL(int, pthread_spin_unlock, (pthread_spinlock_t *));
REAL(int, mtx_lock, (mtx_t *));
REAL(int, mtx_trylock, (mtx_t *));
REAL(int, mtx_unlock, (mtx_t *));
REAL(int, cnd_wait, (cnd_t *, mtx_t *));
REAL(int, cnd_timedwait, (cnd_t *, mtx_t *, const struct timespec *));
REAL(int, cnd_signal, (cnd_t *));
REAL(int, cnd_broadcast, (cnd_t *));
REAL(int, thrd_create, (thrd_t *, thrd_start_t, void *));
REAL(int, thrd_join, (thrd_t, int *));
REAL(int, sem_init, (sem_t *, int, unsigned));
REAL(int, sem_wait, (sem_t *));
REAL(int, sem_trywait, (sem_t *));
REAL(int, sem_timedwait, (sem_t *, const struct timespec *));
REAL(int, sem_post, (sem_t *));
REAL(int, sched_yield, (void));
REAL(void, thrd_yield, (void));
REAL(int, nanosleep, (const struct timespec *, struct timespec *));
REAL(int, clock_nanosleep, (clockid_t, int, const struct timespec *, struct timespec *));
REAL(int, usleep, (useconds_t));
REAL(unsigned, sleep, (unsigned));
REAL(int, thrd_sleep, (const struct timespec *, struct timespec *));
REAL(int, clock_gettime, (clockid_t, struct timespec *));
REAL(void, flockfile, (FILE *));
REAL(void, funlockfile, (FILE *));
REAL(int, ftrylockfile, (FILE *));

static bool controlled(void)
{
    return self >= 0;
}

static bool aborting;           /* the schedule has its verdict: every thread leaves */

/* A parked thread of a schedule that is over leaves, as if it returned.
 * Called with baton_lock held. */
__attribute__((noreturn))
static void leave(void)
{
    __real_pthread_cond_signal(&main_wake);
    __real_pthread_mutex_unlock(&baton_lock);
    __real_pthread_exit(NULL);
}

/* Ends the schedule with a verdict; the parent reads sh. Called by the
 * controlled thread that holds the baton (and baton_lock): it wakes every
 * other thread to leave, and leaves. */
__attribute__((noreturn, format(printf, 2, 3)))
static void child_verdict(enum rlx_verdict v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sh->why, sizeof sh->why, fmt, ap);
    va_end(ap);
    sh->verdict = v;
    if (self < 0)
        _exit(0); /* not a schedule's thread: the worker ends, the verdict stands */
    aborting = true;
    for (int t = 0; t < nthreads; t++)
        __real_pthread_cond_signal(&threads[t].baton);
    leave();
}

static struct object *object_of(uintptr_t addr, int kind)
{
    for (int i = 0; i < nobjects; i++)
        if (objects[i].addr == addr && objects[i].kind == kind)
            return &objects[i];
    if (nobjects == MAX_OBJECTS)
        child_verdict(RLX_CRASH, "the scenario uses more than %d locks and conditions", MAX_OBJECTS);
    struct object *o = &objects[nobjects++];
    *o = (struct object){.addr = addr, .kind = kind, .owner = -1, .clock = CLOCK_REALTIME};
    return o;
}

static struct object *mutex_of(uintptr_t addr)
{
    return object_of(addr, O_MUTEX);
}

/* A pthread_mutex_t (or C11 mtx_t, the same in glibc) seen for the first
 * time: glibc keeps its type in __kind (1 recursive, 2 error-checking). */
static void mutex_type(uintptr_t addr)
{
    int fresh = nobjects;
    struct object *o = object_of(addr, O_MUTEX);
    if (o - objects == fresh)
        o->type = ((pthread_mutex_t *)addr)->__data.__kind & 3;
}

/* ---- recording ---------------------------------------------------------- */

static uint64_t read_value(uintptr_t addr, int size)
{
    switch (size) {
    case 1: return *(volatile uint8_t *)addr;
    case 2: return *(volatile uint16_t *)addr;
    case 4: return *(volatile uint32_t *)addr;
    case 8: return *(volatile uint64_t *)addr;
    default: return 0;
    }
}

static struct event *record(int kind, uintptr_t addr, int size, const uintptr_t *pcs)
{
    if (sh->nevents == MAX_STEPS)
        child_verdict(RLX_LIVELOCK, "the schedule ran more than %d steps", MAX_STEPS);
    struct event *e = &sh->events[sh->nevents++];
    *e = (struct event){.tid = (uint8_t)self, .kind = (uint8_t)kind, .size = (uint8_t)size,
                        .addr = addr, .vtime = vnow};
    if (pcs)
        memcpy(e->pcs, pcs, sizeof e->pcs);
    return e;
}

/* The caller's frames, for wrapped calls (a plain access passes its own
 * return address). Frame 0 is this function, 1 the wrapper. */
static void callers(uintptr_t *pcs)
{
    void *frames[MAX_PCS + 2];
    int n = backtrace(frames, MAX_PCS + 2);
    memset(pcs, 0, MAX_PCS * sizeof *pcs);
    /* The call instruction, not the return address after it (which can
     * fall on another line, or on none, after inlining). */
    for (int i = 2; i < n; i++)
        pcs[i - 2] = (uintptr_t)frames[i] - 1;
}

/* ---- choosing ------------------------------------------------------------ */

static bool enabled(int t)
{
    struct thread *th = &threads[t];
    if (!th->used || th->done || th->parked)
        return false;
    switch (th->pending) {
    case P_START:
    case P_STEP:
    case P_YIELD:
    case P_END:
        return true;
    case P_LOCK: {
        struct object *m = mutex_of(th->obj);
        return m->owner < 0 || (m->type == 1 && m->owner == t);
    }
    case P_COND:
        return th->woken >= 0 && mutex_of(th->mutex)->owner < 0;
    case P_SLEEP:
        return vnow >= th->deadline;
    case P_JOIN:
        return threads[th->obj].done;
    case P_SEM:
        return object_of(th->obj, O_SEM)->count > 0;
    case P_ONCE:
        return object_of(th->obj, O_ONCE)->owner < 0;
    case P_RDLOCK:
        return object_of(th->obj, O_RWLOCK)->owner < 0;
    case P_WRLOCK: {
        struct object *rw = object_of(th->obj, O_RWLOCK);
        return rw->owner < 0 && rw->count == 0;
    }
    }
    return false;
}

/* Something a spinner may be waiting for changed (a lock, a condition, a
 * semaphore): parked threads may run again. The thread that did it is not
 * thereby making progress: a loop of lock, look, unlock is still a spin. */
static void notify(void)
{
    for (int t = 0; t < nthreads; t++)
        if (threads[t].parked) {
            threads[t].parked = false;
            threads[t].idle = 0;
        }
}

/* Memory changed (a write, a successful atomic), or output, or a thread
 * started or ended: progress. */
static void effect(void)
{
    spin_rounds = 0;
    time_rounds = 0;
    for (int t = 0; t < nthreads; t++)
        if (threads[t].parked) {
            threads[t].parked = false;
            threads[t].idle = 0;
        }
    if (self >= 0)
        threads[self].idle = 0;
}

static bool no_one_enabled(void)
{
    for (int t = 0; t < nthreads; t++)
        if (enabled(t))
            return false;
    return true;
}

/* Nobody can run: let time pass to the next deadline, or wake the spinners
 * once more (time passes for them too: a loop may poll a clock); when
 * neither helps, the schedule is over. */
static void unstick(void)
{
    int64_t next = -1;
    bool spinners = false;
    for (int t = 0; t < nthreads; t++) {
        struct thread *th = &threads[t];
        if (!th->used || th->done)
            continue;
        spinners |= th->parked;
        if (th->deadline >= 0 && (th->pending == P_SLEEP || (th->pending == P_COND && th->woken < 0)) &&
            (next < 0 || th->deadline < next))
            next = th->deadline;
    }
    if (spinners) {
        /* Time passing towards a sleeper's deadline is progress: a poller
         * waiting for a thread that sleeps an hour, or a year, is not a
         * livelock. */
        if (next < 0 && ++spin_rounds > SPIN_ROUNDS) {
            char who[128] = "";
            int n = 0;
            for (int t = 0; t < nthreads; t++)
                if (threads[t].parked && !threads[t].done)
                    snprintf(who + strlen(who), sizeof who - strlen(who), "%s%c",
                             n++ ? " and " : "", 'a' + t);
            child_verdict(RLX_LIVELOCK, "livelock: thread %s keep%s spinning and nothing changes",
                          who, n == 1 ? "s" : "");
        }
        time_rounds++;
        int cap = next < 0 ? 20 : 40;
        int64_t target = vnow + ((int64_t)1000000 << (time_rounds < cap ? time_rounds : cap));
        if (next >= 0 && next < target)
            target = next;
        if (target > vnow)
            vnow = target;
        for (int t = 0; t < nthreads; t++)
            if (threads[t].parked) {
                threads[t].parked = false;
                threads[t].idle = 0;
            }
    } else if (next >= 0) {
        if (next > vnow)
            vnow = next;
    }
    if (spinners || next >= 0) {
        bool woke = false;
        for (int t = 0; t < nthreads; t++) {
            struct thread *th = &threads[t];
            if (!th->used || th->done || th->deadline < 0 || th->deadline > vnow)
                continue;
            if (th->pending == P_COND && th->woken < 0) {
                th->woken = 2;
                woke = true;
            }
            woke |= th->pending == P_SLEEP;
        }
        if (woke)
            effect();
        return;
    }
    /* Every live thread waits for something no one will do. */
    sh->nwaits = 0;
    for (int t = 0; t < nthreads; t++) {
        struct thread *th = &threads[t];
        if (!th->used || th->done)
            continue;
        int holder = -1;
        if (th->pending == P_LOCK)
            holder = mutex_of(th->obj)->owner;
        else if (th->pending == P_COND && th->woken >= 0)
            holder = mutex_of(th->mutex)->owner;
        else if (th->pending == P_ONCE)
            holder = object_of(th->obj, O_ONCE)->owner;
        else if (th->pending == P_JOIN)
            holder = (int)th->obj;
        else if (th->pending == P_RDLOCK || th->pending == P_WRLOCK)
            holder = object_of(th->obj, O_RWLOCK)->owner;
        sh->waits[sh->nwaits++] = (struct wait_desc){
            t, th->pending, holder, th->pending == P_COND && th->woken >= 0 ? th->mutex : th->obj};
    }
    child_verdict(RLX_DEADLOCK, "deadlock");
}

static uint64_t draw(void)
{
    return rl_random(&pct_state);
}

/* Who runs next after thread cur (-1: nobody yet) reached a point. */
static int choose(int cur)
{
    /* A timed wait whose deadline has passed times out now, not only once
     * nobody else can run. */
    for (int t = 0; t < nthreads; t++) {
        struct thread *th = &threads[t];
        if (th->used && !th->done && th->pending == P_COND && th->woken < 0 && th->deadline >= 0 &&
            th->deadline <= vnow)
            th->woken = 2;
    }
    while (no_one_enabled())
        unstick();
    if (++steps > sh->max_steps)
        child_verdict(RLX_LIVELOCK, "no end after %ld steps (a livelock, or a loop that never ends)",
                      sh->max_steps);
    if (sh->npoints == MAX_STEPS)
        child_verdict(RLX_LIVELOCK, "the schedule ran more than %d steps", MAX_STEPS);
    struct point *p = &sh->points[sh->npoints];
    struct point *prev = sh->npoints ? &sh->points[sh->npoints - 1] : NULL;
    uint16_t pre = prev ? prev->pre + (prev->cost[prev->chosen] & 1) : 0;
    uint16_t spur = prev ? prev->spur + ((prev->cost[prev->chosen] & 2) >> 1) : 0;
    uint16_t jumps = prev ? prev->jumps + ((prev->cost[prev->chosen] & 4) >> 2) : 0;
    *p = (struct point){.pre = pre, .spur = spur, .jumps = jumps};

    bool cur_on = cur >= 0 && enabled(cur);
    bool yielding = cur_on && threads[cur].pending == P_YIELD;
    if (cur_on && !yielding) {
        p->alts[p->nalts] = (uint8_t)cur;
        p->cost[p->nalts++] = 0;
    }
    for (int k = 1; k <= nthreads; k++) {
        int t = ((cur < 0 ? -1 : cur) + k + nthreads) % nthreads;
        if (t == cur || !enabled(t))
            continue;
        p->alts[p->nalts] = (uint8_t)t;
        p->cost[p->nalts++] = cur_on && !yielding;
    }
    if (yielding) {
        /* Going on after a yield while another thread could run is a
         * preemption: a fair scheduler lets the others in. */
        p->alts[p->nalts] = (uint8_t)cur;
        p->cost[p->nalts] = p->nalts > 0;
        p->nalts++;
    }
    if (spur < sh->max_spurious)
        for (int t = 0; t < nthreads; t++) {
            struct thread *th = &threads[t];
            if (th->used && !th->done && th->pending == P_COND && th->woken < 0 &&
                mutex_of(th->mutex)->owner < 0) {
                p->alts[p->nalts] = (uint8_t)(ACT_WAKE + t);
                p->cost[p->nalts++] = 2;
            }
        }
    /* "The deadline passes now": while others could still run (slow,
     * descheduled), time jumps to the earliest deadline; its thread runs if
     * it can (a timed-out wait must first get its mutex back). */
    if (jumps < sh->max_jumps && p->nalts > 0) {
        int first = -1;
        for (int t = 0; t < nthreads; t++) {
            struct thread *th = &threads[t];
            bool timed = th->pending == P_SLEEP || (th->pending == P_COND && th->woken < 0);
            if (th->used && !th->done && timed && th->deadline > vnow &&
                (first < 0 || th->deadline < threads[first].deadline))
                first = t;
        }
        if (first >= 0) {
            p->alts[p->nalts] = (uint8_t)(ACT_TIME + first);
            p->cost[p->nalts++] = 4;
        }
    }

    int pick = 0;
    int index = sh->npoints;
    if (index < sh->guide_len) {
        int want = sh->guide[index];
        pick = -1;
        for (int i = 0; i < p->nalts; i++)
            if (p->alts[i] == want)
                pick = i;
        if (pick < 0) {
            if (!sh->diverged)
                sh->diverged_at = index;
            sh->diverged = true;
            pick = 0;
        }
    } else if (sh->pct) {
        for (int c = 0; c < pct_nchange; c++)
            if (pct_change[c] == index && cur >= 0)
                threads[cur].priority = (uint64_t)c;
        /* A thread that yields while another could run goes last. */
        if (yielding && p->nalts > 1)
            threads[cur].priority = 0;
        uint64_t best = 0;
        for (int i = 0; i < p->nalts; i++) {
            int a = p->alts[i];
            if (a >= ACT_WAKE)
                continue;
            if (threads[a].priority >= best) {
                best = threads[a].priority;
                pick = i;
            }
        }
        for (int i = 0; i < p->nalts; i++)
            if (p->alts[i] >= ACT_WAKE && draw() % 16 == 0)
                pick = i;
    }
    p->chosen = (uint8_t)pick;
    sh->npoints++;
    int a = p->alts[pick];
    if (a >= ACT_TIME) {
        int timed = a - ACT_TIME;
        vnow = threads[timed].deadline;
        struct event *e = record(EV_DEADLINE, 0, 0, NULL);
        e->tid = (uint8_t)timed;
        for (int t = 0; t < nthreads; t++) {
            struct thread *th = &threads[t];
            if (th->used && !th->done && th->pending == P_COND && th->woken < 0 &&
                th->deadline >= 0 && th->deadline <= vnow)
                th->woken = 2;
        }
        effect();
        a = enabled(timed) ? timed : cur_on ? cur : p->alts[0];
    } else if (a >= ACT_WAKE) {
        threads[a - ACT_WAKE].woken = 1;
        a -= ACT_WAKE;
    }
    return a;
}

/* Hands the baton to next and, unless that is us, waits to get it back.
 * Called with baton_lock held. */
static void pass_baton(int next)
{
    current = next;
    if (next != self) {
        __real_pthread_cond_signal(&threads[next].baton);
        while (current != self) {
            __real_pthread_cond_wait(&threads[self].baton, &baton_lock);
            if (aborting)
                leave();
        }
    }
}

static bool holds_lock(int t)
{
    for (int i = 0; i < nobjects; i++)
        if ((objects[i].kind == O_MUTEX || objects[i].kind == O_RWLOCK) && objects[i].owner == t)
            return true;
    return false;
}

/* A scheduling point: the calling thread is about to do pending on obj.
 * Returns with the baton held by the caller (and baton_lock locked). */
static void point(int pending, uintptr_t obj, bool changes_nothing)
{
    __real_pthread_mutex_lock(&baton_lock);
    struct thread *th = &threads[self];
    if (th->write_event >= 0) {
        struct event *w = &sh->events[th->write_event];
        w->value = read_value(w->addr, w->size);
        th->write_event = -1;
    }
    th->pending = pending;
    th->obj = obj;
    /* Parked until something changes; if nothing else can run, unstick()
     * counts a round of spinning. Never while holding a lock: a thread that
     * polls under a lock is parked between two of its critical sections,
     * or those who would change what it waits for could never get in. */
    if (changes_nothing && ++th->idle >= SPIN_LIMIT && !holds_lock(self))
        th->parked = true;
    pass_baton(choose(self));
    th->parked = false;
    th->pending = P_STEP;
}

static void point_done(void)
{
    __real_pthread_mutex_unlock(&baton_lock);
}

/* ---- hooks for instrumented accesses ------------------------------------ */

static void access_hook(uintptr_t addr, int size, bool write, uintptr_t pc)
{
    point(P_STEP, 0, !write);
    uintptr_t pcs[MAX_PCS] = {pc - 1};
    struct event *e = record(write ? EV_WRITE : EV_READ, addr, size, pcs);
    if (write) {
        threads[self].write_event = (int)(e - sh->events);
        effect();
    } else {
        e->value = read_value(addr, size);
    }
    point_done();
}

#define HOOK(ret, name, params) API ret name params; ret name params

HOOK(void, __tsan_init, (void)) {}
HOOK(void, __tsan_func_entry, (void *caller)) { (void)caller; }
HOOK(void, __tsan_func_exit, (void)) {}
HOOK(void, __tsan_vptr_read, (void **vptr)) { (void)vptr; }
HOOK(void, __tsan_vptr_update, (void **vptr, void *value)) { (void)vptr; (void)value; }
HOOK(void, __tsan_atomic_thread_fence, (int order)) { (void)order; __atomic_thread_fence(__ATOMIC_SEQ_CST); }
HOOK(void, __tsan_atomic_signal_fence, (int order)) { (void)order; }

/* A plain access of n bytes (n: a size, or the range's): a point, then it
 * happens. The return address is where in the lab's code. */
#define ACCESS(name, params, n, write)                                        \
    HOOK(void, name, params)                                                  \
    {                                                                         \
        if (controlled())                                                     \
            access_hook((uintptr_t)addr, (int)(n), write,                     \
                        (uintptr_t)__builtin_return_address(0));              \
    }

ACCESS(__tsan_read_range, (void *addr, size_t size), size, false)
ACCESS(__tsan_write_range, (void *addr, size_t size), size, true)

#define PLAIN(n)                                                              \
    ACCESS(__tsan_read##n, (void *addr), n, false)                            \
    ACCESS(__tsan_write##n, (void *addr), n, true)                            \
    ACCESS(__tsan_unaligned_read##n, (void *addr), n, false)                  \
    ACCESS(__tsan_unaligned_write##n, (void *addr), n, true)
PLAIN(1)
PLAIN(2)
PLAIN(4)
PLAIN(8)
PLAIN(16)

#define SC __ATOMIC_SEQ_CST

/* An atomic: a point, then the operation, recorded with its values. */
#define ATOMIC_BEGIN(changes_nothing)                                         \
    bool ctl = controlled();                                                  \
    uintptr_t pc = (uintptr_t)__builtin_return_address(0) - 1;               \
    if (ctl)                                                                  \
        point(P_STEP, 0, changes_nothing)
#define ATOMIC_END(kind, old, new, opname)                                    \
    if (ctl) {                                                                \
        uintptr_t pcs[MAX_PCS] = {pc};                                        \
        struct event *e = record(kind, (uintptr_t)a, sizeof *a, pcs);         \
        e->value = (uint64_t)(old);                                           \
        e->value2 = (uint64_t)(new);                                          \
        e->op = opname;                                                       \
        if (kind != EV_LOAD && kind != EV_CAS_FAIL)                           \
            effect();                                                         \
        point_done();                                                         \
    }

#define RMW(n, T, op, builtin)                                                \
    HOOK(T, __tsan_atomic##n##_##op, (volatile T *a, T v, int order))         \
    {                                                                         \
        (void)order;                                                          \
        ATOMIC_BEGIN(false);                                                  \
        T old = builtin(a, v, SC);                                            \
        ATOMIC_END(EV_RMW, old, *a, #op);                                     \
        return old;                                                           \
    }

/* A compare-exchange. A weak one is run as a strong one: it never fails
 * for nothing here, though real hardware may let it. */
#define CAS(n, T, strength)                                                   \
    HOOK(int, __tsan_atomic##n##_compare_exchange_##strength,                 \
         (volatile T *a, T *expected, T v, int order, int fail_order))        \
    {                                                                         \
        (void)order, (void)fail_order;                                        \
        ATOMIC_BEGIN(*a != *expected);                                        \
        T want = *expected;                                                   \
        int ok = __atomic_compare_exchange_n(a, expected, v, 0, SC, SC);      \
        ATOMIC_END(ok ? EV_CAS_OK : EV_CAS_FAIL, ok ? want : *expected,       \
                   ok ? v : want, "compare_exchange");                        \
        return ok;                                                            \
    }

#define ATOMICS(n, T)                                                         \
    HOOK(T, __tsan_atomic##n##_load, (const volatile T *a, int order))        \
    {                                                                         \
        (void)order;                                                          \
        ATOMIC_BEGIN(true);                                                   \
        T v = __atomic_load_n(a, SC);                                         \
        ATOMIC_END(EV_LOAD, v, v, "load");                                    \
        return v;                                                             \
    }                                                                         \
    HOOK(void, __tsan_atomic##n##_store, (volatile T *a, T v, int order))     \
    {                                                                         \
        (void)order;                                                          \
        ATOMIC_BEGIN(false);                                                  \
        T old = *a;                                                           \
        __atomic_store_n(a, v, SC);                                           \
        ATOMIC_END(EV_STORE, old, v, "store");                                \
    }                                                                         \
    RMW(n, T, exchange, __atomic_exchange_n)                                  \
    RMW(n, T, fetch_add, __atomic_fetch_add)                                  \
    RMW(n, T, fetch_sub, __atomic_fetch_sub)                                  \
    RMW(n, T, fetch_and, __atomic_fetch_and)                                  \
    RMW(n, T, fetch_or, __atomic_fetch_or)                                    \
    RMW(n, T, fetch_xor, __atomic_fetch_xor)                                  \
    RMW(n, T, fetch_nand, __atomic_fetch_nand)                                \
    CAS(n, T, strong)                                                         \
    CAS(n, T, weak)                                                           \
    HOOK(T, __tsan_atomic##n##_compare_exchange_val,                          \
         (volatile T *a, T expected, T v, int order, int fail_order))         \
    {                                                                         \
        (void)order, (void)fail_order;                                        \
        ATOMIC_BEGIN(*a != expected);                                         \
        T want = expected;                                                    \
        int ok = __atomic_compare_exchange_n(a, &expected, v, 0, SC, SC);     \
        ATOMIC_END(ok ? EV_CAS_OK : EV_CAS_FAIL, ok ? want : expected,        \
                   ok ? v : want, "compare_exchange");                        \
        return expected;                                                      \
    }

ATOMICS(8, uint8_t)
ATOMICS(16, uint16_t)
ATOMICS(32, uint32_t)
ATOMICS(64, uint64_t)

/* ---- modelled calls ----------------------------------------------------- */

#define WRAP(ret, name, params) API ret __wrap_##name params; ret __wrap_##name params

/* Takes mutex m for the calling thread, which holds the baton. */
static void take(struct object *m)
{
    if (m->owner == self)
        m->count++;
    else {
        m->owner = self;
        m->count = 1;
    }
    notify();
}

static int model_lock(uintptr_t addr, bool try, int ev)
{
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    struct object *m = mutex_of(addr);
    if (!try && m->type == 2 && m->owner == self)
        return EDEADLK;
    if (try) {
        point(P_STEP, 0, true);
        bool free = m->owner < 0 || (m->type == 1 && m->owner == self);
        record(free ? ev : EV_TRYLOCK_FAIL, addr, 0, pcs);
        if (free)
            take(m);
        point_done();
        return free ? 0 : EBUSY;
    }
    point(P_LOCK, addr, true);
    record(ev, addr, 0, pcs);
    take(m);
    point_done();
    return 0;
}

static int model_unlock(uintptr_t addr)
{
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    point(P_STEP, 0, true);
    struct object *m = mutex_of(addr);
    int err = 0;
    if (m->type == 2 && m->owner != self) {
        err = EPERM;
    } else if (m->owner >= 0 && --m->count > 0 && m->type == 1) {
        /* still held */
    } else {
        m->owner = -1;
        m->count = 0;
    }
    record(EV_UNLOCK, addr, 0, pcs);
    notify();
    point_done();
    return err;
}

/* A condition wait on c with mutex m; deadline in virtual ns or -1.
 * Returns 0, or ETIMEDOUT. */
static int model_wait(uintptr_t c, uintptr_t m, int64_t deadline)
{
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    point(P_STEP, 0, true);
    struct object *mx = mutex_of(m);
    mx->owner = -1;
    mx->count = 0;
    struct event *e = record(EV_WAIT, c, 0, pcs);
    e->addr2 = m;
    e->value = deadline >= 0 ? (uint64_t)deadline : UINT64_MAX;
    notify();
    struct thread *th = &threads[self];
    th->woken = -1;
    th->mutex = m;
    th->deadline = deadline;
    th->wait_seq = ++wait_seq;
    /* Not a step of its own: the wait goes on until it is woken. */
    th->pending = P_COND;
    th->obj = c;
    pass_baton(choose(self));
    int how = th->woken;
    th->deadline = -1;
    th->pending = P_STEP;
    take(mx);
    e = record(EV_WOKEN, c, 0, pcs);
    e->addr2 = m;
    e->arg = (int8_t)how;
    point_done();
    return how == 2 ? ETIMEDOUT : 0;
}

static void model_signal(uintptr_t c, bool all)
{
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    point(P_STEP, 0, true);
    int woke = -1, n = 0;
    for (;;) {
        int oldest = -1;
        for (int t = 0; t < nthreads; t++) {
            struct thread *th = &threads[t];
            if (th->used && !th->done && th->pending == P_COND && th->obj == c && th->woken < 0 &&
                (oldest < 0 || th->wait_seq < threads[oldest].wait_seq))
                oldest = t;
        }
        if (oldest < 0)
            break;
        threads[oldest].woken = 0;
        woke = oldest;
        n++;
        if (!all)
            break;
    }
    struct event *e = record(all ? EV_BROADCAST : EV_SIGNAL, c, 0, pcs);
    e->arg = (int8_t)(n == 1 ? woke : n == 0 ? -1 : -2);
    e->value = (uint64_t)n;
    notify();
    point_done();
}

/* Deadlines: an absolute time on clock clk, in virtual ns. */
static int64_t virtual_deadline(clockid_t clk, const struct timespec *ts)
{
    int64_t base = clk == CLOCK_REALTIME ? VREAL_BASE_S : VMONO_BASE_S;
    int64_t ns = ((int64_t)ts->tv_sec - base) * 1000000000 + ts->tv_nsec;
    return ns < 0 ? 0 : ns;
}

static void model_sleep(int64_t ns)
{
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    point(P_STEP, 0, true); /* a sleep-and-retry loop is a spin too */
    struct event *e = record(EV_SLEEP, 0, 0, pcs);
    e->value = (uint64_t)(ns < 0 ? 0 : ns);
    threads[self].deadline = vnow + (ns < 0 ? 0 : ns);
    threads[self].pending = P_SLEEP;
    pass_baton(choose(self));
    threads[self].deadline = -1;
    threads[self].pending = P_STEP;
    point_done();
}

static void model_yield(void)
{
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    point(P_YIELD, 0, true);
    record(EV_YIELD, 0, 0, pcs);
    point_done();
}

WRAP(int, pthread_mutex_lock, (pthread_mutex_t *m))
{
    if (controlled())
        mutex_type((uintptr_t)m);
    return controlled() ? model_lock((uintptr_t)m, false, EV_LOCK) : __real_pthread_mutex_lock(m);
}
WRAP(int, pthread_mutex_trylock, (pthread_mutex_t *m))
{
    if (controlled())
        mutex_type((uintptr_t)m);
    return controlled() ? model_lock((uintptr_t)m, true, EV_LOCK) : __real_pthread_mutex_trylock(m);
}
WRAP(int, pthread_mutex_unlock, (pthread_mutex_t *m))
{
    return controlled() ? model_unlock((uintptr_t)m) : __real_pthread_mutex_unlock(m);
}
WRAP(int, pthread_spin_lock, (pthread_spinlock_t *m))
{
    return controlled() ? model_lock((uintptr_t)m, false, EV_LOCK) : __real_pthread_spin_lock(m);
}
WRAP(int, pthread_spin_trylock, (pthread_spinlock_t *m))
{
    return controlled() ? model_lock((uintptr_t)m, true, EV_LOCK) : __real_pthread_spin_trylock(m);
}
WRAP(int, pthread_spin_unlock, (pthread_spinlock_t *m))
{
    return controlled() ? model_unlock((uintptr_t)m) : __real_pthread_spin_unlock(m);
}
WRAP(int, mtx_lock, (mtx_t *m))
{
    if (controlled())
        mutex_type((uintptr_t)m);
    return controlled() ? (model_lock((uintptr_t)m, false, EV_LOCK) ? thrd_error : thrd_success)
                        : __real_mtx_lock(m);
}
WRAP(int, mtx_trylock, (mtx_t *m))
{
    if (!controlled())
        return __real_mtx_trylock(m);
    int err = model_lock((uintptr_t)m, true, EV_LOCK);
    return err == 0 ? thrd_success : err == EBUSY ? thrd_busy : thrd_error;
}
WRAP(int, mtx_unlock, (mtx_t *m))
{
    return controlled() ? (model_unlock((uintptr_t)m) ? thrd_error : thrd_success)
                        : __real_mtx_unlock(m);
}

/* Read-write locks: any number of readers, or one writer. */
static int model_rwlock(pthread_rwlock_t *l, bool write, bool try)
{
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    uintptr_t addr = (uintptr_t)l;
    struct object *rw = object_of(addr, O_RWLOCK);
    if (rw->owner == self)
        return EDEADLK;
    bool free = rw->owner < 0 && (!write || rw->count == 0);
    if (try) {
        point(P_STEP, 0, true);
        free = rw->owner < 0 && (!write || rw->count == 0);
        record(free ? (write ? EV_LOCK : EV_RDLOCK) : EV_TRYLOCK_FAIL, addr, 0, pcs);
    } else {
        point(write ? P_WRLOCK : P_RDLOCK, addr, true);
        free = true;
        record(write ? EV_LOCK : EV_RDLOCK, addr, 0, pcs);
    }
    if (free) {
        if (write)
            rw->owner = self;
        else
            rw->count++;
        notify();
    }
    point_done();
    return free ? 0 : EBUSY;
}

WRAP(int, pthread_rwlock_rdlock, (pthread_rwlock_t *l))
{
    return controlled() ? model_rwlock(l, false, false) : __real_pthread_rwlock_rdlock(l);
}
WRAP(int, pthread_rwlock_wrlock, (pthread_rwlock_t *l))
{
    return controlled() ? model_rwlock(l, true, false) : __real_pthread_rwlock_wrlock(l);
}
WRAP(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *l))
{
    return controlled() ? model_rwlock(l, false, true) : __real_pthread_rwlock_tryrdlock(l);
}
WRAP(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *l))
{
    return controlled() ? model_rwlock(l, true, true) : __real_pthread_rwlock_trywrlock(l);
}
WRAP(int, pthread_rwlock_unlock, (pthread_rwlock_t *l))
{
    if (!controlled())
        return __real_pthread_rwlock_unlock(l);
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    point(P_STEP, 0, true);
    struct object *rw = object_of((uintptr_t)l, O_RWLOCK);
    if (rw->owner == self)
        rw->owner = -1;
    else if (rw->count > 0)
        rw->count--;
    record(EV_UNLOCK, (uintptr_t)l, 0, pcs);
    notify();
    point_done();
    return 0;
}

WRAP(int, pthread_cond_init, (pthread_cond_t *c, const pthread_condattr_t *attr))
{
    clockid_t clk = CLOCK_REALTIME;
    if (attr)
        pthread_condattr_getclock(attr, &clk);
    if (in_child) {
        __real_pthread_mutex_lock(&baton_lock);
        object_of((uintptr_t)c, O_COND)->clock = clk;
        __real_pthread_mutex_unlock(&baton_lock);
    }
    return __real_pthread_cond_init(c, attr);
}

static clockid_t cond_clock(uintptr_t c)
{
    for (int i = 0; i < nobjects; i++)
        if (objects[i].addr == c && objects[i].kind == O_COND)
            return objects[i].clock;
    return CLOCK_REALTIME;
}

WRAP(int, pthread_cond_wait, (pthread_cond_t *c, pthread_mutex_t *m))
{
    return controlled() ? model_wait((uintptr_t)c, (uintptr_t)m, -1) : __real_pthread_cond_wait(c, m);
}
WRAP(int, pthread_cond_timedwait, (pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t))
{
    if (!controlled())
        return __real_pthread_cond_timedwait(c, m, t);
    return model_wait((uintptr_t)c, (uintptr_t)m, virtual_deadline(cond_clock((uintptr_t)c), t));
}
WRAP(int, pthread_cond_clockwait,
     (pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk, const struct timespec *t))
{
    if (!controlled())
        return __real_pthread_cond_clockwait(c, m, clk, t);
    return model_wait((uintptr_t)c, (uintptr_t)m, virtual_deadline(clk, t));
}
WRAP(int, pthread_cond_signal, (pthread_cond_t *c))
{
    if (!controlled())
        return __real_pthread_cond_signal(c);
    model_signal((uintptr_t)c, false);
    return 0;
}
WRAP(int, pthread_cond_broadcast, (pthread_cond_t *c))
{
    if (!controlled())
        return __real_pthread_cond_broadcast(c);
    model_signal((uintptr_t)c, true);
    return 0;
}
WRAP(int, cnd_wait, (cnd_t *c, mtx_t *m))
{
    if (!controlled())
        return __real_cnd_wait(c, m);
    return model_wait((uintptr_t)c, (uintptr_t)m, -1) ? thrd_error : thrd_success;
}
WRAP(int, cnd_timedwait, (cnd_t *c, mtx_t *m, const struct timespec *t))
{
    if (!controlled())
        return __real_cnd_timedwait(c, m, t);
    int err = model_wait((uintptr_t)c, (uintptr_t)m, virtual_deadline(CLOCK_REALTIME, t));
    return err == ETIMEDOUT ? thrd_timedout : thrd_success;
}
WRAP(int, cnd_signal, (cnd_t *c))
{
    if (!controlled())
        return __real_cnd_signal(c);
    model_signal((uintptr_t)c, false);
    return thrd_success;
}
WRAP(int, cnd_broadcast, (cnd_t *c))
{
    if (!controlled())
        return __real_cnd_broadcast(c);
    model_signal((uintptr_t)c, true);
    return thrd_success;
}

/* Semaphores: the model's value starts from the real one. */
static struct object *sem_of(sem_t *s)
{
    int fresh = nobjects;
    struct object *o = object_of((uintptr_t)s, O_SEM);
    if (o - objects == fresh) {
        int v = 0;
        sem_getvalue(s, &v);
        o->count = v;
    }
    return o;
}

static int model_sem_wait(sem_t *s, bool try, int64_t deadline)
{
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    struct object *o = sem_of(s);
    if (try || deadline >= 0) {
        if (deadline >= 0 && o->count == 0) {
            /* Wait until the value rises or the time comes: a sleep that
             * ends early when posted is modelled as a poll of the two. */
            point(P_STEP, 0, false);
            while (o->count == 0 && vnow < deadline) {
                threads[self].deadline = deadline;
                threads[self].pending = P_SLEEP;
                threads[self].obj = 0;
                pass_baton(choose(self));
                threads[self].deadline = -1;
            }
            point_done();
        }
        point(P_STEP, 0, o->count == 0);
        bool ok = o->count > 0;
        record(ok ? EV_SEM_WAIT : EV_SEM_TRY_FAIL, (uintptr_t)s, 0, pcs);
        if (ok) {
            o->count--;
            notify();
        }
        point_done();
        if (!ok)
            errno = deadline >= 0 ? ETIMEDOUT : EAGAIN;
        return ok ? 0 : -1;
    }
    point(P_SEM, (uintptr_t)s, true);
    record(EV_SEM_WAIT, (uintptr_t)s, 0, pcs);
    o->count--;
    notify();
    point_done();
    return 0;
}

WRAP(int, sem_init, (sem_t *s, int pshared, unsigned value))
{
    if (in_child) {
        __real_pthread_mutex_lock(&baton_lock);
        object_of((uintptr_t)s, O_SEM)->count = (int)value;
        __real_pthread_mutex_unlock(&baton_lock);
    }
    return __real_sem_init(s, pshared, value);
}
WRAP(int, sem_wait, (sem_t *s))
{
    return controlled() ? model_sem_wait(s, false, -1) : __real_sem_wait(s);
}
WRAP(int, sem_trywait, (sem_t *s))
{
    return controlled() ? model_sem_wait(s, true, -1) : __real_sem_trywait(s);
}
WRAP(int, sem_timedwait, (sem_t *s, const struct timespec *t))
{
    return controlled() ? model_sem_wait(s, false, virtual_deadline(CLOCK_REALTIME, t))
                        : __real_sem_timedwait(s, t);
}
WRAP(int, sem_post, (sem_t *s))
{
    if (!controlled())
        return __real_sem_post(s);
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    point(P_STEP, 0, true);
    sem_of(s)->count++;
    record(EV_SEM_POST, (uintptr_t)s, 0, pcs);
    notify();
    point_done();
    return 0;
}

/* pthread_once: one thread runs the routine (for real, so the control is
 * marked done for later callers); the others wait in the model. */
static void model_once(uintptr_t ctl, void (*run)(uintptr_t, void (*)(void)), void (*fn)(void))
{
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    point(P_ONCE, ctl, true);
    struct object *o = object_of(ctl, O_ONCE);
    if (o->count == 2) {
        record(EV_ONCE_SKIP, ctl, 0, pcs);
        point_done();
        return;
    }
    o->owner = self;
    record(EV_ONCE_RUN, ctl, 0, pcs);
    notify();
    point_done();
    run(ctl, fn);
    point(P_STEP, 0, false);
    o->owner = -1;
    o->count = 2;
    record(EV_ONCE_DONE, ctl, 0, pcs);
    effect();
    point_done();
}

static void run_pthread_once(uintptr_t ctl, void (*fn)(void))
{
    __real_pthread_once((pthread_once_t *)ctl, fn);
}

static void run_call_once(uintptr_t ctl, void (*fn)(void))
{
    __real_call_once((once_flag *)ctl, fn);
}

WRAP(int, pthread_once, (pthread_once_t *ctl, void (*fn)(void)))
{
    if (!controlled())
        return __real_pthread_once(ctl, fn);
    model_once((uintptr_t)ctl, run_pthread_once, fn);
    return 0;
}

WRAP(void, call_once, (once_flag *ctl, void (*fn)(void)))
{
    if (!controlled()) {
        __real_call_once(ctl, fn);
        return;
    }
    model_once((uintptr_t)ctl, run_call_once, fn);
}

/* ---- threads ------------------------------------------------------------ */

static void thread_end(void *ret)
{
    __real_pthread_mutex_lock(&baton_lock);
    struct thread *th = &threads[self];
    if (th->write_event >= 0) {
        struct event *w = &sh->events[th->write_event];
        w->value = read_value(w->addr, w->size);
    }
    th->ret = ret;
    th->pending = P_END;
    pass_baton(choose(self));
    record(EV_END, 0, 0, NULL);
    th->done = true;
    live--;
    effect();
    if (live == 0) {
        current = -1;
        __real_pthread_cond_signal(&main_wake);
    } else {
        int next = choose(self);
        current = next;
        __real_pthread_cond_signal(&threads[next].baton);
    }
    __real_pthread_mutex_unlock(&baton_lock);
}

static void *trampoline(void *p)
{
    self = (int)(intptr_t)p;
    struct thread *th = &threads[self];
    __real_pthread_mutex_lock(&baton_lock);
    while (current != self) {
        if (aborting)
            leave();
        __real_pthread_cond_wait(&th->baton, &baton_lock);
    }
    th->pending = P_STEP;
    __real_pthread_mutex_unlock(&baton_lock);
    void *ret;
    if (th->c11_fn)
        ret = (void *)(intptr_t)th->c11_fn(th->arg);
    else
        ret = th->fn(th->arg);
    thread_end(ret);
    return ret;
}

/* A new controlled thread, parked until chosen; baton_lock held. */
static int new_thread(void *(*fn)(void *), int (*c11_fn)(void *), void *arg)
{
    if (nthreads == RLX_MAX_THREADS)
        child_verdict(RLX_CRASH, "more than %d threads: the explorer runs small scenarios",
                      RLX_MAX_THREADS);
    int t = nthreads++;
    struct thread *th = &threads[t];
    *th = (struct thread){.used = true, .pending = P_START, .deadline = -1,
                          .write_event = -1, .fn = fn, .c11_fn = c11_fn, .arg = arg,
                          .priority = sh->pct ? (draw() % 1000000) + 100 : 0};
    __real_pthread_cond_init(&th->baton, NULL);
    live++;
    sh->nthreads = nthreads;
    /* Small stacks: fewer pages to map in every schedule's child. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    int err = __real_pthread_create(&th->real, &attr, trampoline, (void *)(intptr_t)t);
    pthread_attr_destroy(&attr);
    if (err)
        child_verdict(RLX_CRASH, "pthread_create failed: %s", strerror(err));
    return t;
}

static int spawn(void *(*fn)(void *), int (*c11_fn)(void *), void *arg)
{
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    point(P_STEP, 0, false);
    int t = new_thread(fn, c11_fn, arg);
    struct event *e = record(EV_SPAWN, 0, 0, pcs);
    e->arg = (int8_t)t;
    effect();
    point_done();
    return t;
}

static void *join(int t)
{
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    point(P_JOIN, (uintptr_t)t, false);
    struct event *e = record(EV_JOIN, 0, 0, pcs);
    e->arg = (int8_t)t;
    point_done();
    __real_pthread_join(threads[t].real, NULL);
    return threads[t].ret;
}

static int thread_of(pthread_t p)
{
    for (int t = 0; t < nthreads; t++)
        if (pthread_equal(threads[t].real, p))
            return t;
    return -1;
}

WRAP(int, pthread_create, (pthread_t *p, const pthread_attr_t *attr, void *(*fn)(void *), void *arg))
{
    if (!controlled())
        return __real_pthread_create(p, attr, fn, arg);
    int t = spawn(fn, NULL, arg);
    *p = threads[t].real;
    return 0;
}

WRAP(int, pthread_join, (pthread_t p, void **ret))
{
    int t = controlled() ? thread_of(p) : -1;
    if (t < 0)
        return __real_pthread_join(p, ret);
    void *r = join(t);
    if (ret)
        *ret = r;
    return 0;
}

WRAP(void, pthread_exit, (void *ret))
{
    if (controlled())
        thread_end(ret);
    __real_pthread_exit(ret);
}

WRAP(int, thrd_create, (thrd_t *p, thrd_start_t fn, void *arg))
{
    if (!controlled())
        return __real_thrd_create(p, fn, arg);
    int t = spawn(NULL, fn, arg);
    *p = (thrd_t)threads[t].real;
    return thrd_success;
}

WRAP(int, thrd_join, (thrd_t p, int *ret))
{
    int t = controlled() ? thread_of((pthread_t)p) : -1;
    if (t < 0)
        return __real_thrd_join(p, ret);
    void *r = join(t);
    if (ret)
        *ret = (int)(intptr_t)r;
    return thrd_success;
}

/* ---- time --------------------------------------------------------------- */

WRAP(int, clock_gettime, (clockid_t clk, struct timespec *ts))
{
    if (!in_child)
        return __real_clock_gettime(clk, ts);
    if (controlled()) {
        uintptr_t pcs[MAX_PCS];
        callers(pcs);
        point(P_STEP, 0, true);
        record(EV_CLOCK, 0, 0, pcs)->value = (uint64_t)vnow;
        point_done();
    }
    int64_t base = clk == CLOCK_REALTIME ? VREAL_BASE_S : VMONO_BASE_S;
    ts->tv_sec = (time_t)(base + vnow / 1000000000);
    ts->tv_nsec = (long)(vnow % 1000000000);
    return 0;
}

static int64_t ns_of(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

WRAP(int, nanosleep, (const struct timespec *req, struct timespec *rem))
{
    if (!controlled())
        return __real_nanosleep(req, rem);
    model_sleep(ns_of(req));
    return 0;
}
WRAP(int, clock_nanosleep, (clockid_t clk, int flags, const struct timespec *req, struct timespec *rem))
{
    if (!controlled())
        return __real_clock_nanosleep(clk, flags, req, rem);
    model_sleep(flags & TIMER_ABSTIME ? virtual_deadline(clk, req) - vnow : ns_of(req));
    return 0;
}
WRAP(int, usleep, (useconds_t us))
{
    if (!controlled())
        return __real_usleep(us);
    model_sleep((int64_t)us * 1000);
    return 0;
}
WRAP(unsigned, sleep, (unsigned s))
{
    if (!controlled())
        return __real_sleep(s);
    model_sleep((int64_t)s * 1000000000);
    return 0;
}
WRAP(int, thrd_sleep, (const struct timespec *req, struct timespec *rem))
{
    if (!controlled())
        return __real_thrd_sleep(req, rem);
    model_sleep(ns_of(req));
    return 0;
}
WRAP(int, sched_yield, (void))
{
    if (!controlled())
        return __real_sched_yield();
    model_yield();
    return 0;
}
WRAP(void, thrd_yield, (void))
{
    if (!controlled()) {
        __real_thrd_yield();
        return;
    }
    model_yield();
}

/* stdio's own lock, as a mutex of the model (printf's internal lock is
 * taken for real, but never while another controlled thread runs). */
WRAP(void, flockfile, (FILE *f))
{
    if (controlled())
        model_lock((uintptr_t)f, false, EV_LOCK);
    else
        __real_flockfile(f);
}
WRAP(void, funlockfile, (FILE *f))
{
    if (controlled())
        model_unlock((uintptr_t)f);
    else
        __real_funlockfile(f);
}
WRAP(int, ftrylockfile, (FILE *f))
{
    return controlled() ? model_lock((uintptr_t)f, true, EV_LOCK) : __real_ftrylockfile(f);
}

/* ---- output: a point before each stdio call, its text in the trace ------ */

static void output_point(const char *text, size_t n)
{
    uintptr_t pcs[MAX_PCS];
    callers(pcs);
    point(P_STEP, 0, false);
    struct event *e = record(EV_OUTPUT, 0, 0, pcs);
    size_t k = 0;
    for (size_t i = 0; i < n && k + 3 < sizeof e->text; i++) {
        if (text[i] == '\n') {
            e->text[k++] = '\\';
            e->text[k++] = 'n';
        } else {
            e->text[k++] = text[i] >= ' ' && text[i] < 127 ? text[i] : '?';
        }
    }
    e->text[k] = 0;
    e->value = n;
    effect();
    point_done();
}

static void output_vpoint(const char *fmt, va_list ap)
{
    char buf[32];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(buf, sizeof buf, fmt, copy);
    va_end(copy);
    output_point(buf, n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void stdio_before(const char *text, size_t n)
{
    if (controlled())
        output_point(text, n);
}

static void stdio_before_format(const char *fmt, va_list ap)
{
    if (controlled())
        output_vpoint(fmt, ap);
}

#include "stdio_wraps.h"

/* ---- one schedule, in the child ----------------------------------------- */

const char *rlx_say(const char *fmt, ...)
{
    static char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

void rlx_name(const void *p, const char *name)
{
    if (!sh || sh->nnames == MAX_NAMES)
        return;
    __typeof__(sh->names[0]) *n = &sh->names[sh->nnames++];
    n->addr = (uintptr_t)p;
    n->size = malloc_usable_size((void *)p);
    snprintf(n->name, sizeof n->name, "%s", name);
}

long long rlx_now_ns(void)
{
    return vnow;
}

struct body_arg {
    const struct rlx_scenario *s;
    int tid;
};

static void *body_main(void *p)
{
    struct body_arg *b = p;
    b->s->body(b->tid);
    return NULL;
}

/* One schedule, in the worker's main thread; sh->verdict says how it went. */
static void run_schedule(const struct rlx_scenario *s)
{
    alarm(3); /* a real hang: blocked in something the model does not know */
    srand(1); /* libc's own state is not in the snapshot: the one known to code */
    if (sh->pct) {
        pct_state = sh->pct_seed;
        pct_nchange = sh->pct_depth - 1;
        for (int c = 0; c < pct_nchange && c < 8; c++)
            pct_change[c] = 1 + (long)(draw() % (uint64_t)(sh->pct_steps > 1 ? sh->pct_steps : 1));
    }
    in_child = true;
    if (s->setup)
        s->setup();
    static struct body_arg args[RLX_MAX_THREADS];
    __real_pthread_mutex_lock(&baton_lock);
    for (int t = 0; t < s->threads; t++) {
        args[t] = (struct body_arg){s, t};
        new_thread(body_main, NULL, &args[t]);
    }
    current = choose(-1);
    __real_pthread_cond_signal(&threads[current].baton);
    while (live > 0 && !aborting)
        __real_pthread_cond_wait(&main_wake, &baton_lock);
    __real_pthread_mutex_unlock(&baton_lock);
    for (int t = 0; t < nthreads; t++)
        __real_pthread_join(threads[t].real, NULL);
    if (!aborting) {
        const char *why = s->check ? s->check() : NULL;
        if (why)
            snprintf(sh->why, sizeof sh->why, "%s", why);
        sh->verdict = why ? RLX_WRONG : RLX_OK;
    }
    fflush(stdout);
    in_child = false;
    alarm(0);
}

/* The program's own writable memory (.data, .bss): saved once when the
 * worker starts and put back before every schedule, so each schedule
 * starts from the same state, as a fresh process would. */
struct segment {
    char *at, *copy;
    size_t size;
};
struct segments {
    struct segment seg[8];
    int n;
};

static int find_writable(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct segments *sg = data;
    /* The start of a writable segment is read-only once relocated (RELRO:
     * .got, .init_array ...), rounded up to a page: leave it out. */
    uintptr_t relro_end = 0;
    long page = sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_GNU_RELRO)
            relro_end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + (uintptr_t)page - 1) &
                        ~((uintptr_t)page - 1);
    }
    for (int i = 0; i < info->dlpi_phnum && sg->n < 8; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
            continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
        if (relro_end > start && relro_end < end)
            start = relro_end;
        else if (relro_end >= end)
            continue;
        struct segment *g = &sg->seg[sg->n++];
        g->at = (char *)start;
        g->size = end - start;
    }
    return 1; /* the first object is the program */
}

/* Runs schedules until the parent closes the command pipe: one byte in
 * (sh holds the guide), one byte out (sh holds what happened). */
__attribute__((noreturn))
static void worker(const struct rlx_scenario *s, int cmd, int done)
{
    /* The test runner's handlers (cmocka's) must not catch a crash here. */
    int crashes[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++)
        signal(crashes[i], SIG_DFL);
    struct segments sg = {.n = 0};
    dl_iterate_phdr(find_writable, &sg);
    for (int i = 0; i < sg.n; i++) {
        sg.seg[i].copy = malloc(sg.seg[i].size);
        if (!sg.seg[i].copy)
            _exit(3);
        memcpy(sg.seg[i].copy, sg.seg[i].at, sg.seg[i].size);
    }
    char byte;
    while (read(cmd, &byte, 1) == 1) {
        for (int i = 0; i < sg.n; i++)
            memcpy(sg.seg[i].at, sg.seg[i].copy, sg.seg[i].size);
        run_schedule(s);
        if (write(done, &byte, 1) != 1)
            break;
    }
    _exit(0);
}

/* ---- the parent: running schedules -------------------------------------- */

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV (a segfault: a bad pointer?)";
    case SIGABRT: return "SIGABRT (an abort: a failed check?)";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE (a division by zero?)";
    case SIGILL: return "SIGILL";
    case SIGALRM: return "a real hang";
    default: return strsignal(sig);
    }
}

static int null_fd = -1;
static pid_t worker_pid = -1;
static int worker_cmd = -1, worker_done = -1;  /* pipes: to it, from it */
static long worker_runs;

static void worker_stop(void)
{
    if (worker_pid < 0)
        return;
    close(worker_cmd);
    close(worker_done);
    int status;
    while (waitpid(worker_pid, &status, 0) < 0 && errno == EINTR)
        ;
    worker_pid = -1;
}

static void worker_start(const struct rlx_scenario *s)
{
    int cmd[2], done[2];
    if (null_fd < 0)
        null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
        rl_die_errno("pipe", errno);
    fflush(stdout);
    fflush(stderr);
    worker_pid = fork();
    if (worker_pid < 0)
        rl_die_errno("fork", errno);
    if (worker_pid == 0) {
        /* The schedules' own output (a printing lab) goes nowhere. */
        dup2(null_fd, STDOUT_FILENO);
        close(cmd[1]);
        close(done[0]);
        worker(s, cmd[0], done[1]);
    }
    close(cmd[0]);
    close(done[1]);
    worker_cmd = cmd[1];
    worker_done = done[0];
    worker_runs = 0;
}

/* Runs one schedule in the worker (a new one when the last died, or has
 * run many: whatever the scenario leaks stays small); sh holds what
 * happened. */
static void run_one(const struct rlx_scenario *s)
{
    sh->verdict = -1;
    sh->why[0] = 0;
    sh->diverged = false;
    sh->npoints = sh->nevents = sh->nnames = sh->nwaits = sh->nthreads = 0;
    if (worker_pid >= 0 && worker_runs >= 2000)
        worker_stop();
    if (worker_pid < 0)
        worker_start(s);
    worker_runs++;
    char byte = 1;
    ssize_t n = write(worker_cmd, &byte, 1);
    if (n == 1)
        n = read(worker_done, &byte, 1);
    if (n == 1 && sh->verdict >= 0)
        return;
    /* The worker died in the middle of the schedule. */
    close(worker_cmd);
    close(worker_done);
    int status;
    while (waitpid(worker_pid, &status, 0) < 0)
        if (errno != EINTR)
            rl_die_errno("waitpid", errno);
    worker_pid = -1;
    if (sh->verdict >= 0)
        return;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
        sh->verdict = RLX_HANG;
        snprintf(sh->why, sizeof sh->why,
                 "hangs: 3 s of real time and the schedule has not ended (a loop with no memory "
                 "access left in it, as the "
                 "compiler makes of a plain variable polled in a loop? or a blocking call the "
                 "explorer does not model)");
    } else if (WIFSIGNALED(status)) {
        sh->verdict = RLX_CRASH;
        snprintf(sh->why, sizeof sh->why, "crashes: %s", signal_name(WTERMSIG(status)));
    } else {
        sh->verdict = RLX_CRASH;
        snprintf(sh->why, sizeof sh->why, "the program exited (status %d) in the middle of a schedule",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
}

static void guide_from_run(int upto)
{
    sh->guide_len = upto;
    for (int i = 0; i < upto; i++)
        sh->guide[i] = sh->points[i].alts[sh->points[i].chosen];
}

/* The next schedule of a depth-first search within the bounds: the deepest
 * point with an untried choice that fits. False when none is left. */
static bool next_guide(int bound, int spurious, int jumps)
{
    for (int i = sh->npoints - 1; i >= 0; i--) {
        struct point *p = &sh->points[i];
        for (int j = p->chosen + 1; j < p->nalts; j++) {
            int pre = p->pre + (p->cost[j] & 1), spur = p->spur + ((p->cost[j] >> 1) & 1);
            int jump = p->jumps + ((p->cost[j] >> 2) & 1);
            if (pre <= bound && spur <= spurious && jump <= jumps) {
                guide_from_run(i);
                sh->guide[i] = p->alts[j];
                sh->guide_len = i + 1;
                return true;
            }
        }
    }
    return false;
}

static int preemptions_of_run(void)
{
    if (sh->npoints == 0)
        return 0;
    struct point *p = &sh->points[sh->npoints - 1];
    return p->pre + (p->cost[p->chosen] & 1);
}

/* ---- tokens ------------------------------------------------------------- */

/* The choices of the run in sh as "a5b3a2": thread a for 5 points, then
 * b for 3 ...; an upper-case letter wakes that thread spuriously. Trailing
 * default choices are left out (a replay takes the default past the end). */
static void encode(char *out, size_t len)
{
    int last = sh->npoints;
    while (last > 0 && sh->points[last - 1].chosen == 0)
        last--;
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < last;) {
        int a = sh->points[i].alts[sh->points[i].chosen];
        int run = 1;
        while (i + run < last && sh->points[i + run].alts[sh->points[i + run].chosen] == a &&
               a < ACT_WAKE)
            run++;
        int w;
        if (a >= ACT_TIME)
            w = snprintf(out + n, len - n, "+%c", 'a' + a - ACT_TIME);
        else if (a >= ACT_WAKE)
            w = snprintf(out + n, len - n, "%c", 'A' + a - ACT_WAKE);
        else if (run > 1)
            w = snprintf(out + n, len - n, "%c%d", 'a' + a, run);
        else
            w = snprintf(out + n, len - n, "%c", 'a' + a);
        if (w < 0 || (size_t)w >= len - n) {
            snprintf(out, len, "(too long)");
            return;
        }
        n += (size_t)w;
        i += run;
    }
    if (n == 0)
        snprintf(out, len, "-");
}

static bool decode(const char *text)
{
    sh->guide_len = 0;
    if (strcmp(text, "-") == 0)
        return true;
    for (const char *p = text; *p;) {
        int a;
        if (*p == '+' && p[1] >= 'a' && p[1] < 'a' + RLX_MAX_THREADS) {
            if (sh->guide_len == MAX_STEPS)
                return false;
            sh->guide[sh->guide_len++] = (uint8_t)(ACT_TIME + p[1] - 'a');
            p += 2;
            continue;
        }
        if (*p >= 'a' && *p < 'a' + RLX_MAX_THREADS)
            a = *p - 'a';
        else if (*p >= 'A' && *p < 'A' + RLX_MAX_THREADS)
            a = ACT_WAKE + *p - 'A';
        else
            return false;
        p++;
        long run = 1;
        if (*p >= '0' && *p <= '9') {
            char *end;
            run = strtol(p, &end, 10);
            p = end;
            if (run < 1 || run > MAX_STEPS)
                return false;
        }
        if (sh->guide_len + run > MAX_STEPS)
            return false;
        while (run-- > 0)
            sh->guide[sh->guide_len++] = (uint8_t)a;
    }
    return true;
}

/* ---- symbols: file:line of code, names of data -------------------------- */

struct where {
    uintptr_t pc;
    char file[64];
    int line;
    char func[48];
};

/* Every address asked about so far in this process, with its answer: a
 * failure's table, its schedule line and its deadlock's reason ask about
 * the same run, and llvm-symbolizer takes a tenth of a second to start
 * (its library's relocations), so each address is asked about once. */
static struct where *wheres;
static size_t nwheres, cap_wheres;
struct data_name {
    uintptr_t addr;
    char name[48];
    uintptr_t start;
    size_t size;
};
static struct data_name *datas;
static size_t ndatas, cap_datas;
static uintptr_t exe_base;
static char exe_path[512];

static int find_base(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size, (void)data;
    exe_base = info->dlpi_addr; /* the first object is the program */
    return 1;
}

static bool in_program(uintptr_t pc)
{
    Dl_info di;
    return dladdr((void *)pc, &di) && (uintptr_t)di.dli_fbase == exe_base &&
           di.dli_fname != NULL;
}

/* Asks llvm-symbolizer (or addr2line, for code) about every address at once. */
static void symbolize_program(void);
static void name_sync_objects(void);

static void find_code_files(void);

static void symbolize(void)
{
    symbolize_program();
    name_sync_objects();
    find_code_files();
}

static void symbolize_program(void)
{
    size_t old_wheres = nwheres, old_datas = ndatas;
    if (!exe_path[0]) {
        ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
        if (n > 0)
            exe_path[n] = 0;
        dl_iterate_phdr(find_base, NULL);
    }
    /* Collect the addresses. */
    for (int i = 0; i < sh->nevents; i++) {
        struct event *e = &sh->events[i];
        for (int k = 0; k < MAX_PCS && e->pcs[k]; k++) {
            bool seen = false;
            for (size_t w = 0; w < nwheres && !seen; w++)
                seen = wheres[w].pc == e->pcs[k];
            if (seen || !in_program(e->pcs[k]))
                continue;
            if (nwheres == cap_wheres) {
                cap_wheres = cap_wheres ? 2 * cap_wheres : 64;
                wheres = realloc(wheres, cap_wheres * sizeof *wheres);
            }
            wheres[nwheres++] = (struct where){.pc = e->pcs[k]};
        }
        uintptr_t objs[2] = {e->addr, e->addr2};
        for (int k = 0; k < 2; k++) {
            if (!objs[k] || !in_program(objs[k]))
                continue;
            bool seen = false;
            for (size_t d = 0; d < ndatas && !seen; d++)
                seen = datas[d].addr == objs[k];
            if (seen)
                continue;
            if (ndatas == cap_datas) {
                cap_datas = cap_datas ? 2 * cap_datas : 64;
                datas = realloc(datas, cap_datas * sizeof *datas);
            }
            datas[ndatas++] = (struct data_name){.addr = objs[k]};
        }
    }
    size_t new_wheres = nwheres - old_wheres, new_datas = ndatas - old_datas;
    if (new_wheres + new_datas == 0)
        return;
    char tmp[] = "/tmp/racelab-explore-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0)
        return;
    FILE *in = fdopen(fd, "w");
    for (size_t w = old_wheres; w < nwheres; w++)
        fprintf(in, "CODE 0x%lx\n", (unsigned long)(wheres[w].pc - exe_base));
    for (size_t d = old_datas; d < ndatas; d++)
        fprintf(in, "DATA 0x%lx\n", (unsigned long)(datas[d].addr - exe_base));
    fclose(in);
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "llvm-symbolizer --obj='%s' --no-inlines --functions=short --relativenames < %s 2>/dev/null",
             exe_path, tmp);
    FILE *out = popen(cmd, "r");
    /* One block per address, ended by a blank line: code first ("function",
     * "file:line:column"), then data ("name", "start size"). */
    char line[512], first[512] = "";
    size_t block = 0;
    int row = 0;
    while (out && fgets(line, sizeof line, out)) {
        line[strcspn(line, "\n")] = 0;
        if (!line[0]) {
            block++;
            row = 0;
            continue;
        }
        if (row++ == 0) {
            snprintf(first, sizeof first, "%s", line);
            continue;
        }
        if (row != 2)
            continue;
        if (block < new_wheres) {
            struct where *w = &wheres[old_wheres + block];
            snprintf(w->func, sizeof w->func, "%s", first);
            char *colon = strchr(line, ':');
            if (colon) {
                *colon = 0;
                const char *base = strrchr(line, '/');
                snprintf(w->file, sizeof w->file, "%.63s", base ? base + 1 : line);
                w->line = atoi(colon + 1);
            }
        } else if (block - new_wheres < new_datas) {
            struct data_name *d = &datas[old_datas + block - new_wheres];
            unsigned long dstart = 0, dsize = 0;
            if (sscanf(line, "%lu %lu", &dstart, &dsize) == 2 && strcmp(first, "??") != 0) {
                snprintf(d->name, sizeof d->name, "%s", first);
                d->start = dstart + exe_base;
                d->size = dsize;
            }
        }
    }
    if (out)
        pclose(out);
    unlink(tmp);
}

static const struct where *where_of(uintptr_t pc)
{
    for (size_t w = 0; w < nwheres; w++)
        if (wheres[w].pc == pc)
            return &wheres[w];
    return NULL;
}

/* The files the trace's memory accesses come from: the instrumented
 * ones, the exercise and the specimens. A call is placed in one of them
 * when it was made from one (through a driver's wrapper, say). */
static char code_files[8][64];
static int ncode_files;

static void find_code_files(void)
{
    ncode_files = 0;
    for (int i = 0; i < sh->nevents; i++) {
        const struct event *e = &sh->events[i];
        if (e->kind > EV_CAS_FAIL || !e->pcs[0])
            continue;
        const struct where *w = NULL;
        for (size_t k = 0; k < nwheres && !w; k++)
            if (wheres[k].pc == e->pcs[0])
                w = &wheres[k];
        if (!w || !w->file[0])
            continue;
        bool known = false;
        for (int f = 0; f < ncode_files && !known; f++)
            known = strcmp(code_files[f], w->file) == 0;
        if (!known && ncode_files < 8)
            snprintf(code_files[ncode_files++], sizeof code_files[0], "%s", w->file);
    }
}

/* The first frame that is the lab's code, not the runtime's: in an
 * instrumented file if one is on the stack. */
static const struct where *site_of(const struct event *e)
{
    for (int k = 0; k < MAX_PCS && e->pcs[k]; k++) {
        const struct where *w = where_of(e->pcs[k]);
        for (int f = 0; w && f < ncode_files; f++)
            if (strcmp(w->file, code_files[f]) == 0)
                return w;
    }
    for (int k = 0; k < MAX_PCS && e->pcs[k]; k++) {
        const struct where *w = where_of(e->pcs[k]);
        if (w && w->file[0] && w->line > 0 && strcmp(w->file, "racelab.c") != 0 &&
            strcmp(w->file, "explore.c") != 0)
            return w;
    }
    return NULL;
}

/* Locks, conditions and semaphores no symbol names: "mutex1", "cond2" ...,
 * and other memory with no name, "mem1" ..., numbered in the order the
 * trace first meets them (an address would change from run to run). */
static struct { uintptr_t addr; char name[16]; } sync_names[256];
static int nsync_names;

static void name_sync_objects(void)
{
    int counts[4] = {0, 0, 0, 0};
    nsync_names = 0;
    for (int i = 0; i < sh->nevents; i++) {
        const struct event *e = &sh->events[i];
        uintptr_t objs[2] = {0, 0};
        int kinds[2] = {0, 0};
        switch (e->kind) {
        case EV_LOCK: case EV_RDLOCK: case EV_TRYLOCK_FAIL: case EV_UNLOCK:
            objs[0] = e->addr;
            break;
        case EV_WAIT: case EV_WOKEN:
            objs[0] = e->addr, kinds[0] = 1, objs[1] = e->addr2;
            break;
        case EV_SIGNAL: case EV_BROADCAST:
            objs[0] = e->addr, kinds[0] = 1;
            break;
        case EV_SEM_WAIT: case EV_SEM_TRY_FAIL: case EV_SEM_POST:
            objs[0] = e->addr, kinds[0] = 2;
            break;
        case EV_READ: case EV_WRITE: case EV_LOAD: case EV_STORE: case EV_RMW:
        case EV_CAS_OK: case EV_CAS_FAIL:
            objs[0] = e->addr, kinds[0] = 3;
            break;
        default:
            continue;
        }
        for (int k = 0; k < 2; k++) {
            if (!objs[k] || in_program(objs[k]))
                continue;
            bool named = false;
            for (int n = 0; n < nsync_names && !named; n++)
                named = sync_names[n].addr == objs[k];
            for (int n = 0; n < sh->nnames && !named; n++)
                named = objs[k] >= sh->names[n].addr && objs[k] < sh->names[n].addr + sh->names[n].size;
            if (named || nsync_names == 256)
                continue;
            static const char *words[] = {"mutex", "cond", "sem", "mem"};
            sync_names[nsync_names].addr = objs[k];
            snprintf(sync_names[nsync_names].name, sizeof sync_names[0].name, "%s%d",
                     words[kinds[k]], ++counts[kinds[k]]);
            nsync_names++;
        }
    }
}

/* "count", "shards+8", "q+16", "mutex1", or an address. */
static void name_of(uintptr_t addr, char *buf, size_t len)
{
    for (int i = 0; i < nsync_names; i++)
        if (sync_names[i].addr == addr) {
            snprintf(buf, len, "%s", sync_names[i].name);
            return;
        }
    for (int i = 0; i < sh->nnames; i++)
        if (addr >= sh->names[i].addr && addr < sh->names[i].addr + (sh->names[i].size ? sh->names[i].size : 1)) {
            size_t off = addr - sh->names[i].addr;
            if (off)
                snprintf(buf, len, "%s+%zu", sh->names[i].name, off);
            else
                snprintf(buf, len, "%s", sh->names[i].name);
            return;
        }
    for (size_t d = 0; d < ndatas; d++)
        if (datas[d].addr == addr && datas[d].name[0] && strcmp(datas[d].name, "??") != 0) {
            size_t off = addr - datas[d].start;
            if (off && off < 1u << 20)
                snprintf(buf, len, "%s+%zu", datas[d].name, off);
            else
                snprintf(buf, len, "%s", datas[d].name);
            return;
        }
    snprintf(buf, len, "0x%lx", (unsigned long)addr);
}

/* ---- the trace table ---------------------------------------------------- */

static void value_text(uint64_t v, int size, char *buf, size_t len)
{
    if (size == 8 && v > 0xffffffffull && v < 0xffff800000000000ull)
        snprintf(buf, len, "0x%llx", (unsigned long long)v);
    else if (size == 8)
        snprintf(buf, len, "%lld", (long long)v);
    else if (size == 4)
        snprintf(buf, len, "%d", (int)(int32_t)v);
    else if (size == 2)
        snprintf(buf, len, "%d", (int)(int16_t)v);
    else
        snprintf(buf, len, "%u", (unsigned)(uint8_t)v);
}

static void seconds_text(uint64_t ns, char *buf, size_t len)
{
    if (ns > 0 && ns < 1000000)
        snprintf(buf, len, "%llu us", (unsigned long long)(ns / 1000));
    else
        snprintf(buf, len, "%.3f s", (double)ns / 1e9);
}

/* What one step did, for its cell. */
static void cell_text(const struct event *e, char *buf, size_t len)
{
    char obj[64], obj2[64], v1[32], v2[32];
    name_of(e->addr, obj, sizeof obj);
    name_of(e->addr2, obj2, sizeof obj2);
    value_text(e->value, e->size, v1, sizeof v1);
    value_text(e->value2, e->size, v2, sizeof v2);
    switch (e->kind) {
    case EV_READ: snprintf(buf, len, "read %s = %s", obj, v1); break;
    case EV_WRITE: snprintf(buf, len, "write %s = %s", obj, v1); break;
    case EV_LOAD: snprintf(buf, len, "atomic load %s = %s", obj, v1); break;
    case EV_STORE: snprintf(buf, len, "atomic store %s = %s", obj, v2); break;
    case EV_RMW: snprintf(buf, len, "atomic %s %s: %s -> %s", e->op, obj, v1, v2); break;
    case EV_CAS_OK: snprintf(buf, len, "CAS %s: %s -> %s", obj, v1, v2); break;
    case EV_CAS_FAIL: snprintf(buf, len, "CAS %s fails: it is %s, not %s", obj, v1, v2); break;
    case EV_LOCK: snprintf(buf, len, "lock %s", obj); break;
    case EV_RDLOCK: snprintf(buf, len, "read-lock %s", obj); break;
    case EV_TRYLOCK_FAIL: snprintf(buf, len, "trylock %s: busy", obj); break;
    case EV_UNLOCK: snprintf(buf, len, "unlock %s", obj); break;
    case EV_WAIT:
        if (e->value != UINT64_MAX) {
            seconds_text(e->value, v1, sizeof v1);
            snprintf(buf, len, "wait %s until %s (unlocks %s)", obj, v1, obj2);
        } else {
            snprintf(buf, len, "wait %s (unlocks %s)", obj, obj2);
        }
        break;
    case EV_WOKEN:
        snprintf(buf, len, "%s, relocks %s",
                 e->arg == 0 ? "woken" : e->arg == 1 ? "woken for nothing (spurious)" : "times out",
                 obj2);
        break;
    case EV_SIGNAL:
        if (e->arg >= 0)
            snprintf(buf, len, "signal %s (wakes %c)", obj, 'a' + e->arg);
        else
            snprintf(buf, len, "signal %s (nobody waits)", obj);
        break;
    case EV_BROADCAST:
        snprintf(buf, len, "broadcast %s (wakes %llu)", obj, (unsigned long long)e->value);
        break;
    case EV_SEM_WAIT: snprintf(buf, len, "sem_wait %s", obj); break;
    case EV_SEM_TRY_FAIL: snprintf(buf, len, "sem_trywait %s: at 0", obj); break;
    case EV_SEM_POST: snprintf(buf, len, "sem_post %s", obj); break;
    case EV_SLEEP: seconds_text(e->value, v1, sizeof v1); snprintf(buf, len, "sleep %s", v1); break;
    case EV_YIELD: snprintf(buf, len, "yield"); break;
    case EV_CLOCK: seconds_text(e->value, v1, sizeof v1); snprintf(buf, len, "read the clock: %s", v1); break;
    case EV_SPAWN: snprintf(buf, len, "start thread %c", 'a' + e->arg); break;
    case EV_JOIN: snprintf(buf, len, "join thread %c", 'a' + e->arg); break;
    case EV_ONCE_RUN: snprintf(buf, len, "once %s: runs it", obj); break;
    case EV_ONCE_DONE: snprintf(buf, len, "once %s: done", obj); break;
    case EV_ONCE_SKIP: snprintf(buf, len, "once %s: already done", obj); break;
    case EV_END: snprintf(buf, len, "ends"); break;
    case EV_DEADLINE: snprintf(buf, len, "(its deadline passes now)"); break;
    case EV_OUTPUT: snprintf(buf, len, "output \"%s%s\"", e->text, e->value + 1 >= sizeof e->text ? "..." : ""); break;
    default: snprintf(buf, len, "?"); break;
    }
}

static void full_cell(const struct event *e, char *buf, size_t len)
{
    char text[200];
    cell_text(e, text, sizeof text);
    const struct where *w = site_of(e);
    if (w && w->line > 0)
        snprintf(buf, len, "%.63s:%d %.199s", w->file, w->line, text);
    else if (w) /* code the compiler shared between two lines */
        snprintf(buf, len, "%.63s (%.47s) %.199s", w->file, w->func, text);
    else
        snprintf(buf, len, "%s", text);
}

/* Which steps a reader needs: every one but the plain reads and writes of
 * memory that is quiet, i.e. written by one thread only, and only before
 * any other thread looked at it (a pointer set up before the workers ran,
 * read-only data). Sets hide[i] for the others. */
static void quiet_steps(bool *hide)
{
    enum { SLOTS = 1 << 14 };
    static struct {
        uintptr_t addr;
        int writer;             /* the one thread that wrote it, -1 none yet */
        unsigned readers;       /* threads that read it so far */
        bool busy;              /* written by two threads, or after another's read */
    } table[SLOTS];
    memset(table, 0, sizeof table);
    int slot_of[MAX_STEPS];
    for (int i = 0; i < sh->nevents; i++) {
        const struct event *e = &sh->events[i];
        slot_of[i] = -1;
        bool rd = e->kind == EV_READ || e->kind == EV_LOAD;
        bool wr = e->kind == EV_WRITE || e->kind == EV_STORE;
        if (!rd && !wr)
            continue;
        unsigned h = (unsigned)((e->addr * 0x9e3779b97f4a7c15ull) >> 50) & (SLOTS - 1);
        while (table[h].addr && table[h].addr != e->addr)
            h = (h + 1) & (SLOTS - 1);
        if (!table[h].addr) {
            table[h].addr = e->addr;
            table[h].writer = -1;
        }
        slot_of[i] = (int)h;
        if (rd) {
            table[h].readers |= 1u << e->tid;
        } else {
            if (table[h].writer >= 0 && table[h].writer != e->tid)
                table[h].busy = true;
            table[h].writer = e->tid;
            if (table[h].readers & ~(1u << e->tid))
                table[h].busy = true;
        }
    }
    for (int i = 0; i < sh->nevents; i++)
        hide[i] = slot_of[i] >= 0 && !table[slot_of[i]].busy;
}

/* Prints the run in sh as a table; returns its rows. */
static int print_trace(FILE *f)
{
    symbolize();
    static bool hide[MAX_STEPS];
    quiet_steps(hide);
    int n = sh->nthreads;
    int width[RLX_MAX_THREADS];
    bool timed = false, hidden = false;
    char cell[330];
    for (int t = 0; t < n; t++)
        width[t] = 8;
    for (int i = 0; i < sh->nevents; i++) {
        const struct event *e = &sh->events[i];
        hidden |= hide[i];
        if (hide[i])
            continue;
        full_cell(e, cell, sizeof cell);
        int l = (int)strlen(cell);
        if (l > width[e->tid])
            width[e->tid] = l < 60 ? l : 60;
        timed |= e->vtime != 0;
    }
    fprintf(f, "  %-5s%s", "step", timed ? "  time     " : "");
    for (int t = 0; t < n; t++)
        fprintf(f, "  thread %c%*s", 'a' + t, t == n - 1 ? 0 : width[t] - 8, "");
    fputc('\n', f);
    /* A long schedule (a livelock's) shows its start and its end. */
    enum { HEAD = 30, TAIL = 40 };
    int shown = 0;
    for (int i = 0; i < sh->nevents; i++)
        shown += !hide[i];
    int rows = 0;
    for (int i = 0; i < sh->nevents; i++) {
        const struct event *e = &sh->events[i];
        if (hide[i])
            continue;
        ++rows;
        if (shown > HEAD + TAIL + 10 && rows > HEAD && rows <= shown - TAIL) {
            if (rows == HEAD + 1)
                fprintf(f, "  ...    (%d steps not shown)\n", shown - HEAD - TAIL);
            continue;
        }
        full_cell(e, cell, sizeof cell);
        fprintf(f, "  %-5d", rows);
        if (timed)
            fprintf(f, "  %-7.3f  ", (double)e->vtime / 1e9);
        for (int t = 0; t < e->tid; t++)
            fprintf(f, "  %*s", width[t], "");
        fprintf(f, "  %s\n", cell);
    }
    if (hidden)
        fprintf(f, "  (not shown: reads and writes of memory that one thread set before the "
                   "others looked at it)\n");
    return rows;
}

/* Why a deadlock is one: who waits for what. */
static void deadlock_why(char *buf, size_t len)
{
    symbolize();
    bool lost = false;
    size_t n = (size_t)snprintf(buf, len, "every thread is blocked: ");
    for (int i = 0; i < sh->nwaits && n < len; i++) {
        struct wait_desc *w = &sh->waits[i];
        char obj[64];
        name_of(w->obj, obj, sizeof obj);
        const char *sep = i ? "; " : "";
        switch (w->pending) {
        case P_RDLOCK:
        case P_WRLOCK:
            n += (size_t)snprintf(buf + n, len - n, "%sthread %c waits for %s, held by thread %c",
                                  sep, 'a' + w->tid, obj, w->holder >= 0 ? 'a' + w->holder : '?');
            break;
        case P_LOCK:
        case P_COND:
            if (w->pending == P_COND && w->holder < 0) {
                lost = true;
                n += (size_t)snprintf(buf + n, len - n, "%sthread %c waits on %s, and no thread is left to wake it",
                                      sep, 'a' + w->tid, obj);
            } else if (w->holder == w->tid) {
                n += (size_t)snprintf(buf + n, len - n, "%sthread %c waits for %s, which it holds itself",
                                      sep, 'a' + w->tid, obj);
            } else {
                n += (size_t)snprintf(buf + n, len - n, "%sthread %c waits for %s, held by thread %c",
                                      sep, 'a' + w->tid, obj, 'a' + w->holder);
            }
            break;
        case P_SEM:
            lost = true;
            n += (size_t)snprintf(buf + n, len - n, "%sthread %c waits on semaphore %s, at 0", sep,
                                  'a' + w->tid, obj);
            break;
        case P_JOIN:
            n += (size_t)snprintf(buf + n, len - n, "%sthread %c waits to join thread %c", sep,
                                  'a' + w->tid, 'a' + w->holder);
            break;
        case P_ONCE:
            n += (size_t)snprintf(buf + n, len - n, "%sthread %c waits for once %s, run by thread %c",
                                  sep, 'a' + w->tid, obj, 'a' + w->holder);
            break;
        default:
            n += (size_t)snprintf(buf + n, len - n, "%sthread %c is stuck", sep, 'a' + w->tid);
        }
    }
    if (lost && n < len)
        snprintf(buf + n, len - n, " (a lost wake-up?)");
}

/* "a: read x = 0 | b: read x = 0, write x = 1 | a: write x = 1" */
static void schedule_line(char *buf, size_t len)
{
    symbolize();
    static bool hide[MAX_STEPS];
    quiet_steps(hide);
    size_t n = 0;
    int last = -1;
    buf[0] = 0;
    for (int i = 0; i < sh->nevents && n + 8 < len; i++) {
        const struct event *e = &sh->events[i];
        if (e->kind == EV_END || e->kind == EV_SPAWN || e->kind == EV_JOIN || hide[i])
            continue;
        char text[200];
        cell_text(e, text, sizeof text);
        int w;
        if (e->tid != last)
            w = snprintf(buf + n, len - n, "%s%c: %s", last < 0 ? "" : " | ", 'a' + e->tid, text);
        else
            w = snprintf(buf + n, len - n, ", %s", text);
        last = e->tid;
        if (w < 0 || (size_t)w >= len - n - 5) {
            snprintf(buf + n, len - n, " ...");
            return;
        }
        n += (size_t)w;
    }
}

static void result_from_run(struct rlx_result *r)
{
    r->verdict = (enum rlx_verdict)sh->verdict;
    if (sh->verdict == RLX_DEADLOCK)
        deadlock_why(r->why, sizeof r->why);
    else
        snprintf(r->why, sizeof r->why, "%s", sh->why);
    r->preemptions = preemptions_of_run();
    encode(r->token, sizeof r->token);
    schedule_line(r->schedule, sizeof r->schedule);
}

/* Fewer preemptions that still fail: tries each preempting choice
 * undone (the thread goes on instead), keeping whatever still fails. */
static void shrink(const struct rlx_scenario *s, enum rlx_verdict v, long *runs)
{
    static uint8_t best[MAX_STEPS];
    int best_len = sh->npoints;
    for (int i = 0; i < best_len; i++)
        best[i] = sh->points[i].alts[sh->points[i].chosen];
    for (int i = 0; i < best_len && *runs < 300; i++) {
        /* Run the best schedule so far to see the point's alternatives. */
        memcpy(sh->guide, best, (size_t)best_len);
        sh->guide_len = best_len;
        run_one(s);
        ++*runs;
        if (i >= sh->npoints)
            break;
        struct point *p = &sh->points[i];
        if (!(p->cost[p->chosen] & 1))
            continue;
        memcpy(sh->guide, best, (size_t)best_len);
        sh->guide[i] = p->alts[0];
        run_one(s);
        ++*runs;
        if ((enum rlx_verdict)sh->verdict == v) {
            best_len = sh->npoints;
            for (int k = 0; k < best_len; k++)
                best[k] = sh->points[k].alts[sh->points[k].chosen];
        }
    }
    memcpy(sh->guide, best, (size_t)best_len);
    sh->guide_len = best_len;
    run_one(s);
}

static void shared_map(void)
{
    if (sh)
        return;
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        rl_die_errno("mmap", errno);
    /* The first backtrace() loads the unwinder: once here, not in every child. */
    void *frames[2];
    backtrace(frames, 2);
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 1099511628211ull;
    return h;
}

static void explore(const struct rlx_scenario *s, const char *token, FILE *trace,
                    struct rlx_result *r);

void rlx_explore(const struct rlx_scenario *s, const char *token, FILE *trace,
                 struct rlx_result *r)
{
    explore(s, token, trace, r);
    worker_stop();
}

static void explore(const struct rlx_scenario *s, const char *token, FILE *trace,
                    struct rlx_result *r)
{
    shared_map();
    *r = (struct rlx_result){.verdict = RLX_OK};
    sh->max_steps = s->max_steps ? s->max_steps : 5000;
    sh->max_spurious = s->spurious;
    sh->max_jumps = s->deadline_jumps;
    sh->pct = false;
    long budget = s->max_schedules ? s->max_schedules : 20000;

    if (token) {
        if (!decode(token)) {
            r->verdict = RLX_CRASH;
            snprintf(r->why, sizeof r->why, "not a replay token: '%s'", token);
            return;
        }
        sh->max_spurious = RLX_MAX_THREADS * 4;
        sh->max_jumps = RLX_MAX_THREADS * 4;
        run_one(s);
        r->schedules = 1;
        result_from_run(r);
        if (sh->diverged)
            snprintf(r->fit, sizeof r->fit,
                     "this code does not take the token's steps: from choice %d on, the replay "
                     "ran the default schedule (each thread on until it blocks or ends)",
                     sh->diverged_at + 1);
        if (trace)
            r->trace_rows = print_trace(trace);
        return;
    }

    bool failed = false;
    r->exhausted = true;
    for (int bound = 0; bound <= s->preemptions && !failed; bound++) {
        sh->guide_len = 0;
        for (;;) {
            run_one(s);
            r->schedules++;
            if (sh->verdict != RLX_OK) {
                failed = true;
                break;
            }
            if (r->schedules >= budget) {
                r->exhausted = false;
                break;
            }
            if (!next_guide(bound, s->spurious, s->deadline_jumps))
                break;
        }
        if (!r->exhausted)
            break;
    }
    long longest = sh->npoints;
    bool by_pct = false;
    for (int k = 0; !failed && k < s->pct_runs; k++) {
        by_pct = true;
        sh->pct = true;
        sh->guide_len = 0;
        sh->pct_seed = hash(s->name) + (uint64_t)k;
        sh->pct_depth = s->pct_depth ? s->pct_depth : 3;
        sh->pct_steps = longest > 1 ? longest : 2;
        run_one(s);
        r->schedules++;
        if (sh->npoints > longest)
            longest = sh->npoints;
        failed = sh->verdict != RLX_OK;
    }
    sh->pct = false;
    if (!failed)
        return;
    enum rlx_verdict v = (enum rlx_verdict)sh->verdict;
    long runs = 0;
    if ((by_pct || !r->exhausted) && preemptions_of_run() > 0)
        shrink(s, v, &runs);
    result_from_run(r);
    if (trace)
        r->trace_rows = print_trace(trace);
}

/* ---- the explore binaries' main ----------------------------------------- */

static const char *verdict_word(enum rlx_verdict v)
{
    switch (v) {
    case RLX_OK: return "ok";
    case RLX_WRONG: return "wrong";
    case RLX_DEADLOCK: return "deadlock";
    case RLX_LIVELOCK: return "livelock";
    case RLX_CRASH: return "crash";
    case RLX_HANG: return "hang";
    }
    return "?";
}

static void usage(const char *lab)
{
    printf("usage: explore_%s [--list] [--specimens] [--only GROUP] [--replay TOKEN] [--quiet]\n"
           "\n"
           "Runs lab %s's explorer scenarios: each exercise's (and each specimen's)\n"
           "small scenarios under a controlled scheduler, over every schedule with up\n"
           "to a few preemptions. A wrong schedule is printed as a table, one column\n"
           "per thread, with a token that replays it: make explore LAB=%s REPLAY=TOKEN.\n"
           "\n"
           "  --list          the graded groups (exercises), one per line\n"
           "  --specimens     the specimens' groups (shown, not graded)\n"
           "  --only GROUP    just that exercise or specimen\n"
           "  --replay TOKEN  replay one schedule (GROUP/N/CHOICES) and print its trace\n"
           "  --quiet         no tables, just the verdict lines\n"
           "\n"
           "Exit status: 0 every graded schedule right, 1 one was not, 2 usage.\n",
           lab, lab, lab);
}

int rlx_main(int argc, char **argv, const char *lab, const struct rlx_group *groups,
             size_t ngroups)
{
    const char *only = NULL, *replay = NULL;
    bool quiet = false;
    rl_init(argv[0]);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(lab);
            rl_exit(0);
        } else if (strcmp(argv[i], "--list") == 0 || strcmp(argv[i], "--specimens") == 0) {
            bool specimens = argv[i][2] == 's';
            for (size_t g = 0; g < ngroups; g++)
                if (groups[g].specimen == specimens)
                    printf("%s\n", groups[g].name);
            rl_exit(0);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--replay") == 0 && i + 1 < argc) {
            replay = argv[++i];
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
        } else {
            rl_usage_error("unknown argument '%s'", argv[i]);
        }
    }
    /* A token names its group and scenario: GROUP/N/CHOICES. */
    char rgroup[64] = "";
    long rindex = -1;
    const char *rchoices = NULL;
    if (replay) {
        const char *slash = strchr(replay, '/');
        const char *slash2 = slash ? strchr(slash + 1, '/') : NULL;
        char *end;
        if (slash && slash2 && (size_t)(slash - replay) < sizeof rgroup) {
            memcpy(rgroup, replay, (size_t)(slash - replay));
            rindex = strtol(slash + 1, &end, 10);
            if (end != slash2)
                rindex = -1;
            rchoices = slash2 + 1;
        }
        if (rindex < 0 || !rchoices[0])
            rl_usage_error("--replay '%s': not a token (GROUP/N/CHOICES, as a failure prints it)",
                           replay);
        if (only && strcmp(only, rgroup) != 0)
            rl_usage_error("--replay '%s' is a schedule of '%s', not of '%s'", replay, rgroup, only);
        only = rgroup;
    }
    bool found = false;
    int failed = 0;
    for (size_t g = 0; g < ngroups; g++) {
        const struct rlx_group *gr = &groups[g];
        if (only && strcmp(only, gr->name) != 0)
            continue;
        found = true;
        if (replay && (size_t)rindex >= gr->count)
            rl_usage_error("--replay '%s': %s has %zu scenario%s (0 .. %zu)", replay, gr->name,
                           gr->count, gr->count == 1 ? "" : "s", gr->count - 1);
        for (size_t k = 0; k < gr->count; k++) {
            if (replay && (size_t)rindex != k)
                continue;
            const struct rlx_scenario *s = &gr->scenarios[k];
            struct rlx_result r;
            char tmpname[] = "/tmp/racelab-trace-XXXXXX";
            int fd = mkstemp(tmpname);
            FILE *table = fd >= 0 ? fdopen(fd, "w+") : NULL;
            unlink(tmpname);
            rlx_explore(s, replay ? rchoices : NULL, table, &r);
            bool bad = r.verdict != RLX_OK;
            if (replay) {
                printf("%s  %s/%s: %s (replayed %s)\n", bad ? "FAIL" : "ok  ", lab, gr->name,
                       s->name, replay);
                if (bad)
                    printf("      %s: %s\n", verdict_word(r.verdict), r.why);
                if (r.fit[0])
                    printf("      note: %s\n", r.fit);
            } else if (!bad) {
                char bound[64] = "no preemption", pct[48] = "";
                if (s->preemptions > 0)
                    snprintf(bound, sizeof bound, "up to %d preemption%s", s->preemptions,
                             s->preemptions == 1 ? "" : "s");
                if (s->pct_runs > 0)
                    snprintf(pct, sizeof pct, ", and %d PCT runs", s->pct_runs);
                printf("ok    %s/%s: %s: %ld schedule%s: %s with %s%s\n", lab, gr->name, s->name,
                       r.schedules, r.schedules == 1 ? "" : "s",
                       r.exhausted ? "every one" : "as many as the budget allows", bound, pct);
            } else {
                printf("%s  %s/%s: %s: %s\n", gr->specimen ? "BROKEN" : "FAIL", lab, gr->name,
                       s->name, r.why);
                printf("      found in %ld schedule%s; this one has %d preemption%s%s\n",
                       r.schedules, r.schedules == 1 ? "" : "s", r.preemptions,
                       r.preemptions == 1 ? "" : "s",
                       gr->specimen ? " (the specimen is broken on purpose)" : "");
                printf("      short: %s\n", r.schedule);
            }
            if (bad && table && (!quiet || replay)) {
                rewind(table);
                int c;
                putchar('\n');
                while ((c = getc(table)) != EOF)
                    putchar(c);
                putchar('\n');
            }
            if (bad && !replay)
                printf("      replay: make explore LAB=%s REPLAY=%s/%zu/%s\n", lab, gr->name, k,
                       r.token);
            if (table)
                fclose(table);
            if (bad && !gr->specimen)
                failed++;
            fflush(stdout);
        }
    }
    if (!found) {
        char list[256] = "";
        for (size_t g = 0; g < ngroups; g++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", g ? " " : "",
                     groups[g].name);
        rl_usage_error("no exercise or specimen '%s' in lab %s (there are: %s)", only, lab, list);
    }
    rl_exit(failed ? 1 : 0);
}

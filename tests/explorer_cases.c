/*
 * explorer_cases.c - small programs with known bugs (and one without), for
 * test_explorer.c to run under the schedule explorer. Compiled like an
 * exercise file (with ThreadSanitizer's instrumentation), so each access
 * here is a scheduling point.
 */
#include "explorer_cases.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* ---- a lost update: read, then write back ------------------------------- */

static long count;

void cases_count_reset(void)
{
    count = 0;
}

void cases_count_inc(void)
{
    long seen = count;
    count = seen + 1;
}

long cases_count_total(void)
{
    return count;
}

/* ---- a deadlock: two locks taken in opposite orders --------------------- */

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static long both;

void cases_opposite(int tid)
{
    pthread_mutex_t *first = tid == 0 ? &lock_a : &lock_b;
    pthread_mutex_t *second = tid == 0 ? &lock_b : &lock_a;
    pthread_mutex_lock(first);
    pthread_mutex_lock(second);
    both++;
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
}

/* ---- a lost wake-up: the flag checked without the lock ----------------- */

static pthread_mutex_t flag_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flag_set = PTHREAD_COND_INITIALIZER;
static bool flag;

void cases_lost_wakeup(int tid)
{
    if (tid == 0) {
        if (!flag) {                    /* the bug: looked at outside the lock */
            pthread_mutex_lock(&flag_lock);
            pthread_cond_wait(&flag_set, &flag_lock);
            pthread_mutex_unlock(&flag_lock);
        }
    } else {
        pthread_mutex_lock(&flag_lock);
        flag = true;
        pthread_cond_signal(&flag_set);
        pthread_mutex_unlock(&flag_lock);
    }
}

/* ---- a wait in an `if`: wrong only when woken for nothing --------------- */

static bool ready;
static long taken;

void cases_if_wait(int tid)
{
    pthread_mutex_lock(&flag_lock);
    if (tid == 0) {
        if (!ready)                     /* the bug: `if`, not `while` */
            pthread_cond_wait(&flag_set, &flag_lock);
        taken = ready ? 1 : -1;
    } else {
        ready = true;
        pthread_cond_signal(&flag_set);
    }
    pthread_mutex_unlock(&flag_lock);
}

long cases_if_wait_taken(void)
{
    return taken;
}

/* ---- the right way, for comparison -------------------------------------- */

void cases_while_wait(int tid)
{
    pthread_mutex_lock(&flag_lock);
    if (tid == 0) {
        while (!ready)
            pthread_cond_wait(&flag_set, &flag_lock);
        taken = 1;
    } else {
        ready = true;
        pthread_cond_signal(&flag_set);
    }
    pthread_mutex_unlock(&flag_lock);
}

/* ---- a livelock: each waits, spinning, for the other's flag ------------- */

static _Atomic bool raised[2];

void cases_spin_forever(int tid)
{
    while (!raised[1 - tid])
        ;
    raised[tid] = true;
}

/* ---- a loop that never ends, but changes something each time ----------- */

static volatile long ticks;  /* volatile: or the compiler keeps it in a register */

void cases_busy_forever(int tid)
{
    (void)tid;
    for (;;)
        ticks++;
}

/* ---- a crash ------------------------------------------------------------ */

static long *volatile nowhere;

void cases_crash(int tid)
{
    if (tid == 1)
        *nowhere = 1;
}

/* ---- virtual time: an hour's sleep, a time-out nobody interrupts -------- */

static pthread_cond_t never;
static long long woke_at, timed_out_at;

void cases_time_reset(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&never, &attr);
    pthread_condattr_destroy(&attr);
}

void cases_time(int tid)
{
    struct timespec ts;
    if (tid == 0) {
        struct timespec hour = {.tv_sec = 3600};
        nanosleep(&hour, NULL);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        woke_at = (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
    } else {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 2;
        pthread_mutex_lock(&flag_lock);
        int err = pthread_cond_timedwait(&never, &flag_lock, &ts);
        pthread_mutex_unlock(&flag_lock);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        timed_out_at = err ? (long long)ts.tv_sec * 1000000000 + ts.tv_nsec : -1;
    }
}

long long cases_time_woke_at(void)
{
    return woke_at;
}

long long cases_time_timed_out_at(void)
{
    return timed_out_at;
}

/* ---- a time-out that misses a set made as it fired --------------------- */

static pthread_cond_t set_cond;
static bool set_flag;
static int waited;      /* 1 saw the set, 0 timed out unset, -1 said unset though set */

void cases_timeout_reset(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&set_cond, &attr);
    pthread_condattr_destroy(&attr);
}

void cases_timeout_race(int tid)
{
    pthread_mutex_lock(&flag_lock);
    if (tid == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 1;
        int got = 1;
        while (!set_flag)
            if (pthread_cond_timedwait(&set_cond, &flag_lock, &ts) == ETIMEDOUT) {
                got = 0;        /* the bug: the flag is not looked at once more */
                break;
            }
        waited = got ? 1 : set_flag ? -1 : 0;
    } else {
        set_flag = true;
        pthread_cond_broadcast(&set_cond);
    }
    pthread_mutex_unlock(&flag_lock);
}

int cases_timeout_result(void)
{
    return waited;
}

/* ---- right, and must not be called a livelock --------------------------- */

/* Opposite lock orders made safe by trylock: give the first back and
 * yield when the second is taken, then retry. */
void cases_trylock_yield(int tid)
{
    pthread_mutex_t *first = tid == 0 ? &lock_a : &lock_b;
    pthread_mutex_t *second = tid == 0 ? &lock_b : &lock_a;
    for (;;) {
        pthread_mutex_lock(first);
        if (pthread_mutex_trylock(second) == 0)
            break;
        pthread_mutex_unlock(first);
        sched_yield();
    }
    both++;
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
}

long cases_both(void)
{
    return both;
}

/* A poller that looks under the lock (lock, read, unlock: three steps a
 * round), and the thread it waits for, which needs that lock. */
static bool posted;

void cases_poll_under_lock(int tid)
{
    if (tid == 0) {
        bool seen = false;
        while (!seen) {
            pthread_mutex_lock(&flag_lock);
            seen = posted;
            pthread_mutex_unlock(&flag_lock);
        }
    } else {
        pthread_mutex_lock(&flag_lock);
        posted = true;
        pthread_mutex_unlock(&flag_lock);
    }
}

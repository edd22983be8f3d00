/*
 * spinner.c - lab 5: the Event that stops the thread mode's spinner, and
 * the done flag that fixes the specimen (src/spinner_unsafe.c). The
 * contract of every function is in include/spinner.h.
 *
 * labs/spinner.c is the exercise (grade it: make check LAB=spinner),
 * solutions/spinner.c the reference fix; `make diff LAB=spinner` shows the
 * difference.
 */
#include "spinner.h"
#include "racelab.h"

#include <stdatomic.h>
#include <stdlib.h>

/* ---- event ------------------------------------------------------------- */

struct event {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* on CLOCK_MONOTONIC; broadcast when set */
    bool set;               /* guarded by lock */
};

struct event *event_create(void)
{
    struct event *ev = calloc(1, sizeof *ev);
    if (!ev)
        abort();
    rl_mutex_init(&ev->lock);
    rl_cond_init(&ev->changed); /* the deadlines below are monotonic */
    return ev;
}

void event_destroy(struct event *ev)
{
    rl_cond_destroy(&ev->changed);
    rl_mutex_destroy(&ev->lock);
    free(ev);
}

/* Set under the lock: a waiter checks the flag and goes to sleep under the
 * same lock, so the broadcast cannot fall between the two. Broadcast, not
 * signal: every waiter is woken, not one. */
void event_set(struct event *ev)
{
    rl_mutex_lock(&ev->lock);
    ev->set = true;
    rl_cond_broadcast(&ev->changed);
    rl_mutex_unlock(&ev->lock);
}

bool event_is_set(struct event *ev)
{
    rl_mutex_lock(&ev->lock);
    bool set = ev->set;
    rl_mutex_unlock(&ev->lock);
    return set;
}

/* One deadline, fixed before the first wait: a wake-up for no reason goes
 * back to sleep until the same moment, not for a whole new timeout. */
bool event_wait(struct event *ev, double timeout_s)
{
    int64_t deadline = rl_now_ns() + (int64_t)(timeout_s * 1e9);
    rl_mutex_lock(&ev->lock);
    while (!ev->set)
        if (!rl_cond_timedwait(&ev->changed, &ev->lock, deadline))
            break; /* timed out */
    bool set = ev->set;
    rl_mutex_unlock(&ev->lock);
    return set;
}

/* ---- flag -------------------------------------------------------------- */

static atomic_bool done; /* atomic: release in set, acquire in is_set */

void done_flag_reset(void)
{
    /* No other thread uses the flag now: the order does not matter. */
    atomic_store_explicit(&done, false, memory_order_relaxed);
}

void done_flag_set(void)
{
    /* Release: the answer written before this store is visible to whoever
     * reads true with the acquire in done_flag_is_set. */
    atomic_store_explicit(&done, true, memory_order_release);
}

bool done_flag_is_set(void)
{
    /* Acquire: pairs with the release in done_flag_set. */
    return atomic_load_explicit(&done, memory_order_acquire);
}

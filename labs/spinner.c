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
#include <time.h>

/* ---- event ------------------------------------------------------------- */

/* TODO(lab 5) event: make this the analogue of Python's threading.Event,
 * built on a pthread mutex and condition variable. Contract (in full in
 * include/spinner.h):
 *   - the flag is read and written only under the mutex;
 *   - event_set wakes every waiter at once (broadcast), not after its
 *     timeout, and not just one of them;
 *   - event_wait sleeps on the condition variable, in a while loop: a
 *     waiter can wake with the flag still unset (a wake-up for no reason),
 *     and must then sleep again until the same deadline, never return
 *     false early;
 *   - the deadline is on CLOCK_MONOTONIC, so the condition variable must
 *     be too: rl_cond_init and rl_cond_timedwait (include/racelab.h) do
 *     both; PTHREAD_COND_INITIALIZER is on the wall clock.
 * As shipped, the flag is a plain bool and a wait sleeps its whole timeout
 * before looking again. The spinner turns, but stops late, and the flag
 * is a data race. */
struct event {
    bool set; /* TODO(lab 5) event: guarded by nothing yet */
};

struct event *event_create(void)
{
    struct event *ev = calloc(1, sizeof *ev);
    if (!ev)
        abort();
    return ev;
}

void event_destroy(struct event *ev)
{
    free(ev);
}

void event_set(struct event *ev)
{
    ev->set = true;
}

bool event_is_set(struct event *ev)
{
    return ev->set;
}

bool event_wait(struct event *ev, double timeout_s)
{
    if (ev->set)
        return true;
    struct timespec nap = {(time_t)timeout_s,
                           (long)((timeout_s - (double)(time_t)timeout_s) * 1e9)};
    nanosleep(&nap, NULL);
    return ev->set;
}

/* ---- flag -------------------------------------------------------------- */

/* TODO(lab 5) flag: the specimen's done flag, fixed. The worker stores the
 * answer, then calls done_flag_set; the main thread calls done_flag_is_set
 * until it returns true, then reads the answer. Contract: no data race on
 * the flag or on what it hands over - use an atomic_bool with every
 * access's memory order named (which order makes the answer visible?), or
 * a lock. volatile is not the answer. As shipped it is the specimen's
 * plain bool. */
static bool done; /* TODO(lab 5) flag: guarded by nothing yet */

void done_flag_reset(void)
{
    done = false;
}

void done_flag_set(void)
{
    done = true;
}

bool done_flag_is_set(void)
{
    return done;
}

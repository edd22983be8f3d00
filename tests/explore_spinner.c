/*
 * explore_spinner.c - lab 5's explorer scenarios, on the contract in
 * include/spinner.h. Time is the explorer's virtual clock: a 1 s time-out
 * costs no wall time, and "when did the wait return" is exact.
 *
 *   event  a waiter blocked for 1 s is woken by a set at once, not by its
 *          time-out (a set outside the lock loses the wake-up); two waiters
 *          and one set (a signal wakes one); a 1 s wait on an unset event,
 *          woken for no reason at 0 s or at 0.5 s (while another thread
 *          sleeps), returns false at 1 s exactly: not before (an `if`, a
 *          clock mismatch), not after (a deadline restarted at each
 *          wake-up), and at all (a wait with no deadline deadlocks);
 *          a wait on a set event, or with a zero time-out, returns at once;
 *          a set that races the deadline (the deadline may pass at any
 *          step of the set): a wait that ends after the set ended says set.
 *   flag   the worker stores the answer and sets the flag; the poller naps
 *          10 ms until it sees the flag, then reads the answer.
 *
 * What the explorer cannot judge here: every access is sequentially
 * consistent, so a flag that is volatile, relaxed or half a release/acquire
 * pair hands the answer over correctly in every schedule. Those are data
 * races, ThreadSanitizer's to report (make check runs it). For the same
 * reason the specimen's plain bool (src/spinner_unsafe.c) has no wrong
 * schedule to show, and has no group here.
 */
#include "explore.h"

#include "spinner.h"

#include <time.h>

enum { NS_PER_MS = 1000000, SECOND_NS = 1000 * NS_PER_MS };

/* A deadline rounded to the millisecond may end this much early (as in
 * tests/test_spinner.c); a virtual clock makes every other wait exact. */
enum { EARLY_SLACK_NS = NS_PER_MS, LATE_SLACK_NS = 10 * NS_PER_MS };

/* ---- event -------------------------------------------------------------- */

static struct event *ev;
static bool got[2];             /* what each waiter's event_wait returned */
static long long at[2];         /* when it returned, virtual ns */
static bool seen_set;           /* event_is_set, in thread b: see the scenario */

static void setup_event(void)
{
    ev = event_create();
    rlx_name(ev, "ev");
}

static void wait_1s(int w)
{
    got[w] = event_wait(ev, 1.0);
    at[w] = rlx_now_ns();
}

/* a waits up to 1 s; b sets. */
static void body_one_waiter(int tid)
{
    if (tid == 0)
        wait_1s(0);
    else
        event_set(ev);
}

/* a and b wait up to 1 s; c sets. */
static void body_two_waiters(int tid)
{
    if (tid < 2)
        wait_1s(tid);
    else
        event_set(ev);
}

static const char *check_woken(int waiters)
{
    for (int w = 0; w < waiters; w++) {
        if (!got[w])
            return rlx_say("the wait of thread %c returned false after %.3f s, though the event "
                           "was set at 0 s: a set must wake every waiter, and wait must return "
                           "true once set", 'a' + w, (double)at[w] / 1e9);
        if (at[w] >= SECOND_NS)
            return rlx_say("thread %c's wait was set at 0 s but returned only at %.3f s, when its "
                           "1 s time-out ran out: set must wake %s at once - under the lock the "
                           "waiter holds from checking the flag to sleeping (so the wake-up cannot "
                           "fall in between)%s", 'a' + w, (double)at[w] / 1e9,
                           waiters > 1 ? "every waiter" : "the waiter",
                           waiters > 1 ? ", with a broadcast (a signal wakes one)" : "");
    }
    if (!event_is_set(ev))
        return "event_is_set is false after event_set returned";
    return NULL;
}

static const char *check_one_waiter(void)
{
    return check_woken(1);
}

static const char *check_two_waiters(void)
{
    return check_woken(2);
}

/* a waits up to 1 s on an event nobody sets; b sleeps 0.5 s, then looks.
 * With one spurious wake-up allowed, a may be woken for no reason at 0 s
 * or at 0.5 s, when b wakes up. */
static void body_times_out(int tid)
{
    if (tid == 0) {
        wait_1s(0);
    } else {
        const struct timespec half = {0, SECOND_NS / 2};
        nanosleep(&half, NULL);
        seen_set = event_is_set(ev);
    }
}

static const char *check_times_out(void)
{
    if (got[0])
        return rlx_say("event_wait(ev, 1.0) returned true at %.3f s on an event nobody set",
                       (double)at[0] / 1e9);
    if (seen_set)
        return "event_is_set returned true on an event nobody set";
    if (at[0] < SECOND_NS - EARLY_SLACK_NS)
        return rlx_say("event_wait(ev, 1.0) returned false after %.3f s, before its time-out: "
                       "a wait woken for no reason must sleep again until its deadline (a while "
                       "loop, not an if), and the deadline must be on the condition variable's "
                       "clock (rl_cond_init: CLOCK_MONOTONIC)", (double)at[0] / 1e9);
    if (at[0] > SECOND_NS + LATE_SLACK_NS)
        return rlx_say("event_wait(ev, 1.0) returned false at %.3f s, later than its 1 s "
                       "deadline: a wait woken for no reason must sleep again until the same "
                       "deadline, computed once before the loop, not a new time-out from the "
                       "wake-up", (double)at[0] / 1e9);
    return NULL;
}

/* One thread: a zero time-out on an unset event, then a set, then a wait
 * on the set event; both return at once. */
static bool zero_got, set_got;
static long long zero_at, set_at;

static void body_at_once(int tid)
{
    (void)tid;
    zero_got = event_wait(ev, 0);
    zero_at = rlx_now_ns();
    event_set(ev);
    set_got = event_wait(ev, 1.0);
    set_at = rlx_now_ns();
}

static const char *check_at_once(void)
{
    if (zero_got)
        return "event_wait(ev, 0) returned true on an event nobody set";
    if (zero_at > LATE_SLACK_NS)
        return rlx_say("event_wait(ev, 0) on an unset event returned only at %.3f s",
                       (double)zero_at / 1e9);
    if (!set_got)
        return "event_wait(ev, 1.0) on a set event returned false";
    if (set_at > zero_at + LATE_SLACK_NS)
        return rlx_say("event_wait(ev, 1.0) on a set event returned only after %.3f s: a set "
                       "event must not be waited for", (double)(set_at - zero_at) / 1e9);
    return NULL;
}

/* A set that races the deadline: a waits 1 s; b sets, and the deadline may
 * pass at any step of the set (a time jump: as if b were slow). Whatever
 * wins, a wait that returns after the set has returned must say "set": false
 * means "the full timeout with ev still unset". The order of the two
 * returns is exact: this file is not instrumented, so nothing runs between
 * a call's return and the tick that notes it. */
static long ticks, set_done_tick, wait_done_tick;

static void body_set_at_deadline(int tid)
{
    if (tid == 0) {
        got[0] = event_wait(ev, 1.0);
        at[0] = rlx_now_ns();
        wait_done_tick = ++ticks;
    } else {
        event_set(ev);
        set_done_tick = ++ticks;
    }
}

static const char *check_set_at_deadline(void)
{
    if (!got[0] && set_done_tick < wait_done_tick)
        return rlx_say("event_wait returned false at %.3f s, after event_set had returned: "
                       "false means the timeout passed with the event still unset",
                       (double)at[0] / 1e9);
    if (!got[0] && at[0] < SECOND_NS - EARLY_SLACK_NS)
        return rlx_say("event_wait returned false at %.3f s, before its 1 s", (double)at[0] / 1e9);
    return NULL;
}

static const struct rlx_scenario event_scenarios[] = {
    {.name = "a waiter blocked for 1 s, then set", .threads = 2, .setup = setup_event,
     .body = body_one_waiter, .check = check_one_waiter, .preemptions = 2},
    {.name = "2 waiters blocked for 1 s, then set", .threads = 3, .setup = setup_event,
     .body = body_two_waiters, .check = check_two_waiters, .preemptions = 1},
    {.name = "a 1 s wait, woken for no reason, while another thread sleeps 0.5 s",
     .threads = 2, .setup = setup_event, .body = body_times_out, .check = check_times_out,
     .preemptions = 1, .spurious = 1},
    {.name = "a zero time-out, then a wait on a set event", .threads = 1,
     .setup = setup_event, .body = body_at_once, .check = check_at_once},
    {.name = "a set that races the deadline", .threads = 2, .setup = setup_event,
     .body = body_set_at_deadline, .check = check_set_at_deadline, .preemptions = 1,
     .deadline_jumps = 1},
};

/* ---- flag --------------------------------------------------------------- */

enum { ANSWER = 42 };
static int answer;              /* handed over by the flag */
static int received = -1;       /* what the poller read after the flag */

static void setup_flag(void)
{
    done_flag_reset();
}

/* a: the worker; b: the poller, as in src/spinner_run.c's polled modes. */
static void body_flag(int tid)
{
    if (tid == 0) {
        answer = ANSWER;
        done_flag_set();
    } else {
        const struct timespec nap = {0, 10 * NS_PER_MS};
        while (!done_flag_is_set())
            nanosleep(&nap, NULL);
        received = answer;
    }
}

static const char *check_flag(void)
{
    if (received != ANSWER)
        return rlx_say("the poller saw the flag set and then read the answer %d, not %d: the "
                       "flag must say set only once the setter has called done_flag_set",
                       received, ANSWER);
    if (!done_flag_is_set())
        return "done_flag_is_set is false after done_flag_set";
    return NULL;
}

static const struct rlx_scenario flag_scenarios[] = {
    {.name = "the answer handed over, the poller napping 10 ms", .threads = 2,
     .setup = setup_flag, .body = body_flag, .check = check_flag, .preemptions = 2},
};

static const struct rlx_group groups[] = {
    RLX_GROUP(event, false),
    RLX_GROUP(flag, false),
};

int main(int argc, char **argv)
{
    return rlx_main(argc, argv, "spinner", groups, RLX_COUNT(groups));
}

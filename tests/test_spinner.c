/*
 * test_spinner.c - lab 5's tests.
 *
 *   event  your Event (labs/spinner.c): unset until set; a wait on a set
 *          event returns at once; a wait times out, never before its time,
 *          whatever wakes it; set wakes 1, 4 and 16 blocked waiters; set
 *          racing a waiter on its way to sleep; what the setter wrote is
 *          seen after is_set or wait said true (ThreadSanitizer judges);
 *          the thread mode's spinner on it, end to end.
 *   flag   your done flag: it hands the answer over from the worker to the
 *          poller without a data race (ThreadSanitizer judges); the flag
 *          mode, end to end.
 *   modes  every mode, as the program runs it (not an exercise): frames,
 *          the line cleared, "Answer: 42", no thread or child left; the
 *          loop frozen by a blocking slow(); Ctrl-C in every mode.
 *
 * One source, linked against labs/spinner.c or solutions/spinner.c.
 * `make check` runs each exercise's group in the shake build (every access
 * in the exercise file may pause, every condition wait may wake for no
 * reason) and under ThreadSanitizer. Times here are bounds with a wide
 * margin, never measurements: a wait must not end before its timeout (the
 * clock is monotonic, so that is exact), and whatever must happen "at once"
 * must happen within 5 s, or the test fails naming what hung.
 */
#define _GNU_SOURCE /* gettid */
#include "rltest.h"

#include "racelab.h"
#include "spinner.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { SEED = 5000, STUCK_SECONDS = 5, WAITER_STREAM = 200, INTERRUPTED_STREAM = 250 };
#ifdef UNDER_TSAN
enum { TIMEOUT_ROUNDS = 10, WAKE_ROUNDS = 4, RACE_ROUNDS = 5, PUBLISH_ROUNDS = 30 };
#else
enum { TIMEOUT_ROUNDS = 25, WAKE_ROUNDS = 10, RACE_ROUNDS = 5, PUBLISH_ROUNDS = 200 };
#endif
enum { MAX_WAITERS = 16 };

/* A wait that must end "at once" is given this long: it ending by timing
 * out instead would take a minute, far past STUCK_SECONDS. */
#define LONG_WAIT 60.0

/* ---- event: your Event -------------------------------------------------- */

static void event_sets(void **state)
{
    (void)state;
    struct event *ev = event_create();
    assert_false(event_is_set(ev));
    event_set(ev);
    assert_true(event_is_set(ev));
    event_set(ev); /* twice: still set, nothing else */
    assert_true(event_is_set(ev));
    event_destroy(ev);
}

struct one_wait {
    struct event *ev;
    double timeout_s;
    bool got;           /* read after the run */
};

static void one_wait_run(void *arg)
{
    struct one_wait *w = arg;
    w->got = event_wait(w->ev, w->timeout_s);
}

static void event_wait_on_set_returns_at_once(void **state)
{
    (void)state;
    struct one_wait *w = calloc(1, sizeof *w); /* leaked if the wait hangs */
    assert_non_null(w);
    w->ev = event_create();
    w->timeout_s = LONG_WAIT;
    event_set(w->ev);
    if (!rltest_run_watched(one_wait_run, w, NULL, STUCK_SECONDS))
        fail_msg("event_wait(ev, %.0f s) on a set event has not returned after %d s: "
                 "a set event must not be waited for", LONG_WAIT, STUCK_SECONDS);
    if (!w->got)
        fail_msg("event_wait on a set event returned false");
    event_destroy(w->ev);
    free(w);
}

/* Waits of 20 ms on an unset event: each returns false, and not before
 * 20 ms have passed, even when the condition wait wakes for no reason
 * (the amplifier makes one in four do so). */
struct timeouts {
    _Atomic long rounds;    /* first (rltest_count_progress); atomic, relaxed */
    struct event *ev;
    long early, late, said_true;    /* read after the run */
    double shortest, longest;
};

/* A wait may end late by LATE_MS: a generous margin (valgrind, a busy
 * machine), and still a bound - a wait of 20 ms that takes seconds is not
 * one that "times out". */
enum { TIMEOUT_MS = 20, LATE_MS = 1000 };

static void timeouts_run(void *arg)
{
    struct timeouts *t = arg;
    rl_fuzz_thread(WAITER_STREAM);
    t->shortest = 1e9;
    t->longest = 0;
    for (int i = 0; i < TIMEOUT_ROUNDS; i++) {
        int64_t start = rl_now_ns();
        bool got = event_wait(t->ev, TIMEOUT_MS / 1000.0);
        double waited = (double)(rl_now_ns() - start) / 1e6;
        if (got)
            t->said_true++;
        /* 1 ms of slack, for a wait that rounds its deadline to the
         * millisecond. A wait that returns on a spurious wake-up comes
         * back after microseconds. */
        if (waited < TIMEOUT_MS - 1)
            t->early++;
        if (waited > TIMEOUT_MS + LATE_MS)
            t->late++;
        if (waited < t->shortest)
            t->shortest = waited;
        if (waited > t->longest)
            t->longest = waited;
        atomic_fetch_add_explicit(&t->rounds, 1, memory_order_relaxed);
    }
    /* And a zero timeout: an immediate false. */
    if (event_wait(t->ev, 0))
        t->said_true++;
}

static void event_wait_times_out(void **state)
{
    (void)state;
    struct timeouts *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->ev = event_create();
    rl_fuzz_enable(SEED + 1);
    bool finished = rltest_run_watched(timeouts_run, t, rltest_count_progress, STUCK_SECONDS);
    rl_fuzz_disable();
    if (!finished)
        fail_msg("event_wait(ev, 0.020) on an unset event has not returned after %d s: "
                 "does the wait time out? (the deadline must be on the clock of the "
                 "condition variable: CLOCK_MONOTONIC, see rl_cond_init)", STUCK_SECONDS);
    if (t->said_true)
        fail_msg("event_wait returned true %ld times on an event nobody set", t->said_true);
    if (t->late)
        fail_msg("event_wait(ev, 0.020) took more than %d ms %ld times in %d (once %.1f ms)",
                 TIMEOUT_MS + LATE_MS, t->late, TIMEOUT_ROUNDS, t->longest);
    if (t->early)
        fail_msg("event_wait(ev, 0.020) returned false early %ld times in %d (once after "
                 "%.3f ms): a wait woken for no reason must sleep again until its "
                 "deadline (a while loop, not an if), and the deadline must be on the "
                 "condition variable's clock (rl_cond_init: CLOCK_MONOTONIC)",
                 t->early, TIMEOUT_ROUNDS, t->shortest);
    event_destroy(t->ev);
    free(t);
}

/* Waiters blocked in event_wait(ev, LONG_WAIT); then set. */
struct waiter {
    struct event *ev;
    unsigned stream;
    pid_t tid;                  /* set before tid_known */
    _Atomic bool tid_known;     /* atomic, release/acquire */
    _Atomic bool returned;      /* atomic, release/acquire */
    bool got;                   /* read after the join */
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    rl_fuzz_thread(w->stream);
    w->tid = gettid();
    atomic_store_explicit(&w->tid_known, true, memory_order_release);
    w->got = event_wait(w->ev, LONG_WAIT);
    atomic_store_explicit(&w->returned, true, memory_order_release);
    return NULL;
}

struct wake_case {
    struct rltest_case base;
    int waiters;
    char name[64];
};

struct wakes {
    _Atomic long rounds;        /* first (rltest_count_progress); atomic, relaxed */
    const struct wake_case *c;
    long early, false_returns;  /* read after the run */
};

static void wakes_run(void *arg)
{
    struct wakes *k = arg;
    int n = k->c->waiters;
    for (int round = 0; round < WAKE_ROUNDS; round++) {
        rl_fuzz_enable(SEED + 100 * (uint64_t)n + (uint64_t)round);
        struct event *ev = event_create();
        struct waiter ws[MAX_WAITERS];
        pthread_t threads[MAX_WAITERS];
        unsigned long marks[MAX_WAITERS];
        for (int i = 0; i < n; i++) {
            ws[i] = (struct waiter){.ev = ev, .stream = WAITER_STREAM + (unsigned)i};
            marks[i] = rltest_blocked_mark(ws[i].stream);
            rl_thread_create(&threads[i], waiter_main, &ws[i]);
        }
        /* Every waiter asleep in event_wait (or back too early). */
        for (int i = 0; i < n; i++) {
            /* acquire: pairs with the waiter's release; its tid is set */
            while (!atomic_load_explicit(&ws[i].tid_known, memory_order_acquire))
                sched_yield();
            rltest_wait_blocked(ws[i].stream, marks[i], ws[i].tid, &ws[i].returned);
        }
        for (int i = 0; i < n; i++)
            if (atomic_load_explicit(&ws[i].returned, memory_order_acquire))
                k->early++;
        event_set(ev);
        for (int i = 0; i < n; i++) {
            rl_thread_join(threads[i], NULL);
            if (!ws[i].got)
                k->false_returns++;
        }
        event_destroy(ev);
        atomic_fetch_add_explicit(&k->rounds, 1, memory_order_relaxed);
    }
}

static void event_set_wakes_waiters(void **state)
{
    const struct wake_case *c = *state;
    struct wakes *k = calloc(1, sizeof *k);
    assert_non_null(k);
    k->c = c;
    rl_fuzz_enable(SEED + 2);
    rltest_blocking_watch(true);
    bool finished = rltest_run_watched(wakes_run, k, rltest_count_progress, STUCK_SECONDS);
    rltest_blocking_watch(false);
    rl_fuzz_disable();
    if (!finished)
        fail_msg("%s: round %ld: %d thread(s) asleep in event_wait, event_set called, and "
                 "one is still asleep %d s later: %s", c->name,
                 atomic_load_explicit(&k->rounds, memory_order_relaxed) + 1, c->waiters,
                 STUCK_SECONDS,
                 c->waiters == 1 ? "does event_set wake a waiter (a condition variable, "
                                   "not a sleep)?"
                                 : "does event_set wake every waiter (broadcast, not "
                                   "signal)?");
    if (k->early)
        fail_msg("%s: event_wait(ev, %.0f s) returned %ld times before event_set", c->name,
                 LONG_WAIT, k->early);
    if (k->false_returns)
        fail_msg("%s: event_wait returned false %ld times after event_set", c->name,
                 k->false_returns);
    free(k);
}

/* Set at the worst moment, on a schedule the test controls: the waiter has
 * seen the flag unset and is about to go to sleep in its condition wait.
 * The amplifier's hook tells that moment (RL_FUZZ_NONE at a wake-up point)
 * and holds the waiter there while the test calls event_set, until set
 * returns or 50 ms have passed. A set that takes the waiter's mutex
 * cannot finish meanwhile: it waits for the waiter to sleep, then wakes
 * it. A set that does not returns in the gap, wakes nobody, and the
 * waiter then sleeps out its whole timeout: a lost wake-up, every round. */
enum { BRINK_STREAM = 240, BRINK_HOLD_MS = 50 };

static _Atomic bool brink_armed;    /* atomic, relaxed: hold the next wait once */
static _Atomic bool at_brink;       /* atomic, release/acquire */
static _Atomic bool set_returned;   /* atomic, release/acquire */

static void brink_hook(const char *point, unsigned stream, enum rl_fuzz_action action)
{
    /* NONE at a wake-up point: "about to block" (see rl_fuzz_wakeup). */
    if (stream != BRINK_STREAM || action != RL_FUZZ_NONE || !strstr(point, "wake-up") ||
        !atomic_exchange_explicit(&brink_armed, false, memory_order_relaxed))
        return;
    atomic_store_explicit(&at_brink, true, memory_order_release);
    int64_t until = rl_now_ns() + BRINK_HOLD_MS * 1000000;
    /* acquire: pairs with the test's release after event_set */
    while (!atomic_load_explicit(&set_returned, memory_order_acquire) && rl_now_ns() < until)
        sched_yield();
}

struct races {
    _Atomic long rounds;        /* first (rltest_count_progress); atomic, relaxed */
    long false_returns;         /* read after the run */
};

static void races_run(void *arg)
{
    struct races *r = arg;
    for (int round = 0; round < RACE_ROUNDS; round++) {
        rl_fuzz_enable(SEED + 3000 + (uint64_t)round);
        struct event *ev = event_create();
        struct waiter w = {.ev = ev, .stream = BRINK_STREAM};
        atomic_store_explicit(&at_brink, false, memory_order_relaxed);
        atomic_store_explicit(&set_returned, false, memory_order_relaxed);
        atomic_store_explicit(&brink_armed, true, memory_order_relaxed);
        pthread_t t;
        rl_thread_create(&t, waiter_main, &w);
        /* Until the waiter is at the brink (or has returned, or waits in
         * a way the hook cannot hear - a sleep: then 20 ms). */
        int64_t give_up = rl_now_ns() + 20 * 1000000;
        while (!atomic_load_explicit(&at_brink, memory_order_acquire) &&
               !atomic_load_explicit(&w.returned, memory_order_acquire) &&
               rl_now_ns() < give_up)
            sched_yield();
        event_set(ev);
        atomic_store_explicit(&set_returned, true, memory_order_release);
        rl_thread_join(t, NULL);
        if (!w.got)
            r->false_returns++;
        event_destroy(ev);
        atomic_fetch_add_explicit(&r->rounds, 1, memory_order_relaxed);
    }
}

static void event_set_races_a_waiter(void **state)
{
    (void)state;
    struct races *r = calloc(1, sizeof *r);
    assert_non_null(r);
    rl_fuzz_set_hook(brink_hook);
    bool finished = rltest_run_watched(races_run, r, rltest_count_progress, STUCK_SECONDS);
    rl_fuzz_set_hook(NULL);
    rl_fuzz_disable();
    /* acquire: pairs with the hook's release */
    if (!finished && !atomic_load_explicit(&at_brink, memory_order_acquire))
        fail_msg("round %ld: event_set was called, and the waiter is still asleep %d s "
                 "later: does event_set wake a waiter (a condition variable, not a sleep)?",
                 atomic_load_explicit(&r->rounds, memory_order_relaxed) + 1, STUCK_SECONDS);
    if (!finished)
        fail_msg("round %ld: event_set came as the waiter was about to sleep, and "
                 "the waiter is still asleep %d s later (a lost wake-up: set and the "
                 "waiter's check-then-sleep must take the same mutex)",
                 atomic_load_explicit(&r->rounds, memory_order_relaxed) + 1, STUCK_SECONDS);
    if (r->false_returns)
        fail_msg("event_wait returned false %ld times though the event was set",
                 r->false_returns);
    free(r);
}

/* What the setter wrote before event_set must be seen by a waiter that
 * event_wait told "set", and by a poller that event_is_set told "set".
 * ThreadSanitizer reports a flag read without a lock or an acquire. */
struct publish {
    struct event *ev;
    long payload;               /* written before event_set */
    long seen_by_waiter;        /* read after the join */
};

static void *publisher_main(void *arg)
{
    struct publish *p = arg;
    rl_fuzz_thread(WAITER_STREAM + 2);
    p->payload = 1000;
    rl_fuzz("test: before event_set");
    event_set(p->ev);
    return NULL;
}

static void *reader_main(void *arg)
{
    struct publish *p = arg;
    rl_fuzz_thread(WAITER_STREAM + 3);
    if (event_wait(p->ev, LONG_WAIT))
        p->seen_by_waiter = p->payload;
    return NULL;
}

struct publishes {
    _Atomic long rounds;        /* first (rltest_count_progress); atomic, relaxed */
    long wrong;                 /* read after the run */
};

static void publishes_run(void *arg)
{
    struct publishes *s = arg;
    rl_fuzz_thread(WAITER_STREAM + 4);
    for (int round = 0; round < PUBLISH_ROUNDS; round++) {
        /* On the heap: clang 14's ThreadSanitizer leaves some accesses to
         * a stack struct shared with another thread unchecked. */
        struct publish *p = calloc(1, sizeof *p);
        if (!p)
            abort();
        p->ev = event_create();
        pthread_t setter, reader;
        rl_thread_create(&reader, reader_main, p);
        rl_thread_create(&setter, publisher_main, p);
        while (!event_is_set(p->ev))
            rl_fuzz("test: polling event_is_set");
        long seen = p->payload;
        rl_thread_join(setter, NULL);
        rl_thread_join(reader, NULL);
        if (seen != 1000 || p->seen_by_waiter != 1000)
            s->wrong++;
        event_destroy(p->ev);
        free(p);
        atomic_fetch_add_explicit(&s->rounds, 1, memory_order_relaxed);
    }
}

static void event_set_publishes(void **state)
{
    (void)state;
    struct publishes *s = calloc(1, sizeof *s);
    assert_non_null(s);
    rl_fuzz_enable(SEED + 4);
    bool finished = rltest_run_watched(publishes_run, s, rltest_count_progress, STUCK_SECONDS);
    rl_fuzz_disable();
    if (!finished)
        fail_msg("round %ld: stuck for %d s: a poller that never sees event_is_set turn "
                 "true, or a waiter never woken", atomic_load_explicit(&s->rounds,
                 memory_order_relaxed) + 1, STUCK_SECONDS);
    if (s->wrong)
        fail_msg("%ld stale reads of what the setter wrote before event_set", s->wrong);
    free(s);
}

/* ---- the modes, end to end ------------------------------------------------ */

static int count_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

struct mode_case {
    struct rltest_case base;
    struct spinner_options o;
    long expect_frames;     /* -1: at least one */
    bool interrupt;         /* Ctrl-C during slow() */
    bool ignored;           /* ... while SIGINT is ignored (nohup): no effect */
    char name[96];
};

struct mode_run {
    const struct mode_case *c;
    FILE *out;
    int status;
    struct spinner_stats stats;
    int threads_before, threads_after;
    bool child_left;
    char *text;
    pthread_t runner;           /* the thread that calls spinner_run */
    pid_t runner_tid;
    _Atomic bool returned;      /* atomic, release/acquire: spinner_run returned */
};

/* The Ctrl-C, sent to the thread that runs the spinner (a keyboard's
 * SIGINT goes to the process: test_spinner_program does that) once the
 * run's handler is in place, a frame is out (unless the loop is blocked:
 * then none comes), and that thread is asleep. Asleep, not just "handler
 * installed": under valgrind a signal sent the moment sigaction returns
 * can be lost. */
static void *interrupter_main(void *arg)
{
    struct mode_run *r = arg;
    bool want_frame = !(r->c->o.mode == SPINNER_LOOP && (r->c->o.blocking || r->c->o.cpu));
    void (*before)(int) = r->c->ignored ? SIG_IGN : SIG_DFL;
    int64_t give_up = rl_now_ns() + (int64_t)STUCK_SECONDS * 1000000000;
    for (;;) {
        struct sigaction now;
        sigaction(SIGINT, NULL, &now);
        struct stat st;
        bool framed = fstat(fileno(r->out), &st) == 0 && st.st_size > 0;
        if ((r->c->ignored || now.sa_handler != before) && (framed || !want_frame))
            break;
        if (rl_now_ns() > give_up)
            return NULL; /* the run is stuck: the watch below says so */
        const struct timespec pause = {0, 2 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    /* No fuzz hook here: the thread's state in /proc says "asleep". */
    rltest_wait_blocked(INTERRUPTED_STREAM, 0, r->runner_tid, &r->returned);
    pthread_kill(r->runner, SIGINT);
    return NULL;
}

static void mode_run_main(void *arg)
{
    struct mode_run *r = arg;
    r->threads_before = count_threads();
    r->runner = pthread_self();
    r->runner_tid = gettid();
    /* SIGINT as a terminal's process would have it - or ignored, as under
     * nohup. (make test runs some tests in a background job, where sh
     * ignores SIGINT.) */
    struct sigaction set = {.sa_handler = r->c->ignored ? SIG_IGN : SIG_DFL}, before;
    sigemptyset(&set.sa_mask);
    sigaction(SIGINT, &set, &before);
    pthread_t interrupter;
    if (r->c->interrupt)
        rl_thread_create(&interrupter, interrupter_main, r);
    r->status = spinner_run(&r->c->o, r->out, &r->stats);
    atomic_store_explicit(&r->returned, true, memory_order_release);
    if (r->c->interrupt)
        rl_thread_join(interrupter, NULL);
    sigaction(SIGINT, &before, NULL);
    errno = 0;
    r->child_left = !(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
    /* A joined thread may linger in /proc for a moment; one left running
     * stays. */
    int64_t give_up = rl_now_ns() + 1000000000;
    while ((r->threads_after = count_threads()) > r->threads_before && rl_now_ns() < give_up)
        sched_yield();
    fflush(r->out);
    rewind(r->out);
    size_t cap = 1 << 16, len = 0, n;
    r->text = malloc(cap);
    while (r->text && (n = fread(r->text + len, 1, cap - 1 - len, r->out)) > 0)
        len += n;
    if (r->text)
        r->text[len] = '\0';
}

static void mode_end_to_end(void **state)
{
    const struct mode_case *c = *state;
    struct mode_run *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->c = c;
    r->out = tmpfile();
    assert_non_null(r->out);
    if (!rltest_run_watched(mode_run_main, r, NULL, STUCK_SECONDS + 2))
        fail_msg("%s: the run has not ended after %d s (%s)", c->name, STUCK_SECONDS + 2,
                 c->interrupt ? "it was sent SIGINT" : "slow() takes 0.15 s");
    fclose(r->out);
    assert_non_null(r->text);
    bool stopped = c->interrupt && !c->ignored;
    int want = stopped ? 130 : 0;
    if (r->status != want)
        fail_msg("%s: spinner_run returned %d, expected %d", c->name, r->status, want);
    long frames;
    const char *why = spinner_check_output(r->text, c->o.tty, !stopped, &frames);
    if (why)
        fail_msg("%s: %s", c->name, why);
    if (c->expect_frames < 0 && frames < 1)
        fail_msg("%s: no frame drawn", c->name);
    if (c->expect_frames >= 0 && frames != c->expect_frames)
        fail_msg("%s: %ld frame(s) drawn, expected %ld", c->name, frames, c->expect_frames);
    if (r->stats.frames != frames)
        fail_msg("%s: the run counted %ld frames, the output has %ld", c->name,
                 r->stats.frames, frames);
    if (r->child_left)
        fail_msg("%s: a child process was left unreaped", c->name);
    if (r->threads_after != r->threads_before)
        fail_msg("%s: %d thread(s) before the run, %d after", c->name, r->threads_before,
                 r->threads_after);
    free(r->text);
    free(r);
}

/* ---- flag: your done flag ------------------------------------------------- */

static void flag_sets(void **state)
{
    (void)state;
    done_flag_reset();
    assert_false(done_flag_is_set());
    done_flag_set();
    assert_true(done_flag_is_set());
    done_flag_reset();
    assert_false(done_flag_is_set());
}

/* The answer handed over: the worker writes it, then sets the flag; the
 * poller sees the flag, then reads it. */
struct handover {
    long answer;                /* written before done_flag_set */
    const char *said;           /* and this too */
};

static void *answerer_main(void *arg)
{
    struct handover *h = arg;
    rl_fuzz_thread(WAITER_STREAM + 5);
    h->answer = 42;
    h->said = "forty-two";
    rl_fuzz("test: before done_flag_set");
    done_flag_set();
    return NULL;
}

struct handovers {
    _Atomic long rounds;        /* first (rltest_count_progress); atomic, relaxed */
    long wrong;                 /* read after the run */
};

static void handovers_run(void *arg)
{
    struct handovers *s = arg;
    rl_fuzz_thread(WAITER_STREAM + 6);
    for (int round = 0; round < PUBLISH_ROUNDS; round++) {
        /* On the heap: see publishes_run. */
        struct handover *h = calloc(1, sizeof *h);
        if (!h)
            abort();
        done_flag_reset();
        pthread_t t;
        rl_thread_create(&t, answerer_main, h);
        while (!done_flag_is_set())
            rl_fuzz("test: polling done_flag_is_set");
        long answer = h->answer;
        const char *said = h->said;
        rl_thread_join(t, NULL);
        if (answer != 42 || !said)
            s->wrong++;
        free(h);
        atomic_fetch_add_explicit(&s->rounds, 1, memory_order_relaxed);
    }
}

static void flag_hands_over_the_answer(void **state)
{
    (void)state;
    struct handovers *s = calloc(1, sizeof *s);
    assert_non_null(s);
    rl_fuzz_enable(SEED + 5);
    bool finished = rltest_run_watched(handovers_run, s, rltest_count_progress, STUCK_SECONDS);
    rl_fuzz_disable();
    if (!finished)
        fail_msg("round %ld: done_flag_set was called, and done_flag_is_set has not said "
                 "true %d s later", atomic_load_explicit(&s->rounds, memory_order_relaxed) + 1,
                 STUCK_SECONDS);
    if (s->wrong)
        fail_msg("%ld stale reads of the answer after done_flag_is_set said true", s->wrong);
    free(s);
}

/* ---- the groups ----------------------------------------------------------- */

/* slow() is short here; with --cpu it checks a prime that takes a
 * millisecond, not the program's sixth of a second (valgrind runs this
 * too). */
enum { SLOW_MS = 150 };
#define SMALL_PRIME 999999000001ULL

static struct mode_case mode_cases[32];
static int nmode_cases;

/* A test entry for a new mode case (RLTEST names its argument twice). */
#define MODE_TEST(...) mode_test(mode_case(__VA_ARGS__))
static struct CMUnitTest mode_test(struct mode_case *c)
{
    return (struct CMUnitTest)RLTEST(mode_end_to_end, c);
}


static struct mode_case *mode_case(enum spinner_mode m, bool tty, bool cpu, bool blocking,
                                   bool interrupt)
{
    struct mode_case *c = &mode_cases[nmode_cases++];
    c->o = (struct spinner_options){.mode = m, .slow_ms = interrupt ? 60000 : SLOW_MS,
                                    .cpu = cpu, .cpu_prime = SMALL_PRIME,
                                    .blocking = blocking, .tty = tty};
    c->interrupt = interrupt;
    /* A loop blocked by slow() never gives the spinner its first turn. */
    c->expect_frames = m == SPINNER_LOOP && (cpu || blocking) ? 0 : -1;
    snprintf(c->name, sizeof c->name, "mode %s%s%s, %s%s", spinner_modes[m],
             cpu ? " --cpu" : "", blocking ? " --blocking" : "",
             tty ? "on a terminal" : "into a file", interrupt ? ", Ctrl-C" : "");
    c->base.name = c->name;
    return c;
}

int main(int argc, char **argv)
{
    static struct rltest_case event_names[] = {
        {"event: unset until set, set stays set"},
        {"event: wait on a set event returns true at once"},
        {"event: wait times out, never before its time"},
    };
    static struct rltest_case race_name = {"event: set as a waiter is about to sleep"};
    static struct rltest_case publish_name = {"event: what was written before set is seen"};
    static struct wake_case wake_cases[] = {{.waiters = 1}, {.waiters = 4}, {.waiters = 16}};
    struct CMUnitTest event_tests[12];
    int ne = 0;
    event_tests[ne++] = (struct CMUnitTest)RLTEST(event_sets, &event_names[0]);
    event_tests[ne++] = (struct CMUnitTest)RLTEST(event_wait_on_set_returns_at_once,
                                                  &event_names[1]);
    event_tests[ne++] = (struct CMUnitTest)RLTEST(event_wait_times_out, &event_names[2]);
    event_tests[ne++] = (struct CMUnitTest)RLTEST(event_set_races_a_waiter, &race_name);
    for (int i = 0; i < 3; i++) {
        struct wake_case *w = &wake_cases[i];
        snprintf(w->name, sizeof w->name, "event: set wakes %d blocked waiter%s", w->waiters,
                 w->waiters == 1 ? "" : "s");
        w->base.name = w->name;
        event_tests[ne++] = (struct CMUnitTest)RLTEST(event_set_wakes_waiters, w);
    }
    event_tests[ne++] = (struct CMUnitTest)RLTEST(event_set_publishes, &publish_name);
    event_tests[ne++] = MODE_TEST(SPINNER_THREAD, true, false, false, false);

    static struct rltest_case flag_names[] = {
        {"flag: reset, set, is_set"},
        {"flag: the answer handed over through the flag"},
    };
    struct CMUnitTest flag_tests[] = {
        RLTEST(flag_sets, &flag_names[0]),
        RLTEST(flag_hands_over_the_answer, &flag_names[1]),
        MODE_TEST(SPINNER_FLAG, true, false, false, false),
    };

    struct CMUnitTest mode_tests[24];
    int nm = 0;
    for (int m = 0; spinner_modes[m]; m++)
        for (int tty = 0; tty < 2; tty++)
            mode_tests[nm++] = MODE_TEST((enum spinner_mode)m, tty, false, false, false);
    mode_tests[nm++] = MODE_TEST(SPINNER_LOOP, true, false, true, false);
    for (int m = 0; spinner_modes[m]; m++)
        if (m != SPINNER_UNSAFE)
            mode_tests[nm++] = MODE_TEST((enum spinner_mode)m, true, true, false, false);
    for (int m = 0; spinner_modes[m]; m++)
        mode_tests[nm++] = MODE_TEST((enum spinner_mode)m, true, false, false, true);
    mode_tests[nm++] = MODE_TEST(SPINNER_LOOP, true, false, true, true);
    struct mode_case *ig = mode_case(SPINNER_THREAD, true, false, false, true);
    ig->ignored = true;
    ig->o.slow_ms = SLOW_MS * 2;
    snprintf(ig->name, sizeof ig->name, "mode thread, on a terminal, Ctrl-C while SIGINT is "
             "ignored (nohup): no effect");
    mode_tests[nm++] = mode_test(ig);

    const struct rltest_group groups[] = {
        {"event",
         "TODO(lab 5) event: a mutex and a monotonic condition variable; set broadcasts, "
         "wait sleeps in a while loop until one deadline",
         event_tests, (size_t)ne, false},
        {"flag",
         "TODO(lab 5) flag: an atomic_bool, set with release and read with acquire "
         "(or a lock); not volatile",
         flag_tests, sizeof flag_tests / sizeof flag_tests[0], false},
        {"modes", NULL, mode_tests, (size_t)nm, false},
    };
    return rltest_main(argc, argv, groups, 3);
}

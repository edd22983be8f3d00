/*
 * flags_coro.c - lab 8's coroutines: a small cooperative scheduler, the io
 * it waits on (a curl multi handle), and count_async. The coro mode runs
 * its download tasks here; count_async shows, with three tiny tasks, what
 * an await is for and what a blocking call inside a coroutine does.
 *
 * A coroutine (flags.h: CO_BEGIN, CO_AWAIT, ...) is a function that
 * returns at each await point and is called again later. Each call says
 * what happened:
 *   CO_WAITING        it ran some code, and now waits at an await point;
 *   CO_STILL_WAITING  it was resumed at its await point, found the
 *                     condition still false, and ran nothing;
 *   CO_DONE           it has ended.
 *
 * The scheduler keeps the coroutines not yet done, in spawn order, and
 * runs turns: a turn resumes each of them once. A coroutine that ran code
 * may have made another's condition true (set a flag, released a slot),
 * perhaps one that already had its go in this turn, so after such a turn
 * comes another. Only when a whole turn is CO_STILL_WAITING has nothing
 * changed, and nothing will until time passes or a transfer ends: then,
 * and only then, the scheduler blocks, in the io's wait, until the
 * nearest CO_SLEEP deadline (co_deadline notes each one) or until curl
 * has news. That is asyncio's event loop in miniature: run what is ready,
 * then select() until something is. Even after a turn that moved, the io
 * gets a wait of 0 ms, so transfers progress while coroutines keep busy.
 *
 * When a whole turn is CO_STILL_WAITING with no deadline ahead and no
 * transfer in flight, every coroutine left waits for something nothing
 * can bring: a deadlock of coroutines, on one thread and without a lock.
 * co_sched_run then returns how many are left, instead of hanging.
 *
 * Time is the io's clock (co_now), so a test can drive the scheduler on
 * a clock it moves itself; a scheduler made without an io has the real
 * monotonic clock and waits by sleeping.
 */
#include "flags.h"

#include "racelab.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

enum { NS_PER_MS = 1000000 };

/* Makes room for one more element at the end of an array that holds *cap
 * elements of size bytes (doubling it when full). */
static void *grow(void *array, size_t used, size_t *cap, size_t size, const char *what)
{
    if (used < *cap)
        return array;
    size_t n = *cap ? 2 * *cap : 16;
    void *bigger = realloc(array, n * size);
    if (!bigger)
        rl_die_errno(what, ENOMEM);
    *cap = n;
    return bigger;
}

/* ---- the io without transfers -------------------------------------------- */

/* What a scheduler made with no io waits on: the monotonic clock, and
 * sleeping. */
static void sleep_start(void *ctx, struct flags_xfer *x)
{
    (void)ctx;
    (void)x;
    rl_die_errno("co_fetch_start: a scheduler made without an io has no transfers", EINVAL);
}

static int sleep_wait(void *ctx, long timeout_ms)
{
    (void)ctx;
    if (timeout_ms > 0) {
        struct timespec t = {timeout_ms / 1000, (timeout_ms % 1000) * NS_PER_MS};
        nanosleep(&t, NULL); /* a signal may cut it short: the scheduler looks again */
    }
    return 0;
}

static int64_t sleep_now(void *ctx)
{
    (void)ctx;
    return rl_now_ns();
}

static struct co_io sleep_io = {sleep_start, sleep_wait, sleep_now, NULL};

/* ---- the scheduler --------------------------------------------------------- */

struct co_task {
    co_fn *fn;
    void *arg;
};

struct co_sched {
    struct co_io *io;           /* never NULL: sleep_io when made without one */
    struct co_task *tasks;      /* the coroutines not done, in spawn order */
    size_t ntasks, tasks_cap;
    int64_t *deadlines;         /* from co_deadline, not yet seen to pass; unordered */
    size_t ndeadlines, deadlines_cap;
    int in_flight;              /* transfers started and not known to have ended: what
                                   the io's last wait said, plus those started since */
};

struct co_sched *co_sched_create(struct co_io *io)
{
    struct co_sched *s = calloc(1, sizeof *s);
    if (!s)
        rl_die_errno("co_sched_create", ENOMEM);
    s->io = io ? io : &sleep_io;
    return s;
}

void co_sched_destroy(struct co_sched *s)
{
    if (!s)
        return;
    free(s->tasks);
    free(s->deadlines);
    free(s);
}

void co_spawn(struct co_sched *s, co_fn *fn, void *arg)
{
    s->tasks = grow(s->tasks, s->ntasks, &s->tasks_cap, sizeof *s->tasks, "co_spawn");
    s->tasks[s->ntasks++] = (struct co_task){fn, arg};
}

int64_t co_now(struct co_sched *s)
{
    return s->io->now(s->io->ctx);
}

int64_t co_deadline(struct co_sched *s, long ms)
{
    int64_t deadline = co_now(s) + (int64_t)(ms > 0 ? ms : 0) * NS_PER_MS;
    s->deadlines = grow(s->deadlines, s->ndeadlines, &s->deadlines_cap, sizeof *s->deadlines,
                        "co_deadline");
    s->deadlines[s->ndeadlines++] = deadline;
    return deadline;
}

void co_fetch_start(struct co_sched *s, struct flags_xfer *x)
{
    x->done = false;
    s->in_flight++;
    s->io->start(s->io->ctx, x);
}

/* One turn: resumes every coroutine not done, once, in spawn order, and
 * drops those that end. A coroutine spawned during the turn is appended,
 * and runs in this turn too. Returns true when any of them ran code. */
static bool run_turn(struct co_sched *s)
{
    bool moved = false;
    size_t kept = 0;
    /* s->ntasks is read again each time round: a coroutine may spawn
     * another, and s->tasks may move then: hence the copy. */
    for (size_t i = 0; i < s->ntasks; i++) {
        struct co_task t = s->tasks[i];
        switch (t.fn(t.arg)) {
        case CO_STILL_WAITING:
            s->tasks[kept++] = t;
            break;
        case CO_DONE:
            moved = true;
            break;
        default: /* CO_WAITING */
            moved = true;
            s->tasks[kept++] = t;
            break;
        }
    }
    s->ntasks = kept;
    return moved;
}

/* Forgets the deadlines at or before turn_start: every coroutine checked
 * its condition after that time in the last turn, so any sleeper they
 * belonged to has seen them pass. Returns the milliseconds until the
 * earliest deadline left, rounded up so as not to wake before it (0 if
 * it has just passed); -1 when none is left. */
static long next_timeout(struct co_sched *s, int64_t turn_start)
{
    size_t kept = 0;
    int64_t earliest = INT64_MAX;
    for (size_t i = 0; i < s->ndeadlines; i++) {
        int64_t d = s->deadlines[i];
        if (d <= turn_start)
            continue;
        s->deadlines[kept++] = d;
        if (d < earliest)
            earliest = d;
    }
    s->ndeadlines = kept;
    if (kept == 0)
        return -1;
    int64_t ns = earliest - co_now(s);
    if (ns <= 0)
        return 0;
    int64_t ms = (ns + NS_PER_MS - 1) / NS_PER_MS;
    return ms < LONG_MAX ? (long)ms : LONG_MAX;
}

int co_sched_run(struct co_sched *s)
{
    for (;;) {
        int64_t turn_start = co_now(s);
        bool moved = run_turn(s);
        if (s->ntasks == 0)
            return 0;
        long timeout_ms = next_timeout(s, turn_start);
        if (moved)
            timeout_ms = 0; /* more may be ready: only a look at the io, no wait */
        else if (timeout_ms < 0 && s->in_flight == 0)
            return (int)s->ntasks; /* nothing will ever wake them */
        if (timeout_ms == 0 && s->in_flight == 0)
            continue; /* nothing for the io to do */
        s->in_flight = s->io->wait(s->io->ctx, timeout_ms);
    }
}

/* ---- the curl io ----------------------------------------------------------- */

/*
 * The real io: a curl multi handle runs every transfer handed to it, at
 * once, on this thread, driven the way an event loop drives sockets
 * (libcurl's "multi_socket" interface, what libuv- and asyncio-style loops
 * use): curl tells us which sockets it wants to read or write (on_socket)
 * and when it next needs the time (on_timer); we keep those sockets in one
 * epoll set. wait() sleeps in epoll_wait until a socket is ready, curl's
 * timer or the scheduler's time-out is due, whichever comes first, and
 * hands each ready socket (or the timer) to curl_multi_socket_action.
 * Only the transfers whose sockets moved do any work: a thousand in flight
 * cost no more per event than ten. (curl_multi_perform and curl_multi_poll
 * would look at every transfer on every wake-up.)
 * Each transfer that ended is taken out of the multi handle, its place
 * goes to the oldest queued transfer (if a limit queued some), its result
 * is filled in (flags_xfer_finish sets x->done) and on_done hears of it.
 */
enum { IDLE_POLL_MS = 1000, /* the longest sleep when neither side has a deadline */
       EVENTS = 256 };      /* ready sockets taken per epoll_wait */

struct curl_io {
    struct co_io io;            /* what the scheduler sees; io.ctx is this struct */
    CURLM *multi;
    int epfd;                   /* the sockets curl wants watched */
    int64_t timer_at;           /* when curl wants the time: ns, or -1 */
    int limit;                  /* transfers in curl at once; <= 0: no limit */
    int running;                /* transfers in the multi handle */
    struct flags_xfer **queue;  /* transfers waiting for a place: queue[head .. tail) */
    size_t head, tail, queue_cap;
    void (*on_done)(void *ctx, struct flags_xfer *x);
    void *ctx;
};

static _Noreturn void die_curlm(const char *what, CURLMcode mc)
{
    fprintf(stderr, "flags: %s failed: %s (curl multi error %d)\n", what,
            curl_multi_strerror(mc), (int)mc);
    fflush(stderr);
    abort();
}

/* curl: watch socket s for what (CURL_POLL_IN, _OUT, _INOUT), or stop
 * watching it (CURL_POLL_REMOVE). */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    struct curl_io *c = userp;
    if (what == CURL_POLL_REMOVE) {
        /* curl may have closed it already: then the kernel dropped it. */
        epoll_ctl(c->epfd, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    struct epoll_event ev = {.data.fd = s};
    if (what & CURL_POLL_IN)
        ev.events |= EPOLLIN;
    if (what & CURL_POLL_OUT)
        ev.events |= EPOLLOUT;
    int op = socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(c->epfd, op, s, &ev) != 0) {
        /* A socket number curl closed and opened again is still in the set
         * (ADD: EEXIST), or was dropped when closed (MOD: ENOENT). */
        op = op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        if (epoll_ctl(c->epfd, op, s, &ev) != 0)
            rl_die_errno("co_io_curl: epoll_ctl", errno);
    }
    curl_multi_assign(c->multi, s, c); /* not NULL: "already in the set" */
    return 0;
}

/* curl: call me back in timeout_ms (0: at once; -1: no need). */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct curl_io *c = userp;
    c->timer_at = timeout_ms < 0 ? -1 : rl_now_ns() + (int64_t)timeout_ms * 1000000;
    return 0;
}

static void hand_to_curl(struct curl_io *c, struct flags_xfer *x)
{
    x->start_ns = rl_now_ns();
    CURLMcode mc = curl_multi_add_handle(c->multi, x->easy);
    if (mc != CURLM_OK)
        die_curlm("curl_multi_add_handle", mc);
    c->running++;
}

static void curl_io_start(void *ctx, struct flags_xfer *x)
{
    struct curl_io *c = ctx;
    if (c->limit <= 0 || c->running < c->limit) {
        hand_to_curl(c, x);
        return;
    }
    c->queue = grow(c->queue, c->tail, &c->queue_cap, sizeof *c->queue, "co_io_curl: queue");
    c->queue[c->tail++] = x;
}

static void socket_action(struct curl_io *c, curl_socket_t s, int flags)
{
    int still;
    CURLMcode mc = curl_multi_socket_action(c->multi, s, flags, &still);
    if (mc != CURLM_OK)
        die_curlm("curl_multi_socket_action", mc);
}

/* Finishes every transfer curl says has ended. */
static void finish_ended(struct curl_io *c)
{
    CURLMsg *msg;
    int msgs_left;
    while ((msg = curl_multi_info_read(c->multi, &msgs_left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        /* Copied out: removing the handle frees *msg. */
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        void *priv = NULL;
        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) != CURLE_OK || !priv)
            rl_die_errno("co_io_curl: a transfer without CURLOPT_PRIVATE", EINVAL);
        struct flags_xfer *x = priv;
        CURLMcode mc = curl_multi_remove_handle(c->multi, easy);
        if (mc != CURLM_OK)
            die_curlm("curl_multi_remove_handle", mc);
        c->running--;
        /* The place goes to the oldest queued transfer before on_done runs,
         * so a transfer on_done starts cannot jump the queue. */
        if (c->head < c->tail) {
            hand_to_curl(c, c->queue[c->head++]);
            if (c->head == c->tail)
                c->head = c->tail = 0;
        }
        flags_xfer_finish(x, rc);
        if (c->on_done)
            c->on_done(c->ctx, x);
    }
}

/* How long to sleep: the scheduler's time-out or curl's timer, whichever is
 * sooner (0 when curl's is due). */
static int sleep_ms(struct curl_io *c, long timeout_ms)
{
    long ms = timeout_ms;
    if (c->timer_at >= 0) {
        int64_t left = c->timer_at - rl_now_ns();
        long curl_ms = left <= 0 ? 0 : (long)((left + 999999) / 1000000);
        if (ms < 0 || curl_ms < ms)
            ms = curl_ms;
    }
    if (ms < 0) /* neither has a deadline: a socket will wake us, but look again soon */
        ms = IDLE_POLL_MS;
    return ms < INT_MAX ? (int)ms : INT_MAX;
}

static int curl_io_wait(void *ctx, long timeout_ms)
{
    struct curl_io *c = ctx;
    if (c->running == 0 && timeout_ms < 0)
        return 0; /* nothing in flight, nothing to wait for: never block for ever */
    struct epoll_event events[EVENTS];
    int n = epoll_wait(c->epfd, events, EVENTS, sleep_ms(c, timeout_ms));
    if (n < 0 && errno != EINTR)
        rl_die_errno("co_io_curl: epoll_wait", errno);
    for (int i = 0; i < n; i++) {
        int flags = 0;
        if (events[i].events & EPOLLIN)
            flags |= CURL_CSELECT_IN;
        if (events[i].events & EPOLLOUT)
            flags |= CURL_CSELECT_OUT;
        if (events[i].events & (EPOLLERR | EPOLLHUP))
            flags |= CURL_CSELECT_ERR;
        socket_action(c, events[i].data.fd, flags);
    }
    if (c->timer_at >= 0 && rl_now_ns() >= c->timer_at) {
        c->timer_at = -1;
        socket_action(c, CURL_SOCKET_TIMEOUT, 0);
    }
    finish_ended(c);
    return c->running + (int)(c->tail - c->head);
}

static int64_t curl_io_now(void *ctx)
{
    (void)ctx;
    return rl_now_ns();
}

struct co_io *co_io_curl_create(int limit, void (*on_done)(void *ctx, struct flags_xfer *x),
                                void *ctx)
{
    struct curl_io *c = calloc(1, sizeof *c);
    if (!c)
        rl_die_errno("co_io_curl_create", ENOMEM);
    c->multi = curl_multi_init();
    if (!c->multi)
        rl_die_errno("curl_multi_init", ENOMEM);
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (c->epfd < 0)
        rl_die_errno("co_io_curl: epoll_create1", errno);
    c->timer_at = -1;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    c->limit = limit;
    c->on_done = on_done;
    c->ctx = ctx;
    c->io = (struct co_io){curl_io_start, curl_io_wait, curl_io_now, c};
    return &c->io;
}

void co_io_curl_destroy(struct co_io *io)
{
    if (!io)
        return;
    struct curl_io *c = io->ctx;
    if (c->running > 0 || c->head < c->tail)
        rl_die_errno("co_io_curl_destroy: transfers still in flight", EBUSY);
    CURLMcode mc = curl_multi_cleanup(c->multi);
    if (mc != CURLM_OK)
        die_curlm("curl_multi_cleanup", mc);
    close(c->epfd);
    free(c->queue);
    free(c);
}

/* ---- count_async ----------------------------------------------------------- */

/*
 * The seeds' experiment, in C:
 *
 *   async def count():
 *       print("One")
 *       await asyncio.sleep(1)      # or time.sleep(1): the blocking mistake
 *       print("Two")
 *
 *   asyncio.gather(count(), count(), count())
 *
 * Awaiting, the three tasks sleep together: One One One, a second, Two
 * Two Two. Blocking, each task holds the only thread for its second and
 * the scheduler cannot run anything else: One Two, One Two, One Two, in
 * three seconds.
 */
enum { COUNT_TASKS = 3 };

struct count_run {
    FILE *out;
    char order[2 * COUNT_TASKS]; /* 'O' for each "One", 'T' for each "Two", as said */
    int said;
};

struct count_task {
    struct co co;
    struct co_sched *sched;
    struct count_run *run;
};

static void say(struct count_run *run, const char *word)
{
    fprintf(run->out, "%s\n", word);
    fflush(run->out);
    run->order[run->said++] = word[0];
}

/* await asyncio.sleep(1): the other tasks run meanwhile. */
static int count_awaiting(void *arg)
{
    struct count_task *t = arg;
    CO_BEGIN(&t->co);
    say(t->run, "One");
    CO_SLEEP(&t->co, t->sched, 1000);
    say(t->run, "Two");
    CO_END(&t->co);
}

/* time.sleep(1): it never returns to the scheduler, so for that second
 * nothing else runs. */
static int count_blocking(void *arg)
{
    struct count_task *t = arg;
    CO_BEGIN(&t->co);
    say(t->run, "One");
    sleep(1);
    say(t->run, "Two");
    CO_END(&t->co);
}

bool flags_count_async(FILE *out, bool blocking, double *seconds)
{
    struct count_run run = {.out = out};
    struct count_task tasks[COUNT_TASKS];
    struct co_sched *s = co_sched_create(NULL);
    for (int i = 0; i < COUNT_TASKS; i++) {
        tasks[i] = (struct count_task){.sched = s, .run = &run};
        co_spawn(s, blocking ? count_blocking : count_awaiting, &tasks[i]);
    }
    int64_t start = rl_now_ns();
    co_sched_run(s); /* sleeps only: it cannot deadlock */
    *seconds = (double)(rl_now_ns() - start) / 1e9;
    co_sched_destroy(s);
    fprintf(out, "count_async: %d tasks in %.2f s\n", COUNT_TASKS, *seconds);
    fflush(out);
    /* Together: the three "One" came first. */
    return run.said == 2 * COUNT_TASKS && memcmp(run.order, "OOO", COUNT_TASKS) == 0;
}

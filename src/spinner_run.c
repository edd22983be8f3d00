/*
 * spinner_run.c - lab 5's driver: the run (Ctrl-C, the table of modes) and
 * the two modes that run on the exercises: thread (on the Event) and the
 * polled pair, unsafe and flag (on a done flag). spinner_process.c and
 * spinner_loop.c hold the other two modes; the frames and slow(), which
 * every mode uses, are in spinner_shared.c. Calls go one way: this file
 * calls the mode files, they and it call spinner_shared.c, never back.
 * The contract is in include/spinner.h.
 *
 * Ctrl-C: for the length of a run, SIGINT's handler writes a byte into a
 * pipe ("self-pipe") and nothing else - the only safe things a handler can
 * do are few. Whoever may be waiting polls that pipe's read end along with
 * whatever else it waits for, and nobody drains it, so it stays readable:
 * slow() returns early, the loop cancels its tasks, and the supervisor
 * stops the spinner the ordinary way (its Event, its pipe, its flag) and
 * waits for it to clear the line. Helper threads block SIGINT, so the
 * handler runs in the thread that called spinner_run.
 */
#define _GNU_SOURCE /* pipe2 */
#include "spinner.h"

#include "racelab.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

const char *const spinner_modes[] = {"thread", "process", "loop", "unsafe", "flag", NULL};

/* ---- Ctrl-C ------------------------------------------------------------ */

/* The self-pipe: made by the first run and kept (never closed, so a
 * handler still running in another thread as a run ends never writes to
 * a closed or reused descriptor); each run empties it first. Set before
 * the handler is first installed. */
static int sigint_pipe[2] = {-1, -1};

static void on_sigint(int sig)
{
    (void)sig;
    int saved = errno;
    /* Non-blocking: if the pipe is full, it is readable already. */
    ssize_t n = write(sigint_pipe[1], "", 1);
    (void)n;
    errno = saved;
}

static void check_sys(int ret, const char *what)
{
    if (ret != 0)
        rl_die_errno(what, errno);
}

static void check_err(int err, const char *what)
{
    if (err != 0)
        rl_die_errno(what, err);
}

/* Starts fn(arg) in a thread that blocks SIGINT (it inherits the mask in
 * force when it is created). */
static void start_helper(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    check_err(pthread_sigmask(SIG_BLOCK, &block, &old), "pthread_sigmask");
    rl_thread_create(t, fn, arg);
    check_err(pthread_sigmask(SIG_SETMASK, &old, NULL), "pthread_sigmask");
}

/* ---- thread: a spinner thread and an Event ----------------------------- */

struct thread_spin {
    struct spinner_ctx *ctx;
    struct event *done;
};

static void *spin_thread(void *p)
{
    struct thread_spin *s = p;
    do
        spinner_draw(s->ctx);
    while (!event_wait(s->done, 0.1)); /* a frame's time, or done */
    spinner_clear(s->ctx);
    return NULL;
}

static int thread_run(struct spinner_ctx *ctx)
{
    struct thread_spin s = {ctx, event_create()};
    pthread_t spinner;
    start_helper(&spinner, spin_thread, &s);
    int answer = spinner_slow(ctx);
    ctx->stats->slow_done_ns = rl_now_ns();
    event_set(s.done);
    rl_thread_join(spinner, NULL); /* it has cleared the line */
    event_destroy(s.done);
    return answer;
}

/* ---- unsafe and flag: slow() in a worker, the main thread polls -------- */

/* The worker's answer: written before the flag is set, read after it is
 * seen. Guarded by nothing but the flag: only a flag that publishes (its
 * set a release, its check an acquire, or a lock) makes this safe. */
static int polled_answer;
static int64_t polled_done_ns;  /* written by the worker, read after the join */

struct polled_work {
    struct spinner_ctx *ctx;
    const struct spinner_flag *flag;
};

static void *slow_worker(void *p)
{
    struct polled_work *w = p;
    polled_answer = spinner_slow(w->ctx);
    polled_done_ns = rl_now_ns();
    w->flag->set();
    return NULL;
}

/* How often the main thread looks at the flag: ten times a frame. */
enum { POLL_MS = 10, FRAME_MS = 100 };

static int polled_run(struct spinner_ctx *ctx, const struct spinner_flag *flag)
{
    struct polled_work w = {ctx, flag};
    flag->reset();
    polled_answer = 0;
    pthread_t worker;
    start_helper(&worker, slow_worker, &w);
    int64_t next_frame = rl_now_ns();
    bool interrupted = false;
    while (!flag->is_set()) {
        if (rl_now_ns() >= next_frame) {
            spinner_draw(ctx);
            next_frame = rl_now_ns() + FRAME_MS * 1000000; /* no burst after a stall */
        }
        if (!spinner_nap(ctx, POLL_MS)) {
            interrupted = true; /* Ctrl-C: the worker's slow() returns too */
            break;
        }
    }
    /* The flag said "done": the answer is read now, before the join, as
     * the flag promised. After Ctrl-C it is not read at all. */
    int answer = interrupted ? -1 : polled_answer;
    if (ctx->frames > 0)
        spinner_clear(ctx);
    rl_thread_join(worker, NULL);
    ctx->stats->slow_done_ns = polled_done_ns; /* after the join: no race */
    return answer;
}

static int unsafe_run(struct spinner_ctx *ctx)
{
    return polled_run(ctx, &spinner_unsafe_flag);
}

static int flag_run(struct spinner_ctx *ctx)
{
    static const struct spinner_flag exercise = {done_flag_reset, done_flag_set,
                                                 done_flag_is_set};
    return polled_run(ctx, &exercise);
}

/* ---- the run ----------------------------------------------------------- */

/* Each mode's run, in enum order (spinner_modes names them): the answer,
 * -1 when interrupted, -2 when the spinner failed. */
static int (*const mode_runs[])(struct spinner_ctx *ctx) = {
    [SPINNER_THREAD] = thread_run,
    [SPINNER_PROCESS] = spinner_process_run,
    [SPINNER_LOOP] = spinner_loop_run,
    [SPINNER_UNSAFE] = unsafe_run,
    [SPINNER_FLAG] = flag_run,
};

int spinner_run(const struct spinner_options *o, FILE *out, struct spinner_stats *stats)
{
    struct spinner_stats unused;
    if (!stats)
        stats = &unused;
    *stats = (struct spinner_stats){0};

    if (sigint_pipe[0] < 0 && pipe2(sigint_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        rl_die_errno("pipe2", errno);
    char drain[64];
    while (read(sigint_pipe[0], drain, sizeof drain) > 0)
        ;
    /* A SIGINT ignored by whoever started us (nohup, `&` in a script)
     * stays ignored. */
    struct sigaction on = {.sa_handler = on_sigint, .sa_flags = SA_RESTART}, old;
    sigemptyset(&on.sa_mask);
    check_sys(sigaction(SIGINT, NULL, &old), "sigaction");
    if (old.sa_handler != SIG_IGN)
        check_sys(sigaction(SIGINT, &on, NULL), "sigaction");
    sigset_t unblock, old_mask;
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGINT);
    check_err(pthread_sigmask(SIG_UNBLOCK, &unblock, &old_mask), "pthread_sigmask");

    struct spinner_ctx ctx = {.o = o, .out = out, .stop_fd = sigint_pipe[0], .stats = stats};
    if ((unsigned)o->mode >= sizeof mode_runs / sizeof mode_runs[0])
        abort();
    int answer = mode_runs[o->mode](&ctx);
    stats->stopped_ns = rl_now_ns();
    stats->frames = ctx.frames;

    /* The old handler first, then the last look: a Ctrl-C from now on is
     * the caller's, one before it was ours. */
    check_sys(sigaction(SIGINT, &old, NULL), "sigaction");
    check_err(pthread_sigmask(SIG_SETMASK, &old_mask, NULL), "pthread_sigmask");
    bool interrupted = spinner_interrupted(&ctx);

    if (answer == -2)
        return 1;
    if (answer < 0 || interrupted)
        return 130;
    fprintf(out, "Answer: %d\n", answer);
    return 0;
}

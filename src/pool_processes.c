/*
 * pool_processes.c - lab 4's processes mode: W forked workers, each with
 * two pipes of its own, one for jobs in and one for results out.
 *
 * Why pipes, one pair per worker (and not one shared queue in shared
 * memory): the parent always knows which number each worker holds, so when
 * a worker dies - a crash, the OOM killer, kill -9 - the parent sees its
 * result pipe close, reaps it with waitpid, and names the number that died
 * with it. A queue in shared memory would need a process-shared mutex that
 * survives its holder being killed (PTHREAD_MUTEX_ROBUST) and still could
 * not say which number was lost. docs/pool.md compares the two.
 *
 * The parent's loop, one state per worker:
 *   busy     holds one number (sent on its job pipe, result not yet back);
 *   stopping sent its pill (or its job pipe is gone), waits for it to exit;
 *   gone     result pipe closed, reaped.
 * Every message is smaller than PIPE_BUF, so each write lands whole: a
 * reader sees a whole message or none, even if the writer is killed.
 *
 * Signals: SIGINT and SIGTERM are blocked except inside ppoll, so they can
 * only arrive while the parent waits; then it stops every worker, reaps
 * them all and returns "interrupted" (the program exits 130).
 */
#define _GNU_SOURCE /* ppoll */
#include "pool.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

struct job_msg {
    uint64_t n;
    uint32_t pill; /* 1: no number, stop */
    uint32_t pad;
};

struct result_msg {
    uint64_t n;
    double seconds;
    uint32_t prime;
    uint32_t pad;
};

_Static_assert(sizeof(struct result_msg) <= PIPE_BUF, "a message must be written whole");

struct worker {
    pid_t pid;      /* 0 once reaped */
    int to_child;   /* write end of its job pipe, -1 once closed */
    int from_child; /* read end of its result pipe, -1 once closed */
    long job;       /* index of the number it holds, or -1 */
};

static volatile sig_atomic_t interrupted; /* set by the handler */

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Reads exactly len bytes: returns len, 0 at end of file (nothing read),
 * or -1 on an error or a partial message. */
static ssize_t read_msg(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, (char *)buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 && got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static int write_msg(int fd, const void *buf, size_t len)
{
    size_t put = 0;
    while (put < len) {
        ssize_t w = write(fd, (const char *)buf + put, len - put);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        put += (size_t)w;
    }
    return 0;
}

/* The child: check numbers until the pill, or until the parent has gone
 * (end of file on the job pipe). Only _exit: the parent's stdio buffers
 * were copied into this process and must not be flushed twice. */
static _Noreturn void child_main(int in, int out)
{
    for (;;) {
        struct job_msg job;
        ssize_t r = read_msg(in, &job, sizeof job);
        if (r == 0 || (r > 0 && job.pill))
            _exit(0);
        if (r < 0)
            _exit(1);
        struct pool_result res = pool_check(job.n);
        struct result_msg msg = {.n = res.n, .seconds = res.seconds,
                                 .prime = res.prime};
        if (write_msg(out, &msg, sizeof msg) != 0)
            _exit(1);
    }
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Sends the worker its next number, or its pill when none is left. A write
 * that fails means the worker has died: its result pipe will say so. */
static void dispatch(const struct pool_config *cfg, struct worker *w, int index,
                     long *next)
{
    struct job_msg msg = {.pill = 1};
    if (*next < cfg->count) {
        w->job = (*next)++;
        msg = (struct job_msg){.n = cfg->numbers[w->job]};
        if (cfg->hooks && cfg->hooks->dispatch)
            cfg->hooks->dispatch(cfg->hooks->ctx, index, w->pid, msg.n);
    }
    if (w->to_child >= 0 && write_msg(w->to_child, &msg, sizeof msg) != 0)
        close_fd(&w->to_child);
    if (msg.pill)
        close_fd(&w->to_child); /* nothing more to say to it */
}

/* "exited with status 3", "was killed by signal 9 (Killed)". */
static void describe_status(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

static int reap(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            rl_die_errno("waitpid", errno);
    return status;
}

/* Whether the pool itself was told to stop: by now, or pending (blocked
 * outside ppoll). Ctrl-C queues SIGINT for the whole group at once, so it
 * is pending here before any worker it killed can have closed its pipe. */
static bool parent_signalled(void)
{
    sigset_t pending;
    if (interrupted)
        return true;
    if (sigpending(&pending) != 0)
        return false;
    return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1;
}

/* The worker's result pipe has closed: reap it; a number it held is lost. */
static long worker_gone(const struct pool_config *cfg, struct worker *w, int index)
{
    close_fd(&w->from_child);
    close_fd(&w->to_child);
    int status = reap(w->pid);
    w->pid = 0;
    if (w->job < 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (parent_signalled()) {
        /* Ctrl-C reaches the whole process group, workers first as often
         * as not: the pool is being stopped, not losing a worker. */
        long held = w->job >= 0;
        w->job = -1;
        return held;
    }
    char how[80];
    describe_status(status, how, sizeof how);
    if (w->job < 0) {
        fprintf(stderr, "primes: worker %d %s after its last number\n", index, how);
        return 0;
    }
    fprintf(stderr, "primes: worker %d %s while checking %" PRIu64 ": no result for it\n",
            index, how, cfg->numbers[w->job]);
    w->job = -1;
    return 1;
}

long pool_processes_run(const struct pool_config *cfg, bool *was_interrupted)
{
    int nw = cfg->workers;
    struct worker *ws = calloc((size_t)nw, sizeof *ws);
    struct pollfd *fds = calloc((size_t)nw, sizeof *fds);
    int *which = calloc((size_t)nw, sizeof *which);
    if (!ws || !fds || !which)
        rl_die_errno("calloc", ENOMEM);

    /* Block SIGINT and SIGTERM: they are let in only inside ppoll. */
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old_mask);
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    interrupted = 0;
    sigset_t wait_mask = old_mask;
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);

    fflush(NULL); /* the children must not inherit unwritten output */
    pid_t parent = getpid();
    for (int i = 0; i < nw; i++) {
        int job[2], res[2];
        if (pipe(job) != 0 || pipe(res) != 0)
            rl_die_errno("pipe", errno);
        pid_t pid = fork();
        if (pid < 0)
            rl_die_errno("fork", errno);
        if (pid == 0) {
            /* The child keeps only its own ends: a pipe end held by a
             * sibling would keep that sibling's pipe from closing. */
            for (int k = 0; k < i; k++) {
                close_fd(&ws[k].to_child);
                close_fd(&ws[k].from_child);
            }
            close(job[1]);
            close(res[0]);
            signal(SIGINT, SIG_DFL);
            signal(SIGTERM, SIG_DFL);
            sigprocmask(SIG_SETMASK, &old_mask, NULL);
            /* If the parent dies, so do we (and the job pipe closes too). */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent)
                _exit(1);
            child_main(job[0], res[1]);
        }
        close(job[0]);
        close(res[1]);
        ws[i] = (struct worker){.pid = pid, .to_child = job[1], .from_child = res[0],
                                .job = -1};
    }

    long next = 0, lost = 0;
    for (int i = 0; i < nw; i++)
        dispatch(cfg, &ws[i], i, &next);

    for (;;) {
        int n = 0;
        for (int i = 0; i < nw; i++)
            if (ws[i].from_child >= 0) {
                fds[n] = (struct pollfd){.fd = ws[i].from_child, .events = POLLIN};
                which[n++] = i;
            }
        if (n == 0)
            break;
        int r = ppoll(fds, (nfds_t)n, NULL, &wait_mask);
        if (r < 0 && errno != EINTR)
            rl_die_errno("ppoll", errno);
        if (interrupted)
            break;
        for (int k = 0; k < n && r > 0; k++) {
            if (fds[k].revents == 0)
                continue;
            struct worker *w = &ws[which[k]];
            struct result_msg msg;
            if (read_msg(w->from_child, &msg, sizeof msg) == (ssize_t)sizeof msg &&
                w->job >= 0 && msg.n == cfg->numbers[w->job]) {
                struct pool_result res = {.n = msg.n, .prime = msg.prime != 0,
                                          .seconds = msg.seconds};
                w->job = -1;
                cfg->report(cfg->ctx, &res);
                dispatch(cfg, w, which[k], &next);
            } else {
                lost += worker_gone(cfg, w, which[k]);
            }
        }
    }

    /* A signal that came after the last wait is still pending: it counts. */
    const struct timespec now = {0, 0};
    while (sigtimedwait(&block, NULL, &now) > 0)
        interrupted = 1;
    if (interrupted) {
        /* Stop everyone, then reap everyone: no zombie is left behind. */
        for (int i = 0; i < nw; i++)
            if (ws[i].pid > 0)
                kill(ws[i].pid, SIGTERM);
        for (int i = 0; i < nw; i++) {
            close_fd(&ws[i].to_child);
            close_fd(&ws[i].from_child);
            if (ws[i].pid > 0)
                reap(ws[i].pid);
            if (ws[i].job >= 0)
                lost++;
        }
        lost += cfg->count - next;
    } else if (next < cfg->count) {
        fprintf(stderr, "primes: no worker left: %ld numbers not checked\n",
                cfg->count - next);
        lost += cfg->count - next;
    }

    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    *was_interrupted = interrupted != 0;
    free(ws);
    free(fds);
    free(which);
    return lost;
}

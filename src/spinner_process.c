/*
 * spinner_process.c - lab 5's process mode: a forked child draws the
 * frames while the parent runs slow(); no threads.
 *
 * How the parent says "stop": it closes the write end of a pipe whose read
 * end the child polls, 0.1 s per frame. The child sees end-of-file, clears
 * the line and exits; the parent reaps it before printing the answer.
 *   - Why a pipe, not a process-shared Event (a mutex and condition
 *     variable in shared memory, like Python's multiprocessing.Event): if
 *     the parent dies - killed, crashed - the kernel closes its end of the
 *     pipe, and the child stops at once. A child waiting on a shared
 *     condition variable would wait for a set that never comes, and one
 *     that died holding the shared mutex would leave it locked for good.
 *   - Why not eventfd: it is a counter, not a stream with an end; the
 *     child holds its own reference to it, so the parent's death would
 *     not wake it. A pipe's end-of-file is the one signal that needs no
 *     sender.
 * The child ignores SIGINT: Ctrl-C reaches every process in the terminal's
 * group, and the parent alone decides - it stops the child the ordinary
 * way, reaps it, and exits 130.
 *
 * The frame count lives in a page shared with the child (MAP_SHARED), the
 * one thing the parent needs from it besides its exit.
 */
#define _GNU_SOURCE /* pipe2 */
#include "spinner.h"

#include "racelab.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

_Noreturn static void child(struct spinner_ctx *ctx, int stop_read, _Atomic long *frames)
{
    signal(SIGINT, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* blocked by the parent for the fork */
    close(ctx->stop_fd); /* the parent's Ctrl-C pipe is not ours to watch */
    for (;;) {
        spinner_draw(ctx);
        atomic_store_explicit(frames, ctx->frames, memory_order_relaxed); /* read after waitpid */
        struct pollfd p = {.fd = stop_read, .events = POLLIN};
        int r = poll(&p, 1, 100); /* a frame's time, or the end of the pipe */
        if (r > 0)
            break;
        if (r < 0 && errno != EINTR)
            break;
    }
    spinner_clear(ctx);
    /* _exit, not exit: the parent's atexit handlers and stdio buffers are
     * the parent's (ours were flushed by spinner_clear). */
    _exit(0);
}

int spinner_process_run(struct spinner_ctx *ctx)
{
    _Atomic long *frames = mmap(NULL, sizeof *frames, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (frames == MAP_FAILED)
        rl_die_errno("mmap", errno);
    atomic_init(frames, 0);
    int stop[2];
    if (pipe2(stop, O_CLOEXEC) != 0)
        rl_die_errno("pipe2", errno);
    fflush(ctx->out); /* or the child would write our buffered text again */
    /* SIGINT blocked across the fork: the child must not run the parent's
     * handler before it ignores SIGINT. A Ctrl-C meanwhile waits for the
     * parent's unblock. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t pid = fork();
    if (pid < 0)
        rl_die_errno("fork", errno);
    if (pid == 0) {
        close(stop[1]);
        child(ctx, stop[0], frames);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(stop[0]);

    int answer = spinner_slow(ctx);
    ctx->stats->slow_done_ns = rl_now_ns();
    close(stop[1]); /* stop */
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            rl_die_errno("waitpid", errno);
    ctx->frames = atomic_load_explicit(frames, memory_order_relaxed);
    munmap((void *)frames, sizeof *frames);
    if (WIFSIGNALED(status)) {
        spinner_clear(ctx); /* its last frame is still on the line */
        fprintf(stderr, "spinner: the spinner process was killed by signal %d (%s)\n",
                WTERMSIG(status), strsignal(WTERMSIG(status)));
        return -2;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "spinner: the spinner process exited with status %d\n",
                WEXITSTATUS(status));
        return -2;
    }
    return answer;
}

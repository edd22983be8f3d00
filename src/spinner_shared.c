/*
 * spinner_shared.c - what every mode of lab 5 draws and runs: the frames,
 * slow(), and the looks at Ctrl-C's pipe (spinner_interrupted,
 * spinner_nap). The modes use these and nothing of each other:
 * spinner_run.c (the run, and the thread, unsafe and flag modes),
 * spinner_process.c and spinner_loop.c all call down into this file, and
 * it calls none of them. The contract is in include/spinner.h.
 */
#include "spinner.h"

#include "pool.h"
#include "racelab.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* ---- frames ------------------------------------------------------------ */

void spinner_draw(struct spinner_ctx *ctx)
{
    char c = SPINNER_FRAMES[ctx->frames % 4];
    if (ctx->o->tty)
        fprintf(ctx->out, "\r%c %s", c, SPINNER_MESSAGE);
    else
        fprintf(ctx->out, "%c %s\n", c, SPINNER_MESSAGE);
    fflush(ctx->out);
    ctx->frames++;
}

/* On a terminal: back to the start, blanks over the frame, back again.
 * Two blanks more than the frame: after Ctrl-C the terminal has echoed
 * "^C" right after it. Otherwise each frame was a line of its own, and
 * there is nothing to clear. */
void spinner_clear(struct spinner_ctx *ctx)
{
    if (ctx->o->tty)
        fprintf(ctx->out, "\r%*s\r", (int)strlen("| " SPINNER_MESSAGE "^C"), "");
    fflush(ctx->out);
}

/* ---- Ctrl-C: looks at the run's stop pipe ------------------------------ */

bool spinner_interrupted(const struct spinner_ctx *ctx)
{
    struct pollfd p = {.fd = ctx->stop_fd, .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

bool spinner_nap(struct spinner_ctx *ctx, long ms)
{
    int64_t deadline = rl_now_ns() + ms * 1000000;
    for (;;) {
        int64_t left = deadline - rl_now_ns();
        if (left <= 0)
            return true;
        struct pollfd p = {.fd = ctx->stop_fd, .events = POLLIN};
        /* Round up: a poll that wakes a hair early would just poll again. */
        int r = poll(&p, 1, (int)((left + 999999) / 1000000));
        if (r > 0)
            return false;
        if (r < 0 && errno != EINTR)
            rl_die_errno("poll", errno);
    }
}

/* ---- slow() ------------------------------------------------------------ */

int spinner_slow(struct spinner_ctx *ctx)
{
    const struct spinner_options *o = ctx->o;
    if (!o->cpu)
        return spinner_nap(ctx, o->slow_ms) ? SPINNER_ANSWER : -1;
    /* CPU-bound: no call here gives up the CPU. Checked again and again
     * until slow_ms have passed; a check takes a sixth of a second, so
     * Ctrl-C is seen within one. */
    uint64_t n = o->cpu_prime ? o->cpu_prime : SPINNER_CPU_PRIME;
    int64_t deadline = rl_now_ns() + o->slow_ms * 1000000;
    do {
        if (!pool_is_prime(n)) {
            fprintf(stderr, "spinner: %llu is not prime?\n", (unsigned long long)n);
            abort();
        }
        if (spinner_interrupted(ctx))
            return -1;
    } while (rl_now_ns() < deadline);
    return SPINNER_ANSWER;
}

/*
 * spinner_loop.c - lab 5's loop mode, the asyncio analogue: one thread, an
 * event loop on poll(), and two cooperative tasks - the spinner and the
 * supervisor that runs slow() and then cancels the spinner.
 *
 * C has no coroutines, so a task is a step function and a resume point:
 * each turn the loop gives it runs one step, which returns after asking
 * for what it waits for (a timer, here). That return is the `await`: the
 * only place where another task may run. Nothing preempts a step.
 *
 * Task states:   READY --(step asks for a timer)--> SLEEPING
 *                SLEEPING --(time comes, or cancel)--> READY
 *                READY --(step finishes)--> DONE
 * Cancelling a task marks it and makes it READY: its next step sees the
 * mark and finishes (the spinner clears its line), as asyncio throws
 * CancelledError into the await. A task cancelled before its first step
 * finishes at that step without doing anything - as a cancelled asyncio
 * task never starts its coroutine.
 *
 * The loop: run every READY task once, in the order they were created
 * (a task created during a pass first runs in the next, as asyncio's
 * create_task schedules); then poll() until the earliest timer, or until
 * Ctrl-C makes the run's stop pipe readable, which cancels every task.
 *
 * A step that blocks - slow() sleeping with --blocking, or checking a
 * prime with --cpu - blocks the whole loop: no other task runs and no
 * frame is drawn until it returns. That is the seeds' experiment.
 */
#include "spinner.h"

#include "racelab.h"

#include <errno.h>
#include <poll.h>

enum task_state { TASK_READY, TASK_SLEEPING, TASK_DONE };

struct loop;

struct task {
    void (*step)(struct task *t, struct loop *l);
    enum task_state state;
    int64_t wake_ns;        /* SLEEPING: when to run again */
    bool cancelled;
    int resume;             /* where the next step starts: 0 is the beginning */
};

enum { MAX_TASKS = 4 };

struct loop {
    struct spinner_ctx *ctx;
    struct task *tasks[MAX_TASKS];
    int ntasks;
    int answer;             /* the supervisor's result */
    struct task spinner, supervisor;
};

/* The analogue of `await asyncio.sleep(ms / 1000)`: the caller returns
 * right after. */
static void sleep_for(struct task *t, long ms)
{
    t->state = TASK_SLEEPING;
    t->wake_ns = rl_now_ns() + ms * 1000000;
}

static void finish(struct task *t)
{
    t->state = TASK_DONE;
}

static void cancel(struct task *t)
{
    if (t->state == TASK_DONE)
        return;
    t->cancelled = true;
    t->state = TASK_READY;
}

static void create_task(struct loop *l, struct task *t, void (*step)(struct task *, struct loop *))
{
    *t = (struct task){.step = step, .state = TASK_READY};
    l->tasks[l->ntasks++] = t;
}

/* spin(): a frame, then a tenth of a second's sleep, until cancelled. */
static void spin_step(struct task *t, struct loop *l)
{
    if (t->cancelled) {
        if (t->resume) /* it drew something: clear it */
            spinner_clear(l->ctx);
        finish(t);
        return;
    }
    t->resume = 1;
    spinner_draw(l->ctx);
    sleep_for(t, 100);
}

/* supervisor(): start the spinner, await slow(), cancel the spinner. */
static void supervisor_step(struct task *t, struct loop *l)
{
    struct spinner_ctx *ctx = l->ctx;
    if (t->cancelled) { /* Ctrl-C */
        l->answer = -1;
        cancel(&l->spinner);
        finish(t);
        return;
    }
    switch (t->resume) {
    case 0:
        create_task(l, &l->spinner, spin_step);
        if (ctx->o->blocking || ctx->o->cpu) {
            /* slow() that does not yield: the loop stops here. */
            l->answer = spinner_slow(ctx);
            break;
        }
        t->resume = 1;
        sleep_for(t, ctx->o->slow_ms); /* await: the spinner runs meanwhile */
        return;
    case 1:
        l->answer = SPINNER_ANSWER;
        break;
    }
    ctx->stats->slow_done_ns = rl_now_ns();
    cancel(&l->spinner);
    finish(t);
}

int spinner_loop_run(struct spinner_ctx *ctx)
{
    struct loop l = {.ctx = ctx, .answer = -1};
    create_task(&l, &l.supervisor, supervisor_step);
    bool stopping = false;
    for (;;) {
        /* One pass: each task that is READY now runs one step. */
        int n = l.ntasks;
        for (int i = 0; i < n; i++)
            if (l.tasks[i]->state == TASK_READY)
                l.tasks[i]->step(l.tasks[i], &l);

        bool ready = false, alive = false;
        int64_t next = INT64_MAX;
        for (int i = 0; i < l.ntasks; i++) {
            struct task *t = l.tasks[i];
            alive |= t->state != TASK_DONE;
            ready |= t->state == TASK_READY;
            if (t->state == TASK_SLEEPING && t->wake_ns < next)
                next = t->wake_ns;
        }
        if (!alive)
            break;

        /* Wait for the earliest timer, or Ctrl-C. */
        int timeout_ms = 0;
        if (!ready) {
            int64_t left = next - rl_now_ns();
            timeout_ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        }
        struct pollfd p = {.fd = ctx->stop_fd, .events = POLLIN};
        int r = poll(&p, 1, timeout_ms);
        if (r < 0 && errno != EINTR)
            rl_die_errno("poll", errno);
        if (r > 0 && !stopping) {
            stopping = true;
            for (int i = 0; i < l.ntasks; i++)
                cancel(l.tasks[i]);
        }
        int64_t now = rl_now_ns();
        for (int i = 0; i < l.ntasks; i++)
            if (l.tasks[i]->state == TASK_SLEEPING && l.tasks[i]->wake_ns <= now)
                l.tasks[i]->state = TASK_READY;
    }
    return l.answer;
}

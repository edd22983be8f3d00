/*
 * pool.c - lab 4: the three pieces of the worker pool that decide whether
 * every number gets exactly one answer: when the collector stops, how the
 * workers stop (poison pills), and how a future waits. The contract of
 * every function is in include/pool.h; the machinery around them (starting
 * and joining threads, the executor, the processes mode) is in src/pool_*.c.
 *
 * labs/pool.c is the exercise (grade it: make check LAB=pool),
 * solutions/pool.c the reference fix; `make diff LAB=pool` shows the
 * difference. The queues are lab 3's locked queue from the same directory
 * (labs/queue.c or solutions/queue.c).
 */
#include "pool.h"
#include "queue.h"
#include "racelab.h"

/* ---- pills: the workers' loop and their shutdown ----------------------- */

void pool_work(struct pool_threads *p)
{
    for (;;) {
        void *item;
        if (queue_get(p->jobs, &item) != QUEUE_OK)
            return; /* closed: no more jobs will come */
        struct pool_job *job = item;
        /* The pill is checked before anything else: it is not a job, and
         * the worker that takes it takes nothing after it, so every other
         * worker still finds its own pill. */
        if (job == POOL_PILL)
            return;
        job->result = p->check(job->n);
        if (queue_put(p->results, job) != QUEUE_OK)
            return;
    }
}

void pool_stop(struct pool_threads *p)
{
    /* One pill per worker, behind every number: a queue is FIFO, so each
     * worker reaches a pill only when no number is left for it, and each
     * pill stops exactly one worker. */
    for (int i = 0; i < p->workers; i++)
        if (queue_put(p->jobs, POOL_PILL) != QUEUE_OK)
            return; /* closed: the workers stop at QUEUE_CLOSED anyway */
}

/* ---- collector: when to stop ------------------------------------------- */

long pool_collect(struct pool_threads *p)
{
    /* Count the results. The number of results to come is the number of
     * jobs sent, and nothing else: an empty job queue only says every
     * number was taken, not that it was answered. */
    long reported = 0;
    while (reported < p->count) {
        void *item;
        if (queue_get(p->results, &item) != QUEUE_OK)
            break; /* closed: nothing more can come */
        struct pool_job *job = item;
        p->report(p->ctx, &job->result);
        reported++;
    }
    return reported;
}

/* ---- future: set once, wait in a loop ---------------------------------- */

void future_set(struct future *f, void *result)
{
    rl_mutex_lock(&f->lock);
    f->result = result; /* before done: a getter that sees done reads it */
    f->done = true;
    /* Broadcast: every thread waiting for this future must wake, not one. */
    rl_cond_broadcast(&f->done_cond);
    rl_mutex_unlock(&f->lock);
}

void *future_get(struct future *f)
{
    rl_mutex_lock(&f->lock);
    /* A while, not an if: a wait can end without a broadcast (a spurious
     * wake-up), and then done is still false. */
    while (!f->done)
        rl_cond_wait(&f->done_cond, &f->lock);
    void *result = f->result;
    rl_mutex_unlock(&f->lock);
    return result;
}

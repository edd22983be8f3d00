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
        if (job == POOL_PILL)
            return;
        job->result = p->check(job->n);
        if (queue_put(p->results, job) != QUEUE_OK)
            return;
    }
}

/* TODO(lab 4) pills: stop every worker. One pill stops one worker (see
 * pool_work): with more than one worker, the others wait for a job for
 * ever (the program says it is stuck after 5 seconds). */
void pool_stop(struct pool_threads *p)
{
    queue_put(p->jobs, POOL_PILL);
}

/* ---- collector: when to stop ------------------------------------------- */

/* TODO(lab 4) collector: stop once every result is in, not before. This is
 * the stop condition of an early release of the book's example; run
 * `primes -m threads --fuzz` to see what it loses, and read why in
 * docs/pool.md. */
long pool_collect(struct pool_threads *p)
{
    long reported = 0;
    for (;;) {
        void *item;
        if (queue_get(p->results, &item) != QUEUE_OK)
            break;
        struct pool_job *job = item;
        p->report(p->ctx, &job->result);
        reported++;
        if (queue_length(p->jobs) == 0)
            break;
    }
    return reported;
}

/* ---- future: set once, wait in a loop ---------------------------------- */

/* TODO(lab 4) future: wake every thread waiting for f, not just one. */
void future_set(struct future *f, void *result)
{
    rl_mutex_lock(&f->lock);
    f->result = result;
    f->done = true;
    rl_cond_signal(&f->done_cond);
    rl_mutex_unlock(&f->lock);
}

/* TODO(lab 4) future: return only once f is done. */
void *future_get(struct future *f)
{
    rl_mutex_lock(&f->lock);
    if (!f->done)
        rl_cond_wait(&f->done_cond, &f->lock);
    void *result = f->result;
    rl_mutex_unlock(&f->lock);
    return result;
}

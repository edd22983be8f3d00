/*
 * pool_unsafe.c - lab 4's specimen: the collector from the book's process
 * pool, with its stop condition taken at face value.
 *
 * It stops collecting as soon as the job queue looks empty. But an empty
 * job queue means only that every number has been *taken*: the workers
 * may still be checking the last ones, and their results arrive after the
 * collector has left. Those results are lost: never printed, never
 * counted. (This is the stop condition of an early release of the book's
 * example, the one in the seeds; a reader made it lose results, and the
 * published version counts answers instead - one per number, plus one
 * per pill. Counting is the fix: docs/pool.md.)
 *
 * No data race here - every access goes through the queue's lock - so
 * ThreadSanitizer has nothing to say: this is a race condition, a wrong
 * decision taken on a stale fact. Kept broken on purpose.
 *
 * Its workers and their pills are right, and written here too, so the
 * specimen shows the collector's bug whatever state labs/pool.c is in.
 */
#include "pool.h"

void pool_unsafe_work(struct pool_threads *p)
{
    void *item;
    while (queue_get(p->jobs, &item) == QUEUE_OK && item != POOL_PILL) {
        struct pool_job *job = item;
        job->result = p->check(job->n);
        if (queue_put(p->results, job) != QUEUE_OK)
            return;
    }
}

void pool_unsafe_stop(struct pool_threads *p)
{
    for (int i = 0; i < p->workers; i++)
        queue_put(p->jobs, POOL_PILL);
}

long pool_unsafe_collect(struct pool_threads *p)
{
    long reported = 0;
    for (;;) {
        void *item;
        if (queue_get(p->results, &item) != QUEUE_OK)
            break;
        struct pool_job *job = item;
        p->report(p->ctx, &job->result);
        reported++;
        /* The bug: "no job waiting" is read as "no result coming". */
        if (queue_length(p->jobs) == 0)
            break;
    }
    return reported;
}

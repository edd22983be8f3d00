/*
 * pool_unsafe.c - lab 4's specimen: the collector from the book's process
 * pool, with its stop condition taken at face value.
 *
 * It stops collecting as soon as the job queue looks empty. But an empty
 * job queue means only that every number has been *taken*: the workers
 * may still be checking the last ones, and their results arrive after the
 * collector has left. Those results are lost: never printed, never
 * counted. (The book gets away with it by putting the poison pills into
 * the job queue before collecting, so the queue empties only after every
 * worker has finished - and then it can stop one result too late and wait
 * for ever. Counting results is the fix: docs/pool.md.)
 *
 * No data race here - every access goes through the queue's lock - so
 * ThreadSanitizer has nothing to say: this is a race condition, a wrong
 * decision taken on a stale fact. Kept broken on purpose.
 */
#include "pool.h"

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

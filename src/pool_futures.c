/*
 * pool_futures.c - lab 4's executor, in the manner of Python's
 * concurrent.futures.ThreadPoolExecutor: submit a call, get a future.
 *
 * Worker threads take futures from one job queue (lab 3's locked queue, so
 * your queue runs it), run each call and complete its future with
 * future_set; callers wait in future_get. Those two are the exercise
 * (labs/pool.c); this file is the machinery around them. Shutdown closes
 * the job queue: the workers drain what was submitted, then stop.
 */
#include "pool.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Submissions beyond this many queued calls wait for a worker. */
enum { FUTURES_QUEUE_CAPACITY = 1024 };

struct futures {
    struct queue *jobs; /* struct future *; closed by futures_shutdown */
    int workers;
    pthread_t threads[RL_MAX_THREADS];
};

void future_init(struct future *f, void *(*fn)(void *arg), void *arg)
{
    memset(f, 0, sizeof *f);
    f->fn = fn;
    f->arg = arg;
    atomic_init(&f->refs, 1);
    rl_mutex_init(&f->lock);
    rl_cond_init(&f->done_cond);
}

void future_destroy(struct future *f)
{
    rl_cond_destroy(&f->done_cond);
    rl_mutex_destroy(&f->lock);
}

static void *futures_worker(void *arg)
{
    struct futures *ex = arg;
    void *item;
    while (queue_get(ex->jobs, &item) == QUEUE_OK) {
        struct future *f = item;
        future_set(f, f->fn(f->arg));
        future_free(f); /* the worker's hold */
    }
    return NULL; /* closed and drained */
}

struct futures *futures_create(int workers)
{
    if (workers < 1 || workers > RL_MAX_THREADS)
        rl_die_errno("futures_create: workers out of range", EINVAL);
    struct futures *ex = calloc(1, sizeof *ex);
    if (!ex)
        rl_die_errno("calloc", ENOMEM);
    ex->jobs = queue_create(queue_find("locked"), FUTURES_QUEUE_CAPACITY);
    if (!ex->jobs)
        rl_die_errno("queue_create", errno);
    ex->workers = workers;
    for (int i = 0; i < workers; i++)
        rl_thread_create(&ex->threads[i], futures_worker, ex);
    return ex;
}

struct future *futures_submit(struct futures *ex, void *(*fn)(void *arg), void *arg)
{
    struct future *f = malloc(sizeof *f);
    if (!f)
        rl_die_errno("malloc", ENOMEM);
    future_init(f, fn, arg);
    atomic_store_explicit(&f->refs, 2, memory_order_relaxed); /* caller, worker */
    if (queue_put(ex->jobs, f) != QUEUE_OK) { /* closed: no worker will run it */
        future_destroy(f);
        free(f);
        return NULL;
    }
    return f;
}

/* Drops one hold; the last one frees. A broken future_get may return
 * before the call has run: the worker's hold keeps f alive until then. */
void future_free(struct future *f)
{
    if (!f)
        return;
    /* acq_rel: the last holder sees every write the other made to f. */
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1) {
        future_destroy(f);
        free(f);
    }
}

void futures_map(struct futures *ex, void *(*fn)(void *arg), void *const args[],
                 void *results[], long n)
{
    struct future **fs = malloc((size_t)(n > 0 ? n : 1) * sizeof *fs);
    if (!fs)
        rl_die_errno("malloc", ENOMEM);
    for (long i = 0; i < n; i++)
        fs[i] = futures_submit(ex, fn, args[i]);
    /* In input order: wait for the first, then the second... A later call
     * that finished early just waits in its future. */
    for (long i = 0; i < n; i++) {
        results[i] = fs[i] ? future_get(fs[i]) : NULL;
        future_free(fs[i]);
    }
    free(fs);
}

void futures_shutdown(struct futures *ex)
{
    queue_close(ex->jobs);
    for (int i = 0; i < ex->workers; i++)
        rl_thread_join(ex->threads[i], NULL);
    queue_destroy(ex->jobs);
    free(ex);
}

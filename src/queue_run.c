/*
 * queue_run.c - lab 3's driver: the table of strategies behind the
 * queue_* functions, and the producer/consumer run that checks every item.
 * The program (queue_main.c), the tests and the benchmark all go through
 * queue_run(), so they measure the same thing.
 *
 * How a run checks a queue: producer p puts items numbered
 * p * items + 0, 1, 2, ... (as pointers, plus one so no item is NULL).
 * Consumers count every number they get in seen[] (one counter per item:
 * 0 = lost, 2 or more = duplicated; a number never sent is garbage) and
 * remember, per producer, the last index they got from it: getting a
 * smaller one means the queue reordered that producer's items.
 */
#include "queue.h"
#include "racelab.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the strategy table ------------------------------------------------ */

struct queue {
    const struct queue_strategy *strategy;
    void *impl; /* a struct queue_locked *, ... */
};

/* One adapter per operation, so the table can hold every strategy. */
#define STRATEGY(S)                                                           \
    static void *S##_create(long c) { return queue_##S##_create(c); }         \
    static void S##_destroy(void *q) { queue_##S##_destroy(q); }              \
    static enum queue_status S##_put(void *q, void *i) { return queue_##S##_put(q, i); } \
    static enum queue_status S##_get(void *q, void **i) { return queue_##S##_get(q, i); } \
    static enum queue_status S##_try_put(void *q, void *i) { return queue_##S##_try_put(q, i); } \
    static enum queue_status S##_try_get(void *q, void **i) { return queue_##S##_try_get(q, i); } \
    static enum queue_status S##_get_timeout(void *q, void **i, double s)     \
    {                                                                         \
        return queue_##S##_get_timeout(q, i, s);                              \
    }                                                                         \
    static void S##_close(void *q) { queue_##S##_close(q); }                  \
    static long S##_length(void *q) { return queue_##S##_length(q); }         \
    static const struct queue_strategy S##_strategy = {                       \
        #S, S##_create, S##_destroy, S##_put, S##_get, S##_try_put,           \
        S##_try_get, S##_get_timeout, S##_close, S##_length,                  \
    };

STRATEGY(unsafe)
STRATEGY(locked)
STRATEGY(lockfree)

const struct queue_strategy *const queue_strategies[] = {
    &unsafe_strategy, &locked_strategy, &lockfree_strategy, NULL,
};

const struct queue_strategy *queue_find(const char *name)
{
    for (const struct queue_strategy *const *s = queue_strategies; *s; s++)
        if (strcmp((*s)->name, name) == 0)
            return *s;
    return NULL;
}

const char *queue_strategy_name(const struct queue_strategy *s)
{
    return s->name;
}

const char *queue_status_name(enum queue_status s)
{
    static const char *const names[] = {"ok", "closed", "full", "empty", "timeout"};
    static _Thread_local char other[32];
    if ((unsigned)s < sizeof names / sizeof names[0])
        return names[s];
    snprintf(other, sizeof other, "unknown status %d", (int)s);
    return other;
}

struct queue *queue_create(const struct queue_strategy *s, long capacity)
{
    struct queue *q = malloc(sizeof *q);
    if (!q) {
        errno = ENOMEM;
        return NULL;
    }
    q->strategy = s;
    q->impl = s->create(capacity);
    if (!q->impl) {
        int err = errno;
        free(q);
        errno = err;
        return NULL;
    }
    return q;
}

void queue_destroy(struct queue *q)
{
    if (q) {
        q->strategy->destroy(q->impl);
        free(q);
    }
}

enum queue_status queue_put(struct queue *q, void *item) { return q->strategy->put(q->impl, item); }
enum queue_status queue_get(struct queue *q, void **item) { return q->strategy->get(q->impl, item); }
enum queue_status queue_try_put(struct queue *q, void *item) { return q->strategy->try_put(q->impl, item); }
enum queue_status queue_try_get(struct queue *q, void **item) { return q->strategy->try_get(q->impl, item); }
enum queue_status queue_get_timeout(struct queue *q, void **item, double seconds)
{
    return q->strategy->get_timeout(q->impl, item, seconds);
}
void queue_close(struct queue *q) { q->strategy->close(q->impl); }
long queue_length(struct queue *q) { return q->strategy->length(q->impl); }

/* ---- the checked producer/consumer run --------------------------------- */

static char pill_marker; /* its address is the poison pill */
#define PILL ((void *)&pill_marker)

struct run {
    struct queue *q;
    const struct queue_config *cfg;
    long total;                 /* producers * items */
    _Atomic long *progress;     /* may be NULL */
    atomic_uint *seen;          /* [total]: receptions of each item */
    long sent_by[QUEUE_MAX_SIDE];  /* each written by its producer only */
    atomic_long received, garbage, out_of_order, bad_length, bad_status;
    atomic_int producers_left, consumers_left;
    pthread_mutex_t error_lock;
    char first_error[160];      /* guarded by error_lock */
};

static void *item_of(long id) { return (void *)(uintptr_t)(id + 1); }

/* Counts one broken call in *counter (bad_status or bad_length) and keeps
 * the first message of the run. */
static void broke_contract(struct run *run, atomic_long *counter, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void broke_contract(struct run *run, atomic_long *counter, const char *fmt, ...)
{
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
    rl_mutex_lock(&run->error_lock);
    if (run->first_error[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(run->first_error, sizeof run->first_error, fmt, ap);
        va_end(ap);
    }
    rl_mutex_unlock(&run->error_lock);
}

static void moved(struct run *run)
{
    if (run->progress)
        atomic_fetch_add_explicit(run->progress, 1, memory_order_relaxed);
}

static void producer(struct run *run, int p)
{
    const struct queue_config *cfg = run->cfg;
    long i;
    for (i = 0; i < cfg->items; i++) {
        if (cfg->close_midway && p == 0 && i == cfg->items / 3)
            queue_close(run->q);
        enum queue_status s = queue_put(run->q, item_of(p * cfg->items + i));
        if (s == QUEUE_CLOSED && cfg->close_midway)
            break; /* closed under our feet, as planned */
        if (s != QUEUE_OK) {
            broke_contract(run, &run->bad_status, "put returned '%s' on an open queue (producer %d, item %ld)",
                           queue_status_name(s), p, i);
            break;
        }
        moved(run);
    }
    run->sent_by[p] = i;

    /* acq_rel: the last producer out sees every other producer's puts as
     * done (their decrements released them) before it shuts down. */
    if (atomic_fetch_sub_explicit(&run->producers_left, 1, memory_order_acq_rel) != 1)
        return;
    if (!cfg->pills) {
        queue_close(run->q);
        return;
    }
    for (int c = 0; c < cfg->consumers; c++) {
        enum queue_status s = queue_put(run->q, PILL);
        if (s != QUEUE_OK) {
            broke_contract(run, &run->bad_status, "put of a poison pill returned '%s' on an open queue",
                           queue_status_name(s));
            break;
        }
    }
}

static void consumer(struct run *run)
{
    const struct queue_config *cfg = run->cfg;
    long last[QUEUE_MAX_SIDE];
    for (int p = 0; p < cfg->producers; p++)
        last[p] = -1;
    long got = 0; /* bare: this consumer's count */

    for (;;) {
        void *item = NULL;
        enum queue_status s = queue_get(run->q, &item);
        if (s == QUEUE_CLOSED && !cfg->pills)
            break; /* drained and closed: the normal end */
        if (s != QUEUE_OK) {
            broke_contract(run, &run->bad_status, "get returned '%s'%s", queue_status_name(s),
                           cfg->pills ? " but the queue was never closed"
                                      : " on an open queue");
            break;
        }
        if (item == PILL && cfg->pills)
            break;
        if (cfg->bare) {
            got++;
            continue;
        }
        atomic_fetch_add_explicit(&run->received, 1, memory_order_relaxed);
        moved(run);
        uintptr_t v = (uintptr_t)item;
        if (v == 0 || v > (uintptr_t)run->total) { /* never sent */
            atomic_fetch_add_explicit(&run->garbage, 1, memory_order_relaxed);
            continue;
        }
        long id = (long)v - 1;
        atomic_fetch_add_explicit(&run->seen[id], 1, memory_order_relaxed);
        int p = (int)(id / cfg->items);
        long i = id % cfg->items;
        if (i < last[p])
            atomic_fetch_add_explicit(&run->out_of_order, 1, memory_order_relaxed);
        last[p] = i;
    }
    if (cfg->bare)
        atomic_fetch_add_explicit(&run->received, got, memory_order_relaxed);
    atomic_fetch_sub_explicit(&run->consumers_left, 1, memory_order_release);
}

/* Calls length() all through the run: under TSan, an unlocked read of the
 * queue's count shows up as a data race here. */
static void length_watcher(struct run *run)
{
    const struct timespec pause = {0, 20000};
    /* acquire: pairs with the consumers' release decrements; only a stop
     * signal, no data depends on it. */
    while (atomic_load_explicit(&run->consumers_left, memory_order_acquire) > 0) {
        long n = queue_length(run->q);
        if (n < 0 || n > run->cfg->capacity) {
            broke_contract(run, &run->bad_length, "length() returned %ld, outside 0 .. %ld", n,
                           run->cfg->capacity);
        }
        nanosleep(&pause, NULL);
    }
}

static void run_worker(int index, void *arg)
{
    struct run *run = arg;
    int p = run->cfg->producers, c = run->cfg->consumers;
    if (index < p)
        producer(run, index);
    else if (index < p + c)
        consumer(run);
    else
        length_watcher(run);
}

bool queue_result_ok(const struct queue_result *r)
{
    return r->lost == 0 && r->duplicated == 0 && r->out_of_order == 0 &&
           r->bad_length == 0 && r->bad_status == 0;
}

struct queue_result queue_run(const struct queue_strategy *s,
                              const struct queue_config *cfg,
                              _Atomic long *progress)
{
    struct queue_result r = {0};
    if (cfg->producers < 1 || cfg->producers > QUEUE_MAX_SIDE ||
        cfg->consumers < 1 || cfg->consumers > QUEUE_MAX_SIDE || cfg->items < 1 ||
        (!s->close && (!cfg->pills || cfg->close_midway)) || (!s->length && cfg->watch_length))
        rl_die_errno("queue_run: configuration", EINVAL);

    struct run *run = calloc(1, sizeof *run);
    if (!run)
        rl_die_errno("queue_run: calloc", ENOMEM);
    run->cfg = cfg;
    run->total = cfg->producers * cfg->items;
    run->progress = progress;
    run->seen = calloc((size_t)run->total, sizeof *run->seen);
    if (!run->seen)
        rl_die_errno("queue_run: calloc", ENOMEM);
    rl_mutex_init(&run->error_lock);
    atomic_init(&run->producers_left, cfg->producers);
    atomic_init(&run->consumers_left, cfg->consumers);

    run->q = queue_create(s, cfg->capacity);
    if (!run->q) {
        r.bad_status = 1;
        snprintf(r.first_error, sizeof r.first_error, "create(%ld) failed: %s",
                 cfg->capacity, strerror(errno));
    } else {
        int threads = cfg->producers + cfg->consumers + (cfg->watch_length ? 1 : 0);
        r.seconds = rl_run_workers(threads, run_worker, run);
        queue_destroy(run->q);

        /* Every worker is joined: plain reads are safe from here on. */
        for (int p = 0; p < cfg->producers; p++) {
            r.sent += run->sent_by[p];
            if (cfg->bare)
                continue; /* counted, not checked item by item */
            for (long i = 0; i < run->sent_by[p]; i++)
                if (atomic_load_explicit(&run->seen[p * cfg->items + i],
                                         memory_order_relaxed) == 0)
                    r.lost++;
        }
        for (long id = 0; id < run->total; id++) {
            unsigned n = atomic_load_explicit(&run->seen[id], memory_order_relaxed);
            if (n > 1)
                r.duplicated += n - 1;
        }
        r.received = atomic_load_explicit(&run->received, memory_order_relaxed);
        if (cfg->bare && r.received < r.sent)
            r.lost = r.sent - r.received;
        if (cfg->bare && r.received > r.sent)
            r.duplicated = r.received - r.sent;
        r.duplicated += atomic_load_explicit(&run->garbage, memory_order_relaxed);
        r.out_of_order = atomic_load_explicit(&run->out_of_order, memory_order_relaxed);
        r.bad_length = atomic_load_explicit(&run->bad_length, memory_order_relaxed);
        r.bad_status = atomic_load_explicit(&run->bad_status, memory_order_relaxed);
        memcpy(r.first_error, run->first_error, sizeof r.first_error);
    }
    rl_mutex_destroy(&run->error_lock);
    free(run->seen);
    free(run);
    return r;
}

/*
 * prints.c - lab 2: three ways to keep every record whole and every count
 * once, each fixing the specimen in src/prints_unsafe.c. The contract of
 * every function is in include/prints.h.
 *
 * labs/prints.c is the exercise (grade it: make check LAB=prints),
 * solutions/prints.c the reference fix; `make diff LAB=prints` shows the
 * difference. The printer strategy runs on lab 3's locked queue from the
 * same directory (labs/queue.c or solutions/queue.c). Keep the rl_fuzz()
 * marks: they make a broken record show on every run.
 */
#include "prints.h"
#include "queue.h"
#include "racelab.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

/* ---- mutex ------------------------------------------------------------- */

static pthread_mutex_t mutex_lock = PTHREAD_MUTEX_INITIALIZER;
static long mutex_count; /* guarded by mutex_lock */
static FILE *mutex_out;  /* set by start, read-only while workers run */

void prints_mutex_start(FILE *out, int nworkers)
{
    (void)nworkers;
    mutex_count = 0;
    mutex_out = out;
}

void prints_mutex_record(int worker)
{
    (void)worker;
    /* The critical section is the whole record: the bump, so no count is
     * printed twice, and both lines, so no other record gets between
     * them. Holding one lock across all three also makes the counts come
     * out in order: the record with count n is finished before anyone can
     * take count n + 1. */
    rl_mutex_lock(&mutex_lock);
    long n = mutex_count + 1;
    rl_fuzz("prints: between reading the count and writing it");
    mutex_count = n;
    fprintf(mutex_out, PRINTS_LINE, n);
    rl_fuzz("prints: between the two lines of a record");
    fputs(PRINTS_SEPARATOR, mutex_out);
    rl_mutex_unlock(&mutex_lock);
}

int prints_mutex_finish(void)
{
    return 0;
}

/* ---- stdio ------------------------------------------------------------- */

static long stdio_count; /* guarded by stdio_out's lock (flockfile) */
static FILE *stdio_out;  /* set by start, read-only while workers run */

void prints_stdio_start(FILE *out, int nworkers)
{
    (void)nworkers;
    stdio_count = 0;
    stdio_out = out;
}

void prints_stdio_record(int worker)
{
    (void)worker;
    /* Every stdio call takes the FILE's lock for itself, which is why each
     * line comes out whole. flockfile takes that same lock for longer:
     * the calls inside re-enter it (it is recursive) and no other thread's
     * call can run between them. The count sits inside too: the lock
     * guards it like any mutex would, and it is what keeps the counts in
     * order. Outside, the lines would stay whole but counts would repeat. */
    flockfile(stdio_out);
    long n = stdio_count + 1;
    rl_fuzz("prints: between reading the count and writing it");
    stdio_count = n;
    fprintf(stdio_out, PRINTS_LINE, n);
    rl_fuzz("prints: between the two lines of a record");
    fputs(PRINTS_SEPARATOR, stdio_out);
    funlockfile(stdio_out);
}

int prints_stdio_finish(void)
{
    return 0;
}

/* ---- printer ----------------------------------------------------------- */

/*
 * One thread, the printer, is the only one that touches the output and the
 * count. Workers do not print: each puts a request (its worker number) on
 * the queue and goes on. With a single owner there is nothing to lock: the
 * queue is the only shared object, and it is thread-safe.
 *
 * Shutdown: finish closes the queue once every worker is joined; the
 * printer drains what is left (a closed queue still hands out its items)
 * and stops at QUEUE_CLOSED; finish joins it. Nothing is lost.
 */
enum { PRINTER_QUEUE_CAPACITY = 64 };

static struct queue *printer_queue; /* set by start; thread-safe itself */
static FILE *printer_out;           /* used by the printer thread only */
static long printer_count;          /* used by the printer thread only */
static pthread_t printer_thread;
static atomic_long printer_lost; /* atomic, relaxed: failed puts and gets */

static void *printer_main(void *arg)
{
    (void)arg;
    rl_fuzz_thread(RL_MAX_THREADS); /* its own stream, after the workers' */
    for (;;) {
        void *request;
        enum queue_status s = queue_get(printer_queue, &request);
        if (s == QUEUE_CLOSED)
            break; /* closed and drained: every request printed */
        if (s != QUEUE_OK) {
            fprintf(stderr,
                    "prints: printer: get returned '%s' (lab 3's locked queue "
                    "must wait while empty)\n",
                    queue_status_name(s));
            atomic_fetch_add_explicit(&printer_lost, 1, memory_order_relaxed);
            break;
        }
        long n = ++printer_count;
        fprintf(printer_out, PRINTS_LINE, n);
        rl_fuzz("prints: between the two lines of a record");
        fputs(PRINTS_SEPARATOR, printer_out);
    }
    return NULL;
}

void prints_printer_start(FILE *out, int nworkers)
{
    (void)nworkers;
    printer_out = out;
    printer_count = 0;
    atomic_store_explicit(&printer_lost, 0, memory_order_relaxed);
    printer_queue = queue_create(queue_find("locked"), PRINTER_QUEUE_CAPACITY);
    if (!printer_queue)
        rl_die_errno("prints: printer: queue_create", errno);
    /* Created after out and the queue are set: pthread_create orders
     * those writes before everything the printer does. */
    rl_thread_create(&printer_thread, printer_main, NULL);
}

void prints_printer_record(int worker)
{
    enum queue_status s = queue_put(printer_queue, (void *)(uintptr_t)(worker + 1));
    if (s != QUEUE_OK) {
        fprintf(stderr,
                "prints: printer: put returned '%s' (lab 3's locked queue must "
                "wait while full)\n",
                queue_status_name(s));
        atomic_fetch_add_explicit(&printer_lost, 1, memory_order_relaxed);
    }
}

int prints_printer_finish(void)
{
    queue_close(printer_queue);
    rl_thread_join(printer_thread, NULL);
    queue_destroy(printer_queue);
    printer_queue = NULL;
    return atomic_load_explicit(&printer_lost, memory_order_relaxed) ? -1 : 0;
}

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

static long mutex_count; /* TODO(lab 2) mutex: guarded by nothing yet */
static FILE *mutex_out;  /* set by start, read-only while workers run */

void prints_mutex_start(FILE *out, int nworkers)
{
    (void)nworkers;
    mutex_count = 0;
    mutex_out = out;
}

/* TODO(lab 2) mutex: make every record whole and every count appear once,
 * in ascending order, when all workers call this at once. Contract: one
 * pthread mutex, held from before reading the count until after the
 * separator is printed. Leave the rl_fuzz() marks where they are. */
void prints_mutex_record(int worker)
{
    (void)worker;
    long n = mutex_count + 1;
    rl_fuzz("prints: between reading the count and writing it");
    mutex_count = n;
    fprintf(mutex_out, PRINTS_LINE, n);
    rl_fuzz("prints: between the two lines of a record");
    fputs(PRINTS_SEPARATOR, mutex_out);
}

int prints_mutex_finish(void)
{
    return 0;
}

/* ---- stdio ------------------------------------------------------------- */

static long stdio_count; /* TODO(lab 2) stdio: guarded by nothing yet */
static FILE *stdio_out;  /* set by start, read-only while workers run */

void prints_stdio_start(FILE *out, int nworkers)
{
    (void)nworkers;
    stdio_count = 0;
    stdio_out = out;
}

/* TODO(lab 2) stdio: the same guarantees, with no mutex of your own.
 * Contract: hold the FILE's own lock, flockfile(stdio_out) ...
 * funlockfile(stdio_out), from before reading the count until after the
 * separator. (Every stdio call already takes that lock for itself; why is
 * that not enough?) */
void prints_stdio_record(int worker)
{
    (void)worker;
    long n = stdio_count + 1;
    rl_fuzz("prints: between reading the count and writing it");
    stdio_count = n;
    fprintf(stdio_out, PRINTS_LINE, n);
    rl_fuzz("prints: between the two lines of a record");
    fputs(PRINTS_SEPARATOR, stdio_out);
}

int prints_stdio_finish(void)
{
    return 0;
}

/* ---- printer ----------------------------------------------------------- */

/* TODO(lab 2) printer: one printer thread owns the output and the count;
 * workers never print. Contract:
 *   - start creates a queue of lab 3 (queue_create(queue_find("locked"),
 *     ...), from include/queue.h) and starts the printer thread (give it
 *     its own fuzz stream: rl_fuzz_thread(RL_MAX_THREADS));
 *   - record puts one request on the queue and returns: it touches neither
 *     the count nor printer_out;
 *   - the printer gets requests until the queue says QUEUE_CLOSED, and for
 *     each one adds 1 to the count and prints the record (keep the rl_fuzz()
 *     mark between its lines);
 *   - finish closes the queue, joins the printer (which first drains
 *     every request left), destroys the queue; it returns -1 if any put or
 *     get failed (say so on stderr), else 0.
 * As shipped, workers print for themselves, as in the specimen. */
static long printer_count; /* TODO(lab 2) printer: shared by every worker */
static FILE *printer_out;

void prints_printer_start(FILE *out, int nworkers)
{
    (void)nworkers;
    printer_count = 0;
    printer_out = out;
}

void prints_printer_record(int worker)
{
    (void)worker;
    long n = printer_count + 1;
    rl_fuzz("prints: between reading the count and writing it");
    printer_count = n;
    fprintf(printer_out, PRINTS_LINE, n);
    rl_fuzz("prints: between the two lines of a record");
    fputs(PRINTS_SEPARATOR, printer_out);
}

int prints_printer_finish(void)
{
    return 0;
}

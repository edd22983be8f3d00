/*
 * prints.h - lab 2: worker threads bump one shared count and print a
 * two-line record for each bump:
 *
 *     The count is 17
 *     ---------------
 *
 * The right output has every record whole (its separator right after its
 * count line), every count 1 .. N exactly once, and, for the fixes, the
 * counts in ascending order. Each strategy is three functions with one
 * contract, so the program, the tests and the benchmark drive them alike:
 *
 *   prints_X_start(out, nworkers)  called once, before any worker starts:
 *                                  make the count 0, remember out (where
 *                                  every record goes), set up anything the
 *                                  strategy needs (a thread, a queue...).
 *   prints_X_record(worker)        called by every worker, all at once,
 *                                  once per record: add 1 to the count and
 *                                  print the record with the new value.
 *   prints_X_finish()              called once, after every worker has
 *                                  been joined: make sure every record is
 *                                  written to out (not necessarily
 *                                  flushed), stop and free what start set
 *                                  up. Returns 0, or -1 when records were
 *                                  lost (after saying why on stderr).
 *
 * Write the lines with PRINTS_LINE and PRINTS_SEPARATOR below, through
 * stdio (fprintf, fputs) on out. Output errors are not the strategy's
 * business: out is made by prints_open_output, which handles them.
 *
 * src/prints_unsafe.c holds the specimen, labs/prints.c the exercises,
 * solutions/prints.c their reference fixes.
 */
#ifndef PRINTS_H
#define PRINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PRINTS_LINE "The count is %ld\n"      /* the record's first line */
#define PRINTS_SEPARATOR "---------------\n"  /* and its second */

/* unsafe: the specimen. The count is a plain long, read then written; the
 * two lines are two separate calls. Counts repeat, records break. */
void prints_unsafe_start(FILE *out, int nworkers);
void prints_unsafe_record(int worker);
int prints_unsafe_finish(void);

/* mutex: one lock held across the bump and both lines. */
void prints_mutex_start(FILE *out, int nworkers);
void prints_mutex_record(int worker);
int prints_mutex_finish(void);

/* stdio: the FILE's own lock (flockfile/funlockfile) held across the bump
 * and both lines. */
void prints_stdio_start(FILE *out, int nworkers);
void prints_stdio_record(int worker);
int prints_stdio_finish(void);

/* printer: one printer thread owns out and the count; workers send it
 * requests through lab 3's locked queue. */
void prints_printer_start(FILE *out, int nworkers);
void prints_printer_record(int worker);
int prints_printer_finish(void);

/* ---- the lab driver (src/prints_run.c) --------------------------------- */

struct prints_strategy {
    const char *name;
    void (*start)(FILE *out, int nworkers);
    void (*record)(int worker);
    int (*finish)(void);
    bool ordered;       /* promises ascending counts */
};

/* Every strategy, specimen first; terminated by a NULL name. */
extern const struct prints_strategy prints_strategies[];
const struct prints_strategy *prints_find(const char *name);

/* A stdio stream writing to fd that retries interrupted and partial
 * writes, and, when the reader has gone (EPIPE), drops all further output
 * and sets prints_output_gone(). Line-buffered on a terminal, fully
 * buffered otherwise. Closing it closes fd. */
FILE *prints_open_output(int fd);
bool prints_output_gone(void);

/* Records done so far by every run in this process (atomic, relaxed): a
 * watcher that sees it stand still knows the run is stuck. */
long prints_progress(void);

/* Runs strategy s: nworkers threads (1 .. RL_MAX_THREADS) print records
 * records in all, to out. Workers stop early once the reader has gone.
 * Returns the seconds from the first worker's start to the end of finish,
 * or a negative number when finish reported lost records. */
double prints_run(const struct prints_strategy *s, FILE *out, int nworkers,
                  long records);

/* Runs s with its output going through a pipe into memory (no file).
 * Returns the text (malloc'ed, NUL-terminated; *len without the NUL) and
 * sets *seconds as prints_run does. */
char *prints_capture(const struct prints_strategy *s, int nworkers, long records,
                     size_t *len, double *seconds);

/* ---- the line checker (src/prints_check.c) ----------------------------- */

struct prints_verdict {
    bool ok;
    long records;       /* count lines seen */
    long line;          /* the first broken line (1-based), 0 if none */
    char why[200];      /* what is wrong there, "" if ok */
};

/* Checks text (len bytes) is exactly: records of a PRINTS_LINE then a
 * PRINTS_SEPARATOR, every line whole; counts 1 .. expected each once
 * (expected < 0: as many as there are records); ascending if ordered.
 * Reports the first broken place. Returns v->ok. */
bool prints_check(const char *text, size_t len, long expected, bool ordered,
                  struct prints_verdict *v);

#endif /* PRINTS_H */

/*
 * prints_unsafe.c - lab 2's specimen, broken on purpose: each record is a
 * read and a write of a plain count, then two separate stdio calls.
 *
 * Two bugs, of two kinds:
 *   - the count is a data race (two threads read 41, both print 42): TSan
 *     reports it;
 *   - the record is two calls. Each fprintf is whole (stdio locks the FILE
 *     inside every call), but between the two calls another thread can
 *     print its lines, and the record breaks. No memory is shared without
 *     order there, so TSan says nothing: an atomicity violation without a
 *     data race. The line checker (src/prints_check.c) sees it.
 * The rl_fuzz() marks make both happen on every run with --fuzz, even on
 * one CPU. The rl_overlap_note() before and after each record let the
 * program say when the workers never took turns (the overlap meter,
 * racelab.h: outside the windows, no shared data touched).
 *
 * The test for the TSan report finds the racing lines by their "RACE:"
 * comments below; keep those on the accesses.
 */
#include "prints.h"
#include "racelab.h"

static long unsafe_count; /* shared, and guarded by nothing: that is the bug */
static FILE *unsafe_out;  /* set by start, read-only while workers run */

void prints_unsafe_start(FILE *out, int nworkers)
{
    (void)nworkers;
    unsafe_count = 0;
    unsafe_out = out;
}

void prints_unsafe_record(int worker)
{
    (void)worker;
    rl_overlap_note(&unsafe_count); /* before the record, and after: did two workers meet? */
    long n = unsafe_count + 1;      /* RACE: read */
    rl_fuzz("prints: between reading the count and writing it");
    unsafe_count = n;               /* RACE: write */
    fprintf(unsafe_out, PRINTS_LINE, n);
    rl_fuzz("prints: between the two lines of a record");
    fputs(PRINTS_SEPARATOR, unsafe_out);
    rl_overlap_note(&unsafe_count);
}

int prints_unsafe_finish(void)
{
    return 0;
}

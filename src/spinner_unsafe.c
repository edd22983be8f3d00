/*
 * spinner_unsafe.c - lab 5's specimen, kept broken on purpose: the done
 * flag is a plain bool. The worker thread stores the answer and then sets
 * done; the main thread draws frames and reads done until it sees true,
 * then reads the answer (src/spinner_run.c, polled_run).
 *
 * Two data races: on done (marked RACE: below) and on the answer, which
 * the flag was meant to hand over. Run it under ThreadSanitizer
 * (make tsan LAB=spinner) to see both reported with their lines. In a
 * release build it prints the right answer: this loop calls functions
 * between two reads of done, so the compiler reads it afresh each time.
 * A data race is undefined behaviour all the same, and a tighter loop,
 * `while (!unsafe_done) ;`, is compiled at -O2 into one read and a jump to
 * itself: the store is never seen (docs/spinner.md shows the code).
 * labs/spinner.c fixes it (exercise "flag").
 */
#include "spinner.h"

#include <stdbool.h>

static bool unsafe_done; /* guarded by nothing: the bug */

static void unsafe_reset(void)
{
    unsafe_done = false;
}

static void unsafe_set(void)
{
    unsafe_done = true; /* RACE: write, in the worker */
}

static bool unsafe_is_set(void)
{
    return unsafe_done; /* RACE: read, in the main thread */
}

const struct spinner_flag spinner_unsafe_flag = {unsafe_reset, unsafe_set, unsafe_is_set};

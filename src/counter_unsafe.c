/*
 * counter_unsafe.c - lab 1's specimen, broken on purpose: the shared count
 * is a plain long that each increment reads, then writes back, as two
 * separate accesses. Two threads that both read 41 both write 42, and one
 * update is lost.
 *
 * A loop of `count++` would show nothing at -O2: the compiler may turn the
 * whole loop into a single `count += M`. Here each increment is a call into
 * this file, the read and the write are separate statements, and
 * rl_fuzz() between them may call into the runtime (when fuzzing is on),
 * a call the compiler cannot see through, so both accesses survive
 * optimisation (with fuzzing off, the mark costs one load and a branch). With --fuzz, that point may also
 * sleep, handing the CPU to another thread mid-update: the loss happens on
 * every run, even on one CPU.
 *
 * The test for the TSan report finds the two racing lines by their
 * "RACE:" comments below; keep those on the accesses.
 */
#include "counter.h"
#include "racelab.h"

static long unsafe_count; /* shared, and guarded by nothing: that is the bug */

void counter_unsafe_reset(int nthreads)
{
    (void)nthreads;
    unsafe_count = 0;
}

void counter_unsafe_inc(int tid)
{
    (void)tid;
    long seen = unsafe_count;       /* RACE: read */
    rl_fuzz("counter: between read and write");
    unsafe_count = seen + 1;        /* RACE: write */
}

long counter_unsafe_total(void)
{
    return unsafe_count;
}

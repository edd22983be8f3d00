/*
 * flags_unsafe.c - lab 8's specimen: the threads mode's tally, shared by
 * every worker and guarded by nothing.
 *
 * Each worker, as a download ends, bumps the count of its outcome (ok, not
 * found, error) with a read and a separate write. Two workers that end at
 * the same moment both read 17 and both write 18: one flag downloaded,
 * never counted. The seeds meet this bug in Python, where results shared
 * between ThreadPoolExecutor workers lose updates although the GIL lets one
 * thread run at a time; here it is a plain data race, and ThreadSanitizer
 * names both lines.
 *
 * A download takes a whole delay and a bump a few nanoseconds, so the
 * workers seldom bump at the same instant: rl_fuzz_stall() between the read
 * and the write holds the window open for 1-5 ms with --fuzz, and the
 * counts are lost on every run (`flags -m unsafe --fuzz`). The test for
 * the TSan report finds the two racing lines by their "RACE:" comments
 * below; keep those on the accesses. Kept broken on purpose.
 */
#include "flags.h"
#include "racelab.h"

static struct {
    long count[FLAGS_OUTCOMES];
} unsafe_tally; /* shared, and guarded by nothing: that is the bug */

void flags_unsafe_reset(void)
{
    for (int o = 0; o < FLAGS_OUTCOMES; o++)
        unsafe_tally.count[o] = 0;
}

void flags_unsafe_add(enum flags_outcome o)
{
    long seen = unsafe_tally.count[o]; /* RACE: read */
    rl_fuzz_stall("flags: tally between read and write", 1000, 5000);
    unsafe_tally.count[o] = seen + 1; /* RACE: write */
    rl_overlap_note(&unsafe_tally);
}

long flags_unsafe_get(enum flags_outcome o)
{
    return unsafe_tally.count[o];
}

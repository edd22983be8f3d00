/*
 * stdio_locks.c - lets ThreadSanitizer see flockfile/funlockfile.
 *
 * glibc's flockfile takes the FILE's internal lock, which TSan does not
 * intercept (clang 14, glibc 2.36): data guarded by flockfile, like the
 * count of lab 2's stdio strategy, would be reported as a race. Linked
 * into the TSan builds only, these definitions take the place of glibc's:
 * they lock with glibc's own _IO_flockfile and tell TSan that the FILE's
 * address is a lock (acquired after locking, released before unlocking),
 * which gives it the happens-before edge the real lock provides.
 */
#include <sanitizer/tsan_interface.h>
#include <stdio.h>

/* glibc's names for the same functions, exported beside flockfile. */
void _IO_flockfile(FILE *f);
void _IO_funlockfile(FILE *f);
int _IO_ftrylockfile(FILE *f);

void flockfile(FILE *f)
{
    _IO_flockfile(f);
    __tsan_acquire(f);
}

int ftrylockfile(FILE *f)
{
    int busy = _IO_ftrylockfile(f);
    if (!busy)
        __tsan_acquire(f);
    return busy;
}

void funlockfile(FILE *f)
{
    __tsan_release(f);
    _IO_funlockfile(f);
}

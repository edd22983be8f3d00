/*
 * c11threads.c - lets ThreadSanitizer see C11 <threads.h> locks and
 * call_once.
 *
 * glibc implements mtx_lock, cnd_wait and friends by calling its internal
 * pthread functions directly, past TSan's interceptors (clang 14, glibc
 * 2.36), so TSan sees no lock at all and reports a correct mtx_t fix as a
 * data race. Linked into the TSan builds only, these definitions take the
 * place of glibc's and go through the public pthread functions, which TSan
 * does intercept. glibc's mtx_t and cnd_t have the layout of
 * pthread_mutex_t and pthread_cond_t (it converts them the same way), and
 * its once_flag that of pthread_once_t: call_once is pthread_once inside,
 * reached past the interceptor, so TSan saw no order between the routine's
 * writes and the later callers' reads, and reported a correct call_once.
 */
#include <pthread.h>
#include <threads.h>
#include <errno.h>

_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t layout");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t layout");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag layout");

static int thrd_status(int err)
{
    switch (err) {
    case 0: return thrd_success;
    case EBUSY: return thrd_busy;
    case ETIMEDOUT: return thrd_timedout;
    case ENOMEM: return thrd_nomem;
    default: return thrd_error;
    }
}

int mtx_init(mtx_t *m, int type)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    if (type & mtx_recursive)
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    int err = pthread_mutex_init((pthread_mutex_t *)m, &attr);
    pthread_mutexattr_destroy(&attr);
    return thrd_status(err);
}

void mtx_destroy(mtx_t *m) { pthread_mutex_destroy((pthread_mutex_t *)m); }
int mtx_lock(mtx_t *m) { return thrd_status(pthread_mutex_lock((pthread_mutex_t *)m)); }
int mtx_trylock(mtx_t *m) { return thrd_status(pthread_mutex_trylock((pthread_mutex_t *)m)); }
int mtx_unlock(mtx_t *m) { return thrd_status(pthread_mutex_unlock((pthread_mutex_t *)m)); }

int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict until)
{
    return thrd_status(pthread_mutex_timedlock((pthread_mutex_t *)m, until));
}

int cnd_init(cnd_t *c) { return thrd_status(pthread_cond_init((pthread_cond_t *)c, NULL)); }
void cnd_destroy(cnd_t *c) { pthread_cond_destroy((pthread_cond_t *)c); }
int cnd_signal(cnd_t *c) { return thrd_status(pthread_cond_signal((pthread_cond_t *)c)); }
int cnd_broadcast(cnd_t *c) { return thrd_status(pthread_cond_broadcast((pthread_cond_t *)c)); }

int cnd_wait(cnd_t *c, mtx_t *m)
{
    return thrd_status(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
                  const struct timespec *restrict until)
{
    return thrd_status(pthread_cond_timedwait((pthread_cond_t *)c,
                                              (pthread_mutex_t *)m, until));
}

void call_once(once_flag *flag, void (*func)(void))
{
    pthread_once((pthread_once_t *)flag, func);
}

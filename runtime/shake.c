/*
 * shake.c - the grader's amplifier: every shared access in a student's file
 * becomes a fuzz point, whether or not the student kept the rl_fuzz() marks.
 *
 * How: `make check` compiles the exercise file (labs/X.c or solutions/X.c)
 * with -fsanitize=thread, which makes the compiler call __tsan_read8,
 * __tsan_atomic64_load, ... around each memory access and atomic it emits.
 * Instead of linking ThreadSanitizer's runtime, the "shake" build links this
 * file, which defines those entry points: each one calls rl_fuzz() and then
 * performs the access. A fix that reads with one atomic and writes with
 * another, which TSan cannot flag (there is no data race), still loses
 * updates here on every run, because the two steps get a sleep between them.
 *
 * Only this file's own translation unit is not instrumented, so nothing
 * here recurses. 128-bit atomics are not provided: a link error names them.
 * Atomics are performed with sequential consistency whatever order was
 * asked for; stronger than needed is still correct.
 */
#include "racelab.h"

#include <stddef.h>
#include <stdint.h>

/* The compiler calls these without prototypes; give them some for -Wall. */
#define SHAKE_API __attribute__((visibility("default")))

SHAKE_API void __tsan_init(void);
SHAKE_API void __tsan_func_entry(void *caller);
SHAKE_API void __tsan_func_exit(void);
SHAKE_API void __tsan_read_range(void *addr, size_t size);
SHAKE_API void __tsan_write_range(void *addr, size_t size);
SHAKE_API void __tsan_vptr_read(void **vptr);
SHAKE_API void __tsan_vptr_update(void **vptr, void *value);
SHAKE_API void __tsan_atomic_thread_fence(int order);
SHAKE_API void __tsan_atomic_signal_fence(int order);

void __tsan_init(void) {}
void __tsan_func_entry(void *caller) { (void)caller; }
void __tsan_func_exit(void) {}
void __tsan_read_range(void *addr, size_t size) { (void)addr; (void)size; rl_fuzz("shake: read"); }
void __tsan_write_range(void *addr, size_t size) { (void)addr; (void)size; rl_fuzz("shake: write"); }
void __tsan_vptr_read(void **vptr) { (void)vptr; }
void __tsan_vptr_update(void **vptr, void *value) { (void)vptr; (void)value; }
void __tsan_atomic_thread_fence(int order) { (void)order; __atomic_thread_fence(__ATOMIC_SEQ_CST); }
void __tsan_atomic_signal_fence(int order) { (void)order; __atomic_signal_fence(__ATOMIC_SEQ_CST); }

/* Plain reads and writes: the hook runs just before the access. */
#define PLAIN(n)                                                              \
    SHAKE_API void __tsan_read##n(void *addr);                                \
    SHAKE_API void __tsan_write##n(void *addr);                               \
    SHAKE_API void __tsan_unaligned_read##n(void *addr);                      \
    SHAKE_API void __tsan_unaligned_write##n(void *addr);                     \
    void __tsan_read##n(void *addr) { (void)addr; rl_fuzz("shake: read"); }   \
    void __tsan_write##n(void *addr) { (void)addr; rl_fuzz("shake: write"); } \
    void __tsan_unaligned_read##n(void *addr) { (void)addr; rl_fuzz("shake: read"); } \
    void __tsan_unaligned_write##n(void *addr) { (void)addr; rl_fuzz("shake: write"); }
PLAIN(1)
PLAIN(2)
PLAIN(4)
PLAIN(8)
PLAIN(16)

#define SC __ATOMIC_SEQ_CST

/* A read-modify-write: fuzz, then the one indivisible step. */
#define RMW(n, T, op, builtin)                                                \
    SHAKE_API T __tsan_atomic##n##_##op(volatile T *a, T v, int order);       \
    T __tsan_atomic##n##_##op(volatile T *a, T v, int order)                  \
    {                                                                         \
        (void)order;                                                          \
        rl_fuzz("shake: atomic " #op);                                        \
        return builtin(a, v, SC);                                             \
    }

/* Loads fuzz after reading (the value may go stale before it is used);
 * stores fuzz before writing (whatever was read before may be stale). */
#define ATOMICS(n, T)                                                         \
    SHAKE_API T __tsan_atomic##n##_load(const volatile T *a, int order);      \
    T __tsan_atomic##n##_load(const volatile T *a, int order)                 \
    {                                                                         \
        (void)order;                                                          \
        T v = __atomic_load_n(a, SC);                                         \
        rl_fuzz("shake: atomic load");                                        \
        return v;                                                             \
    }                                                                         \
    SHAKE_API void __tsan_atomic##n##_store(volatile T *a, T v, int order);   \
    void __tsan_atomic##n##_store(volatile T *a, T v, int order)              \
    {                                                                         \
        (void)order;                                                          \
        rl_fuzz("shake: atomic store");                                       \
        __atomic_store_n(a, v, SC);                                           \
    }                                                                         \
    RMW(n, T, exchange, __atomic_exchange_n)                                  \
    RMW(n, T, fetch_add, __atomic_fetch_add)                                  \
    RMW(n, T, fetch_sub, __atomic_fetch_sub)                                  \
    RMW(n, T, fetch_and, __atomic_fetch_and)                                  \
    RMW(n, T, fetch_or, __atomic_fetch_or)                                    \
    RMW(n, T, fetch_xor, __atomic_fetch_xor)                                  \
    RMW(n, T, fetch_nand, __atomic_fetch_nand)                                \
    SHAKE_API int __tsan_atomic##n##_compare_exchange_strong(                 \
        volatile T *a, T *expected, T v, int order, int fail_order);          \
    int __tsan_atomic##n##_compare_exchange_strong(                           \
        volatile T *a, T *expected, T v, int order, int fail_order)           \
    {                                                                         \
        (void)order, (void)fail_order;                                        \
        rl_fuzz("shake: atomic compare-exchange");                            \
        return __atomic_compare_exchange_n(a, expected, v, 0, SC, SC);        \
    }                                                                         \
    SHAKE_API int __tsan_atomic##n##_compare_exchange_weak(                   \
        volatile T *a, T *expected, T v, int order, int fail_order);          \
    int __tsan_atomic##n##_compare_exchange_weak(                             \
        volatile T *a, T *expected, T v, int order, int fail_order)           \
    {                                                                         \
        (void)order, (void)fail_order;                                        \
        rl_fuzz("shake: atomic compare-exchange");                            \
        return __atomic_compare_exchange_n(a, expected, v, 1, SC, SC);        \
    }                                                                         \
    SHAKE_API T __tsan_atomic##n##_compare_exchange_val(                      \
        volatile T *a, T expected, T v, int order, int fail_order);           \
    T __tsan_atomic##n##_compare_exchange_val(                                \
        volatile T *a, T expected, T v, int order, int fail_order)            \
    {                                                                         \
        (void)order, (void)fail_order;                                        \
        rl_fuzz("shake: atomic compare-exchange");                            \
        __atomic_compare_exchange_n(a, &expected, v, 0, SC, SC);              \
        return expected;                                                      \
    }

ATOMICS(8, uint8_t)
ATOMICS(16, uint16_t)
ATOMICS(32, uint32_t)
ATOMICS(64, uint64_t)

/* ---- waits, locks and output: wrapped at link time ---------------------
 *
 * The shake build links with -Wl,--wrap=NAME for each function below (the
 * list is SHAKE_WRAPS in the Makefile), so every call to NAME from the
 * exercise, the driver and the tests lands here first. Each adds a fuzz
 * point where a schedule matters but no memory access is instrumented:
 *   - a condition wait may return at once, as if woken for no reason
 *     (POSIX allows it): a wait in an `if` then runs on with its condition
 *     false, on every run;
 *   - a lock may pause before it is taken, and after it is released: two
 *     critical sections where there should be one let another thread in;
 *   - output may pause before each stdio call: two writes that should have
 *     been one record let another thread's lines in between.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <threads.h>
#include <time.h>

#define WRAP(ret, name, params)                                               \
    SHAKE_API ret __real_##name params;                                       \
    SHAKE_API ret __wrap_##name params;                                       \
    ret __wrap_##name params

WRAP(int, pthread_cond_wait, (pthread_cond_t *c, pthread_mutex_t *m))
{
    return rl_fuzz_wakeup("shake: spurious wake-up") ? 0 : __real_pthread_cond_wait(c, m);
}

WRAP(int, pthread_cond_timedwait,
     (pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t))
{
    return rl_fuzz_wakeup("shake: spurious wake-up") ? 0
                                                     : __real_pthread_cond_timedwait(c, m, t);
}

WRAP(int, pthread_cond_clockwait,
     (pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk, const struct timespec *t))
{
    return rl_fuzz_wakeup("shake: spurious wake-up")
               ? 0 : __real_pthread_cond_clockwait(c, m, clk, t);
}

WRAP(int, cnd_wait, (cnd_t *c, mtx_t *m))
{
    return rl_fuzz_wakeup("shake: spurious wake-up") ? thrd_success : __real_cnd_wait(c, m);
}

WRAP(int, cnd_timedwait, (cnd_t *c, mtx_t *m, const struct timespec *t))
{
    return rl_fuzz_wakeup("shake: spurious wake-up") ? thrd_success
                                                     : __real_cnd_timedwait(c, m, t);
}

WRAP(int, pthread_mutex_lock, (pthread_mutex_t *m))
{
    rl_fuzz("shake: before lock");
    return __real_pthread_mutex_lock(m);
}

WRAP(int, pthread_mutex_unlock, (pthread_mutex_t *m))
{
    int err = __real_pthread_mutex_unlock(m);
    rl_fuzz("shake: after unlock");
    return err;
}

WRAP(int, mtx_lock, (mtx_t *m))
{
    rl_fuzz("shake: before lock");
    return __real_mtx_lock(m);
}

WRAP(int, mtx_unlock, (mtx_t *m))
{
    int status = __real_mtx_unlock(m);
    rl_fuzz("shake: after unlock");
    return status;
}

WRAP(void, flockfile, (FILE *f))
{
    rl_fuzz("shake: before lock");
    __real_flockfile(f);
}

WRAP(void, funlockfile, (FILE *f))
{
    __real_funlockfile(f);
    rl_fuzz("shake: after unlock");
}

/* Output: a pause before each stdio call (runtime/stdio_wraps.h). */
static void stdio_before(const char *text, size_t n)
{
    (void)text, (void)n;
    rl_fuzz("shake: output");
}

static void stdio_before_format(const char *fmt, va_list ap)
{
    (void)fmt, (void)ap;
    rl_fuzz("shake: output");
}

#include "stdio_wraps.h"

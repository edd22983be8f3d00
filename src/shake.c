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

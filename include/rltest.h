/*
 * rltest.h - what every racelab test binary shares, on top of cmocka:
 *
 *   - a watchdog: each test runs under one, armed by its setup; a test
 *     still running after its time is reported by name and the binary
 *     exits 124, so a deadlock fails in seconds instead of hanging CI;
 *   - groups with --list and --only: a binary's tests are split into named
 *     groups (one per exercise), so `make check` can grade each alone;
 *   - running a program and capturing its output, for tests that judge
 *     what a student would see.
 *
 * Every test's initial state is a struct whose first member is its name
 * (struct rltest_case, or a larger struct that starts with one); the
 * watchdog reads the name from there.
 */
#ifndef RLTEST_H
#define RLTEST_H

/* cmocka needs these before its header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <sys/types.h>

/* UNDER_TSAN is defined in a ThreadSanitizer build (gcc or clang): tests
 * that need many iterations to make a race bite need few under TSan. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif

struct rltest_case {
    const char *name;
};

/* Setup and teardown that arm and disarm the watchdog for *state's test.
 * Seconds: RACELAB_WATCHDOG_SECONDS, else 20. */
int rltest_watchdog_arm(void **state);
int rltest_watchdog_disarm(void **state);

/* A cmocka test entry with the watchdog around it; case_ptr points to a
 * struct that starts with struct rltest_case. */
#define RLTEST(fn, case_ptr)                                                  \
    {.name = ((struct rltest_case *)(case_ptr))->name,                        \
     .test_func = (fn),                                                       \
     .setup_func = rltest_watchdog_arm,                                       \
     .teardown_func = rltest_watchdog_disarm,                                 \
     .initial_state = (case_ptr)}

struct rltest_group {
    const char *name;       /* "mutex" */
    const char *hint;       /* for an exercise: where to look when it fails;
                               NULL for a group that is not an exercise */
    struct CMUnitTest *tests;
    size_t count;
    bool on_request;        /* runs only when named by --only */
};

/* The main() of a test binary:
 *   --list         prints each exercise group as "name<TAB>hint" and exits 0
 *   --only NAME    runs only that group
 *   --fail-fast    stops at the first failing test
 * Runs the groups and returns the exit status: 0 when all passed. */
int rltest_main(int argc, char **argv, const struct rltest_group *groups,
                size_t ngroups);

/* Runs fn(arg) in another thread while the calling (main) thread watches
 * progress(arg), a count the run bumps as it moves. Returns true once fn
 * has returned and its thread is joined; false as soon as the count has
 * stood still for stuck_s seconds. Then the thread is left where it is
 * stuck, and arg must stay allocated: the caller fails the test (and leaks
 * arg), naming what hung, in seconds instead of at the watchdog. progress
 * NULL: no count, fn must return within stuck_s. A slow run (one with
 * RACELAB_WATCHDOG_SECONDS above 20, as under valgrind) gets stuck_s
 * times that over 20. */
bool rltest_run_watched(void (*fn)(void *arg), void *arg, long (*progress)(void *arg),
                        double stuck_s);

/* The progress of a run whose arg starts with an _Atomic long that it
 * counts up (relaxed) as it moves: rounds done, items moved. */
long rltest_count_progress(void *arg);

/* n, or under RACELAB_LIGHT=1 (make test's valgrind run) a tenth of it,
 * at least 1: memcheck looks for bad accesses and leaks, which need no
 * million interleavings, and runs some fifty times slower. */
long rltest_light(long n);

/* Waiting for a thread to block, so a test can control the schedule
 * ("the getter is waiting; now set the future"):
 *   rltest_blocking_watch(true) installs an rl_fuzz hook (fuzzing must be
 *   on) that notes each time a thread with a named fuzz stream
 *   (rl_fuzz_thread, streams 0 .. 255) is about to block in a condition
 *   wait;
 *   rltest_blocked_mark(stream) reads that thread's count of such moments;
 *   rltest_wait_blocked(stream, mark, tid, returned) returns true once the
 *   thread (stream, kernel thread id tid) is blocked: it passed a wait point
 *   since mark was read, or, for waits the hook cannot see (a raw
 *   pthread_cond_wait under TSan), /proc says it has slept for 20 ms on
 *   end, or, for a thread that waits by spinning, 30 ms have gone
 *   by. Returns false as soon as *returned is set (the thread finished
 *   instead of blocking). */
void rltest_blocking_watch(bool on);
unsigned long rltest_blocked_mark(unsigned stream);
bool rltest_wait_blocked(unsigned stream, unsigned long mark, pid_t tid,
                         const _Atomic bool *returned);

/* The state letter /proc gives a thread of this process ('S' asleep, 'R'
 * running or runnable, ...), or '?' when it cannot be read. */
char rltest_thread_state(pid_t tid);

/* Runs argv[0] (a path, or a name looked up in PATH) with argv, stdin from /dev/null, and collects its
 * stdout and stderr (each NUL-terminated, malloc'ed). When close_stdout is
 * true, stdout is a pipe whose reader has already gone. Kills it after
 * timeout_s seconds. Returns the exit status, 128 + signal when killed by
 * one, or -1 when it could not run. */
struct rltest_output {
    char *out, *err;
};
int rltest_run(char *const argv[], bool close_stdout, int timeout_s,
               struct rltest_output *o);
void rltest_output_free(struct rltest_output *o);

/* Runs program with args (NULL-terminated, at most 7) and checks that it
 * refuses them as a usage error: exit 2, stderr exactly message, nothing on
 * stdout. Returns NULL, or what happened instead (a static buffer). */
const char *rltest_usage_error(const char *program, const char *const args[],
                               const char *message);

/* The 1-based number of the first line of path that contains needle, or 0. */
int rltest_find_line(const char *path, const char *needle);

#endif /* RLTEST_H */

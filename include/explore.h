/*
 * explore.h - the schedule explorer: runs a small scenario (two or three
 * threads, a few operations each) under a scheduler it controls, one thread
 * at a time, over every schedule up to a bound, and when one goes wrong
 * prints it as a table a student can read, with a token that replays it.
 *
 * How it sees the code: the explore build compiles the exercise file (and
 * the specimens) with ThreadSanitizer's instrumentation and links
 * runtime/explore.c instead of TSan's runtime, as the shake build does; every
 * load, store and atomic there becomes a scheduling point. Locks, condition
 * variables, semaphores, pthread_once, thread creation and join, sleeps,
 * sched_yield and clock_gettime are wrapped at link time (EXPLORE_WRAPS in
 * the Makefile) and modelled: a thread that would block is simply not
 * chosen, so the explorer never sleeps on a real lock, and time is virtual
 * (it moves only when no thread can run), so a one-second time-out costs no
 * wall time. Each schedule runs in a forked child: its state starts fresh,
 * and a crash or a real hang is a verdict, not the end of the search.
 *
 * Search: schedules with 0 preemptions first, then 1, then 2 ... up to the
 * scenario's bound (a preemption is a switch away from a thread that could
 * have gone on; most concurrency bugs need at most two, as CHESS found), so
 * the first failure found has the fewest preemptions there are. Past its
 * schedule budget a scenario goes on with seeded PCT runs. Spurious
 * wake-ups are choices too, counted apart.
 *
 * What it cannot see: it runs one thread at a time and makes every access
 * sequentially consistent, so a reordering by the compiler or the CPU
 * (relaxed where release was needed) is ThreadSanitizer's to find.
 */
#ifndef EXPLORE_H
#define EXPLORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum { RLX_MAX_THREADS = 6 };

struct rlx_scenario {
    const char *name;           /* "2 threads, 1 increment each" */
    int threads;                /* controlled threads, 1 .. RLX_MAX_THREADS */
    void (*setup)(void);        /* runs first, alone, uncontrolled; or NULL */
    void (*body)(int tid);      /* what thread tid (0 ..) does */
    /* Runs last, alone, once every thread has ended: NULL when the outcome
     * is right, else what is wrong (a static buffer; see rlx_say). */
    const char *(*check)(void);
    int preemptions;            /* search every schedule with at most this many */
    int spurious;               /* spurious wake-ups a schedule may contain */
    /* Time jumps a schedule may contain: "the earliest deadline passes now",
     * while other threads could still run (as if they were slow). Without,
     * time moves only when no thread can run. With, a timed wait may time
     * out before a prompt signal: the check must allow what the contract
     * allows then. */
    int deadline_jumps;
    long max_schedules;         /* budget of the exhaustive search (0: 20000) */
    int pct_runs;               /* then this many PCT schedules (0: none) */
    int pct_depth;              /* their depth (0: 3) */
    long max_steps;             /* steps in one schedule before "livelock" (0: 5000) */
};

/* A lab's scenarios, grouped per exercise (or per specimen). */
struct rlx_group {
    const char *name;           /* "mutex": as make check names the exercise */
    bool specimen;              /* true: the kept-broken specimen, shown, not graded */
    const struct rlx_scenario *scenarios;
    size_t count;
};

/* The number of elements of an array. */
#define RLX_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* The group of exercise (or specimen) NAME, whose scenarios are the array
 * NAME_scenarios: RLX_GROUP(mutex, false). */
#define RLX_GROUP(name, specimen)                                             \
    { #name, specimen, name##_scenarios, RLX_COUNT(name##_scenarios) }

/* The main() of a lab's explore binary (tests/explore_LAB.c):
 *   explore_LAB [--list] [--only GROUP] [--replay TOKEN] [--trace] [--quiet]
 * Exit 0 when every explored schedule of every graded group was right, 1
 * when one was not, 2 on a usage error. */
int rlx_main(int argc, char **argv, const char *lab, const struct rlx_group *groups,
             size_t ngroups);

/* For check functions: formats into a static buffer and returns it. */
const char *rlx_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Names the heap object at p (from malloc) in traces: "q+16" instead of an
 * address. Call from setup. Globals are named by the symbol table. */
void rlx_name(const void *p, const char *name);

/* The virtual clock, in nanoseconds since the schedule began: for checks
 * ("returned within its time-out"). */
long long rlx_now_ns(void);

/* ---- the explorer as a library, for the kit's own tests --------------- */

enum rlx_verdict {
    RLX_OK,        /* every schedule right */
    RLX_WRONG,     /* the check said no */
    RLX_DEADLOCK,  /* every thread blocked, none can wake another */
    RLX_LIVELOCK,  /* the step budget ran out, or threads spin with nothing changing */
    RLX_CRASH,     /* a signal (a segfault, an abort) */
    RLX_HANG,      /* blocked in something the explorer does not model */
};

struct rlx_result {
    enum rlx_verdict verdict;
    char why[512];              /* one line */
    long schedules;             /* schedules run */
    int preemptions;            /* of the failing schedule */
    bool exhausted;             /* every schedule within the bound was run */
    char token[1024];           /* replays the failing schedule */
    char schedule[400];         /* the failing schedule in one line, for a summary */
    char fit[200];              /* a replay: "" when the code took the token's steps */
    int trace_rows;             /* rows of its trace */
};

/* Explores one scenario. When trace is not NULL, a failing schedule's
 * table is written there. token not NULL: replays just that schedule. */
void rlx_explore(const struct rlx_scenario *s, const char *token, FILE *trace,
                 struct rlx_result *r);

#endif /* EXPLORE_H */

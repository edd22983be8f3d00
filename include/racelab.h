/*
 * racelab.h - the runtime every lab program, test and benchmark shares.
 *
 * Seven small pieces, written once so the labs can stay about their topic:
 *   - program set-up and exit: a name for messages, SIGPIPE ignored, output
 *     errors checked at exit (a reader that went away ends us quietly);
 *   - the verdict line every lab program ends with, and its --list;
 *   - strict option parsing: one table per program, getopt_long underneath,
 *     every number checked; bad input is one line on stderr and exit 2;
 *   - checked pthread wrappers: real functions that report the error code
 *     pthread returned, then abort (never assert(): NDEBUG would delete them);
 *   - workers: start N threads behind one barrier, time them on the
 *     monotonic clock, join them;
 *   - the race-window amplifier ("fuzz"): rl_fuzz("name") marks a point where
 *     a race can bite; with fuzzing on, each call may yield or sleep briefly,
 *     chosen by a per-thread random stream that --seed makes repeatable;
 *   - the progress watchdog: when a count the workers bump stands still for
 *     a while, it says what is stuck and ends the run, so nothing hangs;
 *   - the overlap meter: did the threads of a run really meet, or would the
 *     race have had no chance to bite?
 */
#ifndef RACELAB_H
#define RACELAB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The sane cap on worker threads for every lab program. */
enum { RL_MAX_THREADS = 64 };

/* ---- program set-up and exit ------------------------------------------ */

/* Call first in main(): remembers the program name, ignores SIGPIPE. */
void rl_init(const char *argv0);

/* Flushes stdout and exits with status. If the reader of stdout went away
 * (EPIPE), exits with status all the same and prints nothing more. */
_Noreturn void rl_exit(int status);

/* Prints "prog: message" on stderr and exits 2 (usage errors). */
_Noreturn void rl_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* ---- the verdict line -------------------------------------------------- */

/* Every lab program ends a run with one line in one form, which people,
 * `make tsan`, `make test` and the tests all read, and an exit status that
 * says the same:
 *
 *   verdict: ok: 80000 of 80000 updates counted                     exit 0
 *   verdict: broken: lost 1234 of 80000 updates                     exit 1
 *   verdict: deadlock: stuck after 12 of 80000 transfers            exit 3
 *   verdict: stuck: no item moved for 2 s after 1500 moves          exit 3
 *
 * ok: the run came out right (which does not prove the code right);
 * broken: it shows the bug; deadlock: threads wait for each other in a
 * cycle; stuck: no progress for a while, for another reason. */
enum rl_verdict { RL_OK, RL_BROKEN, RL_DEADLOCK, RL_STUCK };

/* The status a verdict exits with: 0, 1, 3, 3. */
int rl_verdict_status(enum rl_verdict v);

/* Prints the verdict line on out (stdout, unless stdout carries what the
 * program makes: lab 2's records, lab 5's animation) and flushes it. */
void rl_say_verdict(FILE *out, enum rl_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* rl_say_verdict on stdout, then rl_exit with the verdict's status. */
_Noreturn void rl_verdict(enum rl_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Where a strategy's code lives, for --list: the exercise (the file a
 * student edits), the specimen (kept broken, src/LAB_unsafe.c), or the
 * kit's own code that needs no fix (one thread, or processes). */
enum rl_role { RL_EXERCISE, RL_SPECIMEN, RL_KIT };

/* One line of a program's --list: "NAME<TAB>ROLE<TAB>FILE", e.g.
 * "mutex	exercise	labs/counter.c" or "unsafe	specimen	src/counter_unsafe.c".
 * file NULL: the exercise file of lab, from the directory the program was
 * built from (labs/, solutions/ or IMPL=DIR: rl_exercise_file). */
void rl_list_line(const char *name, enum rl_role role, const char *lab, const char *file);

/* The same for a strategy in its usual place: "unsafe" is lab's specimen,
 * in src/LAB_unsafe.c; any other name is an exercise, in lab's file. */
void rl_list_strategy(const char *lab, const char *name);

/* "labs/counter.c": lab's exercise file as this program was built. These
 * three live in runtime/impl_dir.c, which the Makefile compiles once per IMPL
 * directory into each lab program (tests and benchmarks do not list). */
const char *rl_exercise_file(const char *lab);

/* ---- option parsing ---------------------------------------------------- */

enum rl_opt_kind {
    RL_OPT_FLAG,   /* sets a bool; takes no value */
    RL_OPT_LONG,   /* a whole number within [min, max], stored in a long */
    RL_OPT_U64,    /* a whole number within [min, max], stored in a uint64_t */
    RL_OPT_CHOICE, /* one of a NULL-terminated list of words; stores its index */
    RL_OPT_SECONDS,/* a duration in seconds, "2" or "0.25" (to the millisecond),
                      within [min, max] milliseconds; stored in a long, in ms */
    RL_OPT_TEXT,   /* a non-empty text of at most max bytes (max 0: any
                      length); stores the argument itself in a const char * */
};

struct rl_opt {
    const char *long_name;      /* "threads" for --threads */
    int short_name;             /* 't' for -t, or 0 */
    enum rl_opt_kind kind;
    const char *metavar;        /* "N", shown in --help */
    const char *help;           /* one line */
    uint64_t min, max;          /* RL_OPT_LONG, RL_OPT_U64; RL_OPT_SECONDS: in ms */
    const char *const *choices; /* RL_OPT_CHOICE */
    void *dest;                 /* bool *, long *, uint64_t *, int *, long * (ms)
                                   or const char ** */
    bool *seen;                 /* optional: set true when the option is given */
};

/* What an exit status of the program means, for --help. */
struct rl_exit_doc {
    int status;
    const char *meaning;        /* "updates were lost" */
};

struct rl_prog {
    const char *usage;          /* "[-s STRATEGY] [-t THREADS] ..." */
    const char *about;          /* paragraph(s) printed by --help */
    const struct rl_opt *opts;  /* terminated by an entry with long_name NULL */
    bool positional;            /* true: operands allowed; false: rejected */
    /* The program's own exit statuses, terminated by {0, NULL}; --help
     * lists them with the two every program has: 2 usage error, 4 output
     * could not be written. */
    const struct rl_exit_doc *exits;
};

/* The exit statuses every benchmark (bench/) has, for its rl_prog. */
extern const struct rl_exit_doc rl_bench_exits[];

/* Parses argv; --help prints the help and exits 0; any error exits 2.
 * Returns the index of the first operand. */
int rl_parse_options(int argc, char **argv, const struct rl_prog *prog);

/* The number parser behind the options, for operands too: accepts only
 * decimal digits (no sign, blanks or junk), within [min, max]. Returns NULL
 * and sets *out, or returns why the text was refused ("not a number", ...). */
const char *rl_parse_u64(const char *text, uint64_t min, uint64_t max,
                         uint64_t *out);

/* The duration parser behind RL_OPT_SECONDS: decimal digits, one point,
 * to the millisecond ("3", "0.5", ".25", "1.5000"; not "0.0001"); no sign,
 * exponent or blanks. Returns NULL and sets *ms, or why the text was refused. */
const char *rl_parse_seconds(const char *text, long min_ms, long max_ms, long *ms);

/* ---- checked pthread wrappers ------------------------------------------ */

/* Reports "prog: what failed: strerror(err) (error err)" and aborts. */
_Noreturn void rl_die_errno(const char *what, int err);

void rl_thread_create(pthread_t *t, void *(*fn)(void *), void *arg);
/* calloc, or "prog: what: Cannot allocate memory" and abort. */
void *rl_calloc(size_t n, size_t size, const char *what);
void rl_thread_join(pthread_t t, void **result);
void rl_mutex_init(pthread_mutex_t *m);
void rl_mutex_destroy(pthread_mutex_t *m);
void rl_mutex_lock(pthread_mutex_t *m);
void rl_mutex_unlock(pthread_mutex_t *m);
void rl_cond_init(pthread_cond_t *c);  /* on CLOCK_MONOTONIC */
void rl_cond_destroy(pthread_cond_t *c);
void rl_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
/* Waits until the monotonic time deadline_ns; returns false on time-out. */
bool rl_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                       int64_t deadline_ns);
void rl_cond_signal(pthread_cond_t *c);
void rl_cond_broadcast(pthread_cond_t *c);

/* A hint to the CPU that we are busy-waiting (x86 PAUSE, Arm YIELD): it
 * saves power and lets the other hyper-thread run. Not a scheduler yield. */
static inline void rl_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#endif
}

/* A small, fast, good pseudo-random generator (splitmix64): each call
 * advances *state and returns the next number. The same starting state
 * gives the same numbers. Not for secrets. */
uint64_t rl_random(uint64_t *state);

/* ---- time and workers -------------------------------------------------- */

/* Monotonic clock, in nanoseconds. */
int64_t rl_now_ns(void);

/* The median of v[0 .. n-1] (n >= 1; v is left as it was); when lo and
 * hi are not NULL, the smallest and the largest too: what a benchmark
 * reports of its rounds. */
double rl_median(const double *v, int n, double *lo, double *hi);

/* A benchmark's verdict on "a is at least `expected` times b", where ratio
 * is the medians' a / b, a_hi a's fastest round and b_lo b's slowest:
 * false (BELOW) only when the ratio falls short of expected by more than
 * RL_BENCH_NOISE *and* every round of a fell short of every round of b at
 * that ratio. Why the margin: two runs of one benchmark minutes apart differ
 * by more than the rounds within a run do. The same loop measured 0.81x to
 * 1.01x against itself at 2 threads over four runs of bench_counter
 * (sharded / slots, docs/counter.md), every round of a run on the same
 * side; a verdict inside that margin would be the run's, not the code's.
 * rl_bench_noise_note says so in one line, for the verdicts' heading. */
#define RL_BENCH_NOISE_PERCENT 20
#define RL_BENCH_NOISE (RL_BENCH_NOISE_PERCENT / 100.0)
bool rl_bench_meets(double ratio, double expected, double a_hi, double b_lo);
extern const char rl_bench_noise_note[];

/* A benchmark's table for scripts/plot.sh (--csv FILE): opens path and
 * writes "# UNIT" (when unit is not NULL: the y axis, if not million
 * operations per second) and the header "series,threads,median,low,high";
 * the rows are the caller's. A file that cannot be opened or written is
 * "prog: cannot write PATH" and exit 1. */
FILE *rl_csv_open(const char *path, const char *unit);
void rl_csv_close(FILE *f, const char *path);

/* The body of one worker: index is 0 .. nthreads-1. */
typedef void rl_worker_fn(int index, void *arg);

/* Starts nthreads threads (1 .. RL_MAX_THREADS) running fn(index, arg).
 * All wait at one barrier and start together; each gets fuzz stream index.
 * Joins them all and returns the seconds from the first worker's start to
 * the last worker's end. */
double rl_run_workers(int nthreads, rl_worker_fn *fn, void *arg);

/* Where rl_run_workers puts its threads, for benchmarks that must say
 * what they measured: a queue's producer and consumer on one CPU hand
 * items over through that CPU's cache, on two they pay for every line
 * that moves. UNPINNED (the default) leaves it to the scheduler; SAME_CPU
 * pins every worker to the first CPU this process may use; SEPARATE_CPUS
 * pins worker i to the i-th such CPU, round robin. Set while no worker
 * runs. */
enum rl_placement { RL_UNPINNED, RL_SAME_CPU, RL_SEPARATE_CPUS };
void rl_set_placement(enum rl_placement p);
const char *rl_placement_name(enum rl_placement p); /* "same CPU", ... */
int rl_cpus_allowed(void); /* CPUs this process may run on */

/* ---- the race-window amplifier ----------------------------------------- */

enum rl_fuzz_action { RL_FUZZ_NONE, RL_FUZZ_YIELD, RL_FUZZ_SLEEP, RL_FUZZ_WAKEUP };

/* What every lab program does with its --fuzz and --seed options: --seed
 * without --fuzz is a usage error (exit 2); --fuzz without --seed picks a
 * seed from the time and pid. Turns fuzzing on when fuzz is true and
 * returns the seed in use (to print, so a run can be repeated). */
uint64_t rl_fuzz_from_options(bool fuzz, bool seed_given, uint64_t seed);

/* Turns fuzzing on with a seed (streams restart), or off. Call while no
 * worker runs. */
void rl_fuzz_enable(uint64_t seed);
void rl_fuzz_disable(void);

/* Gives the calling thread its own random stream: the same (seed, stream)
 * always makes the same choices. rl_run_workers does this for its workers. */
void rl_fuzz_thread(unsigned stream);

/* A named point where a race can bite. With fuzzing off it costs one load;
 * on, it may yield or sleep a few microseconds. */
void(rl_fuzz)(const char *point);

/* True while fuzzing is on (atomic, relaxed): rl_fuzz's fast path. */
extern atomic_bool rl_fuzz_on;

/* In a build without ThreadSanitizer's instrumentation (the release build
 * the benchmarks measure), rl_fuzz is that one load inline, and the call
 * only when fuzzing is on: an amplifier switched off costs nothing, and a
 * benchmark measures the fix, not the marks. In the instrumented builds
 * (tsan, shake, explore), every mark stays a call, so that the load is
 * not one more access for TSan, the shake build and the explorer to see. */
#if !defined(__SANITIZE_THREAD__) && !defined(RL_FUZZ_ALWAYS_CALL)
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RL_FUZZ_ALWAYS_CALL 1
#endif
#endif
#endif
#if !defined(__SANITIZE_THREAD__) && !defined(RL_FUZZ_ALWAYS_CALL)
static inline void rl_fuzz_inline(const char *point)
{
    if (atomic_load_explicit(&rl_fuzz_on, memory_order_relaxed))
        rl_fuzz(point);
}
#define rl_fuzz(point) rl_fuzz_inline(point)
#endif

/* A condition wait about to block asks this first. With fuzzing on, it
 * returns true one time in four: the caller then returns at once, as if
 * woken for no reason, which POSIX allows ("spurious wake-up") and which a
 * wait in an `if` instead of a `while` cannot survive. rl_cond_wait and
 * rl_cond_timedwait ask it; so does every condition wait in the shake
 * build (runtime/shake.c). Off, it costs one load and returns false. A hook
 * (below) hears RL_FUZZ_WAKEUP or RL_FUZZ_NONE: NONE means "about to
 * block", which is how a test knows a thread is really waiting. */
bool rl_fuzz_wakeup(const char *point);

/* A window that must be wide on every run, not just now and then: with
 * fuzzing on, always sleeps between min_us and max_us microseconds (the
 * length drawn from the thread's stream). Off, it costs one load. For a
 * step that is slow in real life and is where a race bites: printing a row
 * to a slow terminal while the workers run on (lab 4's collector). */
void rl_fuzz_stall(const char *point, long min_us, long max_us);

/* Tooling can watch every choice at every point (called before the action,
 * in the thread that hits the point; the hook must be thread-safe). NULL
 * removes it. Set while no worker runs. */
typedef void rl_fuzz_hook(const char *point, unsigned stream,
                          enum rl_fuzz_action action);
void rl_fuzz_set_hook(rl_fuzz_hook *hook);

/* ---- the progress watchdog ---------------------------------------------- */

/*
 * One watchdog for every "nothing has moved for a while: say what is stuck
 * and stop" in the kit: the lab programs and drivers (queue, primes, bank),
 * the tests' per-test watchdog and their watched runs (runtime/rltest.c).
 *
 * The owner fills in the first five fields and leaves the rest zero (a
 * designated initialiser does), then either
 *   - rl_watchdog_start: a thread watches while the owner works. When it
 *     fires it flushes stdout, describes, flushes again and ends the process
 *     with _exit(exit_status), since the stuck threads cannot be joined.
 *     rl_watchdog_stop ends the watch.
 *   - rl_watchdog_watch: the calling thread watches until done(arg) is true
 *     (it asks every 10 ms). When it fires it describes and returns false;
 *     the owner decides what then.
 *
 * It fires once progress(ctx) has returned one value for quiet_ms on end
 * while no hold was on. A hold (rl_watchdog_hold .. rl_watchdog_release)
 * says standing still is fine for now: a long computation that moves no
 * count, or nothing to watch between two tests; the quiet period starts
 * again at the last release. With progress NULL nothing moves, and
 * quiet_ms is a deadline counted from the start, or from the last release.
 *
 * progress, describe and clock run while the watchdog's lock is held (in
 * the watching thread; clock in rl_watchdog_release too), and hold and
 * release take that lock: so they must not hold or release, whatever the
 * owner wrote before a release is visible to describe, and no hold can
 * slip in while the watchdog fires.
 */
struct rl_watchdog {
    long (*progress)(void *ctx);  /* a count that moves as the work does; NULL: none */
    void (*describe)(void *ctx, long progress); /* says what is stuck: called once,
                                     when it fires, with the count; may be NULL */
    void *ctx;                    /* for progress, describe and clock */
    long quiet_ms;                /* fire after the count stood still this long (> 0) */
    int64_t (*clock)(void *ctx);  /* the time in ns; NULL: rl_now_ns. For tests
                                     that drive the clock themselves. */

    /* The runtime's own: leave them zero. Guarded by lock (made by
     * rl_watchdog_start and rl_watchdog_watch). */
    pthread_mutex_t lock;
    pthread_cond_t wake;          /* signalled by rl_watchdog_stop */
    pthread_t thread;
    long last;                    /* the count at the last look */
    int64_t still_since;          /* when the count last moved, or a hold ended */
    int holds;
    int exit_status;
    bool fired, stopping;
};

/* A progress function for a ctx that points to an _Atomic long the workers
 * bump (relaxed): items moved, transfers done. */
long rl_watchdog_count(void *ctx);

/* Starts a thread that watches wd until rl_watchdog_stop; if it fires, the
 * process ends with _exit(exit_status), after describe. */
void rl_watchdog_start(struct rl_watchdog *wd, int exit_status);

/* Stops and joins the thread; wd may then be started again. */
void rl_watchdog_stop(struct rl_watchdog *wd);

/* Watches in the calling thread until done(arg) returns true (true), or
 * until it fires (false, after describe). Holds may be taken meanwhile, by
 * other threads or by done itself. */
bool rl_watchdog_watch(struct rl_watchdog *wd, bool (*done)(void *arg), void *arg);

/* A hold: while at least one is on, the watchdog does not fire. Any thread
 * may take one, between start and stop or during a watch. */
void rl_watchdog_hold(struct rl_watchdog *wd);
void rl_watchdog_release(struct rl_watchdog *wd);
/* ---- the overlap meter ------------------------------------------------- */

/*
 * A race bites only where two threads meet: one's step lands between
 * another's read and write, because they run on two CPUs at once, or
 * because one was switched out mid-step on a shared CPU. On a busy machine
 * the threads of a short run may never meet, and a run that came out right
 * proves nothing. The meter tells the two apart by measuring, not guessing:
 * a specimen calls rl_overlap_note(key) right after each racy step, outside
 * its race window, key naming the shared data (&count, &q->tail). A note
 * records the monotonic clock and the CPU (some 20-50 ns; no shared memory
 * is touched, so the race itself is not amplified) in the calling thread's
 * own log; rl_overlap_stop() merges the logs by time, per key:
 *   turns         two notes in a row from different threads: one thread's
 *                 step came between two of another's;
 *   side_by_side  those of them on two CPUs, less than RL_OVERLAP_NS apart:
 *                 the two threads were really running at once.
 * Where the specimen itself can see a near miss, it says so instead with
 * rl_overlap_saw(): a second look at shared data found that another
 * thread's write had landed since the first (lab 7's double-checked
 * locking: NULL on the fast path, built under the lock).
 * Limits: each thread keeps at most 16384 notes; past that, every second
 * one (then every fourth...) is dropped, so a long run's counts are lower
 * bounds. Off (the default, and in every test) a call costs one load.
 */
enum { RL_OVERLAP_NS = 1000 };

struct rl_overlap {
    long notes;         /* notes kept */
    long turns;         /* a note, then one on the same key by another thread */
    long side_by_side;  /* of the turns: on another CPU within RL_OVERLAP_NS */
    long seen;          /* rl_overlap_saw() calls */
};

/* Turns the meter on, counts from zero. Call while no worker runs. */
void rl_overlap_start(void);

/* Turns it off and returns what it saw. Call after every noting thread has
 * been joined. */
struct rl_overlap rl_overlap_stop(void);

/* One racy step on key just happened, in the calling thread. */
void rl_overlap_note(const void *key);

/* The calling thread just saw another thread's write to key land between
 * two of its own accesses (and the race did not bite: a near miss). */
void rl_overlap_saw(const void *key);

/* What a program prints before a right verdict when its meter saw the
 * threads barely meet, one line on f: "the 4 workers barely overlapped this
 * run (SEEN): a race needs them side by side; run with --fuzz to widen the
 * window", SEEN formatted from seen_fmt. */
void rl_overlap_say(FILE *f, int nthreads, const char *who, const char *seen_fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* RACELAB_H */

/*
 * spinner.h - lab 5: a spinner turns `\|/-` and a message about ten times a
 * second while slow() works; then the line is cleared and the answer
 * printed. The same spinner, five ways, each stopped its own way:
 *
 *   thread   a spinner thread, stopped by an Event (below) that it waits
 *            on for 0.1 s per frame; slow() runs in the main thread.
 *   process  a forked child draws; the parent stops it by closing a pipe,
 *            then reaps it.
 *   loop     one thread: an event loop on poll() runs the spinner and
 *            slow() as cooperative tasks; slow's end cancels the spinner.
 *   unsafe   the specimen: slow() runs in a worker thread, which stores
 *            the answer and sets a plain bool `done`; the main thread
 *            draws frames and polls done. A data race, twice.
 *   flag     the specimen fixed: the same shape, with the done flag of
 *            the exercise (below).
 *
 * Two exercises, in labs/spinner.c (grade them: make check LAB=spinner):
 *   event   the Event, the analogue of Python's threading.Event;
 *   flag    the done flag.
 * solutions/spinner.c holds the reference fixes; src/spinner_*.c the rest.
 */
#ifndef SPINNER_H
#define SPINNER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ---- the Event (exercise "event") -------------------------------------- */

/* A flag that starts unset, is set once, and can be waited for. Its type is
 * the exercise's to choose (labs/spinner.c). Every function may be called
 * by any number of threads at once, between create and destroy. */
struct event;

/* A new, unset event; never NULL (allocation failure aborts). */
struct event *event_create(void);

/* Frees ev. No thread may use it any more. */
void event_destroy(struct event *ev);

/* Sets ev and wakes every thread waiting in event_wait. Setting a set event
 * does nothing more. Whatever the setter wrote before event_set is visible
 * to a thread once event_is_set or event_wait has returned true to it. */
void event_set(struct event *ev);

/* Whether ev has been set. Never blocks. */
bool event_is_set(struct event *ev);

/* Waits until ev is set, or until timeout_s seconds (>= 0) have passed on
 * the monotonic clock, whichever comes first. Returns true when ev is set
 * (at once if it already was), false after the full timeout with ev
 * still unset - never earlier, whatever wakes the thread up. */
bool event_wait(struct event *ev, double timeout_s);

/* ---- the done flag (exercise "flag") ------------------------------------ */

/* One flag for the whole program, set by one thread and polled by another.
 * done_flag_reset is called while no other thread uses the flag. Whatever
 * the setter wrote before done_flag_set (the answer) is visible to a thread
 * once done_flag_is_set has returned true to it. */
void done_flag_reset(void);
void done_flag_set(void);
bool done_flag_is_set(void);

/* ---- the program (src/spinner_run.c) ------------------------------------ */

enum spinner_mode { SPINNER_THREAD, SPINNER_PROCESS, SPINNER_LOOP, SPINNER_UNSAFE,
                    SPINNER_FLAG };

/* The mode names, in enum order, NULL-terminated: "thread", ... */
extern const char *const spinner_modes[];

/* What slow() checks with --cpu: a prime that takes trial division a sixth
 * of a second at -O2 (3.3 s in the seeds' Python). */
#define SPINNER_CPU_PRIME 5000111000222021ULL
#define SPINNER_MESSAGE "thinking!"
#define SPINNER_FRAMES "\\|/-"      /* drawn in this order, round and round */
#define SPINNER_ANSWER 42

struct spinner_options {
    enum spinner_mode mode;
    long slow_ms;           /* how long slow() works */
    bool cpu;               /* slow() checks a prime again and again for slow_ms
                               (at least once) instead of sleeping */
    uint64_t cpu_prime;     /* what it checks; 0 means SPINNER_CPU_PRIME */
    bool blocking;          /* loop: slow() blocks the loop instead of yielding */
    bool tty;               /* draw frames in place with '\r' and clear the line
                               at the end; false: one line per frame, no clearing */
};

/* What a run measured, for tests and the benchmark. */
struct spinner_stats {
    long frames;            /* frames drawn */
    int64_t slow_done_ns;   /* rl_now_ns() when slow() returned (0 if it did not) */
    int64_t stopped_ns;     /* when the spinner had stopped and cleared its line */
};

/* Runs the spinner in mode o->mode while slow() works, then prints
 * "Answer: 42" on out. SIGINT during the run stops the spinner, clears
 * the line and reaps or joins what the mode started; nothing is printed
 * after that. Returns 0 when answered, 130 when interrupted, 1 when the
 * spinner itself failed (its process killed: said on stderr). The run
 * restores SIGINT's handler and mask before returning. stats may be NULL. */
int spinner_run(const struct spinner_options *o, FILE *out, struct spinner_stats *stats);

/* Checks text is all a run prints (src/spinner_check.c): frames (in place
 * when tty, a line each otherwise), when tty and any frame was drawn the
 * cleared line, then "Answer: 42\n" when answered; nothing else. Returns
 * NULL, or what is wrong (a static buffer); sets *frames. */
const char *spinner_check_output(const char *text, bool tty, bool answered, long *frames);

/* ---- shared by the modes (src/spinner_shared.c) ------------------------- */

/* One run's context: what every mode's code needs. */
struct spinner_ctx {
    const struct spinner_options *o;
    FILE *out;
    long frames;            /* drawn so far by this process */
    int stop_fd;            /* readable once SIGINT has come: poll it */
    struct spinner_stats *stats;
};

/* Draws frame number ctx->frames (and counts it); clears the line. Both
 * flush out. */
void spinner_draw(struct spinner_ctx *ctx);
void spinner_clear(struct spinner_ctx *ctx);

/* slow(): works for o->slow_ms (sleeping, or with o->cpu checking the
 * prime), then returns SPINNER_ANSWER; returns -1 as soon as SIGINT has
 * come (a check under way finishes first). Blocks the calling thread. */
int spinner_slow(struct spinner_ctx *ctx);

/* Whether SIGINT has come during this run. */
bool spinner_interrupted(const struct spinner_ctx *ctx);

/* Sleeps up to ms milliseconds or until SIGINT comes; false if it came. */
bool spinner_nap(struct spinner_ctx *ctx, long ms);

/* The modes that live in files of their own (thread, unsafe and flag are
 * in spinner_run.c, whose table of modes calls these). Each returns the
 * answer, -1 when interrupted, or -2 when the spinner failed. */
int spinner_process_run(struct spinner_ctx *ctx);
int spinner_loop_run(struct spinner_ctx *ctx);

/* unsafe and flag: one driver (spinner_run.c), two flags. */
struct spinner_flag {
    void (*reset)(void);
    void (*set)(void);
    bool (*is_set)(void);
};
extern const struct spinner_flag spinner_unsafe_flag; /* src/spinner_unsafe.c */

#endif /* SPINNER_H */

/*
 * racelab.c - the shared runtime: program set-up, option parsing, checked
 * pthread wrappers, workers behind a start barrier, the race-window
 * amplifier, the progress watchdog and the overlap meter. See
 * include/racelab.h for the contract of each piece.
 */
#define _GNU_SOURCE
#include "racelab.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

/* ---- program set-up and exit ------------------------------------------ */

static const char *progname = "racelab"; /* set once in rl_init, before threads */

void rl_init(const char *argv0)
{
    if (argv0 && *argv0) {
        const char *slash = strrchr(argv0, '/');
        progname = slash ? slash + 1 : argv0;
    }
    /* A closed pipe becomes an EPIPE error that rl_exit handles, not a
     * signal that kills us half-way through a line. */
    signal(SIGPIPE, SIG_IGN);
}

_Noreturn void rl_exit(int status)
{
    if (fflush(stdout) == EOF || ferror(stdout)) {
        if (errno != EPIPE) {
            fprintf(stderr, "%s: error writing output: %s\n", progname,
                    strerror(errno));
            status = 4;
        }
        /* The reader went away: nothing more to say to it. Drop what is
         * still buffered so exit() does not try again, but do exit():
         * sanitizers report and set the exit status in their exit hooks. */
        __fpurge(stdout);
    }
    exit(status);
}

_Noreturn void rl_usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "; try '%s --help'\n", progname);
    exit(2);
}

/* ---- the verdict line -------------------------------------------------- */

static const char *const verdict_words[] = {"ok", "broken", "deadlock", "stuck"};

int rl_verdict_status(enum rl_verdict v)
{
    return v == RL_OK ? 0 : v == RL_BROKEN ? 1 : 3;
}

static void say_verdict(FILE *out, enum rl_verdict v, const char *fmt, va_list ap)
{
    fprintf(out, "verdict: %s: ", verdict_words[v]);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    fflush(out);
}

void rl_say_verdict(FILE *out, enum rl_verdict v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_verdict(out, v, fmt, ap);
    va_end(ap);
}

_Noreturn void rl_verdict(enum rl_verdict v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_verdict(stdout, v, fmt, ap);
    va_end(ap);
    rl_exit(rl_verdict_status(v));
}

/* ---- option parsing ---------------------------------------------------- */

const struct rl_exit_doc rl_bench_exits[] = {
    {0, "every strategy's runs came out right: the numbers count"},
    {1, "a strategy's run was wrong: its row says what, and has no numbers"},
    {0, NULL},
};

const char *rl_parse_u64(const char *text, uint64_t min, uint64_t max,
                         uint64_t *out)
{
    static char too_large[64], too_small[64]; /* written before any thread */
    const char *p = text;
    uint64_t value = 0;
    bool overflow = false;

    if (*p == '\0')
        return "empty value, expected a whole number";
    if (*p == '-' && p[1] >= '0' && p[1] <= '9')
        return "must not be negative";
    if (*p < '0' || *p > '9')
        return "not a whole number";
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (value > (UINT64_MAX - digit) / 10)
            overflow = true;
        else
            value = value * 10 + digit;
    }
    if (*p != '\0')
        return "trailing characters after the number";
    if (overflow || value > max) {
        snprintf(too_large, sizeof too_large, "too large (at most %" PRIu64 ")",
                 max);
        return too_large;
    }
    if (value < min) {
        snprintf(too_small, sizeof too_small, "must be at least %" PRIu64, min);
        return too_small;
    }
    *out = value;
    return NULL;
}

const char *rl_parse_seconds(const char *text, long min_ms, long max_ms, long *ms)
{
    static char too_large[64], too_small[64]; /* written before any thread */
    const char *p = text;
    long whole = 0, frac = 0;
    int digits = 0, decimals = 0;

    if (*p == '\0')
        return "empty value, expected seconds";
    if (*p == '-' && ((p[1] >= '0' && p[1] <= '9') || p[1] == '.'))
        return "must not be negative";
    for (; *p >= '0' && *p <= '9'; p++, digits++)
        if (whole <= max_ms / 1000)
            whole = whole * 10 + (*p - '0');
    bool finer = false; /* a non-zero digit past the millisecond */
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, decimals++) {
            if (decimals < 3)
                frac = frac * 10 + (*p - '0');
            else
                finer |= *p != '0';
        }
    }
    if (digits + decimals == 0)
        return "not a number of seconds";
    if (*p != '\0')
        return "trailing characters after the number";
    if (finer)
        return "more precise than a millisecond";
    for (int d = decimals; d < 3; d++)
        frac *= 10;
    if (whole > max_ms / 1000 || whole * 1000 + frac > max_ms) {
        snprintf(too_large, sizeof too_large, "too long (at most %ld.%03ld s)",
                 max_ms / 1000, max_ms % 1000);
        return too_large;
    }
    if (whole * 1000 + frac < min_ms) {
        snprintf(too_small, sizeof too_small, "too short (at least %ld.%03ld s)",
                 min_ms / 1000, min_ms % 1000);
        return too_small;
    }
    *ms = whole * 1000 + frac;
    return NULL;
}

/* "-t/--threads" or "--fuzz": how messages name an option. */
static const char *opt_label(const struct rl_opt *o)
{
    static char buf[80];
    if (o->short_name)
        snprintf(buf, sizeof buf, "-%c/--%s", o->short_name, o->long_name);
    else
        snprintf(buf, sizeof buf, "--%s", o->long_name);
    return buf;
}

static void print_help(const struct rl_prog *prog)
{
    printf("usage: %s %s\n\n%s\n\noptions:\n", progname, prog->usage,
           prog->about);
    for (const struct rl_opt *o = prog->opts; o->long_name; o++) {
        char left[64];
        int n;
        if (o->short_name)
            n = snprintf(left, sizeof left, "-%c, --%s", o->short_name,
                         o->long_name);
        else
            n = snprintf(left, sizeof left, "    --%s", o->long_name);
        if (o->metavar && n > 0 && (size_t)n < sizeof left)
            snprintf(left + n, sizeof left - (size_t)n, " %s", o->metavar);
        printf("  %-28s %s", left, o->help);
        if (o->kind == RL_OPT_CHOICE) {
            printf(": ");
            for (const char *const *c = o->choices; *c; c++)
                printf("%s%s", c == o->choices ? "" : ", ", *c);
        }
        printf("\n");
    }
    printf("  %-28s %s\n", "-h, --help", "show this help and exit");
    if (!prog->exits)
        return;
    /* The program's statuses in order, with the two every program has. */
    static const struct rl_exit_doc common[] = {
        {2, "usage error (a line on stderr says what)"},
        {4, "output could not be written (a reader that went away is no error)"},
    };
    printf("\nexit status:\n");
    const struct rl_exit_doc *own = prog->exits;
    size_t c = 0;
    while (own->meaning || c < 2) {
        const struct rl_exit_doc *e =
            !own->meaning || (c < 2 && common[c].status < own->status) ? &common[c++] : own++;
        printf("  %-3d %s\n", e->status, e->meaning);
    }
}

static void set_value(const struct rl_opt *o, const char *arg)
{
    uint64_t v = 0;
    const char *why;

    switch (o->kind) {
    case RL_OPT_FLAG:
        *(bool *)o->dest = true;
        return;
    case RL_OPT_CHOICE:
        for (int i = 0; o->choices[i]; i++) {
            if (strcmp(arg, o->choices[i]) == 0) {
                *(int *)o->dest = i;
                return;
            }
        }
        {
            char list[256] = "";
            size_t used = 0;
            for (int i = 0; o->choices[i] && used < sizeof list; i++)
                used += (size_t)snprintf(list + used, sizeof list - used,
                                         "%s%s", i ? ", " : "", o->choices[i]);
            rl_usage_error("option %s '%s': not one of %s", opt_label(o), arg,
                           list);
        }
    case RL_OPT_LONG:
    case RL_OPT_U64:
        why = rl_parse_u64(arg, o->min, o->max, &v);
        if (why)
            rl_usage_error("option %s '%s': %s", opt_label(o), arg, why);
        if (o->kind == RL_OPT_LONG)
            *(long *)o->dest = (long)v;
        else
            *(uint64_t *)o->dest = v;
        return;
    case RL_OPT_SECONDS:
        why = rl_parse_seconds(arg, (long)o->min, (long)o->max, (long *)o->dest);
        if (why)
            rl_usage_error("option %s '%s': %s", opt_label(o), arg, why);
        return;
    case RL_OPT_TEXT:
        if (arg[0] == '\0')
            rl_usage_error("option %s: empty value", opt_label(o));
        if (o->max && strlen(arg) > o->max)
            rl_usage_error("option %s '%.40s...': longer than %" PRIu64 " characters",
                           opt_label(o), arg, o->max);
        *(const char **)o->dest = arg;
        return;
    }
}

/* The table entry getopt_long answers with: its short letter, or 256 plus
 * its index when it has none. NULL for anything else. */
static const struct rl_opt *find_opt(const struct rl_prog *prog, int c)
{
    int i = 0;
    for (const struct rl_opt *o = prog->opts; o->long_name; o++, i++)
        if (c == (o->short_name ? o->short_name : 256 + i))
            return o;
    return NULL;
}

/* getopt_long returned '?'. optopt tells what went wrong: 0 for a long
 * option it does not know (or cannot tell from another: "--s"), the
 * option's own value for a flag given "=value", a letter for an unknown
 * short option. (argv[optind - 1] names the argument only in the first
 * case: inside a cluster such as "-xy", optind has not moved yet.) */
_Noreturn static void option_error(const struct rl_prog *prog,
                                   const char *last,
                                   const struct option *longopts)
{
    if (optopt == 0) {
        int len = (int)strcspn(last, "=");
        int matches = 0;
        for (const struct option *l = longopts; l->name; l++)
            if (len > 2 && strncmp(l->name, last + 2, (size_t)len - 2) == 0)
                matches++;
        if (matches > 1)
            rl_usage_error("option '%.*s' is ambiguous", len, last);
        rl_usage_error("unknown option '%.*s'", len, last);
    }
    if (optopt == 'h')
        rl_usage_error("option --help takes no value");
    const struct rl_opt *o = find_opt(prog, optopt);
    if (o)
        rl_usage_error("option %s takes no value", opt_label(o));
    rl_usage_error("unknown option '-%c'", optopt);
}

int rl_parse_options(int argc, char **argv, const struct rl_prog *prog)
{
    struct option longopts[32];
    char shortopts[80] = ":h"; /* ':' first: report a missing value as ':' */
    size_t nopts = 0, ns = strlen(shortopts);

    for (const struct rl_opt *o = prog->opts; o->long_name; o++, nopts++) {
        if (nopts + 2 > sizeof longopts / sizeof longopts[0] ||
            ns + 3 > sizeof shortopts)
            rl_die_errno("rl_parse_options: option table too long", E2BIG);
        int has_arg = o->kind == RL_OPT_FLAG ? no_argument : required_argument;
        longopts[nopts] = (struct option){o->long_name, has_arg, NULL,
                                          o->short_name ? o->short_name
                                                        : 256 + (int)nopts};
        if (o->short_name) {
            shortopts[ns++] = (char)o->short_name;
            if (has_arg)
                shortopts[ns++] = ':';
        }
    }
    longopts[nopts++] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[nopts] = (struct option){NULL, 0, NULL, 0};
    shortopts[ns] = '\0';

    opterr = 0;
    optind = 1;
    for (;;) {
        int c = getopt_long(argc, argv, shortopts, longopts, NULL);
        if (c == -1)
            break;
        if (c == 'h') {
            print_help(prog);
            rl_exit(0);
        }
        if (c == ':') {
            const struct rl_opt *o = find_opt(prog, optopt);
            rl_usage_error("option %s needs a value", o ? opt_label(o) : "?");
        }
        if (c == '?')
            option_error(prog, argv[optind - 1], longopts);
        const struct rl_opt *o = find_opt(prog, c);
        set_value(o, optarg);
        if (o->seen)
            *o->seen = true;
    }
    if (!prog->positional && optind < argc)
        rl_usage_error("unexpected argument '%s'", argv[optind]);
    return optind;
}

/* ---- checked pthread wrappers ------------------------------------------ */

_Noreturn void rl_die_errno(const char *what, int err)
{
    fprintf(stderr, "%s: %s failed: %s (error %d)\n", progname, what,
            strerror(err), err);
    abort();
}

static void check(int err, const char *what)
{
    if (err != 0)
        rl_die_errno(what, err);
}

void *rl_calloc(size_t n, size_t size, const char *what)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        rl_die_errno(what, ENOMEM);
    return p;
}

void rl_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
    check(pthread_create(t, NULL, fn, arg), "pthread_create");
}

void rl_thread_join(pthread_t t, void **result)
{
    check(pthread_join(t, result), "pthread_join");
}

void rl_mutex_init(pthread_mutex_t *m)
{
    check(pthread_mutex_init(m, NULL), "pthread_mutex_init");
}

void rl_mutex_destroy(pthread_mutex_t *m)
{
    check(pthread_mutex_destroy(m), "pthread_mutex_destroy");
}

void rl_mutex_lock(pthread_mutex_t *m)
{
    check(pthread_mutex_lock(m), "pthread_mutex_lock");
}

void rl_mutex_unlock(pthread_mutex_t *m)
{
    check(pthread_mutex_unlock(m), "pthread_mutex_unlock");
}

void rl_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t attr;
    check(pthread_condattr_init(&attr), "pthread_condattr_init");
    check(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC),
          "pthread_condattr_setclock");
    check(pthread_cond_init(c, &attr), "pthread_cond_init");
    check(pthread_condattr_destroy(&attr), "pthread_condattr_destroy");
}

void rl_cond_destroy(pthread_cond_t *c)
{
    check(pthread_cond_destroy(c), "pthread_cond_destroy");
}

void rl_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    if (rl_fuzz_wakeup("cond wait: spurious wake-up"))
        return;
    check(pthread_cond_wait(c, m), "pthread_cond_wait");
}

bool rl_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                       int64_t deadline_ns)
{
    struct timespec ts = {.tv_sec = deadline_ns / 1000000000,
                          .tv_nsec = deadline_ns % 1000000000};
    if (rl_fuzz_wakeup("cond wait: spurious wake-up"))
        return rl_now_ns() < deadline_ns;
    int err = pthread_cond_timedwait(c, m, &ts);
    if (err == ETIMEDOUT)
        return false;
    check(err, "pthread_cond_timedwait");
    return true;
}

void rl_cond_signal(pthread_cond_t *c)
{
    check(pthread_cond_signal(c), "pthread_cond_signal");
}

void rl_cond_broadcast(pthread_cond_t *c)
{
    check(pthread_cond_broadcast(c), "pthread_cond_broadcast");
}

/* ---- time and workers -------------------------------------------------- */

int64_t rl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct workers {
    rl_worker_fn *fn;
    void *arg;
    pthread_barrier_t start; /* nthreads workers + the caller */
};

struct worker {
    struct workers *shared;
    int index;
    int64_t start_ns, end_ns; /* written by the worker, read after join */
};

static _Atomic int placement; /* enum rl_placement; atomic, relaxed: set while no worker runs */

void rl_set_placement(enum rl_placement p)
{
    atomic_store_explicit(&placement, (int)p, memory_order_relaxed);
}

const char *rl_placement_name(enum rl_placement p)
{
    return p == RL_SAME_CPU ? "same CPU" : p == RL_SEPARATE_CPUS ? "separate CPUs" : "unpinned";
}

int rl_cpus_allowed(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    return CPU_COUNT(&set);
}

/* Pins the calling worker as the placement says: to the k-th CPU this
 * process may use. */
static void place(int index)
{
    enum rl_placement p = (enum rl_placement)atomic_load_explicit(&placement,
                                                                  memory_order_relaxed);
    if (p == RL_UNPINNED)
        return;
    cpu_set_t allowed, one;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        return;
    int want = p == RL_SAME_CPU ? 0 : index % CPU_COUNT(&allowed);
    for (int cpu = 0, k = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &allowed))
            continue;
        if (k++ == want) {
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            int err = pthread_setaffinity_np(pthread_self(), sizeof one, &one);
            if (err != 0)
                rl_die_errno("pthread_setaffinity_np", err);
            return;
        }
    }
}

static void *worker_main(void *p)
{
    struct worker *w = p;
    place(w->index);
    rl_fuzz_thread((unsigned)w->index);
    int err = pthread_barrier_wait(&w->shared->start);
    if (err != 0 && err != PTHREAD_BARRIER_SERIAL_THREAD)
        rl_die_errno("pthread_barrier_wait", err);
    w->start_ns = rl_now_ns();
    w->shared->fn(w->index, w->shared->arg);
    w->end_ns = rl_now_ns();
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double rl_median(const double *v, int n, double *lo, double *hi)
{
    double *s = rl_calloc((size_t)n, sizeof *s, "rl_median");
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, by_value);
    double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    if (lo)
        *lo = s[0];
    if (hi)
        *hi = s[n - 1];
    free(s);
    return m;
}

bool rl_bench_meets(double ratio, double expected, double a_hi, double b_lo)
{
    return ratio >= expected * (1.0 - RL_BENCH_NOISE) || a_hi >= b_lo * expected;
}

#define RL_STR_(x) #x
#define RL_STR(x) RL_STR_(x)
const char rl_bench_noise_note[] = "(met within " RL_STR(RL_BENCH_NOISE_PERCENT)
    "% of the mark, or when the rounds overlap: runs here differ by that much)";

FILE *rl_csv_open(const char *path, const char *unit)
{
    FILE *f = fopen(path, "w");
    if (!f || (unit && fprintf(f, "# %s\n", unit) < 0) ||
        fprintf(f, "series,threads,median,low,high\n") < 0) {
        fprintf(stderr, "%s: cannot write %s\n", progname, path);
        rl_exit(1);
    }
    return f;
}

void rl_csv_close(FILE *f, const char *path)
{
    if (ferror(f) | (fclose(f) != 0)) {
        fprintf(stderr, "%s: cannot write %s\n", progname, path);
        rl_exit(1);
    }
}

double rl_run_workers(int nthreads, rl_worker_fn *fn, void *arg)
{
    if (nthreads < 1 || nthreads > RL_MAX_THREADS)
        rl_die_errno("rl_run_workers: thread count", EINVAL);

    struct workers shared = {.fn = fn, .arg = arg};
    pthread_t tids[RL_MAX_THREADS];
    struct worker ws[RL_MAX_THREADS];

    check(pthread_barrier_init(&shared.start, NULL, (unsigned)nthreads + 1),
          "pthread_barrier_init");
    for (int i = 0; i < nthreads; i++) {
        ws[i] = (struct worker){.shared = &shared, .index = i};
        rl_thread_create(&tids[i], worker_main, &ws[i]);
    }
    int err = pthread_barrier_wait(&shared.start);
    if (err != 0 && err != PTHREAD_BARRIER_SERIAL_THREAD)
        rl_die_errno("pthread_barrier_wait", err);
    /* The run lasts from the first worker's start to the last one's end,
     * whatever the main thread was doing meanwhile. */
    int64_t first = INT64_MAX, last = INT64_MIN;
    for (int i = 0; i < nthreads; i++) {
        rl_thread_join(tids[i], NULL);
        first = ws[i].start_ns < first ? ws[i].start_ns : first;
        last = ws[i].end_ns > last ? ws[i].end_ns : last;
    }
    check(pthread_barrier_destroy(&shared.start), "pthread_barrier_destroy");
    return (double)(last - first) / 1e9;
}

/* ---- the race-window amplifier ----------------------------------------- */

/*
 * Each thread draws from its own splitmix64 stream (rl_random), seeded
 * from (seed, stream index), so a given seed makes every thread take the
 * same choices at its n-th point on every run. The choice at a point:
 *   60/64 nothing, 2/64 sched_yield(), 2/64 sleep 1..32 microseconds.
 * Rare enough that a million points cost well under a second, often
 * enough that a thousand-point test sees dozens of pauses.
 * A sleep hands the CPU to another thread even on one core, which is what
 * makes a two-step read-then-write lose an update on every run.
 */
atomic_bool rl_fuzz_on;                       /* atomic, relaxed: set while no worker runs */
static atomic_uint_fast64_t fuzz_seed;        /* atomic, relaxed: as fuzz_on */
static atomic_uint fuzz_epoch;                /* atomic, relaxed: bumped by rl_fuzz_enable */
static atomic_uint fuzz_next_stream = 1000;   /* atomic, relaxed: for unnamed threads */
static _Atomic(rl_fuzz_hook *) fuzz_hook;     /* atomic, release/acquire */

struct fuzz_stream {
    uint64_t state;
    unsigned stream;
    unsigned epoch; /* the fuzz_epoch this state was seeded in */
    bool named;     /* stream chosen by rl_fuzz_thread */
};
static _Thread_local struct fuzz_stream tl_stream; /* thread-private */

uint64_t rl_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void seed_stream(unsigned stream)
{
    uint64_t s = atomic_load_explicit(&fuzz_seed, memory_order_relaxed) ^
                 ((uint64_t)stream * 0xd1b54a32d192ed03u);
    tl_stream.state = rl_random(&s);
    tl_stream.stream = stream;
    tl_stream.epoch = atomic_load_explicit(&fuzz_epoch, memory_order_relaxed);
}

void rl_fuzz_enable(uint64_t seed)
{
    atomic_store_explicit(&fuzz_seed, seed, memory_order_relaxed);
    atomic_fetch_add_explicit(&fuzz_epoch, 1, memory_order_relaxed);
    atomic_store_explicit(&rl_fuzz_on, true, memory_order_relaxed);
}

uint64_t rl_fuzz_from_options(bool fuzz, bool seed_given, uint64_t seed)
{
    if (seed_given && !fuzz)
        rl_usage_error("option --seed '%" PRIu64 "': only means something with --fuzz", seed);
    if (!fuzz)
        return 0;
    if (!seed_given)
        seed = (uint64_t)time(NULL) % 1000000 * 1000 + (uint64_t)getpid() % 1000;
    rl_fuzz_enable(seed);
    return seed;
}

void rl_fuzz_disable(void)
{
    atomic_store_explicit(&rl_fuzz_on, false, memory_order_relaxed);
}

void rl_fuzz_thread(unsigned stream)
{
    tl_stream.named = true;
    seed_stream(stream);
    /* Sleeps of a few microseconds need the timer to be punctual: the
     * default 50 us slack would stretch every one of them. */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
}

void rl_fuzz_set_hook(rl_fuzz_hook *hook)
{
    atomic_store_explicit(&fuzz_hook, hook, memory_order_release);
}

/* The next number of the calling thread's stream. */
static uint64_t fuzz_draw(void)
{
    unsigned epoch = atomic_load_explicit(&fuzz_epoch, memory_order_relaxed);
    if (tl_stream.epoch != epoch) { /* first point since rl_fuzz_enable */
        unsigned stream = tl_stream.named
            ? tl_stream.stream
            : atomic_fetch_add_explicit(&fuzz_next_stream, 1,
                                        memory_order_relaxed);
        seed_stream(stream);
    }
    return rl_random(&tl_stream.state);
}

static void fuzz_tell_hook(const char *point, enum rl_fuzz_action action)
{
    /* acquire: pairs with the release in rl_fuzz_set_hook, so the hook's
     * own set-up is visible before it is called. */
    rl_fuzz_hook *hook = atomic_load_explicit(&fuzz_hook, memory_order_acquire);
    if (hook)
        hook(point, tl_stream.stream, action);
}

bool rl_fuzz_wakeup(const char *point)
{
    if (!atomic_load_explicit(&rl_fuzz_on, memory_order_relaxed))
        return false;
    bool wake = (fuzz_draw() & 3) == 0;
    /* The hook hears both answers: NONE means the caller is about to block
     * (tests use that to know a thread is really waiting). */
    fuzz_tell_hook(point, wake ? RL_FUZZ_WAKEUP : RL_FUZZ_NONE);
    return wake;
}

void rl_fuzz_stall(const char *point, long min_us, long max_us)
{
    if (!atomic_load_explicit(&rl_fuzz_on, memory_order_relaxed))
        return;
    uint64_t r = fuzz_draw();
    fuzz_tell_hook(point, RL_FUZZ_SLEEP);
    long span = max_us > min_us ? max_us - min_us + 1 : 1;
    long us = min_us + (long)(r % (uint64_t)span);
    struct timespec ts = {us / 1000000, us % 1000000 * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void(rl_fuzz)(const char *point) /* (in parentheses: not the macro) */
{
    if (!atomic_load_explicit(&rl_fuzz_on, memory_order_relaxed))
        return;
    uint64_t r = fuzz_draw();
    unsigned pick = (unsigned)(r & 63);
    enum rl_fuzz_action action = pick < 60 ? RL_FUZZ_NONE
                               : pick < 62 ? RL_FUZZ_YIELD
                                           : RL_FUZZ_SLEEP;

    fuzz_tell_hook(point, action);

    if (action == RL_FUZZ_YIELD) {
        sched_yield();
    } else if (action == RL_FUZZ_SLEEP) {
        struct timespec ts = {0, (long)(1 + (r >> 8) % 32) * 1000};
        nanosleep(&ts, NULL);
    }
}

/* ---- the progress watchdog ---------------------------------------------- */

/*
 * One look: the watchdog's whole judgement, shared by the watching thread
 * and rl_watchdog_watch. A moved count or a hold restarts the quiet
 * period; a quiet period run out fires (describing once). Called with
 * wd->lock held. Its waits are plain pthread calls, never rl_cond_*: a
 * watchdog must not draw from the fuzz streams, or a seeded run would not
 * repeat.
 */
static int64_t watchdog_now(struct rl_watchdog *wd)
{
    return wd->clock ? wd->clock(wd->ctx) : rl_now_ns();
}

static void watchdog_begin(struct rl_watchdog *wd)
{
    rl_mutex_init(&wd->lock);
    wd->last = wd->progress ? wd->progress(wd->ctx) : 0;
    wd->still_since = watchdog_now(wd);
    wd->holds = 0;
    wd->fired = false;
    wd->stopping = false;
}

static bool watchdog_look(struct rl_watchdog *wd)
{
    int64_t now = watchdog_now(wd);
    long count = wd->progress ? wd->progress(wd->ctx) : 0;
    if (count != wd->last || wd->holds > 0) {
        wd->last = count;
        wd->still_since = now;
        return false;
    }
    if (now - wd->still_since < (int64_t)wd->quiet_ms * 1000000)
        return false;
    if (!wd->fired && wd->describe) {
        fflush(stdout); /* what the run printed comes before the account */
        wd->describe(wd->ctx, count);
    }
    wd->fired = true;
    return true;
}

long rl_watchdog_count(void *ctx)
{
    return atomic_load_explicit((_Atomic long *)ctx, memory_order_relaxed);
}

static void *watchdog_main(void *p)
{
    struct rl_watchdog *wd = p;
    /* Looks twenty times a quiet period, at most every 0.1 s: it fires
     * within a twentieth of the period late, and costs nothing meanwhile. */
    long tick_ms = wd->quiet_ms / 20 < 1 ? 1 : wd->quiet_ms / 20 > 100 ? 100 : wd->quiet_ms / 20;
    rl_mutex_lock(&wd->lock);
    while (!wd->stopping) {
        int64_t at = rl_now_ns() + tick_ms * 1000000;
        struct timespec ts = {.tv_sec = at / 1000000000, .tv_nsec = at % 1000000000};
        int err = pthread_cond_timedwait(&wd->wake, &wd->lock, &ts);
        if (err != 0 && err != ETIMEDOUT)
            rl_die_errno("pthread_cond_timedwait", err);
        if (!wd->stopping && watchdog_look(wd)) {
            /* Still holding the lock: no hold or release can slip in. */
            fflush(NULL);
            _exit(wd->exit_status);
        }
    }
    rl_mutex_unlock(&wd->lock);
    return NULL;
}

void rl_watchdog_start(struct rl_watchdog *wd, int exit_status)
{
    if (wd->quiet_ms <= 0)
        rl_die_errno("rl_watchdog_start: quiet_ms", EINVAL);
    watchdog_begin(wd);
    wd->exit_status = exit_status;
    rl_cond_init(&wd->wake);
    rl_thread_create(&wd->thread, watchdog_main, wd);
}

void rl_watchdog_stop(struct rl_watchdog *wd)
{
    rl_mutex_lock(&wd->lock);
    wd->stopping = true;
    rl_cond_signal(&wd->wake);
    rl_mutex_unlock(&wd->lock);
    rl_thread_join(wd->thread, NULL);
    rl_cond_destroy(&wd->wake);
    rl_mutex_destroy(&wd->lock);
}

bool rl_watchdog_watch(struct rl_watchdog *wd, bool (*done)(void *arg), void *arg)
{
    if (wd->quiet_ms <= 0)
        rl_die_errno("rl_watchdog_watch: quiet_ms", EINVAL);
    watchdog_begin(wd);
    bool finished = true;
    while (!done(arg)) {
        /* Ten looks a second times ten: often enough to see the end of a
         * run within 10 ms, rarely enough not to crowd the threads watched
         * (under valgrind, which runs one thread at a time, a look every
         * 2 ms starved 64 workers into a false "stuck"). */
        const struct timespec tick = {0, 10 * 1000 * 1000};
        nanosleep(&tick, NULL);
        rl_mutex_lock(&wd->lock);
        bool stuck = watchdog_look(wd);
        rl_mutex_unlock(&wd->lock);
        if (stuck) {
            finished = false;
            break;
        }
    }
    rl_mutex_destroy(&wd->lock);
    return finished;
}

void rl_watchdog_hold(struct rl_watchdog *wd)
{
    rl_mutex_lock(&wd->lock);
    wd->holds++;
    rl_mutex_unlock(&wd->lock);
}

void rl_watchdog_release(struct rl_watchdog *wd)
{
    rl_mutex_lock(&wd->lock);
    if (--wd->holds == 0)
        wd->still_since = watchdog_now(wd);
    rl_mutex_unlock(&wd->lock);
}

/* ---- the overlap meter ------------------------------------------------- */

/*
 * Each noting thread appends to its own log (no sharing while the workers
 * run); a log is put on the session's list, under overlap_lock, the first
 * time its thread notes. A thread that notes in a later session gets a new
 * log: the session number tells its old one apart. rl_overlap_stop() runs
 * after the join, which orders every log's writes before its reads.
 */
enum { OVERLAP_FIRST = 64, OVERLAP_MAX = 16384 };

struct overlap_entry {
    const void *key;
    int64_t ns;
    int cpu;                        /* -1: unknown */
    int thread;                     /* which log: set when the logs are merged */
};

struct overlap_log {
    struct overlap_log *next;       /* guarded by overlap_lock */
    struct overlap_entry *entries;  /* the rest: written by its thread only */
    long n, cap;
    long stride, skip;              /* keep one note in stride; skip before the next */
    long seen;                      /* rl_overlap_saw calls */
};

static atomic_uint overlap_session;         /* atomic, relaxed: 0 off; set while no worker runs */
static unsigned overlap_sessions;           /* the last session number; main thread only */
static pthread_mutex_t overlap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct overlap_log *overlap_logs;    /* guarded by overlap_lock */
static _Thread_local struct {
    unsigned session;
    struct overlap_log *log;
} tl_overlap;                               /* thread-private */

void rl_overlap_start(void)
{
    if (++overlap_sessions == 0)
        overlap_sessions = 1;
    atomic_store_explicit(&overlap_session, overlap_sessions, memory_order_relaxed);
}

static struct overlap_log *overlap_new_log(void)
{
    struct overlap_log *l = calloc(1, sizeof *l);
    if (!l || !(l->entries = malloc(OVERLAP_FIRST * sizeof *l->entries)))
        rl_die_errno("rl_overlap_note: malloc", ENOMEM);
    l->cap = OVERLAP_FIRST;
    l->stride = 1;
    rl_mutex_lock(&overlap_lock);
    l->next = overlap_logs;
    overlap_logs = l;
    rl_mutex_unlock(&overlap_lock);
    return l;
}

/* The calling thread's log for this session, NULL when the meter is off. */
static struct overlap_log *overlap_mine(void)
{
    unsigned session = atomic_load_explicit(&overlap_session, memory_order_relaxed);
    if (session == 0)
        return NULL;
    if (tl_overlap.session != session) {
        tl_overlap.session = session;
        tl_overlap.log = overlap_new_log();
    }
    return tl_overlap.log;
}

void rl_overlap_saw(const void *key)
{
    (void)key; /* one count for all keys: no program needs more yet */
    struct overlap_log *l = overlap_mine();
    if (l)
        l->seen++;
}

void rl_overlap_note(const void *key)
{
    struct overlap_log *l = overlap_mine();
    if (!l)
        return;
    if (l->skip > 0) {
        l->skip--;
        return;
    }
    if (l->n == l->cap && l->cap < OVERLAP_MAX) {
        struct overlap_entry *grown = realloc(l->entries, 2 * (size_t)l->cap * sizeof *grown);
        if (!grown)
            rl_die_errno("rl_overlap_note: realloc", ENOMEM);
        l->entries = grown;
        l->cap *= 2;
    } else if (l->n == l->cap) { /* full: keep every second note, from now on too */
        for (long i = 0; i < l->n / 2; i++)
            l->entries[i] = l->entries[2 * i];
        l->n /= 2;
        l->stride *= 2;
    }
    l->entries[l->n++] = (struct overlap_entry){key, rl_now_ns(), sched_getcpu(), 0};
    l->skip = l->stride - 1;
}

static int overlap_cmp(const void *a, const void *b)
{
    const struct overlap_entry *x = a, *y = b;
    if (x->key != y->key)
        return (uintptr_t)x->key < (uintptr_t)y->key ? -1 : 1;
    return (x->ns > y->ns) - (x->ns < y->ns);
}

struct rl_overlap rl_overlap_stop(void)
{
    struct rl_overlap m = {0};
    atomic_store_explicit(&overlap_session, 0, memory_order_relaxed);
    rl_mutex_lock(&overlap_lock);
    struct overlap_log *logs = overlap_logs;
    overlap_logs = NULL;
    rl_mutex_unlock(&overlap_lock);

    for (struct overlap_log *l = logs; l; l = l->next) {
        m.notes += l->n;
        m.seen += l->seen;
    }
    struct overlap_entry *all = malloc(((size_t)m.notes + 1) * sizeof *all);
    if (!all)
        rl_die_errno("rl_overlap_stop: malloc", ENOMEM);
    long n = 0;
    int thread = 0;
    for (struct overlap_log *l = logs, *next; l; l = next, thread++) {
        next = l->next;
        for (long i = 0; i < l->n; i++) {
            all[n] = l->entries[i];
            all[n++].thread = thread;
        }
        free(l->entries);
        free(l);
    }
    qsort(all, (size_t)n, sizeof *all, overlap_cmp);
    for (long i = 1; i < n; i++) {
        const struct overlap_entry *a = &all[i - 1], *b = &all[i];
        if (a->key != b->key || a->thread == b->thread)
            continue;
        m.turns++;
        if (a->cpu >= 0 && b->cpu >= 0 && a->cpu != b->cpu && b->ns - a->ns < RL_OVERLAP_NS)
            m.side_by_side++;
    }
    free(all);
    return m;
}

void rl_overlap_say(FILE *f, int nthreads, const char *who, const char *seen_fmt, ...)
{
    va_list ap;
    fprintf(f, "the %d %s barely overlapped this run (", nthreads, who);
    va_start(ap, seen_fmt);
    vfprintf(f, seen_fmt, ap);
    va_end(ap);
    fprintf(f, "): a race needs them side by side; run with --fuzz to widen the window\n");
}

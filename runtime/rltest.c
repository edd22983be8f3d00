/*
 * rltest.c - the watchdog, the group runner and the program runner that
 * every racelab test binary links (contract in rltest.h).
 */
#define _GNU_SOURCE
#include "rltest.h"

#include "racelab.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the watchdog ------------------------------------------------------ */

/* A per-test deadline is the runtime's progress watchdog with nothing to
 * count (progress NULL): armed, it fires once the test has run its seconds
 * since the release that armed it. Between tests it is held, so the time
 * cmocka spends between them never counts. One watchdog thread serves the
 * whole binary, started by the first arm.
 * States: held (no test armed) -> released (test named, its seconds
 * running) -> held. */
static pthread_once_t watchdog_once = PTHREAD_ONCE_INIT;
static struct rl_watchdog watchdog;         /* the runtime's; started once */
static const char *watchdog_test;           /* written while held (main
                                               thread), read by describe */
static int watchdog_seconds;                /* set once, before the start */
static bool watchdog_started, watchdog_armed; /* main thread only */

static void watchdog_describe(void *ctx, long unused)
{
    (void)ctx;
    (void)unused;
    printf("[  TIMEOUT ] %s: still running after %d s (a deadlock, a lost "
           "wake-up, or waiting that never yields the CPU?)\n",
           watchdog_test, watchdog_seconds);
    fflush(stdout);
    fprintf(stderr, "watchdog: test '%s' still running after %d s: failing it\n",
            watchdog_test, watchdog_seconds);
}

/* RACELAB_WATCHDOG_SECONDS, else 20. */
static int watchdog_setting(void)
{
    const char *env = getenv("RACELAB_WATCHDOG_SECONDS");
    uint64_t seconds = 20;
    if (env && rl_parse_u64(env, 1, 3600, &seconds) != NULL)
        seconds = 20;
    return (int)seconds;
}

static void watchdog_start(void)
{
    int seconds = watchdog_setting();
    watchdog_seconds = seconds;
    watchdog = (struct rl_watchdog){.describe = watchdog_describe,
                                    .quiet_ms = (long)seconds * 1000};
    rl_watchdog_start(&watchdog, 124);
    rl_watchdog_hold(&watchdog);
    watchdog_started = true;
}

/* Ends the watchdog thread, so the binary exits with no thread running
 * (valgrind would count its stack as "possibly lost"). */
static void watchdog_stop(void)
{
    if (watchdog_started)
        rl_watchdog_stop(&watchdog);
}

int rltest_watchdog_arm(void **state)
{
    const struct rltest_case *c = *state;
    int err = pthread_once(&watchdog_once, watchdog_start);
    if (err != 0)
        rl_die_errno("pthread_once", err);
    if (!watchdog_armed) {
        watchdog_test = c->name; /* held: describe cannot be running */
        watchdog_armed = true;
        rl_watchdog_release(&watchdog);
    }
    return 0;
}

int rltest_watchdog_disarm(void **state)
{
    (void)state;
    if (watchdog_armed) {
        watchdog_armed = false;
        rl_watchdog_hold(&watchdog);
    }
    return 0;
}

/* ---- groups ------------------------------------------------------------ */

int rltest_main(int argc, char **argv, const struct rltest_group *groups,
                size_t ngroups)
{
    bool list = false, fail_fast = false, only_given = false;
    int only_index = 0;
    const char **names = calloc(ngroups + 1, sizeof *names);
    if (!names)
        rl_die_errno("calloc", ENOMEM);
    for (size_t g = 0; g < ngroups; g++)
        names[g] = groups[g].name;
    const struct rl_opt opts[] = {
        {.long_name = "list", .kind = RL_OPT_FLAG,
         .help = "print each exercise's group and hint, \"NAME<TAB>HINT\", and exit",
         .dest = &list},
        {.long_name = "only", .kind = RL_OPT_CHOICE, .metavar = "GROUP",
         .help = "run only this group's tests", .choices = names, .dest = &only_index,
         .seen = &only_given},
        {.long_name = "fail-fast", .kind = RL_OPT_FLAG,
         .help = "stop at the first failing test (one test at a time)", .dest = &fail_fast},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "[--list] [--only GROUP] [--fail-fast]",
        .about = "racelab's cmocka tests, in groups (one per exercise, for make check).\n"
                 "Each test runs under a watchdog (RACELAB_WATCHDOG_SECONDS, default 20):\n"
                 "a test still running then is named, and the binary exits 124.",
        .opts = opts,
        .positional = false,
        .exits = (const struct rl_exit_doc[]){
            {0, "every test run passed"},
            {1, "a test failed (cmocka says which, and why)"},
            {124, "a test hung: the watchdog named it"},
            {0, NULL},
        },
    };

    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);
    const char *only = only_given ? names[only_index] : NULL;
    free(names);
    if (list) {
        for (size_t g = 0; g < ngroups; g++)
            if (groups[g].hint)
                printf("%s\t%s\n", groups[g].name, groups[g].hint);
        rl_exit(0);
    }

    int failed = 0;
    for (size_t g = 0; g < ngroups; g++) {
        if (only ? strcmp(only, groups[g].name) != 0 : groups[g].on_request)
            continue;
        if (!fail_fast) {
            failed += _cmocka_run_group_tests(groups[g].name, groups[g].tests,
                                              groups[g].count, NULL, NULL);
            continue;
        }
        /* One test at a time, stopping at the first failure: a broken
         * fix can leave threads blocked that would hang the tests after
         * it, and the first failure is the one to read anyway. */
        for (size_t t = 0; t < groups[g].count && failed == 0; t++)
            failed += _cmocka_run_group_tests(groups[g].name, &groups[g].tests[t], 1,
                                              NULL, NULL);
        if (failed)
            break;
    }
    watchdog_stop();
    return failed == 0 ? 0 : 1;
}

/* ---- runs watched for progress ----------------------------------------- */

struct watched {
    void (*fn)(void *arg);
    void *arg;
    atomic_bool done;   /* release by the runner, acquire by watched_done */
};

static void *watched_main(void *p)
{
    struct watched *w = p;
    w->fn(w->arg);
    /* release: pairs with the acquire in watched_done. */
    atomic_store_explicit(&w->done, true, memory_order_release);
    return NULL;
}

long rltest_count_progress(void *arg)
{
    return rl_watchdog_count(arg);
}

long rltest_light(long n)
{
    const char *v = getenv("RACELAB_LIGHT");
    if (!v || strcmp(v, "1") != 0)
        return n;
    return n >= 10 ? n / 10 : n > 0 ? 1 : n;
}

static bool watched_done(void *arg)
{
    const struct watched *w = arg;
    /* acquire: pairs with the release in watched_main, so the caller then
     * sees everything fn wrote. */
    return atomic_load_explicit(&w->done, memory_order_acquire);
}

bool rltest_run_watched(void (*fn)(void *arg), void *arg, long (*progress)(void *arg),
                        double stuck_s)
{
    struct watched *w = malloc(sizeof *w); /* leaked if the run is stuck */
    if (!w)
        rl_die_errno("malloc", ENOMEM);
    w->fn = fn;
    w->arg = arg;
    atomic_init(&w->done, false);
    pthread_t runner;
    rl_thread_create(&runner, watched_main, w);
    /* A run given more time per test (valgrind: RACELAB_WATCHDOG_SECONDS=
     * 120, six times the 20 s) is slow all through: it may stand still
     * longer by the same factor before it counts as stuck. */
    int setting = watchdog_setting();
    if (setting > 20)
        stuck_s *= setting / 20.0;
    struct rl_watchdog dog = {.progress = progress, .ctx = arg,
                              .quiet_ms = (long)(stuck_s * 1000)};
    if (!rl_watchdog_watch(&dog, watched_done, w))
        return false;
    rl_thread_join(runner, NULL);
    free(w);
    return true;
}

/* ---- waiting for a thread to block -------------------------------------- */

enum { WATCHED_STREAMS = 256 };
static atomic_ulong blocked_count[WATCHED_STREAMS]; /* atomic, relaxed: a count */

static void note_blocking(const char *point, unsigned stream, enum rl_fuzz_action a)
{
    if (a == RL_FUZZ_NONE && stream < WATCHED_STREAMS && strstr(point, "wake-up"))
        atomic_fetch_add_explicit(&blocked_count[stream], 1, memory_order_relaxed);
}

void rltest_blocking_watch(bool on)
{
    rl_fuzz_set_hook(on ? note_blocking : NULL);
}

unsigned long rltest_blocked_mark(unsigned stream)
{
    if (stream >= WATCHED_STREAMS) {
        fprintf(stderr, "rltest_blocked_mark: stream %u: only 0 .. %d are watched\n",
                stream, WATCHED_STREAMS - 1);
        abort();
    }
    return atomic_load_explicit(&blocked_count[stream], memory_order_relaxed);
}

char rltest_thread_state(pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')'); /* the name may hold spaces */
    return paren && paren[1] == ' ' ? paren[2] : '?';
}

bool rltest_wait_blocked(unsigned stream, unsigned long mark, pid_t tid,
                         const _Atomic bool *returned)
{
    int asleep = 0;
    /* A thread that neither blocks nor returns for 30 ms is
     * waiting by spinning (polling a queue, say): as good as blocked. */
    int64_t give_up = rl_now_ns() + 30 * 1000 * 1000;
    for (;;) {
        if (atomic_load_explicit(returned, memory_order_acquire))
            return false;
        if (rltest_blocked_mark(stream) != mark || rl_now_ns() > give_up)
            return true;
        /* A fuzz pause sleeps 32 us at most: 20 ms of sleep is a wait. */
        asleep = rltest_thread_state(tid) == 'S' ? asleep + 1 : 0;
        if (asleep >= 20)
            return true;
        const struct timespec tick = {0, 1000 * 1000};
        nanosleep(&tick, NULL);
    }
}

/* ---- running programs -------------------------------------------------- */

/* Appends what fd has to say to *buf; false at end of file. */
static bool drain(int fd, char **buf, size_t *len)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    char *grown = realloc(*buf, *len + (size_t)n + 1);
    if (!grown)
        rl_die_errno("realloc", ENOMEM);
    memcpy(grown + *len, chunk, (size_t)n);
    *len += (size_t)n;
    grown[*len] = '\0';
    *buf = grown;
    return true;
}

int rltest_run(char *const argv[], bool close_stdout, int timeout_s,
               struct rltest_output *o)
{
    int outp[2], errp[2];
    *o = (struct rltest_output){calloc(1, 1), calloc(1, 1)};
    if (!o->out || !o->err)
        rl_die_errno("calloc", ENOMEM);
    if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
        return -1;
    if (close_stdout) {
        close(outp[0]); /* the reader is gone before the program starts */
        outp[0] = -1;
    }

    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* Between fork and exec in a threaded process: only
         * async-signal-safe calls (no stdio, no malloc). */
        static const char cannot[] = "rltest_run: cannot start the program\n";
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(outp[1], 1) < 0 ||
            dup2(errp[1], 2) < 0)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        if (write(2, cannot, sizeof cannot - 1) < 0)
            _exit(127);
        _exit(127);
    }
    close(outp[1]);
    close(errp[1]);

    size_t outlen = 0, errlen = 0;
    int64_t deadline = rl_now_ns() + (int64_t)timeout_s * 1000000000;
    bool killed = false;
    struct pollfd fds[2] = {{outp[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        int64_t left_ms = (deadline - rl_now_ns()) / 1000000;
        if (left_ms <= 0) {
            kill(pid, SIGKILL);
            killed = true;
            break;
        }
        if (poll(fds, 2, (int)(left_ms > 1000 ? 1000 : left_ms)) < 0 &&
            errno != EINTR)
            break;
        if (fds[0].fd >= 0 && fds[0].revents && !drain(fds[0].fd, &o->out, &outlen)) {
            close(fds[0].fd);
            fds[0].fd = -1;
        }
        if (fds[1].fd >= 0 && fds[1].revents && !drain(fds[1].fd, &o->err, &errlen)) {
            close(fds[1].fd);
            fds[1].fd = -1;
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);

    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (killed)
        return 128 + SIGKILL;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

const char *rltest_usage_error(const char *program, const char *const args[],
                               const char *message)
{
    static char why[1024];
    char *argv[9] = {(char *)program};
    char shown[200] = "";
    for (int a = 0; a < 7 && args[a]; a++) {
        argv[a + 1] = (char *)args[a];
        size_t len = strlen(shown);
        snprintf(shown + len, sizeof shown - len, " %s", args[a]);
    }
    struct rltest_output o;
    int status = rltest_run(argv, false, 30, &o);
    bool refused = status == 2 && strcmp(o.err, message) == 0 && o.out[0] == '\0';
    snprintf(why, sizeof why, "%s%s: status %d, stderr '%.300s', stdout '%.100s'; expected 2, "
             "'%s', ''", program, shown, status, o.err, o.out, message);
    rltest_output_free(&o);
    return refused ? NULL : why;
}

void rltest_output_free(struct rltest_output *o)
{
    free(o->out);
    free(o->err);
    o->out = o->err = NULL;
}

int rltest_find_line(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int n = 0, found = 0;
    if (!f)
        return 0;
    while (!found && fgets(line, sizeof line, f)) {
        n++;
        if (strstr(line, needle))
            found = n;
    }
    fclose(f);
    return found;
}

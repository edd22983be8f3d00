/*
 * test_primes.c - lab 4's machinery, which no exercise touches: is_prime
 * (exact where a floating-point square root is not), the processes mode
 * (every number once, every child reaped, no descriptor leaked, a killed
 * worker named and its number reported lost), and the `primes` program as
 * a student meets it (bad numbers refused before any work, --crash,
 * Ctrl-C, a closed pipe).
 *
 * The program tests run build/release/solutions/primes from the top of the
 * tree (make test builds it first).
 */
#define _GNU_SOURCE /* kill, setpgid */
#include "rltest.h"

#include "pool.h"
#include "racelab.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PRIMES "build/release/solutions/primes"

static bool naive_prime(uint64_t n)
{
    if (n < 2)
        return false;
    for (uint64_t d = 2; d * d <= n; d++)
        if (n % d == 0)
            return false;
    return true;
}

/* ---- is_prime ------------------------------------------------------------ */

static void isqrt_is_exact(void **state)
{
    (void)state;
    assert_int_equal(pool_isqrt(0), 0);
    assert_int_equal(pool_isqrt(1), 1);
    assert_int_equal(pool_isqrt(3), 1);
    assert_int_equal(pool_isqrt(4), 2);
    assert_int_equal(pool_isqrt(UINT64_MAX), UINT32_MAX);
    uint64_t big = (uint64_t)UINT32_MAX * UINT32_MAX;
    assert_int_equal(pool_isqrt(big), UINT32_MAX);
    assert_int_equal(pool_isqrt(big - 1), UINT32_MAX - 1);
    /* Above 2^53 a floating-point square root of k*k - 1 (about
     * k - 1/2k) rounds to k: one too many. */
    for (uint64_t k = 94906266; k < 94906300; k++) {
        assert_int_equal(pool_isqrt(k * k), k);
        assert_int_equal(pool_isqrt(k * k - 1), k - 1);
        assert_int_equal(pool_isqrt(k * k + 2 * k), k);
    }
    for (uint64_t n = 0; n < 100000; n++) {
        uint64_t r = pool_isqrt(n);
        assert_true(r * r <= n && (r + 1) * (r + 1) > n);
    }
}

static void is_prime_is_right(void **state)
{
    (void)state;
    for (uint64_t n = 0; n < 20000; n++)
        if (pool_is_prime(n) != naive_prime(n))
            fail_msg("is_prime(%" PRIu64 ") says %d", n, pool_is_prime(n));
    /* A prime squared: divisible only by its root, the last divisor tried. */
    assert_false(pool_is_prime(1000003ULL * 1000003ULL));
    assert_false(pool_is_prime(4294967291ULL * 3));
    assert_true(pool_is_prime(4294967291ULL));
    /* The book's composites and its smaller primes (all of them: make bench). */
    for (int i = 0; i < POOL_BOOK_COUNT; i++)
        if (!pool_book[i].prime || pool_book[i].n < 1000000000000000ULL)
            assert_int_equal(pool_is_prime(pool_book[i].n), pool_book[i].prime);
}

/* ---- the processes mode, in this process --------------------------------- */

enum { COUNT = 60 };

struct proc_run {
    uint64_t numbers[COUNT];
    long answered[COUNT];
    long bad_verdicts, strangers;
    uint64_t victim;        /* killed when dispatched, if not 0 */
    int victim_signal;      /* with this signal */
    pid_t victim_pid;
};

static void proc_report(void *ctx, const struct pool_result *r)
{
    struct proc_run *run = ctx;
    for (long i = 0; i < COUNT; i++)
        if (run->numbers[i] == r->n) {
            if (run->answered[i]++ == 0 && r->prime != naive_prime(r->n))
                run->bad_verdicts++;
            return;
        }
    run->strangers++;
}

static void kill_victim(void *ctx, int worker, pid_t pid, uint64_t n)
{
    struct proc_run *run = ctx;
    (void)worker;
    if (n == run->victim && run->victim_pid == 0) {
        run->victim_pid = pid;
        kill(pid, run->victim_signal); /* SIGKILL: it never runs again */
    }
}

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Runs the processes mode; returns what it said was lost. */
static long processes(struct proc_run *run, int workers, bool *interrupted)
{
    const struct pool_process_hooks hooks = {.dispatch = kill_victim, .ctx = run};
    const struct pool_config cfg = {
        .workers = workers,
        .numbers = run->numbers,
        .count = COUNT,
        .report = proc_report,
        .ctx = run,
        .hooks = &hooks,
    };
    return pool_processes_run(&cfg, interrupted);
}

static void no_child_left(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD); /* no child at all: none a zombie */
}

static void processes_answer_each_once(void **state)
{
    (void)state;
    int fds = open_fds();
    for (int workers = 1; workers <= 8; workers *= 2) {
        struct proc_run run = {0};
        for (long i = 0; i < COUNT; i++)
            run.numbers[i] = 100000 + 13 * (uint64_t)i;
        bool interrupted = true;
        assert_int_equal(processes(&run, workers, &interrupted), 0);
        assert_false(interrupted);
        for (long i = 0; i < COUNT; i++)
            assert_int_equal(run.answered[i], 1);
        assert_int_equal(run.bad_verdicts, 0);
        assert_int_equal(run.strangers, 0);
        no_child_left();
        assert_int_equal(open_fds(), fds);
    }
}

static void processes_name_a_killed_worker(void **state)
{
    (void)state;
    int fds = open_fds();
    /* SIGTERM too: only the pool's own SIGINT or SIGTERM stops the pool; a
     * worker killed on its own is a lost worker, whatever the signal. A
     * SIGTERM may land before the worker reads its number, or after. */
    for (int k = 0; k < 4; k++) {
        int workers = k % 2 == 0 ? 1 : 4;
        struct proc_run run = {.victim_signal = k < 2 ? SIGKILL : SIGTERM};
        for (long i = 0; i < COUNT; i++)
            run.numbers[i] = 200000 + 11 * (uint64_t)i;
        long victim_index = COUNT / 3;
        run.victim = run.numbers[victim_index];
        bool interrupted = true;
        long lost = processes(&run, workers, &interrupted);
        assert_false(interrupted);
        assert_true(run.victim_pid > 0);
        assert_int_equal(run.answered[victim_index], 0);
        long unanswered = 0;
        for (long i = 0; i < COUNT; i++) {
            assert_true(run.answered[i] <= 1);
            unanswered += run.answered[i] == 0;
        }
        /* One worker: nobody is left for the numbers after the victim. */
        long expect = workers == 1 ? COUNT - victim_index : 1;
        assert_int_equal(unanswered, expect);
        assert_int_equal(lost, expect);
        assert_int_equal(run.bad_verdicts, 0);
        no_child_left();
        assert_int_equal(open_fds(), fds);
    }
}

/* ---- the program --------------------------------------------------------- */

static int run_primes(char *const argv[], struct rltest_output *o)
{
    return rltest_run(argv, false, 60, o);
}

static void refuses_bad_numbers_before_work(void **state)
{
    (void)state;
    const char *bad[] = {"12x", "-5", "18446744073709551616", "", " 7", "0x10", "1e9",
                         "+3", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* A good number first: its work must not start. */
        char *argv[] = {PRIMES, "-m", "threads", "--", "9999999999999917", (char *)bad[i], NULL};
        struct rltest_output o;
        int status = run_primes(argv, &o);
        if (status != 2 || o.out[0] != '\0' || !strstr(o.err, "primes: number '"))
            fail_msg("primes '%s': exit %d, stdout '%s', stderr '%s'", bad[i], status, o.out,
                     o.err);
        assert_int_equal(strchr(o.err, '\n') - o.err + 1, (long)strlen(o.err)); /* one line */
        rltest_output_free(&o);
    }
    char *options[][4] = {{PRIMES, "-w", "0", NULL}, {PRIMES, "-w", "65", NULL},
                          {PRIMES, "-m", "fibers", NULL}, {PRIMES, "--seed", "1", NULL},
                          {PRIMES, "--crash", "2", NULL}, {PRIMES, "--bogus", NULL}};
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        struct rltest_output o;
        int status = run_primes(options[i], &o);
        if (status != 2 || o.out[0] != '\0')
            fail_msg("primes %s %s: exit %d, stdout '%s'", options[i][1],
                     options[i][2] ? options[i][2] : "", status, o.out);
        rltest_output_free(&o);
    }
}

static void rows_then_total(void **state)
{
    (void)state;
    char *argv[] = {PRIMES, "-m", "threads", "-w", "3", "7", "8", "1000003", "0", "1", NULL};
    struct rltest_output o;
    int status = run_primes(argv, &o);
    assert_int_equal(status, 0);
    assert_non_null(strstr(o.out, "\nTotal time: "));
    assert_non_null(strstr(o.out, "\nverdict: ok: answered 5 of 5 numbers, each once\n"));
    int rows = 0, primes = 0;
    char *save = NULL;
    for (char *line = strtok_r(o.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long long n;
        char mark;
        double s;
        if (sscanf(line, "%llu  %c %lfs", &n, &mark, &s) == 3 && mark == 'P') {
            rows++;
            primes++;
            assert_true(naive_prime(n));
        } else if (sscanf(line, "%llu %lfs", &n, &s) == 2) {
            rows++;
            assert_false(naive_prime(n));
        }
    }
    assert_int_equal(rows, 5);
    assert_int_equal(primes, 2);
    rltest_output_free(&o);
}

static void crash_names_the_lost_number(void **state)
{
    (void)state;
    char *argv[] = {PRIMES, "-m", "processes", "-w", "2", "--crash", "1000003", "7", "8",
                    "1000003", "11", "12", NULL};
    struct rltest_output o;
    int status = run_primes(argv, &o);
    assert_int_equal(status, 1);
    assert_non_null(strstr(o.err, "was killed by signal 9"));
    assert_non_null(strstr(o.err, "while checking 1000003: no result for it"));
    assert_non_null(strstr(o.out, "\nlost: 1000003\nverdict: broken: lost 1 of 5 results\n"));
    rltest_output_free(&o);
}

static void closed_pipe_exits_cleanly(void **state)
{
    (void)state;
    const char *modes[] = {"threads", "processes", "futures", "sequential"};
    for (size_t i = 0; i < 4; i++) {
        char *argv[] = {PRIMES, "-m", (char *)modes[i], "7", "8", "9", "1000003", NULL};
        struct rltest_output o;
        int status = rltest_run(argv, true, 60, &o);
        if (status != 0 || o.err[0] != '\0')
            fail_msg("primes -m %s into a closed pipe: exit %d, stderr '%s'", modes[i],
                     status, o.err);
        rltest_output_free(&o);
    }
}

/* Ctrl-C reaches the whole foreground process group: the pool and every
 * worker. The pool must reap them all and exit 130, leaving nobody. */
static void ctrl_c_stops_everything(void **state)
{
    (void)state;
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execl(PRIMES, PRIMES, "-m", "processes", "-w", "2", "9999999999999917",
              "9999999999999917", "9999999999999917", "9999999999999917", "9999999999999917",
              "9999999999999917", (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    close(out[1]);
    /* The header is printed just before the workers are forked; then wait
     * until both exist (children of pid, in its process group). */
    char buf[256];
    ssize_t n = read(out[0], buf, sizeof buf - 1);
    assert_true(n > 0);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    int kids = 0;
    for (int tries = 0; tries < 2000; tries++) {
        FILE *f = fopen(path, "r");
        kids = 0;
        unsigned k;
        while (f && fscanf(f, "%u", &k) == 1)
            kids++;
        if (f)
            fclose(f);
        if (kids == 2)
            break;
        usleep(1000);
    }
    assert_int_equal(kids, 2); /* the workers exist: the run is under way */
    assert_int_equal(kill(-pid, SIGINT), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(out[0]);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    /* Nobody left in the group: the workers were reaped by the pool. */
    errno = 0;
    assert_int_equal(kill(-pid, 0), -1);
    assert_int_equal(errno, ESRCH);
}

int main(int argc, char **argv)
{
    static struct rltest_case names[] = {
        {"is_prime: exact integer square root, even above 2^53"},
        {"is_prime: right for 0 .. 20000 and the quick book numbers"},
        {"processes: 1, 2, 4, 8 workers answer each number once, reap all, leak nothing"},
        {"processes: a worker killed (SIGKILL, SIGTERM) is named, its number lost, no hang"},
        {"primes: bad numbers and options exit 2 before any work"},
        {"primes: a row per number, the total, the verdict"},
        {"primes --crash: the killed worker's number is named lost, exit 1"},
        {"primes: output into a closed pipe exits 0, quietly"},
        {"primes -m processes: Ctrl-C stops and reaps every worker, exit 130"},
    };
    struct CMUnitTest prime_tests[] = {
        RLTEST(isqrt_is_exact, &names[0]),
        RLTEST(is_prime_is_right, &names[1]),
    };
    struct CMUnitTest process_tests[] = {
        RLTEST(processes_answer_each_once, &names[2]),
        RLTEST(processes_name_a_killed_worker, &names[3]),
    };
    struct CMUnitTest program_tests[] = {
        RLTEST(refuses_bad_numbers_before_work, &names[4]),
        RLTEST(rows_then_total, &names[5]),
        RLTEST(crash_names_the_lost_number, &names[6]),
        RLTEST(closed_pipe_exits_cleanly, &names[7]),
        RLTEST(ctrl_c_stops_everything, &names[8]),
    };
    rl_init(argv[0]);
    const struct rltest_group groups[] = {
        {"is_prime", NULL, prime_tests, 2, false},
        {"processes", NULL, process_tests, 2, false},
        {"program", NULL, program_tests, 5, false},
    };
    return rltest_main(argc, argv, groups, 3);
}

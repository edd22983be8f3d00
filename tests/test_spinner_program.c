/*
 * test_spinner_program.c - lab 5's program as a student runs it
 * (build/release/solutions/spinner, from the top of the tree): on a real
 * terminal (a pseudo-terminal this test holds the other end of), frames
 * drawn in place, the line cleared, "Answer: 42"; Ctrl-C typed on that
 * terminal stops it with exit 130 and leaves no process behind; into a
 * pipe, a line per frame; into a closed pipe, a quiet exit; bad input,
 * exit 2 with one line. The checker of the output is the one lab 5's own
 * tests use (src/spinner_check.c).
 */
#define _GNU_SOURCE /* posix_openpt, ptsname */
#include "rltest.h"

#include "racelab.h"
#include "spinner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define SPINNER "build/release/solutions/spinner"
/* What a student can pick with -m. */
static const char *const modes[] = {"thread", "process", "loop", "unsafe", "flag", NULL};
/* Under the watchdog's 20 s, so a hang is named here, not there. */
enum { TIMEOUT_S = 10 };

struct tty_run {
    int status;             /* exit status, 128 + signal, or -1 */
    bool left_behind;       /* a process of its group outlived it */
    char out[1 << 16];      /* what the terminal showed, "\r\n" made "\n" */
};

/* Runs argv on a new pseudo-terminal, as the session leader with that
 * terminal as its controlling one: its stdin and stdout are the terminal,
 * its stderr /dev/null. With ctrl_c, types ^C once the first frame shows;
 * the terminal's line discipline then sends SIGINT to every process of the
 * foreground group, exactly as a keyboard would. */
static void run_on_tty(char *const argv[], bool ctrl_c, struct tty_run *r)
{
    memset(r, 0, sizeof *r);
    r->status = -1;
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
        fail_msg("no pseudo-terminal: %s", strerror(errno));
    const char *slave_name = ptsname(master);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setsid();
        int slave = open(slave_name, O_RDWR);
        int null = open("/dev/null", O_WRONLY);
        struct termios t;
        if (slave < 0 || null < 0 || ioctl(slave, TIOCSCTTY, 0) != 0 ||
            tcgetattr(slave, &t) != 0)
            _exit(126);
        /* ^C must not throw away output the test has not read yet. */
        t.c_lflag |= NOFLSH;
        tcsetattr(slave, TCSANOW, &t);
        dup2(slave, 0);
        dup2(slave, 1);
        dup2(null, 2);
        /* As a new terminal session's process has it: make test may run
         * us in a background job, where sh ignores SIGINT. */
        signal(SIGINT, SIG_DFL);
        close(slave);
        close(null);
        execv(argv[0], argv);
        _exit(127);
    }
    size_t len = 0;
    bool typed = false;
    int64_t give_up = rl_now_ns() + (int64_t)TIMEOUT_S * 1000000000;
    for (;;) {
        struct pollfd p = {.fd = master, .events = POLLIN};
        if (poll(&p, 1, 100) > 0) {
            ssize_t n = read(master, r->out + len, sizeof r->out - 1 - len);
            if (n <= 0) /* EIO: the last process holding the terminal is gone */
                break;
            len += (size_t)n;
            r->out[len] = '\0';
        }
        if (ctrl_c && !typed && strstr(r->out, SPINNER_MESSAGE)) {
            assert_int_equal(write(master, "\003", 1), 1);
            typed = true;
        }
        if (rl_now_ns() > give_up) {
            kill(-pid, SIGKILL);
            break;
        }
    }
    int status;
    pid_t got = waitpid(pid, &status, 0);
    r->status = got != pid ? -1
              : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    /* This process is a subreaper (main): a child the spinner left behind,
     * running or exited unreaped, is now ours, and shows here. */
    r->left_behind = waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD;
    if (r->left_behind) {
        kill(-pid, SIGKILL);
        while (waitpid(-1, NULL, 0) > 0)
            ;
    }
    close(master);
    /* The terminal turned each "\n" into "\r\n", and echoed the ^C it
     * was typed; undo both. */
    char *w = r->out;
    for (const char *q = r->out; *q; q++)
        if (q[0] == '^' && q[1] == 'C')
            q++;
        else if (!(q[0] == '\r' && q[1] == '\n'))
            *w++ = *q;
    *w = '\0';
}

struct tty_case {
    struct rltest_case base;
    const char *mode;
    bool blocking;
    bool ctrl_c;
    char name[80];
};

static void on_a_terminal(void **state)
{
    const struct tty_case *c = *state;
    char *argv[] = {SPINNER, "-m", (char *)c->mode, "--slow", c->ctrl_c ? "60" : "0.3",
                    c->blocking ? "--blocking" : NULL, NULL};
    struct tty_run *r = malloc(sizeof *r);
    assert_non_null(r);
    run_on_tty(argv, c->ctrl_c && !c->blocking, r);
    int want = c->ctrl_c ? 130 : 0;
    long frames;
    const char *why = spinner_check_output(r->out, true, !c->ctrl_c, &frames);
    if (r->status != want)
        fail_msg("%s: exit status %d, expected %d; it showed '%.60s'", c->name, r->status,
                 want, r->out);
    if (why)
        fail_msg("%s: %s", c->name, why);
    if (c->blocking ? frames != 0 : frames < 1)
        fail_msg("%s: %ld frames shown", c->name, frames);
    if (r->left_behind)
        fail_msg("%s: a process of its group was still there after it exited", c->name);
    /* The terminal echoed "^C" after the frame: the clear covers that too. */
    char blanks[32];
    snprintf(blanks, sizeof blanks, "\r%*s\r", (int)strlen("| " SPINNER_MESSAGE "^C"), "");
    if (c->ctrl_c && !strstr(r->out, blanks))
        fail_msg("%s: the line is not cleared over the echoed ^C", c->name);
    free(r);
}

/* Into a pipe: one line per frame, no clearing, the same answer line. */
static void into_a_pipe(void **state)
{
    (void)state;
    char *argv[] = {SPINNER, "-m", "process", "--slow", "0.3", NULL};
    struct rltest_output o;
    int status = rltest_run(argv, false, TIMEOUT_S, &o);
    long frames;
    const char *why = spinner_check_output(o.out, false, true, &frames);
    char err[200];
    snprintf(err, sizeof err, "%s", o.err);
    rltest_output_free(&o);
    assert_int_equal(status, 0);
    if (why)
        fail_msg("%s", why);
    assert_true(frames >= 1);
    assert_true(strncmp(err, "spinner: mode process, slow() sleeps for 0.300 s\n"
                             "verdict: ok: answered after ", 77) == 0);
}

/* The real --cpu: is_prime(5000111000222021), a sixth of a second. */
static void cpu_bound_slow(void **state)
{
    (void)state;
    char *argv[] = {SPINNER, "-m", "thread", "--cpu", "--slow", "0.1", NULL};
    struct rltest_output o;
    int status = rltest_run(argv, false, TIMEOUT_S, &o);
    long frames;
    const char *why = spinner_check_output(o.out, false, true, &frames);
    rltest_output_free(&o);
    assert_int_equal(status, 0);
    if (why)
        fail_msg("%s", why);
    assert_true(frames >= 1);
}

static void closed_pipe_exits_quietly(void **state)
{
    (void)state;
    char *argv[] = {SPINNER, "-m", "thread", "--slow", "0.2", NULL};
    struct rltest_output o;
    int status = rltest_run(argv, true, TIMEOUT_S, &o);
    char err[200];
    snprintf(err, sizeof err, "%s", o.err);
    rltest_output_free(&o);
    assert_int_equal(status, 0);
    /* The reader went away: no complaint, and the verdict all the same. */
    assert_true(strncmp(err, "spinner: mode thread, slow() sleeps for 0.200 s\n"
                             "verdict: ok: answered after ", 76) == 0);
}

static void help_lists_the_modes(void **state)
{
    (void)state;
    char *argv[] = {SPINNER, "--help", NULL};
    struct rltest_output o;
    int status = rltest_run(argv, false, TIMEOUT_S, &o);
    bool all = true;
    for (int i = 0; modes[i]; i++) {
        char line[32];
        snprintf(line, sizeof line, "\n  %s ", modes[i]);
        all = all && strstr(o.out, line);
    }
    bool usage = strncmp(o.out, "usage: spinner ", 15) == 0;
    rltest_output_free(&o);
    assert_int_equal(status, 0);
    assert_true(usage);
    assert_true(all);
}

static void bad_input_exits_2(void **state)
{
    (void)state;
    static const struct {
        const char *args[3];
        const char *message;
    } cases[] = {
        {{"--slow", "abc"}, "spinner: option --slow 'abc': not a number of seconds; try 'spinner --help'\n"},
        {{"--slow", "-1"}, "spinner: option --slow '-1': must not be negative; try 'spinner --help'\n"},
        {{"--slow", "1e3"}, "spinner: option --slow '1e3': trailing characters after the number; try 'spinner --help'\n"},
        {{"--slow", "0.0005"}, "spinner: option --slow '0.0005': more precise than a millisecond; try 'spinner --help'\n"},
        {{"--slow", "3601"}, "spinner: option --slow '3601': too long (at most 3600.000 s); try 'spinner --help'\n"},
        {{"--slow", ""}, "spinner: option --slow '': empty value, expected seconds; try 'spinner --help'\n"},
        {{"-m", "fiber"}, "spinner: option -m/--mode 'fiber': not one of thread, process, loop, unsafe, flag; try 'spinner --help'\n"},
        {{"--blocking"}, "spinner: option --blocking: only for -m loop (the other modes block a thread of their own); try 'spinner --help'\n"},
        {{"--cpu=1"}, "spinner: option --cpu takes no value; try 'spinner --help'\n"},
        {{"42"}, "spinner: unexpected argument '42'; try 'spinner --help'\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = rltest_usage_error(SPINNER, cases[i].args, cases[i].message);
        if (why)
            fail_msg("%s", why);
    }
}

int main(int argc, char **argv)
{
    /* Orphans of the programs run here become our children, so a spinner
     * process its parent did not reap can be seen (run_on_tty). */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        perror("prctl(PR_SET_CHILD_SUBREAPER)");
    static struct tty_case tty_cases[16];
    static struct CMUnitTest tests[24];
    int n = 0, k = 0;
    for (int ctrl_c = 0; ctrl_c < 2; ctrl_c++)
        for (int m = 0; modes[m]; m++) {
            struct tty_case *c = &tty_cases[k++];
            c->mode = modes[m];
            c->ctrl_c = ctrl_c;
            snprintf(c->name, sizeof c->name, "on a terminal: -m %s%s", c->mode,
                     ctrl_c ? ", then Ctrl-C" : "");
            c->base.name = c->name;
            tests[n++] = (struct CMUnitTest)RLTEST(on_a_terminal, c);
        }
    struct tty_case *b = &tty_cases[k++];
    *b = (struct tty_case){.mode = "loop", .blocking = true};
    snprintf(b->name, sizeof b->name, "on a terminal: -m loop --blocking, no frame");
    b->base.name = b->name;
    tests[n++] = (struct CMUnitTest)RLTEST(on_a_terminal, b);
    static struct rltest_case names[] = {
        {"into a pipe: a line per frame, then the answer"},
        {"--cpu: the real prime"},
        {"into a closed pipe: a quiet exit"},
        {"--help lists the modes"},
        {"bad input: exit 2, one line"},
    };
    tests[n++] = (struct CMUnitTest)RLTEST(into_a_pipe, &names[0]);
    tests[n++] = (struct CMUnitTest)RLTEST(cpu_bound_slow, &names[1]);
    tests[n++] = (struct CMUnitTest)RLTEST(closed_pipe_exits_quietly, &names[2]);
    tests[n++] = (struct CMUnitTest)RLTEST(help_lists_the_modes, &names[3]);
    tests[n++] = (struct CMUnitTest)RLTEST(bad_input_exits_2, &names[4]);
    const struct rltest_group groups[] = {{"program", NULL, tests, (size_t)n, false}};
    return rltest_main(argc, argv, groups, 1);
}

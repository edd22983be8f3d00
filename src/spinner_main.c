/*
 * spinner_main.c - the lab 5 program: a spinner turns while slow() works,
 * then the line is cleared and the answer printed.
 *
 *   spinner [-m MODE] [--slow SECONDS] [--cpu] [--blocking] [--list]
 *
 * On a terminal the frames are drawn in place ('\r') and the line is
 * cleared at the end; into a pipe or a file each frame is a line of its
 * own ("| thinking!"), so a log shows how often the spinner turned, and
 * nothing needs clearing. The last line is "Answer: 42" either way. One
 * line on stderr first says what runs, and one line on stderr last is the
 * verdict (racelab.h): stdout is the animation, and stays exactly that.
 * Exit status: 0 answered, 1 the spinner failed, 2 usage, 4 output could
 * not be written (a full disk; a reader that went away is not an error),
 * 130 interrupted (Ctrl-C).
 */
#include "spinner.h"

#include "racelab.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const mode_about[] = {
    "a spinner thread, stopped by an Event it waits on (labs/spinner.c)",
    "a forked spinner process, stopped by closing a pipe",
    "one thread: an event loop runs the spinner and slow() as tasks",
    "the specimen: slow() in a thread sets a plain bool, polled (a data race)",
    "the specimen fixed with the done flag (labs/spinner.c)",
};

#define ABOUT                                                                    \
    "Lab 5: a spinner animates \\|/- and a message about ten times a second\n" \
    "while slow() works, then clears its line and prints \"Answer: 42\". On a\n" \
    "terminal the frames are drawn in place; into a pipe, one line each.\n"     \
    "Modes (-m):\n%s"                                                          \
    "The verdict goes to stderr, last: stdout is the animation alone.\n"        \
    "The exercises live in labs/spinner.c; see docs/spinner.md."

int main(int argc, char **argv)
{
    int mode = SPINNER_THREAD;
    long slow_ms = 3000;
    bool cpu = false, blocking = false, list = false;
    const struct rl_opt opts[] = {
        {.long_name = "mode", .short_name = 'm', .kind = RL_OPT_CHOICE, .metavar = "MODE",
         .help = "how the spinner runs (default thread)", .choices = spinner_modes,
         .dest = &mode},
        {.long_name = "slow", .kind = RL_OPT_SECONDS, .metavar = "SECONDS",
         .help = "how long slow() works, e.g. 0.5 (default 3)", .min = 0,
         .max = 3600 * 1000, .dest = &slow_ms},
        {.long_name = "cpu", .kind = RL_OPT_FLAG,
         .help = "slow() checks is_prime(5000111000222021) again and again instead of "
                 "sleeping",
         .dest = &cpu},
        {.long_name = "blocking", .kind = RL_OPT_FLAG,
         .help = "loop mode: slow() sleeps without yielding to the loop", .dest = &blocking},
        {.long_name = "list", .kind = RL_OPT_FLAG,
         .help = "print the modes, one per line: name, role, source file", .dest = &list},
        {.long_name = NULL},
    };
    char modes_help[1024] = "";
    for (int i = 0; spinner_modes[i]; i++) {
        size_t len = strlen(modes_help);
        snprintf(modes_help + len, sizeof modes_help - len, "  %-8s  %s\n", spinner_modes[i],
                 mode_about[i]);
    }
    char about[2048];
    snprintf(about, sizeof about, ABOUT, modes_help);
    const struct rl_prog prog = {
        .usage = "[-m MODE] [--slow SECONDS] [--cpu] [--blocking] [--list]",
        .about = about,
        .opts = opts,
        .exits = (const struct rl_exit_doc[]){
            {0, "verdict ok: answered, the spinner turned and stopped"},
            {1, "verdict broken: the spinner failed (its process died, or never stopped)"},
            {130, "interrupted (Ctrl-C)"},
            {0, NULL},
        },
    };

    rl_init(argv[0]);
    rl_parse_options(argc, argv, &prog);
    if (list) {
        for (int i = 0; spinner_modes[i]; i++)
            if (i == SPINNER_PROCESS || i == SPINNER_LOOP)
                rl_list_line(spinner_modes[i], RL_KIT, "spinner",
                             i == SPINNER_PROCESS ? "src/spinner_process.c" : "src/spinner_loop.c");
            else
                rl_list_strategy("spinner", spinner_modes[i]);
        rl_exit(0);
    }
    if (blocking && mode != SPINNER_LOOP)
        rl_usage_error("option --blocking: only for -m loop (the other modes block "
                       "a thread of their own)");

    const struct spinner_options o = {
        .mode = (enum spinner_mode)mode,
        .slow_ms = slow_ms,
        .cpu = cpu,
        .blocking = blocking,
        .tty = isatty(STDOUT_FILENO),
    };
    fprintf(stderr, "spinner: mode %s, slow() %s for %ld.%03ld s%s\n", spinner_modes[mode],
            cpu ? "checks a prime" : "sleeps", slow_ms / 1000, slow_ms % 1000,
            blocking ? ", blocking the loop" : "");
    struct spinner_stats stats = {0};
    int status = spinner_run(&o, stdout, &stats);
    if (status == 0)
        rl_say_verdict(stderr, RL_OK, "answered after %ld frames", stats.frames);
    else if (status == 1)
        rl_say_verdict(stderr, RL_BROKEN, "the spinner failed, after %ld frames", stats.frames);
    rl_exit(status);
}

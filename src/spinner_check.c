/*
 * spinner_check.c - what a spinner run must print, checked: lab 5's tests
 * (in-process, tests/test_spinner.c) and the program's tests (through a
 * terminal, tests/test_spinner_program.c) judge output with it.
 */
#include "spinner.h"

#include <stdio.h>
#include <string.h>

const char *spinner_check_output(const char *text, bool tty, bool answered, long *frames)
{
    static char why[200];
    const char *p = text;
    char frame[64];
    *frames = 0;
    for (;;) {
        char c = SPINNER_FRAMES[*frames % 4];
        snprintf(frame, sizeof frame, tty ? "\r%c %s" : "%c %s\n", c, SPINNER_MESSAGE);
        if (strncmp(p, frame, strlen(frame)) != 0)
            break;
        p += strlen(frame);
        /* On a terminal, a frame is followed by '\r': the next frame or
         * the clear. */
        if (tty && *p != '\r') {
            snprintf(why, sizeof why, "frame %ld is followed by '%.20s', not by '\\r'",
                     *frames + 1, p);
            return why;
        }
        (*frames)++;
    }
    if (tty && *frames > 0) {
        size_t blanks = strspn(p + 1, " ");
        if (p[0] != '\r' || blanks < strlen(frame) - 1 || p[1 + blanks] != '\r') {
            snprintf(why, sizeof why, "after %ld frame(s), not the cleared line "
                     "('\\r', blanks over the frame, '\\r') but '%.30s'", *frames, p);
            return why;
        }
        p += 2 + blanks;
    }
    const char *answer = answered ? "Answer: 42\n" : "";
    if (strcmp(p, answer) != 0) {
        snprintf(why, sizeof why, "after %ld frame(s)%s: '%.40s', expected '%s'", *frames,
                 tty && *frames ? " and the clear" : "", p, answered ? "Answer: 42\\n" : "");
        return why;
    }
    return NULL;
}

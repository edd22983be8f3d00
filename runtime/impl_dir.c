/*
 * impl_dir.c - a lab program's --list lines, which name the file each
 * strategy lives in: for an exercise, the directory the program's exercise
 * files came from: labs/ (what a student edits), solutions/, or IMPL=DIR.
 * The Makefile compiles this file once per directory, with RL_IMPL_DIR
 * set, into each lab program (tests and benchmarks do not list).
 */
#include "racelab.h"

#include <stdio.h>
#include <string.h>

#ifndef RL_IMPL_DIR
#error "RL_IMPL_DIR: the Makefile defines it, as \"labs\" or \"solutions\" or IMPL"
#endif

const char *rl_exercise_file(const char *lab)
{
    static char path[4096]; /* main thread only: --list */
    snprintf(path, sizeof path, "%s/%s.c", RL_IMPL_DIR, lab);
    return path;
}

void rl_list_line(const char *name, enum rl_role role, const char *lab, const char *file)
{
    static const char *const roles[] = {"exercise", "specimen", "kit"};
    printf("%s\t%s\t%s\n", name, roles[role], file ? file : rl_exercise_file(lab));
}

void rl_list_strategy(const char *lab, const char *name)
{
    if (strcmp(name, "unsafe") == 0) {
        char specimen[256];
        snprintf(specimen, sizeof specimen, "src/%s_unsafe.c", lab);
        rl_list_line(name, RL_SPECIMEN, lab, specimen);
    } else {
        rl_list_line(name, RL_EXERCISE, lab, NULL);
    }
}

/*
 * explore_prints.c - lab 2's explorer scenarios: workers each print a
 * record (a count line, then a separator) while the explorer picks who runs
 * at every access and before every stdio call; the output must be whole
 * records with counts 1 .. N, in order (prints_check, lab 2's own line
 * checker, judges it).
 *
 * One controlled thread plays the program: it starts the strategy, starts
 * the workers, joins them and finishes, as prints_run does; so a printer
 * thread that start() creates is controlled too.
 */
#include "explore.h"

#include "prints.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct prints_strategy *strategy;
static int workers, records_each;
static FILE *out;
static char *text;
static size_t len;
static int finished;
static char *at_finish;         /* the output when finish() returned */
static size_t at_finish_len;

static void *worker(void *arg)
{
    int w = (int)(long)arg;
    for (int i = 0; i < records_each; i++)
        strategy->record(w);
    return NULL;
}

static void program(int tid)
{
    (void)tid;
    pthread_t t[4];
    strategy->start(out, workers);
    for (int w = 0; w < workers; w++)
        pthread_create(&t[w], NULL, worker, (void *)(long)w);
    for (int w = 0; w < workers; w++)
        pthread_join(t[w], NULL);
    finished = strategy->finish();
    /* What is written by now is the program's output: a printer still
     * running after finish() returned would be cut off at exit. */
    fflush(out);
    at_finish_len = len;
    at_finish = malloc(len + 1);
    memcpy(at_finish, text, len + 1);
}

static const char *check(void)
{
    struct prints_verdict v;
    long want = (long)workers * records_each;
    if (finished != 0)
        return "finish() reported lost records";
    if (!prints_check(at_finish, at_finish_len, want, strategy->ordered, &v))
        return rlx_say("output broken at line %ld: %s%s", v.line, v.why,
                       strstr(v.why, "never printed") ? " (when finish() returned)" : "");
    return NULL;
}

#define SETUP(strat, w, n)                                                    \
    static void setup_##strat##_##w##_##n(void)                               \
    {                                                                         \
        strategy = prints_find(#strat);                                       \
        workers = w;                                                          \
        records_each = n;                                                     \
        out = open_memstream(&text, &len);                                    \
    }
#define SCENARIOS(strat)                                                      \
    SETUP(strat, 2, 1)                                                        \
    SETUP(strat, 2, 2)                                                        \
    static const struct rlx_scenario strat##_scenarios[] = {                  \
        {.name = "2 workers, 1 record each", .threads = 1,                    \
         .setup = setup_##strat##_2_1, .body = program, .check = check,      \
         .preemptions = 2, .spurious = 1, .max_schedules = 600,               \
         .pct_runs = 60},                                                     \
        {.name = "2 workers, 2 records each", .threads = 1,                   \
         .setup = setup_##strat##_2_2, .body = program, .check = check,      \
         .preemptions = 1, .spurious = 1, .max_schedules = 300,               \
         .pct_runs = 60},                                                     \
    };

SCENARIOS(unsafe)
SCENARIOS(mutex)
SCENARIOS(stdio)
SCENARIOS(printer)

static const struct rlx_group groups[] = {
    RLX_GROUP(unsafe, true), RLX_GROUP(mutex, false), RLX_GROUP(stdio, false), RLX_GROUP(printer, false),
};

int main(int argc, char **argv)
{
    return rlx_main(argc, argv, "prints", groups, RLX_COUNT(groups));
}

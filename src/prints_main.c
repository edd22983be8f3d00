/*
 * prints_main.c - the lab 2 program: workers print two-line records, or,
 * with --check, the line checker for any such output.
 *
 *   prints [-s STRATEGY] [-t WORKERS] [-n RECORDS] [--fuzz] [--seed N] [--verify]
 *   prints --check [-n RECORDS] [--ordered] [FILE]
 *
 * The records go to stdout and nothing else does (the settings go to
 * stderr), so the output can be piped into the checker:
 *
 *   prints -s unsafe --fuzz | prints --check
 *
 * --verify runs the checker in-process instead: the records go through a
 * pipe into memory, and stdout gets only the verdict line. The checker's
 * last line is always the verdict (racelab.h): "verdict: ok: N records ..."
 * or "verdict: broken: at line L: ...", exit 0 or 1. Without --verify or
 * --check, stdout is the records and nothing else: no verdict (that is the
 * checker's). A reader that goes away (prints | head) ends the run quietly.
 */
#include "prints.h"
#include "racelab.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* With DEFAULT_RECORDS each worker prints long enough that the workers take
 * turns, on a busy machine too (bench/specimens_busy.sh; with 200 they ran
 * one after another). With fewer than MET_AT_LEAST turns, a right --verify
 * run of the specimen says its workers barely overlapped (measured: right
 * runs had up to 15 turns, and runs with as few as 4 broke a record). */
enum { DEFAULT_WORKERS = 4, DEFAULT_RECORDS = 10000, MET_AT_LEAST = 50 };

static void say_verdict(const struct prints_verdict *v, long expected, bool ordered)
{
    if (v->ok)
        rl_say_verdict(stdout, RL_OK, "%ld records, counts 1..%ld each once%s, every record whole",
                       v->records, expected >= 0 ? expected : v->records,
                       ordered ? " and ascending" : "");
    else
        rl_say_verdict(stdout, RL_BROKEN, "at line %ld: %s", v->line, v->why);
}

/* --check: reads all of path (or stdin), checks it, says the verdict. */
static int check_mode(const char *path, long expected, bool ordered)
{
    FILE *in = stdin;
    if (path && !(in = fopen(path, "r"))) {
        fprintf(stderr, "prints: %s: %s\n", path, strerror(errno));
        return 2;
    }
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    size_t n;
    while (text && (n = fread(text + len, 1, cap - len, in)) > 0) {
        len += n;
        if (len == cap) {
            char *grown = realloc(text, cap *= 2);
            if (!grown)
                free(text);
            text = grown;
        }
    }
    if (!text)
        rl_die_errno("reading the output to check", ENOMEM);
    bool read_error = ferror(in);
    if (path)
        fclose(in);
    if (read_error) {
        fprintf(stderr, "prints: %s: read error\n", path ? path : "standard input");
        free(text);
        return 2;
    }
    struct prints_verdict v;
    prints_check(text, len, expected, ordered, &v);
    free(text);
    say_verdict(&v, expected, ordered);
    return v.ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    int strategy = 0;
    long workers = DEFAULT_WORKERS, records = DEFAULT_RECORDS;
    bool fuzz = false, list = false, verify = false, check = false, ordered = false;
    bool seed_given = false, records_given = false, workers_given = false;
    bool strategy_given = false;
    uint64_t seed = 0;
    const char *names[8];
    int n = 0;
    for (const struct prints_strategy *s = prints_strategies; s->name; s++)
        names[n++] = s->name;
    names[n] = NULL;

    const struct rl_opt opts[] = {
        {.long_name = "strategy", .short_name = 's', .kind = RL_OPT_CHOICE,
         .metavar = "STRATEGY", .help = "how the records are kept whole (default unsafe)",
         .choices = names, .dest = &strategy, .seen = &strategy_given},
        {.long_name = "workers", .short_name = 't', .kind = RL_OPT_LONG,
         .metavar = "WORKERS", .help = "worker threads (default 4, at most 64)",
         .min = 1, .max = RL_MAX_THREADS, .dest = &workers, .seen = &workers_given},
        {.long_name = "records", .short_name = 'n', .kind = RL_OPT_LONG,
         .metavar = "RECORDS", .help = "records in all (default 10000); for --check: "
         "how many there must be",
         .min = 1, .max = 100000000, .dest = &records, .seen = &records_given},
        {.long_name = "fuzz", .kind = RL_OPT_FLAG,
         .help = "widen the race windows: random yields and sleeps at marked points",
         .dest = &fuzz},
        {.long_name = "seed", .kind = RL_OPT_U64, .metavar = "N",
         .help = "seed for --fuzz: the same pauses again (default: random, shown)",
         .max = UINT64_MAX, .dest = &seed, .seen = &seed_given},
        {.long_name = "verify", .kind = RL_OPT_FLAG,
         .help = "check the records in-process and print only the verdict",
         .dest = &verify},
        {.long_name = "check", .kind = RL_OPT_FLAG,
         .help = "be the line checker: read records from FILE or stdin, judge them",
         .dest = &check},
        {.long_name = "ordered", .kind = RL_OPT_FLAG,
         .help = "with --check: the counts must also ascend", .dest = &ordered},
        {.long_name = "list", .kind = RL_OPT_FLAG,
         .help = "print the strategies, one per line: name, role, source file",
         .dest = &list},
        {.long_name = NULL},
    };
    const struct rl_prog prog = {
        .usage = "[-s STRATEGY] [-t WORKERS] [-n RECORDS] [--fuzz] [--seed N] [--verify] [--list]\n"
                 "       prints --check [-n RECORDS] [--ordered] [FILE]",
        .about =
            "Lab 2: WORKERS threads each bump one shared count and print a record,\n"
            "\"The count is N\" then a line of dashes, RECORDS records in all, on stdout.\n"
            "Check any such output with the line checker:\n"
            "  prints -s unsafe --fuzz | prints --check\n"
            "It wants every line whole, each record followed by its separator, each\n"
            "count 1..N once (and ascending with --ordered; --verify asks that of every\n"
            "strategy but unsafe). Its last line is the verdict.\n"
            "The exercises live in labs/prints.c; see docs/prints.md.",
        .opts = opts,
        .positional = true,
        .exits = (const struct rl_exit_doc[]){
            {0, "the records were written; with --verify or --check: verdict ok"},
            {1, "verdict broken: a line broken or a count missing (--verify, --check);\n"
                "      without them: the workers could not write every record"},
            {0, NULL},
        },
    };

    rl_init(argv[0]);
    int first = rl_parse_options(argc, argv, &prog);
    if (list) {
        for (int i = 0; names[i]; i++)
            rl_list_strategy("prints", names[i]);
        rl_exit(0);
    }
    if (check) {
        if (strategy_given || workers_given || fuzz || seed_given || verify)
            rl_usage_error("--check judges output: -s, -t, --fuzz, --seed and --verify "
                           "do not go with it");
        if (argc - first > 1)
            rl_usage_error("--check reads one FILE (or stdin), not %d", argc - first);
        rl_exit(check_mode(first < argc ? argv[first] : NULL,
                           records_given ? records : -1, ordered));
    }
    if (first < argc)
        rl_usage_error("unexpected operand '%s' (only --check reads a FILE)", argv[first]);
    if (ordered)
        rl_usage_error("option --ordered only goes with --check");
    seed = rl_fuzz_from_options(fuzz, seed_given, seed);

    const struct prints_strategy *s = &prints_strategies[strategy];
    /* The settings line goes where the records do not: stdout with
     * --verify, stderr otherwise. */
    FILE *info = verify ? stdout : stderr;
    fprintf(info, "prints: strategy %s, %ld workers, %ld records", s->name, workers, records);
    if (fuzz)
        fprintf(info, ", fuzz seed %" PRIu64, seed);
    fprintf(info, "\n");
    fflush(info); /* the line shows before any TSan report */

    if (verify) {
        size_t len;
        double seconds;
        rl_overlap_start(); /* the specimen notes each record's start and end */
        char *text = prints_capture(s, (int)workers, records, &len, &seconds);
        struct rl_overlap met = rl_overlap_stop();
        struct prints_verdict v;
        prints_check(text, len, records, s->ordered, &v);
        free(text);
        printf("time %.6f s\n", seconds < 0 ? 0 : seconds);
        /* A right run whose workers took turns only a few times proves
         * nothing: each turn is a chance to split a record. */
        if (v.ok && met.notes > 0 && workers > 1 && met.turns < MET_AT_LEAST)
            rl_overlap_say(stdout, (int)workers, "workers",
                           "%ld turns from one worker's records to another's", met.turns);
        if (v.ok && seconds < 0)
            rl_verdict(RL_BROKEN, "the records came out whole, but the strategy says it "
                                  "could not print them all");
        say_verdict(&v, records, s->ordered);
        rl_exit(v.ok ? 0 : 1);
    }

    /* A duplicate of stdout: closing the stream flushes and closes it,
     * and leaves stdout itself to rl_exit. */
    int fd = dup(STDOUT_FILENO);
    if (fd < 0)
        rl_die_errno("dup", errno);
    FILE *out = prints_open_output(fd);
    double seconds = prints_run(s, out, (int)workers, records);
    if (fclose(out) != 0 && !prints_output_gone()) {
        fprintf(stderr, "prints: error writing the records: %s\n", strerror(errno));
        rl_exit(4);
    }
    rl_exit(seconds < 0 ? 1 : 0);
}

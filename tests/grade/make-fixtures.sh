#!/bin/sh
# make-fixtures.sh - a class of submissions for lab 1 (counter) to grade,
# made from labs/ and solutions/ when the test runs, so they never drift:
#   shipped/          labs/counter.c as shipped: every exercise fails
#   reference.tar.gz  solutions/counter.c, packed as labs/counter.c
#   evil.tar.gz       an archive with a '../' path: refused
#   broken/           the reference without a ';': does not compile
#   looper/           loops for ever before main, deaf to SIGTERM
#   printer/          prints without end (in the mutex tests at 8 threads)
#   forker/           forks without end (the same place)
#   holder/           forks sleeping children until the process limit is
#                     full, then carries on (the same place): the grader
#                     itself cannot fork
#   snooper.zip       the reference, but it reads its neighbours' files
#                     (it aborts when it can) and writes outside its copy;
#                     packed as labs/counter.c in a .zip (by python3)
# The hostile ones name their processes MARK (at most 15 characters), so
# a test can look for any left running.
#
#   sh tests/grade/make-fixtures.sh DIR MARK READ WRITE...
#
# READ: a file the snooper must not be able to read (a neighbour's);
# WRITE...: files it tries to create. Exit status 0, 2 on bad usage.
set -u
case ${1:-} in
-h | --help)
    sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
    ;;
esac
[ $# -ge 4 ] || { echo "usage: tests/grade/make-fixtures.sh DIR MARK READ WRITE..." >&2; exit 2; }
dir=$1 mark=$2 read=$3
shift 3
[ ${#mark} -le 15 ] || { echo "make-fixtures: MARK is at most 15 characters" >&2; exit 2; }
cd "$(dirname "$0")/../.." || exit 2
rm -rf "$dir"
mkdir -p "$dir" || exit 2

# hostile NAME BODY [CALL]: the reference with BODY as a function
# hostile(nthreads), called first thing in counter_mutex_reset (or not, if
# CALL is "none": BODY then holds its own constructor).
hostile() {
    mkdir -p "$dir/$1"
    {
        printf '%s\n' '#define _GNU_SOURCE' '#include <signal.h>' '#include <stdio.h>' \
            '#include <stdlib.h>' '#include <sys/prctl.h>' '#include <unistd.h>' \
            "#define MARK \"$mark\"" 'static void hostile(int nthreads);'
        awk -v call="${3:-}" '
            { print }
            call != "none" && prev ~ /^void counter_mutex_reset\(int nthreads\)$/ && /^\{$/ {
                print "    hostile(nthreads);" }
            { prev = $0 }' solutions/counter.c
        printf '%s\n' "$2"
    } >"$dir/$1/counter.c"
}

mkdir -p "$dir/shipped" "$dir/.pack/labs" "$dir/broken" "$dir/.evil/inner"
cp labs/counter.c "$dir/shipped/"
cp solutions/counter.c "$dir/.pack/labs/counter.c"
tar -czf "$dir/reference.tar.gz" -C "$dir/.pack" labs
# '../escape.c' in the archive: tar keeps the name as given with -P.
cp solutions/counter.c "$dir/.evil/escape.c"
(cd "$dir/.evil/inner" && tar -czPf ../../evil.tar.gz ../escape.c)
rm -rf "$dir/.pack" "$dir/.evil"
# The line grader.sh breaks too.
awk '$0 == "    mutex_count = seen + 1;" { print "    mutex_count = seen + 1"; next } { print }' \
    solutions/counter.c >"$dir/broken/counter.c"

hostile looper '
static void hostile(int nthreads) { (void)nthreads; }
__attribute__((constructor)) static void loop_for_ever(void)
{
    prctl(PR_SET_NAME, MARK);
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    for (volatile unsigned long n = 0;; n++) {
    }
}' none
hostile printer '
static void hostile(int nthreads)
{
    if (nthreads < 8)
        return;
    prctl(PR_SET_NAME, MARK);
    for (;;)
        fputs("all work and no play makes Jack a dull boy\n", stdout);
}'
hostile forker '
static void hostile(int nthreads)
{
    if (nthreads < 8)
        return;
    prctl(PR_SET_NAME, MARK);
    for (;;)
        fork();
}'
hostile holder '
static void hostile(int nthreads)
{
    if (nthreads < 8)
        return;
    prctl(PR_SET_NAME, MARK);
    for (;;) {
        pid_t pid = fork();
        if (pid == 0)
            for (;;)
                pause();
        if (pid < 0)
            return;
    }
}'
# The snooper: its reads must fail (else it aborts: a FAIL), and its
# writes land nowhere outside its copy (the test looks).
writes=$(for w in "$@"; do printf '"%s", ' "$w"; done)
hostile snooper "
static void hostile(int nthreads)
{
    static int done;
    (void)nthreads;
    if (done++)
        return;
    FILE *f = fopen(\"$read\", \"r\");
    if (f) {
        fprintf(stderr, \"snooper: I read my neighbour's $read\\n\");
        abort();
    }
    const char *targets[] = {$writes NULL};
    for (int i = 0; targets[i]; i++) {
        FILE *w = fopen(targets[i], \"a\");
        if (w) {
            fputs(\"snooper was here\\n\", w);
            fclose(w);
        }
    }
}"
(cd "$dir/snooper" && mkdir labs && mv counter.c labs/ && python3 -c '
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.write("labs/counter.c")' ../snooper.zip) || exit 2
rm -rf "$dir/snooper"
exit 0

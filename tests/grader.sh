#!/bin/sh
# grader.sh - tests of what a student meets in `make check` and `make
# bench` when a fix goes badly wrong, each on a throwaway copy of the
# reference fixes broken on purpose (build/grader-test/NAME/):
#   broken   counter.c and queue.c do not compile (a ';' gone): their labs
#            say so with the compiler's error, and the others are graded;
#   crash    three counter exercises dereference NULL: one where the
#            explorer sees it, one in a worker thread (cmocka exits 255
#            without a word), one in the test's own thread (cmocka names
#            the signal): each FAIL names SIGSEGV and the line;
#   hang     one exercise spins for ever at 8 threads: on a terminal a
#            status line shows the grader waiting, and is cleared; in a
#            pipe nothing but the verdict lines;
#   queue    the lock-free queue left as shipped in labs/: bench_queue
#            gives it no ratio and exits 1;
#   once     pthread_once's get builds on every call: bench_atomics says so.
# Verdicts rest on what is printed, never on timing.
#
#   sh tests/grader.sh      (from anywhere; exit 0 iff every check passes)
#
# One line per check, "  ok    NAME" or "  FAIL  NAME  (log: FILE)", then
# "N passed, N failed". Logs: build/grader-test/logs/.
set -u
cd "$(dirname "$0")/.." || exit 2
top=build/grader-test
logs=$top/logs
rm -rf "$top"
mkdir -p "$logs"
MAKE=${MAKE:-make}
passed=0 failed=0
esc=$(printf '\033')
cr=$(printf '\r')

ok() { passed=$((passed + 1)); printf '  ok    %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf '  FAIL  %s  (log: %s)\n' "$1" "$2"; }
# expect NAME LOG CMD...: one check, passing when CMD exits 0.
expect() {
    name=$1 log=$2
    shift 2
    if "$@"; then ok "$name"; else bad "$name" "$log"; fi
}

# ---- what the checks look for ------------------------------------------------

# has LOG ERE...: every ERE matches a line of LOG.
has() {
    has_log=$1
    shift
    for ere in "$@"; do
        grep -Eq -- "$ere" "$has_log" || return 1
    done
}
# lacks LOG ERE: no line of LOG matches ERE.
lacks() { ! grep -Eq -- "$2" "$1"; }
# plain LOG: nothing but lines (no '\r', no status line): what a pipe gets.
plain() { lacks "$1" "$cr" && lacks "$1" '^  \.\.\.   '; }
# only LOG LINE: LINE is the one verdict line (PASS or FAIL) of LOG.
only() { [ "$(grep -c '^  [A-Z]*  ' "$1")" = 1 ] && grep -Fqx -- "$2" "$1"; }
# usage_error LOG STATUS ERE: the run exited 2 and said ERE, in one line.
usage_error() { [ "$2" = 2 ] && [ "$(wc -l <"$1")" = 1 ] && has "$1" "$3"; }

# ---- breaking a copy of the reference --------------------------------------

# fresh NAME: a copy of the reference fixes to break; prints its path.
fresh() {
    mkdir -p "$top/$1"
    cp solutions/*.c "$top/$1/"
    echo "$top/$1"
}
# line FILE TEXT: the number of the line of FILE that holds TEXT.
line() { grep -n -F -- "$2" "$1" | head -n 1 | cut -d: -f1; }
# edit FILE LINE NEW...: the line of FILE that is exactly LINE becomes the
# lines NEW... ("&" in one of them: LINE itself). A LINE not there (the
# reference changed) is a failed check.
edit() {
    file=$1 old=$2
    shift 2
    NEW=$(printf '%s\n' "$@") OLD=$old awk '
        $0 == ENVIRON["OLD"] { n = split(ENVIRON["NEW"], new, "\n")
                               for (i = 1; i <= n; i++) print (new[i] == "&" ? $0 : new[i])
                               found = 1; next }
        { print }
        END { exit !found }' "$file" >"$file.new" && mv "$file.new" "$file" && return
    bad "setup: $file has the line '$old' (update tests/grader.sh)" "$file"
}
# function_of FILE NAME: the definition of function NAME in FILE.
function_of() {
    awk -v fn="$2" '
        $0 ~ "^[a-z].* " fn "\\(" { on = 1 }
        on { print }
        on && /^}/ { exit }' "$1"
}
# replace_function FILE NAME TEXT: NAME's definition in FILE becomes TEXT.
replace_function() {
    TEXT=$3 awk -v fn="$2" '
        $0 ~ "^[a-z].* " fn "\\(" { skip = 1; print ENVIRON["TEXT"] }
        skip { if (/^}/) skip = 0; next }
        { print }' "$1" >"$1.new" && mv "$1.new" "$1"
}

# ---- a lab that does not compile -------------------------------------------

dir=$(fresh broken)
# Built once while it compiled: the grader must not run that old binary.
$MAKE -s --no-print-directory IMPL="$dir" "build/shake/$dir/test_counter" \
    >"$logs/broken-first-build.log" 2>&1
edit "$dir/counter.c" '    mutex_count = seen + 1;' '    mutex_count = seen + 1'
edit "$dir/queue.c" '    long n = q->count;' '    long n = q->count'
log=$logs/broken.log
$MAKE -s check IMPL="$dir" LAB="counter prints spinner" >"$log" 2>&1
rc=$?
expect "make check exits non-zero when a lab does not compile" "$log" [ $rc != 0 ]
expect "a lab that does not compile says so on its own FAIL line" "$log" \
    has "$log" "^  FAIL  counter: $dir/counter.c does not compile:\$"
expect "... followed by the compiler's first error, indented" "$log" \
    has "$log" "^          $dir/counter.c:[0-9]+:[0-9]+: error: "
expect "... and the build log's path" "$log" \
    has "$log" "^        \(the whole log: build/check/$dir/counter.build.log\)\$"
expect "... every one of its exercises counts as failed" "$log" \
    has "$log" "^counter: 0 of 4 exercises pass "
expect "a lab whose other file does not compile names that file" "$log" \
    has "$log" "^  FAIL  prints: $dir/queue.c does not compile:\$"
expect "the other labs are still graded" "$log" \
    has "$log" '^  PASS  spinner/event$' '^  PASS  spinner/flag$'
expect "several labs end with a total line" "$log" \
    has "$log" '^racelab check: 2 of 9 exercises pass \(3 labs\)$'
expect "not on a terminal, nothing but lines" "$log" plain "$log"

# ---- grading one exercise: EX= ---------------------------------------------

log=$logs/ex.log
$MAKE -s check IMPL="$dir" LAB="counter spinner" EX=flag >"$log" 2>&1
expect "EX= grades that exercise, in the labs that have it" "$log" \
    only "$log" '  PASS  spinner/flag'
expect "... and shows no lab that has not" "$log" lacks "$log" '^racelab check: .*counter\.c'
log=$logs/exercise.log
EXERCISE=event $MAKE -s check IMPL="$dir" LAB=spinner >"$log" 2>&1
expect "EXERCISE= still works" "$log" only "$log" '  PASS  spinner/event'
log=$logs/ex-unknown.log
EXERCISE=nope MAKE=$MAKE scripts/check.sh "$dir" spinner >"$log" 2>&1
rc=$?
expect "an unknown EX lists the lab's exercises in one line, exit 2" "$log" \
    usage_error "$log" $rc "^check: no exercise 'nope' in spinner \(exercises: event flag\)\$"
log=$logs/ex-unknown-all.log
EXERCISE=nope MAKE=$MAKE scripts/check.sh "$dir" counter spinner >"$log" 2>&1
rc=$?
expect "an EX no lab has lists every lab's exercises, exit 2" "$log" \
    usage_error "$log" $rc \
    "^check: no exercise 'nope' in any lab \(exercises: counter/mutex .* spinner/flag\)\$"

# ---- crashes ---------------------------------------------------------------

dir=$(fresh crash)
crash='{ long *volatile nowhere = 0; *nowhere = 1; }'
edit "$dir/counter.c" '    long seen = mutex_count;' "    $crash /* crash: mutex */" '&'
edit "$dir/counter.c" '    atomic_store_explicit(&atomic_count, 0, memory_order_relaxed);' \
    "    if (nthreads >= 8) $crash /* crash: atomic */" '&'
edit "$dir/counter.c" '    long seen = shards[tid].count;' \
    "    if (tid >= 4) $crash /* crash: sharded */" '&'
log=$logs/crash.log
$MAKE -s check IMPL="$dir" LAB=counter >"$log" 2>&1
src=$dir/counter.c
# at EX: where EX crashes; todo EX: the rest of its FAIL line; asan
# FUNCTION EX: the line that says what ASan+UBSan saw.
at() { echo "at $src:$(line "$src" "crash: $1")"; }
todo() { echo " -- TODO\(lab 1\) $1: .* \($src:[0-9]+\)\$"; }
asan() {
    echo "^        ASan\+UBSan: store to null pointer of type 'long', in counter_$1" \
         "\(log: build/check/$dir/counter-$2.asan.log\)\$"
}
segv='crashed: SIGSEGV \(segmentation fault\) in test'
expect "a crash the explorer finds: the signal, then ASan's line" "$log" \
    has "$log" "^  FAIL  counter/mutex: explorer: [^:]*: crashes: SIGSEGV .*, $(at mutex)$(todo mutex)"
expect "... and what ASan+UBSan says, in which function" "$log" has "$log" "$(asan mutex_inc mutex)"
expect "a crash in a worker thread (cmocka: exit 255) names SIGSEGV, the test, the line" "$log" \
    has "$log" "^  FAIL  counter/sharded: $segv \"sharded, 8 threads\", $(at sharded)$(todo sharded)"
expect "... and what ASan+UBSan says" "$log" has "$log" "$(asan sharded_inc sharded)"
expect "a crash in the test's thread (cmocka's message) names SIGSEGV, the test, the line" "$log" \
    has "$log" "^  FAIL  counter/atomic: $segv \"atomic, 8 threads\", $(at atomic)$(todo atomic)"
expect "... and what ASan+UBSan says" "$log" has "$log" "$(asan atomic_reset atomic)"
expect "an exercise that does not crash still passes beside them" "$log" \
    has "$log" '^  PASS  counter/spin$'
expect "not on a terminal, nothing but lines" "$log" plain "$log"

# ---- a hang: the status line -----------------------------------------------

dir=$(fresh hang)
edit "$dir/counter.c" '    long seen = shards[tid].count;' '    while (tid >= 4) /* hang */' \
    '        rl_cpu_relax();' '&'
# The tests' watchdog fails a hang after 3 s, not 20.
log=$logs/hang-pipe.log
RACELAB_WATCHDOG_SECONDS=3 $MAKE -s check IMPL="$dir" LAB=counter EX=sharded >"$log" 2>&1
hangs='  FAIL  counter/sharded: hangs: sharded, 8 threads: still running after 3 s '
expect "a hang in a pipe: the FAIL line as always" "$log" \
    has "$log" "^$hangs.* -- TODO\(lab 1\) sharded: .* \($dir/counter.c:[0-9]+\)\$"
expect "a hang in a pipe: nothing but lines" "$log" plain "$log"
log=$logs/hang-terminal.log
# script(1) gives the grader a terminal (TERM: not a dumb one).
TERM=xterm RACELAB_WATCHDOG_SECONDS=3 script -qec \
    "$MAKE -s check IMPL='$dir' LAB=counter EX=sharded" /dev/null >"$log" 2>&1
expect "a hang on a terminal: a status line names the judge it waits for" "$log" \
    has "$log" '  \.\.\.   counter/sharded: shake build'
expect "... cleared before the verdict line" "$log" has "$log" "$esc\[K$hangs"

# ---- benchmarks of wrong code ----------------------------------------------

dir=$(fresh queue)
# solutions/queue.c with try_put and try_get as labs/queue.c ships them.
for fn in queue_lockfree_try_put queue_lockfree_try_get; do
    replace_function "$dir/queue.c" $fn "$(function_of labs/queue.c $fn)"
done
log=$logs/bench-queue.log
bench=build/release/$dir/bench_queue
{ $MAKE -s BENCH_IMPL="$dir" "$bench" && "$bench" --quick; } >"$log" 2>&1
rc=$?
expect "bench_queue with the shipped lock-free queue exits non-zero" "$log" [ $rc != 0 ]
expect "... says on its row what went wrong" "$log" \
    has "$log" "^  lockfree +WRONG at 1P1C(, [A-Za-z0-9 ,]+)?: sent 0 of [0-9]+, .*(put|get) returned 'closed'"
expect "... the right queue keeps its numbers" "$log" \
    has "$log" '^  locked +[0-9.]+ +[0-9.]+ +[0-9.]+$'
expect "... and no ratio" "$log" has "$log" '^  ratio +- +- +- '
expect "... and no verdict on it" "$log" lacks "$log" 'lockfree / .*(measured|  ok$)'
expect "... while the right queue is still judged against its peer" "$log" \
    has "$log" '^  locked / sbuf >= 1.0x at every capacity.*: lowest [0-9.]+x'

dir=$(fresh once)
edit "$dir/atomics.c" '    int err = pthread_once(&pthread_config_once, pthread_config_build);' \
    '    pthread_config_build(); /* every call */' '    int err = 0;'
log=$logs/bench-atomics.log
bench=build/release/$dir/bench_atomics
{ $MAKE -s BENCH_IMPL="$dir" "$bench" && "$bench" --quick; } >"$log" 2>&1
rc=$?
expect "bench_atomics: a get that builds every time exits 1" "$log" [ $rc = 1 ]
expect "... WRONG on its row, with the number of builds" "$log" \
    has "$log" '^  pthread_once +WRONG at 1 thread: [0-9]+ builds, want 1'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/bin/sh
# test.sh - `make test`: the kit's own test suite. Checks that
#   - everything builds warning-free with gcc and clang (-Werror);
#   - the runtime works (release, ASan+UBSan, TSan);
#   - the kit's machinery that is not an exercise: lab 4's is_prime and
#     processes, lab 5's program on a real terminal;
#   - the specimens stay broken, visibly (lost updates, TSan reports);
#   - the reference solutions pass `make check`, and are clean under
#     ASan+UBSan and valgrind memcheck;
#   - the shipped exercises all fail `make check`, with a TODO hint;
#   - the grader rejects each plausible wrong fix and accepts each correct
#     alternative in tests/mutants/ (patches against the solution);
#   - `make tsan` shows races for the specimen and none for the solutions;
#   - the benchmark runs.
# Ends with one line: "N passed, N failed". Logs: build/test/.
set -u
cd "$(dirname "$0")/.." || exit 2
logs=build/test
rm -rf "$logs" build/mutants
mkdir -p "$logs"
# Every result is a line in $tally ("pass N" or "fail N"), so sections run
# in the background count too.
tally=$logs/tally
: >"$tally"
started=$(date +%s)
section() { echo "racelab test: $1 [$(($(date +%s) - started)) s]"; }
MAKE=${MAKE:-make}
LABS=$($MAKE -s --no-print-directory print-labs)
PROGRAMS=$($MAKE -s --no-print-directory print-programs) # "lab program [case...]" lines
prog() { echo "$PROGRAMS" | awk -v lab="$1" '$1 == lab { print $2 }'; }
# The CASE operands a lab's program takes first (atomics), or nothing.
cases() { echo "$PROGRAMS" | awk -v lab="$1" '$1 == lab { for (i = 3; i <= NF; i++) print $i }'; }
JOBS=$(nproc 2>/dev/null || echo 2)

ok() { echo "pass 1" >>"$tally"; printf '  ok    %s\n' "$1"; }
bad() { echo "fail 1" >>"$tally"; printf '  FAIL  %s  (log: %s)\n' "$1" "$2"; }

# check NAME CMD...: one check, passing when CMD exits 0.
check() {
    name=$1
    shift
    log=$logs/$(echo "$name" | tr -c 'a-zA-Z0-9\n' '_').log
    if "$@" >"$log" 2>&1; then ok "$name"; else bad "$name" "$log"; fi
}

# cmocka NAME CMD...: counts each cmocka test in CMD's output.
cmocka() {
    name=$1
    shift
    log=$logs/$(echo "$name" | tr -c 'a-zA-Z0-9\n' '_').log
    "$@" >"$log" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    echo "pass $p" >>"$tally"
    echo "fail $f" >>"$tally"
    if [ "$rc" = 0 ] && [ "$f" = 0 ] && [ "$p" -gt 0 ]; then
        printf '  ok    %s (%s tests)\n' "$name" "$p"
    else
        [ "$f" = 0 ] && echo "fail 1" >>"$tally" # crashed, hung or ran nothing
        printf '  FAIL  %s (%s passed, %s failed, exit %s; log: %s)\n' "$name" "$p" "$f" "$rc" "$log"
    fi
}

section "building"
check "build: labs and solutions, -Werror" $MAKE -s -j"$JOBS" all WERROR=1
# The dependencies are there now: the make runs below need not probe again.
RACELAB_DEPS=checked
export RACELAB_DEPS
check "build: every source warning-free with gcc" $MAKE -s warnings CC=gcc
check "build: every source warning-free with clang" $MAKE -s warnings CC=clang
EXPLORE_LABS=$($MAKE -s --no-print-directory print-explore-labs)
targets="build/release/test_runtime build/asan/test_runtime build/tsan/test_runtime build/explore/test_explorer
         build/release/test_specimens build/release/test_primes build/tsan/solutions/primes build/tsan/aslr-probe
         build/release/test_spinner_program build/release/solutions/spinner"
for lab in $LABS; do
    targets="$targets build/tsan/labs/$(prog $lab) build/asan/solutions/test_$lab
             build/release/solutions/test_$lab build/release/solutions/bench_$lab"
    for impl in labs solutions; do
        targets="$targets build/shake/$impl/test_$lab build/tsan/$impl/test_$lab"
    done
done
for lab in $EXPLORE_LABS; do
    targets="$targets build/explore/labs/explore_$lab build/explore/solutions/explore_$lab"
done
# shellcheck disable=SC2086 # a list of targets
check "build: test binaries (release, asan, tsan, shake)" $MAKE -s -j"$JOBS" WERROR=1 $targets

# Detect the TSan/ASLR problem once, not once per program (sanitizers/run).
RACELAB_SETARCH=$(sanitizers/run --detect)
export RACELAB_SETARCH

section "runtime"
cmocka "runtime (release)" build/release/test_runtime
cmocka "runtime (ASan+UBSan)" sanitizers/run build/asan/test_runtime
cmocka "runtime (TSan)" sanitizers/run build/tsan/test_runtime

section "the schedule explorer"
cmocka "explorer (deadlock, lost wake-up, livelock, crash, virtual time, replay)" build/explore/test_explorer
for lab in $EXPLORE_LABS; do
    check "explorer: every schedule of lab $lab's reference is right" \
        build/explore/solutions/explore_$lab --quiet
    log=$logs/explore_labs_$lab.log
    build/explore/labs/explore_$lab --quiet >"$log" 2>&1
    rc=$?
    # (Not every scenario of a shipped exercise can fail: a bug of memory
    # order alone is TSan's to see; make check's three judges together
    # fail every shipped exercise: "the shipped exercises stay exercises".)
    if [ $rc = 1 ] && grep -q '^FAIL  ' "$log"; then
        ok "explorer: lab $lab's shipped exercises fail, with a schedule"
    else
        bad "explorer: lab $lab's shipped exercises fail, with a schedule (exit $rc)" "$log"
    fi
    # (A specimen whose race does no damage one step at a time, the
    # spinner's, has no group: ThreadSanitizer is its demonstration.)
    for specimen in $(build/explore/solutions/explore_$lab --specimens); do
        if grep -q "^BROKEN  $lab/$specimen: " "$log"; then
            ok "explorer: lab $lab's specimen $specimen is shown broken"
        else
            bad "explorer: lab $lab's specimen $specimen is shown broken" "$log"
        fi
    done
done

section "specimens"
cmocka "specimens" build/release/test_specimens

section "lab 4's machinery (is_prime, processes, the primes program)"
cmocka "primes" build/release/test_primes

section "lab 5's program (on a terminal, Ctrl-C, pipes)"
cmocka "spinner program" build/release/test_spinner_program

# make check IMPL=X, the labs graded in two lanes side by side (their tests
# wait about as much as they compute; every binary is built already, and
# no verdict rests on timing). Writes LOG; returns 0 when all passed.
check_in_lanes() { # IMPL LOG
    set -- "$1" "$2" "" ""
    i=0
    for lab in $LABS; do
        if [ $((i % 2)) = 0 ]; then set -- "$1" "$2" "$3 $lab" "$4"; else set -- "$1" "$2" "$3" "$4 $lab"; fi
        i=$((i + 1))
    done
    ($MAKE -s check IMPL="$1" LAB="$3" >"$2.0" 2>&1; echo $? >"$2.0.rc") &
    lane0=$!
    ($MAKE -s check IMPL="$1" LAB="$4" >"$2.1" 2>&1; echo $? >"$2.1.rc") &
    wait $lane0 $! # not the valgrind section, if it runs
    cat "$2.0" "$2.1" >"$2"
    [ "$(cat "$2.0.rc")" = 0 ] && [ "$(cat "$2.1.rc")" = 0 ]
}

section "solutions"
log=$logs/check_solutions.log
check_in_lanes solutions "$log"
rc=$?
for lab in $LABS; do
    for ex in $(build/shake/solutions/test_$lab --list | cut -f1); do
        if grep -q "^  PASS  $lab/$ex\$" "$log"; then ok "make check IMPL=solutions: $lab/$ex passes"
        else bad "make check IMPL=solutions: $lab/$ex passes" "$log"; fi
    done
done
[ $rc = 0 ] && ok "make check IMPL=solutions exits 0" || bad "make check IMPL=solutions exits 0" "$log"
for lab in $LABS; do
    cmocka "solutions: test_$lab under ASan+UBSan" sanitizers/run build/asan/solutions/test_$lab
done

# Valgrind takes a core for a minute or more: it runs in the background,
# beside the grader sections below (whose verdicts do not rest on timing),
# and its lines are shown after them.
valgrind_section() {
for lab in $LABS; do
    # RACELAB_LIGHT: a tenth of the stress; memcheck looks for memory
    # errors, which do not need a million interleavings, and runs 50x slower.
    # Lab 5's tests fork a spinner from a process with threads: the child
    # holds their stacks' bookkeeping, "possibly lost" when it exits, so
    # there only definite leaks count (as for forked programs, below).
    kinds=all
    [ "$lab" = spinner ] && kinds=definite
    cmocka "solutions: test_$lab under valgrind memcheck" env RACELAB_WATCHDOG_SECONDS=120 RACELAB_LIGHT=1 \
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=$kinds \
        build/release/solutions/test_$lab
done

# The programs too, as a student runs them: every strategy but the specimen.
# A forked worker (primes -m processes) exits with the parent's heap still
# reachable (it must not free or flush what it shares with the parent), so
# there only definite leaks count; a worker's error makes it exit 99, which
# the pool reports on stderr.
memcheck_run() { # PROGRAM ARGS...
    kinds=all
    case " $* " in *" processes "* | *" process "*) kinds=definite ;; esac
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=$kinds \
        "$@" 2>"$logs/memcheck.err"
    rc=$?
    cat "$logs/memcheck.err"
    [ $rc = 0 ] && ! grep -q "exited with status 99" "$logs/memcheck.err"
}
memcheck() { # PROGRAM OPTION ARGS...: OPTION picks the strategy; $CASE, if set, goes first
    program=$1 sopt=$2
    shift 2
    fuzz="" # the amplifier on, for the programs that have one
    build/release/solutions/$program --help | grep -q -- --fuzz && fuzz="--fuzz --seed 1"
    # shellcheck disable=SC2086 # CASE is one word or none
    for s in $(build/release/solutions/$program $CASE --list | grep -v '^unsafe$'); do
        # shellcheck disable=SC2086 # fuzz is two words or none
        check "solutions: $program ${CASE:+$CASE }$sopt $s under valgrind memcheck" memcheck_run \
            build/release/solutions/$program $CASE $sopt "$s" "$@" $fuzz
    done
}
CASE=""
memcheck counter -s -n 2000
memcheck queue -s -n 500
memcheck queue -s -n 500 --pills -k 1
memcheck prints -s -n 200
memcheck primes -m -w 3 1000003 1000033 1000037 1000039 1000081 1000099 7 8 9 10
memcheck spinner -m --slow 0.3
memcheck bank -s -n 1000 -a 5 -w 60
for CASE in $(cases atomics); do
    memcheck atomics -s -n 500
done
CASE=""
}
valgrind_section >"$logs/valgrind.out" 2>&1 &
valgrind_pid=$!

# The issue's stress size, without sanitizers: 4 x 4 threads, a million items.
for s in locked lockfree; do
    check "solutions: queue -s $s moves 10^6 items 4x4 exactly once, in order" \
        build/release/solutions/queue -s $s -p 4 -c 4 -n 250000 -k 64
done

section "the shipped exercises stay exercises"
log=$logs/check_labs.log
check_in_lanes labs "$log"
rc=$?
for lab in $LABS; do
    for ex in $(build/shake/labs/test_$lab --list | cut -f1); do
        if grep -q "^  FAIL  $lab/$ex: .* -- TODO(lab [0-9]) $ex: .*(labs/$lab.c:[0-9]*)\$" "$log"; then
            ok "make check: shipped $lab/$ex fails with its TODO"
        else
            bad "make check: shipped $lab/$ex fails with its TODO" "$log"
        fi
    done
done
[ $rc != 0 ] && ok "make check on the shipped labs exits non-zero" || bad "make check on the shipped labs exits non-zero" "$log"

section "the grader, on plausible fixes (tests/mutants)"
# Three at a time on two cores: many mutants spend seconds waiting, not
# computing (a hang is caught by a 5 s watch). Each builds into its own
# directory; the shared objects were built by the solutions' check above.
# Verdicts do not rest on timing, so running side by side changes nothing
# but the wall time.
grade_mutant() { # PATCH: prints "VERDICT", the log is build/test/mutant_NAME.log
    patch=$1
    lab=$(basename "$(dirname "$patch")")
    name=$(basename "$patch" .patch)
    ex=$(sed -n 's/^Exercise: //p' "$patch")
    dir=build/mutants/$lab/$name
    log=$logs/mutant_${lab}_$name.log
    mkdir -p "$dir"
    cp solutions/*.c "$dir/" # the lab's file, and those it uses (prints: queue.c)
    if ! patch -s -p1 -d "$dir" <"$patch" >"$log" 2>&1; then
        echo "patch does not apply" >>"$log"
        return
    fi
    EXERCISE=$ex $MAKE -s check LAB="$lab" IMPL="$dir" >>"$log" 2>&1
}
lane() { # K: grades every third mutant, starting with the K-th
    i=0
    for patch in tests/mutants/*/*.patch; do
        [ $((i % 3)) = "$1" ] && grade_mutant "$patch"
        i=$((i + 1))
    done
}
lane 0 &
lane0=$!
lane 1 &
lane1=$!
lane 2 &
wait $lane0 $lane1 $! # not the valgrind section, which runs on
for patch in tests/mutants/*/*.patch; do
    lab=$(basename "$(dirname "$patch")")
    name=$(basename "$patch" .patch)
    ex=$(sed -n 's/^Exercise: //p' "$patch")
    want=$(sed -n 's/^Expect: //p' "$patch")
    log=$logs/mutant_${lab}_$name.log
    got=$(sed -n -E "s/^  (PASS|FAIL)  $lab\/$ex([: ].*)?\$/\1/p" "$log")
    if [ "$got" = "$want" ]; then
        ok "mutant $lab/$name: $ex graded $want, as it should be"
    else
        bad "mutant $lab/$name: expected $want, got ${got:-no verdict}" "$log"
    fi
done

# The shake build's own proof: pinned to one CPU, a load-then-store fix
# almost never loses an update by luck; only shake's pauses after each
# atomic load make it lose on every run.
# (The explorer grades it first now: the shake binary is run on its own.)
dir=build/mutants/counter/atomic-load-then-store
log=$logs/shake_one_cpu.log
if [ -d "$dir" ]; then
    taskset -c 0 "build/shake/$dir/test_counter" --only atomic --fail-fast >"$log" 2>&1
    if grep -q "atomic, .*: expected .*, got .* (lost" "$log"; then
        ok "shake build: atomic load-then-store loses updates on one CPU"
    else
        bad "shake build: atomic load-then-store loses updates on one CPU" "$log"
    fi
fi

section "valgrind memcheck (ran in the background)"
wait $valgrind_pid
cat "$logs/valgrind.out"

section "make tsan"
log=$logs/tsan_labs.log
$MAKE -s tsan IMPL=labs >"$log" 2>&1
rc=$?
[ $rc = 0 ] && ok "make tsan exits 0 after showing races" || bad "make tsan exits 0 after showing races" "$log"
for lab in $LABS; do
    [ -n "$(cases "$lab")" ] && continue # rows per case: below
    # pool's modes run on lab 3's locked queue, unfinished here: primes
    # says so and will not run (its specimen is judged on the reference
    # queue below).
    reports='[1-9][0-9]*' what="reports and the damage"
    [ "$lab" = pool ] && reports='[0-9]+' what="that lab 3 comes first"
    # The spinner's race does no visible damage in this build: the reports
    # are the whole show.
    [ "$lab" = spinner ] && what="reports"
    [ "$lab" = bank ] && what="reports and the deadlock"
    if grep -Eq "^  $lab +unsafe .* $reports +(lost [1-9]|got [1-9]|broken at line|gave up: lab 3's locked queue does not work yet|answered 42 after|deadlocked after)" "$log"; then
        ok "make tsan: the $lab specimen's row shows $what"
    else
        bad "make tsan: the $lab specimen's row shows $what" "$log"
    fi
done
# Lab 7's three specimens, one per case: publish's race does no visible
# damage in this build (the reports are the show), once's and volatile's do.
for row in "publish exact" "once [0-9]+ builds in [0-9]+ rounds" "volatile lost [1-9]"; do
    c=${row%% *} what="reports and the damage"
    [ "$c" = publish ] && what="reports"
    if grep -Eq "^  atomics +$c/unsafe .* [1-9][0-9]* +${row#* }" "$log"; then
        ok "make tsan: the atomics $c specimen's row shows $what"
    else
        bad "make tsan: the atomics $c specimen's row shows $what" "$log"
    fi
done
log=$logs/tsan_solutions.log
$MAKE -s tsan IMPL=solutions >"$log" 2>&1
# A race condition that is not a data race: results lost, TSan silent.
if grep -Eq "^  pool +unsafe .* 0 +lost [1-9]" "$log"; then
    ok "make tsan IMPL=solutions: the pool specimen loses results with no report"
else
    bad "make tsan IMPL=solutions: the pool specimen loses results with no report" "$log"
fi
for lab in $LABS; do
    for c in $(cases "$lab") ""; do
        [ -z "$c" ] && [ -n "$(cases "$lab")" ] && continue
        # shellcheck disable=SC2086 # c is one word or none
        for s in $(build/release/solutions/$(prog $lab) $c --list | grep -v '^unsafe$'); do
            row=${c:+$c/}$s
            if grep -Eq "^  $lab +$row +(solutions/$lab.c|src/${lab}_[a-z]+.c \(no threads\)) +0 +(exact|answered 42 after [1-9])" "$log"; then
                ok "make tsan IMPL=solutions: $lab/$row has no report and an exact result"
            else
                bad "make tsan IMPL=solutions: $lab/$row has no report and an exact result" "$log"
            fi
        done
    done
done

section "benchmark"
for lab in $LABS; do
    check "bench_$lab --quick runs" build/release/solutions/bench_$lab --quick
done

passed=$(awk '$1 == "pass" { s += $2 } END { print s + 0 }' "$tally")
failed=$(awk '$1 == "fail" { s += $2 } END { print s + 0 }' "$tally")
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/bin/sh
# check.sh - the grader behind `make check`: one line per exercise, PASS or
# FAIL with the reason and a hint that names the TODO.
#
#   scripts/check.sh IMPL LAB...      (EXERCISE=name grades just that one)
#
# An exercise passes when it passes three judges:
#   0. the schedule explorer (build/explore/IMPL/explore_LAB, for the labs
#      that have scenarios: tests/explore_LAB.c): small scenarios run over
#      every schedule up to a few preemptions, deterministic; a failure
#      shows its schedule in short here, as a table in the log, and the
#      token that replays it (make explore LAB= REPLAY=);
#   1. in the shake build (build/shake/IMPL/test_LAB): the exercise file is
#      compiled with ThreadSanitizer's instrumentation and linked with
#      src/shake.c, so every shared access in it is a race-window amplifier
#      point: a fix that leaves a gap between a read and a write loses
#      updates here on every run, marks or no marks;
#   2. under ThreadSanitizer (build/tsan/IMPL/test_LAB), which must report
#      nothing: a data race is a FAIL even when the count came out right.
# Full logs: build/check/IMPL/LAB-EXERCISE.{explore,shake,tsan}.log
# Exit status: 0 when every exercise graded passes, 1 otherwise.
set -u
# Detect the TSan/ASLR problem once, not once per program (sanitizers/run).
RACELAB_SETARCH=$(sanitizers/run --detect)
export RACELAB_SETARCH
impl=$1
shift
logdir=build/check/$impl
mkdir -p "$logdir"
tab=$(printf '\t')
status=0

# The reason a run failed, from its log and exit status, on one line.
reason() { # LOG STATUS
    if [ "$2" = 124 ]; then
        sed -n 's/^\[  TIMEOUT \] /hangs: /p' "$1" | head -n 1
    elif grep -q '^WARNING: ThreadSanitizer' "$1"; then
        sed -n 's/^SUMMARY: ThreadSanitizer: /ThreadSanitizer: /p' "$1" | head -n 1
    elif grep -q '^ERROR: ' "$1"; then
        sed -n 's/^ERROR: //p' "$1" | head -n 1
    elif grep -q '^\[  ERROR   \] --- [^[]' "$1"; then
        # A bare cmocka assertion: name the test and the line.
        test=$(sed -n 's/^\[  FAILED  \] \(.*[^)]\)$/\1/p' "$1" | head -n 1)
        what=$(sed -n 's/^\[  ERROR   \] --- \([^[].*\)$/\1/p' "$1" | head -n 1)
        where=$(sed -n 's/^\[   LINE   \] --- \([^:]*:[0-9]*\):.*/\1/p' "$1" | head -n 1)
        echo "$test: $what (at $where)"
    else
        echo "the tests crashed (exit status $2)"
    fi
}

for lab in "$@"; do
    src=$impl/$lab.c
    shake=build/shake/$impl/test_$lab
    tsan=build/tsan/$impl/test_$lab
    explore=build/explore/$impl/explore_$lab
    exercises=$("$shake" --list) || { echo "check: $shake --list failed" >&2; exit 2; }
    explored="" tsan_built=""
    [ -x "$explore" ] && explored=$("$explore" --list)
    pass=0 total=0
    echo "racelab check: $src"
    while IFS=$tab read -r ex hint; do
        [ -n "${EXERCISE:-}" ] && [ "$ex" != "$EXERCISE" ] && continue
        total=$((total + 1))
        log=$logdir/$lab-$ex
        why="" short="" replay=""
        # 0. the explorer, for the exercises that have scenarios
        if echo "$explored" | grep -qx "$ex"; then
            "$explore" --only "$ex" >"$log.explore.log" 2>&1 </dev/null
            rc=$?
            if [ $rc != 0 ]; then
                why=$(sed -n 's/^FAIL  [^:]*: \(.*\)$/explorer: \1/p' "$log.explore.log" | head -n 1)
                [ -n "$why" ] || why="explorer: $(reason "$log.explore.log" $rc)"
                short=$(sed -n 's/^      short: //p' "$log.explore.log" | head -n 1)
                replay=$(sed -n 's/^      replay: //p' "$log.explore.log" | head -n 1)
                [ "$impl" = labs ] || replay="$replay IMPL=$impl"
            fi
        fi
        # 1. the shake build
        if [ -z "$why" ]; then
            "$shake" --only "$ex" --fail-fast >"$log.shake.log" 2>&1 </dev/null
            rc=$?
            [ $rc != 0 ] && why=$(reason "$log.shake.log" $rc)
        fi
        # 2. ThreadSanitizer, its tests built when first needed: a fix the
        # explorer or the shake build failed does not wait for them.
        if [ -z "$why" ] && [ -z "$tsan_built" ]; then
            tsan_built=1
            ${MAKE:-make} -s --no-print-directory IMPL="$impl" "$tsan" >"$logdir/$lab.tsan-build.log" 2>&1 ||
                why="the TSan build failed (log: $logdir/$lab.tsan-build.log)"
        fi
        if [ -z "$why" ]; then
            sanitizers/run "$tsan" --only "$ex" --fail-fast >"$log.tsan.log" 2>&1 </dev/null
            rc=$?
            [ $rc != 0 ] && why="$(reason "$log.tsan.log" $rc) (TSan build)"
        fi
        if [ -z "$why" ]; then
            pass=$((pass + 1))
            printf '  PASS  %s/%s\n' "$lab" "$ex"
        else
            status=1
            todo=$(echo "$hint" | sed 's/:.*//')
            # Where to look: the TODO, or once it is gone, the exercise's
            # first function (counter_mutex_...).
            line=$(grep -n -F "$todo" "$src" 2>/dev/null | head -n 1 | cut -d: -f1)
            [ -n "$line" ] || line=$(grep -n "^[a-z].*${lab}_${ex}_" "$src" 2>/dev/null | head -n 1 | cut -d: -f1)
            printf '  FAIL  %s/%s: %s -- %s (%s%s)\n' "$lab" "$ex" "$why" "$hint" \
                "$src" "${line:+:$line}"
            if [ -n "$replay" ]; then
                [ -n "$short" ] && printf '        the schedule: %s\n' "$short"
                printf '        its table: %s; replay it: %s\n' "$log.explore.log" "$replay"
            fi
        fi
    done <<EOF_LIST
$exercises
EOF_LIST
    if [ $total = 0 ]; then
        echo "check: no exercise '${EXERCISE:-}' in $lab (exercises: $(echo "$exercises" | cut -f1 | tr '\n' ' '))" >&2
        exit 2
    fi
    echo "$lab: $pass of $total exercises pass (logs: $logdir/)"
done
exit $status

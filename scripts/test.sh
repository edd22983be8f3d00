#!/bin/sh
# test.sh - `make test`: the kit's own test suite, in sections that each
# also run alone (`make test-SECTION`, or scripts/test.sh SECTION...):
#   build       everything builds warning-free (gcc and clang, -Werror)
#   runtime     the runtime's tests (release, ASan+UBSan, TSan)
#   explorer    the schedule explorer: its own tests; each lab's reference
#               right on every schedule, the shipped exercises and the
#               specimens shown broken
#   specimens   each specimen shows its bug (descriptions/LAB.mk says which), with
#               --fuzz, on one CPU, and under ThreadSanitizer
#   programs    lab 4's and lab 5's programs (processes, a terminal, Ctrl-C)
#   solutions   the references pass `make check`, and ASan+UBSan
#   valgrind    the references' tests and programs under valgrind memcheck
#               (in a whole run, the tests only)
#   exercises   the shipped exercises all fail `make check`, with a TODO hint
#   mutants     the grader rejects each plausible wrong fix and accepts each
#               correct alternative in tests/mutants/ (in a whole run, one
#               per lab; alone, or with RACELAB_ALL_MUTANTS=1, every one)
#   tsan        `make tsan`: races for the specimens, none for the solutions
#   detectors   `make detectors LAB=counter`: the matrix (docs/detectors.md)
#   bench       every benchmark runs
#   grader      what a student meets in `make check` (tests/grader.sh)
#   format      .clang-format, `make compdb`, make check FORMAT= (tests/format.sh)
#   grade       `make grade` on hostile submissions (tests/grade.sh)
# What is run for each lab comes from its description, descriptions/LAB.mk, through
# build/labs.table: no section knows a lab by name (but for the shake
# build's own proof, which is about one wrong fix of lab 1).
# Ends with one line: "N passed, N failed". Logs: build/test/.
set -u
cd "$(dirname "$0")/.." || exit 2
SECTIONS="build runtime explorer specimens programs solutions valgrind exercises mutants
          tsan detectors bench grader format grade"
if [ $# = 0 ]; then
    set -- $SECTIONS
    all=1
else
    all=""
    for s in "$@"; do
        case " $(echo $SECTIONS) " in
        *" $s "*) ;;
        *) echo "test.sh: no section '$s' (sections: $(echo $SECTIONS))" >&2; exit 2 ;;
        esac
    done
fi
logs=build/test
mkdir -p "$logs"
# Every result is a line in $tally ("pass N" or "fail N"), so sections run
# in the background count too.
tally=$logs/tally.$$
: >"$tally"
trap 'rm -f "$tally"' EXIT
started=$(date +%s)
section() { echo "racelab test: $1 [$(($(date +%s) - started)) s]"; }
MAKE=${MAKE:-make}
JOBS=$(nproc 2>/dev/null || echo 2)

ok() { echo "pass 1" >>"$tally"; printf '  ok    %s\n' "$1"; }
bad() { echo "fail 1" >>"$tally"; printf '  FAIL  %s  (log: %s)\n' "$1" "$2"; }
logname() { echo "$logs/$(echo "$1" | tr -c 'a-zA-Z0-9\n' '_').log"; }

# check NAME CMD...: one check, passing when CMD exits 0.
check() {
    name=$1
    shift
    log=$(logname "$name")
    if "$@" >"$log" 2>&1; then ok "$name"; else bad "$name" "$log"; fi
}

# cmocka NAME CMD...: counts each cmocka test in CMD's output.
cmocka() {
    name=$1
    shift
    log=$(logname "$name")
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

# need TARGET...: builds what a section runs (a no-op after `build`).
need() {
    log=$logs/need_${current:-all}.log
    $MAKE -s -j"$JOBS" WERROR=1 "$@" >"$log" 2>&1 || bad "build: $*" "$log"
}

# The labs, one line each (per case, for a lab with cases), from their
# descriptions: lab|case|program|option|demo|memcheck|specimen|shows|race|says|fuzz|leaks|stress|
# number|title
$MAKE -s build/labs.table || exit 2
# `make test` checked the dependencies (scripts/deps.sh): the hundred make
# runs below reuse build/deps.mk instead of probing again.
RACELAB_DEPS=checked
export RACELAB_DEPS
# Whether this kernel needs TSan programs run under setarch -R
# (sanitizers/run): asked once, for every run below.
$MAKE -s build/tsan/aslr-probe || exit 2
RACELAB_SETARCH=$(sanitizers/run --detect)
export RACELAB_SETARCH
TABLE=$(cat build/labs.table)
LABS=$(echo "$TABLE" | cut -d'|' -f1 | uniq | tr '\n' ' ')
EXPLORE_LABS=$($MAKE -s --no-print-directory print-explore-labs)
prog() { echo "$TABLE" | awk -F'|' -v lab="$1" '$1 == lab { print $3; exit }'; }

# ---- the sections --------------------------------------------------------

test_build() {
    check "build: labs and solutions, -Werror" $MAKE -s -j"$JOBS" all WERROR=1
    targets="build/release/test_runtime build/asan/test_runtime build/tsan/test_runtime
             build/explore/test_explorer build/release/test_specimens build/release/test_primes
             build/release/test_spinner_program build/release/test_flags_kit
             build/release/test_flags_coro build/tsan/test_flags_kit build/tsan/test_flags_coro
             build/tsan/aslr-probe"
    for lab in $LABS; do
        p=$(prog "$lab")
        targets="$targets build/tsan/labs/$p build/tsan/solutions/$p build/asan/solutions/test_$lab
                 build/release/solutions/test_$lab build/release/solutions/bench_$lab"
        for impl in labs solutions; do
            targets="$targets build/shake/$impl/test_$lab build/tsan/$impl/test_$lab"
        done
    done
    for lab in $EXPLORE_LABS; do
        targets="$targets build/explore/labs/explore_$lab build/explore/solutions/explore_$lab"
    done
    # Compiled with clang (the sanitizer builds) and gcc (release), -Werror
    # both: every source meets both compilers' warnings (`make warnings`
    # does the same without linking).
    # shellcheck disable=SC2086 # a list of targets
    check "build: every test binary and program, gcc and clang, -Werror" \
        $MAKE -s -j"$JOBS" WERROR=1 $targets
    # A goal that needs no sanitizer (make, make bench), its dependencies
    # probed anew, leaves the sanitizer builds' remembered flags as they
    # are: else the next make check recompiles every TSan object. (Here,
    # before the sections that read build/deps.mk run side by side; it is
    # put back after.)
    name="build: make leaves the sanitizer builds' flags as they are"
    log=$(logname "$name")
    flags() { cat build/tsan/flags build/asan/flags build/shake/flags build/explore/flags; }
    before=$(flags) && cp build/deps.mk "$logs/deps.mk.saved" &&
        env -u RACELAB_DEPS $MAKE -s all >"$log" 2>&1
    if [ "$before" = "$(flags)" ]; then ok "$name"; else
        { echo "before:"; echo "$before"; echo "after:"; flags; } >>"$log"
        bad "$name" "$log"
    fi
    cp "$logs/deps.mk.saved" build/deps.mk
}

test_runtime() {
    need build/release/test_runtime build/asan/test_runtime build/tsan/test_runtime
    cmocka "runtime (release)" build/release/test_runtime
    cmocka "runtime (ASan+UBSan)" sanitizers/run build/asan/test_runtime
    cmocka "runtime (TSan)" sanitizers/run build/tsan/test_runtime
}

test_explorer() {
    need build/explore/test_explorer $(for l in $EXPLORE_LABS; do
        echo build/explore/labs/explore_$l build/explore/solutions/explore_$l; done)
    cmocka "explorer (deadlock, lost wake-up, livelock, crash, virtual time, replay)" \
        build/explore/test_explorer
    for lab in $EXPLORE_LABS; do
        # (In a whole run, the solutions section's make check runs every
        # scenario of the references: judge 0 of each exercise.)
        [ -n "$all" ] || check "explorer: every schedule of lab $lab's reference is right" \
            build/explore/solutions/explore_$lab --quiet
        log=$logs/explore_labs_$lab.log
        build/explore/labs/explore_$lab --quiet >"$log" 2>&1
        rc=$?
        # (Not every scenario of a shipped exercise can fail: a bug of
        # memory order alone is TSan's to see; make check's three judges
        # together fail every shipped exercise: the exercises section.)
        if [ $rc = 1 ] && grep -q '^FAIL  ' "$log"; then
            ok "explorer: lab $lab's shipped exercises fail, with a schedule"
        else
            bad "explorer: lab $lab's shipped exercises fail, with a schedule (exit $rc)" "$log"
        fi
        # Its last group, run after the others in one process, reads as it
        # does alone: the explorer keeps what llvm-symbolizer said of each
        # address for the process, and a later failure's new addresses
        # must land on their own lines (addresses in values masked: ASLR).
        last=$(build/explore/labs/explore_$lab --list | tail -n 1)
        build/explore/labs/explore_$lab >"$log.all" 2>&1
        build/explore/labs/explore_$lab --only "$last" >"$log.one" 2>&1
        sed 's/0x[0-9a-f]*/0xN/g' "$log.one" >"$log.one.masked"
        tail -n "$(wc -l <"$log.one")" "$log.all" | sed 's/0x[0-9a-f]*/0xN/g' >"$log.all.masked"
        if [ -s "$log.one" ] && cmp -s "$log.all.masked" "$log.one.masked"; then
            ok "explorer: lab $lab's $last reads the same after the other groups as alone"
        else
            bad "explorer: lab $lab's $last reads the same after the other groups as alone" "$log.all"
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
}

test_specimens() {
    need build/release/test_specimens $(for l in $LABS; do
        echo build/release/solutions/$(prog $l) build/tsan/solutions/$(prog $l); done)
    cmocka "specimens (descriptions/LAB.mk: what each must show)" build/release/test_specimens
    # The bank's opening round trip: one teller, one transfer, so only the
    # opening takes both lock orders; TSan must report the inversion all
    # the same, and nothing for the ordered strategy.
    case " $LABS " in *" bank "*)
        check "bank: its opening shows TSan the inversion, one transfer on one thread" \
            sh -c 'sanitizers/run build/tsan/solutions/bank -s unsafe -t 1 -n 1 -a 2 2>&1 |
                grep -q "WARNING: ThreadSanitizer: lock-order-inversion" &&
                ! sanitizers/run build/tsan/solutions/bank -s ordered -t 1 -n 1 -a 2 2>&1 |
                grep -q "WARNING: ThreadSanitizer"' ;;
    esac
}

test_programs() {
    need build/release/test_primes build/release/test_spinner_program \
        build/release/solutions/primes build/release/solutions/spinner \
        build/release/test_flags_kit build/release/test_flags_coro build/tsan/test_flags_kit \
        build/tsan/test_flags_coro build/release/solutions/flags
    cmocka "lab 4's primes program (processes, pipes, Ctrl-C)" build/release/test_primes
    cmocka "lab 5's spinner program (on a terminal, Ctrl-C, pipes)" build/release/test_spinner_program
    cmocka "lab 8's server, transfers and program (faults: refused, garbage, hangs)" \
        build/release/test_flags_kit
    cmocka "lab 8's server, transfers and program under TSan" sanitizers/run build/tsan/test_flags_kit
    cmocka "lab 8's coroutine scheduler and count_async" build/release/test_flags_coro
    cmocka "lab 8's coroutine scheduler under TSan" sanitizers/run build/tsan/test_flags_coro
}

# make check IMPL=X, the labs graded in two lanes side by side (their tests
# wait about as much as they compute; no verdict rests on timing). Writes
# LOG; returns 0 when all passed.
check_in_lanes() { # IMPL LOG
    lane0="" lane1="" i=0
    for lab in $LABS; do
        if [ $((i % 2)) = 0 ]; then lane0="$lane0 $lab"; else lane1="$lane1 $lab"; fi
        i=$((i + 1))
    done
    ($MAKE -s check IMPL="$1" LAB="$lane0" >"$2.0" 2>&1; echo $? >"$2.0.rc") &
    pid0=$!
    ($MAKE -s check IMPL="$1" LAB="$lane1" >"$2.1" 2>&1; echo $? >"$2.1.rc") &
    wait $pid0 $! # not the valgrind section, if it runs
    cat "$2.0" "$2.1" >"$2"
    [ "$(cat "$2.0.rc")" = 0 ] && [ "$(cat "$2.1.rc")" = 0 ]
}

test_solutions() {
    need $(for l in $LABS; do echo build/shake/solutions/test_$l build/asan/solutions/test_$l; done)
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
    # A lab's STRESS run, without sanitizers: every strategy but the
    # specimen, at full size (lab 3: 4 x 4 threads, a million items).
    echo "$TABLE" | while IFS='|' read -r lab case program option _d _m _s _sh _r _sa _f _l stress _rest; do
        [ -n "$stress" ] || continue
        [ "$case" = - ] && case=""
        need build/release/solutions/$program
        # shellcheck disable=SC2086 # case is one word or none
        build/release/solutions/$program $case --list | while IFS=$(printf '\t') read -r s role _file; do
            [ "$role" = specimen ] && continue
            # shellcheck disable=SC2086 # lists of words
            check "solutions: $program ${case:+$case }$option $s $stress: verdict ok" \
                build/release/solutions/$program $case "$option" "$s" $stress
        done
    done
}

# A program under memcheck: a forked worker (primes -m processes, spinner
# -m process) exits with the parent's heap still reachable (it must not
# free or flush what it shares with the parent), so there only definite
# leaks count; a worker's error makes it exit 99, which the parent reports.
# valgrind, with each thread's stack 1 MB (the soft stack limit, which
# glibc takes as a new thread's stack size) instead of 8 MB: memcheck
# marks a thread's whole stack as it starts and ends, and a test's 64
# threads then cost it 512 MB of marking each time, most of its run (the
# references' tests: 49 s of CPU, 22 s with 1 MB). No code here needs
# more; one that did would crash, not pass.
valgrind_small_stacks="prlimit --stack=1048576: valgrind"

memcheck_run() { # PROGRAM ARGS...
    kinds=all
    case " $* " in *" processes "* | *" process "*) kinds=definite ;; esac
    # shellcheck disable=SC2086 # a command of words
    $valgrind_small_stacks -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=$kinds \
        "$@" 2>"$logs/memcheck.err"
    rc=$?
    cat "$logs/memcheck.err"
    # A verdict of ok (exit 0) and no worker's error.
    [ $rc = 0 ] && ! grep -q "exited with status 99" "$logs/memcheck.err"
}

test_valgrind() {
    need $(for l in $LABS; do echo build/release/solutions/test_$l build/release/solutions/$(prog $l); done)
    # RACELAB_LIGHT: a tenth of the stress; memcheck looks for memory
    # errors, which do not need a million interleavings, and runs 50x
    # slower. LEAKS (descriptions/LAB.mk): which leaks count, all or definite (lab
    # 5's tests fork from a process with threads: the child holds their
    # stacks' bookkeeping, "possibly lost" when it exits).
    echo "$TABLE" | cut -d'|' -f1,12 | uniq | while IFS='|' read -r lab kinds; do
        cmocka "solutions: test_$lab under valgrind memcheck" env RACELAB_WATCHDOG_SECONDS=120 \
            RACELAB_LIGHT=1 $valgrind_small_stacks -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=$kinds build/release/solutions/test_$lab
    done
    # The programs too, as a student runs them, with the MEMCHECK arguments
    # of descriptions/LAB.mk (runs separated by ';'), the amplifier on
    # where the program has one: every mode (-m: each is the kit's own
    # code), but of the strategies (-s: the exercises' functions, which
    # their tests above ran under memcheck) only the first that is not
    # the specimen, for the program around them. Not in a whole run (the
    # solutions' code is what the tests above ran): `make test-valgrind`
    # (and .ci/run, after make test) runs them.
    if [ -n "$all" ] && [ -z "${RACELAB_ALL_MEMCHECK:-}" ]; then
        echo "  (the programs under memcheck: make test-valgrind)"
        return
    fi
    echo "$TABLE" | while IFS='|' read -r lab case program option _demo memcheck _s _sh _r _sa hasfuzz _rest; do
        [ "$case" = - ] && case=""
        bin=build/release/solutions/$program
        fuzz=""
        [ "$hasfuzz" = yes ] && fuzz="--fuzz --seed 1"
        # shellcheck disable=SC2086 # case is one word or none
        $bin $case --list | awk -F '\t' -v opt="$option" '
            $2 != "specimen" && (opt != "-s" || !n++)' |
        while IFS=$(printf '\t') read -r s role _file; do
            echo "$memcheck" | tr ';' '\n' | while read -r args; do
                # shellcheck disable=SC2086 # lists of words
                check "solutions: $program ${case:+$case }$option $s $args under valgrind memcheck" \
                    memcheck_run $bin $case "$option" "$s" $args $fuzz
            done
        done
    done
}

test_exercises() {
    need $(for l in $LABS; do echo build/shake/labs/test_$l; done)
    log=$logs/check_labs.log
    check_in_lanes labs "$log"
    rc=$?
    for lab in $LABS; do
        for ex in $(build/shake/labs/test_$lab --list | cut -f1); do
            if grep -q "^  FAIL  $lab/$ex: .* -- TODO(lab [0-9][0-9]*) $ex: .*(labs/$lab.c:[0-9]*)\$" "$log"; then
                ok "make check: shipped $lab/$ex fails with its TODO"
            else
                bad "make check: shipped $lab/$ex fails with its TODO" "$log"
            fi
        done
    done
    [ $rc != 0 ] && ok "make check on the shipped labs exits non-zero" || bad "make check on the shipped labs exits non-zero" "$log"
}

# One mutant: prints nothing; its log is build/test/mutant_LAB_NAME.log.
grade_mutant() { # PATCH
    patch=$1
    lab=$(basename "$(dirname "$patch")")
    name=$(basename "$patch" .patch)
    ex=$(sed -n 's/^Exercise: //p' "$patch")
    dir=build/mutants/$lab/$name
    log=$logs/mutant_${lab}_$name.log
    rm -rf "$dir"
    mkdir -p "$dir"
    cp solutions/*.c "$dir/" # the lab's file, and those it uses (prints: queue.c)
    if ! patch -s -p1 -d "$dir" <"$patch" >"$log" 2>&1; then
        echo "patch does not apply" >>"$log"
        return
    fi
    # The grader as `make check LAB= EX= IMPL=` runs it, without a make run
    # of its own per mutant (the sections above run make check itself).
    MAKE=$MAKE EXERCISE=$ex RACELAB_LABS="$LABS" RACELAB_EXPLORE_LABS="$EXPLORE_LABS" \
        scripts/check.sh "$dir" "$lab" >>"$log" 2>&1
}

test_mutants() {
    need $(for l in $LABS; do echo build/shake/solutions/test_$l; done)
    # Three at a time on two cores: many mutants spend seconds waiting, not
    # computing (a hang is caught by a 5 s watch). Each builds into its own
    # directory; verdicts do not rest on timing, so running side by side
    # changes nothing but the wall time.
    # In a whole `make test`, a sample of one mutant per lab, wrong fixes
    # and right ones in turn (labs by name: atomics's first wrong fix,
    # bank's first right one, ...; each the first by name, a lab without
    # one of its turn giving its other), so that the grader is seen both
    # rejecting and accepting, within the suite's five minutes; `make
    # test-mutants` (and .ci/run, after make test) grades every one.
    if [ -n "$all" ] && [ -z "${RACELAB_ALL_MUTANTS:-}" ]; then
        mutants=$(for patch in tests/mutants/*/*.patch; do
            printf '%s %s\n' "$(sed -n 's/^Expect: //p' "$patch")" "$patch"
        done | awk '
            { lab = $2; sub(/\/[^\/]*$/, "", lab) }
            !(lab in turn) { turn[lab] = (n++ % 2 == 0) ? "FAIL" : "PASS"; order[n] = lab }
            !((lab, $1) in first) { first[lab, $1] = $2 }
            END {
                for (i = 1; i <= n; i++) {
                    lab = order[i]; v = turn[lab]
                    print ((lab, v) in first) ? first[lab, v] : first[lab, v == "FAIL" ? "PASS" : "FAIL"]
                }
            }')
        echo "  (a sample: $(echo "$mutants" | wc -l) of $(ls tests/mutants/*/*.patch | wc -l)" \
            "mutants, one per lab, wrong and right fixes in turn; make test-mutants grades all)"
    else
        mutants=$(ls tests/mutants/*/*.patch)
    fi
    lane() { # K: grades every third mutant, starting with the K-th
        i=0
        for patch in $mutants; do
            [ $((i % 3)) = "$1" ] && grade_mutant "$patch"
            i=$((i + 1))
        done
    }
    lane 0 &
    pid0=$!
    lane 1 &
    pid1=$!
    lane 2 &
    wait $pid0 $pid1 $! # not the valgrind section, which runs on
    for patch in $mutants; do
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
    # atomic load make it lose on every run. (The explorer grades it first
    # in make check: the shake binary is run on its own here.)
    dir=build/mutants/counter/atomic-load-then-store
    log=$logs/shake_one_cpu.log
    if [ -x "build/shake/$dir/test_counter" ]; then
        taskset -c 0 "build/shake/$dir/test_counter" --only atomic --fail-fast >"$log" 2>&1
        if grep -q "atomic, .*: expected .*, got .* (lost" "$log"; then
            ok "shake build: atomic load-then-store loses updates on one CPU"
        else
            bad "shake build: atomic load-then-store loses updates on one CPU" "$log"
        fi
    fi
}

test_tsan() {
    # The solutions: every specimen shows what descriptions/LAB.mk says (its
    # verdict, and reports unless RACE is none); everything else has no
    # report and the verdict ok. The rows: build/tsan/IMPL/demo.tsv,
    #   lab|case|strategy|role|file|reports|verdict|exit status
    # (The shipped labs' run, below, goes beside it: each waits on its
    # programs' sleeps as much as it computes.)
    $MAKE -s tsan IMPL=labs >"$logs/tsan_labs.log" 2>&1 &
    labs_pid=$!
    log=$logs/tsan_solutions.log
    $MAKE -s tsan IMPL=solutions >"$log" 2>&1
    rc=$?
    [ $rc = 0 ] && ok "make tsan IMPL=solutions exits 0" || bad "make tsan IMPL=solutions exits 0" "$log"
    tsv=build/tsan/solutions/demo.tsv
    echo "$TABLE" | while IFS='|' read -r lab case _p _o _d _m _s shows race _rest; do
        rows=$(awk -F'|' -v lab="$lab" -v c="$case" '$1 == lab && $2 == c' "$tsv")
        [ -n "$rows" ] || bad "make tsan IMPL=solutions: rows for $lab${case#-}" "$log"
        echo "$rows" | while IFS='|' read -r _l _c s role _file reports verdict _rc; do
            [ -n "$s" ] || continue
            c=${case#-}
            row="$lab ${c:+$c/}$s"
            if [ "$role" = specimen ]; then
                if [ "$race" = none ]; then want_reports='^0$'; else want_reports='^[1-9][0-9]*$'; fi
                if echo "$reports" | grep -Eq "$want_reports" && [ "${verdict%%:*}" = "$shows" ]; then
                    if [ "$race" = none ]; then what="no report"; else what="reports on $race"; fi
                    ok "make tsan: the specimen $row shows $shows, with $what"
                else
                    bad "make tsan: the specimen $row shows $shows (got: $reports reports, $verdict)" "$log"
                fi
            elif [ "$reports" = 0 ] && [ "${verdict%%:*}" = ok ]; then
                ok "make tsan IMPL=solutions: $row has no report and the verdict ok"
            else
                bad "make tsan IMPL=solutions: $row has no report and the verdict ok (got: $reports, $verdict)" "$log"
            fi
        done
    done
    # What a student sees first: the shipped labs, short, with the log named.
    log=$logs/tsan_labs.log
    wait $labs_pid
    rc=$?
    lines=$(grep -cv '^  \(CC\|LINK\) ' "$log")
    [ $rc = 0 ] && ok "make tsan exits 0 after showing races" || bad "make tsan exits 0 after showing races" "$log"
    if [ "$lines" -le 400 ] && grep -q "^every line the programs printed: build/tsan/labs/demo.log" "$log"; then
        ok "make tsan: $lines lines for every lab (at most 400), the rest in its log"
    else
        bad "make tsan: $lines lines for every lab (at most 400), the rest in its log" "$log"
    fi
}

test_detectors() {
    check "detectors: scripts/detectors.sh --help" sh -c 'scripts/detectors.sh --help | grep -q "^usage: "'
    log=$(logname "detectors: a bad option")
    scripts/detectors.sh --jobs 0 >"$log" 2>&1
    rc=$?
    if [ $rc = 2 ] && [ "$(grep -c . "$log")" = 1 ]; then ok "detectors: a bad option is one line, exit 2"
    else bad "detectors: a bad option is one line, exit 2 (exit $rc)" "$log"; fi
    # One small lab, every tool (about 20 s on 2 cores): the matrix comes
    # from real runs, so TSan must flag the specimen, at its own file, and
    # report nothing on any of counter's reference strategies.
    log=$logs/detectors_counter.log
    csv=build/detectors/matrix.csv
    $MAKE -s detectors LAB=counter >"$log" 2>&1
    rc=$?
    [ $rc = 0 ] && ok "make detectors LAB=counter exits 0" || bad "make detectors LAB=counter exits 0 (exit $rc)" "$log"
    if grep -q '^counter specimen  *race counter_unsafe\.c:[0-9]' "$log" &&
        grep -q '^"counter specimen","tsan","unsafe","race",.*"counter_unsafe\.c:[0-9]*"' "$csv"; then
        ok "detectors: TSan flags counter's specimen, at counter_unsafe.c"
    else
        bad "detectors: TSan flags counter's specimen, at counter_unsafe.c" "$log"
    fi
    runs=$(grep -c '^"counter reference","tsan",' "$csv")
    clean=$(grep -c '^"counter reference","tsan","[^"]*","clean"' "$csv")
    if [ "$runs" -gt 0 ] && [ "$clean" = "$runs" ] && grep -q '^counter reference  *clean ' "$log"; then
        ok "detectors: TSan reports nothing on counter's reference ($runs strategies)"
    else
        bad "detectors: TSan reports nothing on counter's reference ($clean of $runs clean)" "$log"
    fi
}

test_bench() {
    need $(for l in $LABS; do echo build/release/solutions/bench_$l; done)
    for lab in $LABS; do
        check "bench_$lab --quick runs" build/release/solutions/bench_$lab --quick
    done
    # A benchmark's CSV, what scripts/plot.sh draws: a header and a row per
    # series and thread count, the median between low and high; the peers
    # (bench/peers.h) measured in the same run, so present in it. (prints,
    # spinner, bank and atomics have no peer; their CSVs name their unit.)
    for spec in "counter 16 slots ck_fas" "queue 11 sbuf ck_ring" "pool 12 openmp" \
        "prints 9" "spinner 5" "bank 6" "atomics 15"; do
        set -- $spec
        lab=$1 rows=$2
        shift 2
        csv=$logs/bench_$lab.csv
        rm -f "$csv"
        build/release/solutions/bench_$lab --quick --csv "$csv" >/dev/null 2>&1
        if awk -F, -v rows="$rows" '/^#/ { next } !header++ { ok = $0 == "series,threads,median,low,high"; next }
                 NF != 5 || $4 > $3 || $3 > $5 { ok = 0 } { n++ } END { exit !(ok && n >= rows) }' "$csv" &&
            (for peer in "$@"; do grep -q "^$peer,2," "$csv" || exit 1; done); then
            ok "bench_$lab --csv writes its table${*:+, peers too ($*)}"
        else
            bad "bench_$lab --csv writes its table${*:+, peers too ($*)}" "$csv"
        fi
    done
    log=$(logname "bench csv unwritable")
    build/release/solutions/bench_counter --quick --csv /nonexistent/counter.csv >/dev/null 2>"$log"
    if [ $? = 1 ] && [ "$(cat "$log")" = "bench_counter: cannot write /nonexistent/counter.csv" ]; then
        ok "bench_counter --csv into a folder that is not there: one line, exit 1"
    else
        bad "bench_counter --csv into a folder that is not there: one line, exit 1" "$log"
    fi
    check "scripts/bench.sh --help" scripts/bench.sh --help
    # make bench-docs writes a run, with its conditions, into the page's
    # block (here into a copy of docs/), and the ratios racelab / peer.
    pages=$logs/bench-docs
    rm -rf "$pages"
    mkdir -p "$pages"
    cp docs/counter.md "$pages/"
    log=$(logname "bench-docs")
    if BENCH_DOCS_DIR=$pages scripts/bench.sh --docs --quick build/release/solutions counter \
        >"$log" 2>&1 &&
        sed -n '/^<!-- bench: begin -->$/,/^<!-- bench: end -->$/p' "$pages/counter.md" |
        grep -q '^    conditions: .* load average before' &&
        grep -q '^    load average after' "$pages/counter.md" &&
        grep -q '^counter: sharded / slots,2,' build/bench/quick/ratios.csv; then
        ok "make bench-docs writes the run and its conditions into the page, and the ratios"
    else
        bad "make bench-docs writes the run and its conditions into the page, and the ratios" "$log"
    fi
    if scripts/bench.sh --bogus >/dev/null 2>&1; [ $? = 2 ]; then
        ok "scripts/bench.sh: a bad option exits 2"
    else
        bad "scripts/bench.sh: a bad option exits 2" /dev/null
    fi
}

# script NAME FILE: a script of checks that prints "  ok    NAME" or
# "  FAIL  NAME  (log: F)" per check and exits 0 when all passed; each of
# its lines counts.
script() {
    log=$(logname "$1")
    sh "$2" >"$log" 2>&1
    rc=$?
    grep -E '^  (ok|FAIL)  ' "$log"
    p=$(grep -c '^  ok  ' "$log")
    f=$(grep -c '^  FAIL  ' "$log")
    echo "pass $p" >>"$tally"
    echo "fail $f" >>"$tally"
    if [ "$rc" != 0 ] && [ "$f" = 0 ] || [ "$p" = 0 ]; then
        bad "$1: $2 exited $rc" "$log"
    fi
}

test_grader() {
    script "grader" tests/grader.sh
}

test_format() {
    script "format" tests/format.sh
}

test_grade() {
    script "grade" tests/grade.sh
}

# ---- run them ------------------------------------------------------------

# A section alone (make test-SECTION) prints as it goes. A whole run
# builds first, then runs the other sections side by side: those that
# mostly wait (on sleeps, pipes, terminals: runtime, specimens, programs)
# one after another in a lane of their own, the rest up to two at a time
# beside them, the most CPU first, but grade early: it spends a minute
# mostly waiting out its fixtures' wall-time limits, which started last
# made it the end of every run. Each section's lines go to
# build/test/section_NAME.out and are shown whole, in the order below,
# as soon as the sections before it are. No verdict rests on timing (the
# suite passes pinned to one CPU), so running side by side changes
# nothing but the wall time. format reads make check's logs of the
# solutions and exercises sections, so it waits for them.
run_section() { # SECTION
    current=$1
    test_$1
}
if [ -z "$all" ]; then
    for s in "$@"; do
        section "$s"
        run_section "$s"
    done
else
    section build
    run_section build
    light="runtime specimens programs tsan"
    heavy="valgrind solutions grade exercises mutants grader explorer format detectors bench"
    order="$light $heavy"
    [ "$(echo $order | tr ' ' '\n' | sort)" = "$(echo $SECTIONS | tr ' ' '\n' | grep -vx build | sort)" ] ||
        { echo "test.sh: the sections' lanes do not list every section" >&2; exit 2; }
    after_format="solutions exercises"
    slots=${RACELAB_TEST_SLOTS:-2}
    for s in $order; do rm -f "$logs/section_$s.done"; done
    done_() { [ -f "$logs/section_$1.done" ]; }
    start() { # SECTION
        (
            t0=$(date +%s)
            run_section "$1" >"$logs/section_$1.out" 2>&1
            # The CPU time its processes took, user and system, in seconds.
            # (times into a file: in a pipe or $(...) it would run in a
            # child of its own, which has no children.)
            times >"$logs/section_$1.times"
            cpu=$(awk 'function s(t) { split(t, a, "m"); return a[1] * 60 + a[2] }
                NR == 2 { printf "%.0f", s($1) + s($2) }' "$logs/section_$1.times")
            echo "$t0 $(date +%s) $cpu" >"$logs/section_$1.done.tmp"
            mv "$logs/section_$1.done.tmp" "$logs/section_$1.done"
        ) &
    }
    # Shows, in order, the sections finished since the last call.
    shown=""
    show_finished() {
        for s in $order; do
            case " $shown " in *" $s "*) continue ;; esac
            done_ "$s" || break
            read -r t0 t1 cpu <"$logs/section_$s.done"
            echo "racelab test: $s [$((t0 - started))-$((t1 - started)) s, CPU $cpu s]"
            cat "$logs/section_$s.out"
            shown="$shown $s"
        done
    }
    (for s in $light; do start "$s"; wait; done) &
    # The loop below wakes every 0.3 s for minutes: no programs in it but
    # sleep (words counted and removed by the shell itself).
    count_words() { nwords=$#; }
    pending=$heavy running=""
    while :; do
        for s in $pending; do
            # shellcheck disable=SC2086 # words to count
            count_words $running
            [ "$nwords" -lt "$slots" ] || break
            if [ "$s" = format ]; then
                ready=1
                for d in $after_format; do done_ "$d" || ready=""; done
                [ -n "$ready" ] || continue
            fi
            start "$s"
            running="$running $s"
            rest=""
            for w in $pending; do [ "$w" = "$s" ] || rest="$rest $w"; done
            pending=$rest
        done
        show_finished
        still=""
        for s in $running; do done_ "$s" || still="$still $s"; done
        running=$still
        [ -z "$pending" ] && [ -z "$running" ] && break
        sleep 0.3
    done
    wait
    show_finished
fi

passed=$(awk '$1 == "pass" { s += $2 } END { print s + 0 }' "$tally")
failed=$(awk '$1 == "fail" { s += $2 } END { print s + 0 }' "$tally")
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/bin/sh
# check.sh - the grader behind `make check`: one line per exercise, PASS or
# FAIL with the reason and a hint that names the TODO.
#
#   scripts/check.sh IMPL LAB...   (EXERCISE=name grades just that one:
#                                   make check EX=name)
#
# Each lab is built here, not by make before it: a lab that does not
# compile is one FAIL (with the compiler's first error), not the end of the
# grading. An exercise passes when it passes three judges:
#   0. the schedule explorer (build/explore/IMPL/explore_LAB, for the labs
#      that have scenarios: tests/explore_LAB.c): small scenarios run over
#      every schedule up to a few preemptions, deterministic; a failure
#      shows its schedule in short here, as a table in the log, and the
#      token that replays it (make explore LAB= REPLAY=);
#   1. in the shake build (build/shake/IMPL/test_LAB): the exercise file is
#      compiled with ThreadSanitizer's instrumentation and linked with
#      runtime/shake.c, so every shared access in it is a race-window amplifier
#      point: a fix that leaves a gap between a read and a write loses
#      updates here on every run, marks or no marks;
#   2. under ThreadSanitizer (build/tsan/IMPL/test_LAB), which must report
#      nothing: a data race is a FAIL even when the count came out right.
# A crash (a signal) is named, and the exercise's tests run once more in
# the ASan+UBSan build (build/asan/IMPL/test_LAB), which names the line.
#
# Output: per lab a header, one line per exercise (`  PASS  lab/ex` or
# `  FAIL  lab/ex: reason -- hint (file:line)`, then indented detail), and
# `lab: P of N exercises pass`; with several labs a total line last. On a
# terminal, a status line (`  ...   lab/ex: judge, N s`) shows what runs,
# and is cleared before the next line; elsewhere nothing else is printed.
# Logs: build/check/IMPL/LAB.build.log, LAB-EX.{explore,shake,tsan,asan}.log
#
# FORMAT=json|junit|tap (make check FORMAT=...): the same grading, and on
# stdout only that report, for a program (scripts/report.sh writes it);
# the lines above go to stderr. RACELAB_RECORDS=FILE: one line per
# exercise graded is appended to FILE, the report's input (make grade
# reads it; its columns: scripts/report.sh).
# Exit status: 0 when every exercise graded passes, 1 otherwise, 2 on a
# usage error (an unknown lab or exercise lists the valid ones).
set -u
MAKE=${MAKE:-make}
case ${1:-} in
-h | --help)
    sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
    ;;
esac
[ $# -ge 2 ] || { echo "usage: scripts/check.sh IMPL LAB... (--help says more)" >&2; exit 2; }
format=${FORMAT:-text}
case $format in
text | json | junit | tap) ;;
*) echo "check: no format '$format' (FORMAT is text, json, junit or tap)" >&2; exit 2 ;;
esac
impl=$1
# Where IMPL's binaries and logs go: an IMPL outside the tree builds under
# build/VARIANT/ext/ABSPATH (the Makefile says the same).
case $impl in /*) bimpl=ext$impl ;; *) bimpl=$impl ;; esac
shift
want=${EXERCISE:-}
# The labs, and those with explorer scenarios: from make check, or asked.
if [ -n "${RACELAB_LABS:-}" ]; then
    all_labs=$RACELAB_LABS explore_labs=${RACELAB_EXPLORE_LABS:-}
else
    kit=$("$MAKE" -s --no-print-directory print-labs print-explore-labs) || exit 2
    all_labs=$(echo "$kit" | sed -n 1p)
    explore_labs=$(echo "$kit" | sed -n 2p)
fi
for lab in "$@"; do
    case " $all_labs " in
    *" $lab "*) ;;
    *) echo "check: no lab '$lab' (labs: $all_labs)" >&2; exit 2 ;;
    esac
    [ -f "$impl/$lab.c" ] || { echo "check: no file $impl/$lab.c (IMPL=$impl)" >&2; exit 2; }
done
# Detect the TSan/ASLR problem once, not once per program (sanitizers/run).
RACELAB_SETARCH=$(sanitizers/run --detect)
export RACELAB_SETARCH
logdir=build/check/$bimpl
mkdir -p "$logdir"
tab=$(printf '\t')
us=$(printf '\037') # between the logs of a record
status=0

# ---- the records, for FORMAT= and make grade ------------------------------

# One line per exercise graded, in $records (scripts/report.sh reads
# them): tab-separated, a field never holds a tab or a newline.
records=${RACELAB_RECORDS:-}
if [ -z "$records" ] && [ "$format" != text ]; then
    records=$logdir/.records.$$
    : >"$records"
    trap 'rm -f "$records"' EXIT
fi
# The report goes to what was stdout; the lines for people, to stderr.
[ "$format" = text ] || exec 8>&1 1>&2
# record LAB EX VERDICT REASON HINT WHERE LOGS (VERDICT: pass, fail, or
# unbuilt: the lab did not build; LOGS: "judge=path" words).
record() {
    [ -n "$records" ] || return 0
    {
        printf '%s' "$1" | tr '\t\n\r' '   '
        shift
        for field in "$@"; do
            printf '\t'
            printf '%s' "$field" | tr '\t\n\r' '   '
        done
        echo
    } >>"$records"
}

# ---- the status line: on a terminal only -----------------------------------

# fd 9 is the terminal, for the ticker of a command whose output goes to
# a log (not fd 3: make's jobserver often has it). A dumb terminal cannot
# clear a line: no status there.
exec 9>&1
live=""
[ -t 1 ] && [ "${TERM:-dumb}" != dumb ] && live=1

# busy WHAT CMD...: runs CMD (its redirections are the caller's). On a
# terminal, meanwhile, "  ...   WHAT" and the seconds spent, rewritten in
# place every second and cleared when CMD ends: a test that hangs takes
# up to 20 s to fail (its watchdog), and this shows the grader is waiting.
busy_ticker=""
busy() {
    busy_what=$1
    shift
    if [ -z "$live" ]; then
        "$@" 8>&- 9>&-
        return
    fi
    # The ticker ignores Ctrl-C (a background job of a script does): it
    # stops when told, or when this script is gone.
    (
        n=0 spent=""
        while kill -0 $$ 2>/dev/null; do
            printf '\r\033[K  ...   %s%s' "$busy_what" "$spent" >&9
            sleep 1
            n=$((n + 1)) spent=", $n s"
        done
    ) &
    busy_ticker=$!
    "$@" 8>&- 9>&-
    busy_rc=$?
    busy_stop
    return $busy_rc
}
busy_stop() {
    [ -n "$busy_ticker" ] || return 0
    kill "$busy_ticker" 2>/dev/null
    wait "$busy_ticker" 2>/dev/null
    busy_ticker=""
    printf '\r\033[K' >&9
}
# Interrupted: no ticker left behind, no status line left on the screen.
if [ -n "$live" ]; then
    trap 'busy_stop; exit 130' INT
    trap 'busy_stop; exit 143' TERM
    trap 'busy_stop; exit 129' HUP
fi

# ---- reading a run's log ---------------------------------------------------

# The name and meaning of signal N.
signame() {
    case $1 in
    4) echo "SIGILL (illegal instruction)" ;;
    6) echo "SIGABRT (abort: a failed check?)" ;;
    7) echo "SIGBUS (bus error: a bad pointer?)" ;;
    8) echo "SIGFPE (arithmetic error: a division by zero?)" ;;
    9) echo "SIGKILL (killed)" ;;
    11) echo "SIGSEGV (segmentation fault)" ;;
    *) echo "SIG$(kill -l "$1" 2>/dev/null || echo "$1")" ;;
    esac
}

# crashed LOG STATUS: whether the tests in LOG died of a signal. Sets
# crash_test (the test that was running) and crash_sig (the signal, ""
# when the log does not say). A signal shows as:
#   - cmocka's "Test failed with exception: Segmentation fault(11)", when
#     its handler caught it in the test's own thread;
#   - an exit status of 128 + N, when nothing caught it (abort(), say);
#   - exit status 255 in the middle of a test, when cmocka's handler caught
#     it in another thread: it then exits without a word.
crashed() {
    crash_test=$(sed -n 's/^\[ RUN      \] //p' "$1" | tail -n 1)
    sig=$(sed -n 's/.*Test failed with exception: [^(]*(\([0-9]*\)).*/\1/p' "$1" | head -n 1)
    [ -z "$sig" ] && [ "$2" -gt 128 ] && [ "$2" -lt 192 ] && sig=$(($2 - 128))
    if [ -n "$sig" ]; then
        crash_sig=$(signame "$sig")
        return 0
    fi
    crash_sig=""
    [ "$2" = 255 ] && [ -n "$crash_test" ] &&
        ! grep -Fqx -e "[       OK ] $crash_test" -e "[  FAILED  ] $crash_test" "$1"
}

# The reason a run failed, from its log and exit status, on one line.
reason() { # LOG STATUS
    if [ "$2" = 124 ]; then
        sed -n 's/^\[  TIMEOUT \] /hangs: /p' "$1" | head -n 1
    elif crashed "$1" "$2"; then
        echo "crashed${crash_sig:+: $crash_sig}${crash_test:+ in test \"$crash_test\"}"
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
        echo "the tests failed (exit status $2)"
    fi
}

# judge LOG WHAT CMD...: runs a test binary's CMD into LOG; sets rc. When
# it crashed where cmocka says nothing (exit 255), once more with
# CMOCKA_TEST_ABORT=1: then cmocka names the signal, and aborts.
judge() {
    judge_log=$1 judge_what=$2
    shift 2
    busy "$judge_what" "$@" >"$judge_log" 2>&1 </dev/null
    rc=$?
    if [ $rc != 0 ] && [ $rc != 124 ] && crashed "$judge_log" $rc && [ -z "$crash_sig" ]; then
        echo "---- again, with CMOCKA_TEST_ABORT=1, for the signal's name ----" >>"$judge_log"
        busy "$judge_what (again, for the signal)" env CMOCKA_TEST_ABORT=1 "$@" \
            >>"$judge_log" 2>&1 </dev/null
    fi
}

# After a crash: the exercise's tests in the ASan+UBSan build, which stop at
# the first bad access with a stack. ASan keeps its own SEGV handler (not
# cmocka's) and reports aborts too. Sets crash_where (the first frame in
# IMPL, "file:line") and asan_note (what it says, and its log, or why it
# says nothing).
asan_built=""
asan_line() { # LAB EX
    crash_where="" asan_note=""
    asan=build/asan/$bimpl/test_$1
    if [ -z "$asan_built" ]; then
        asan_built=1
        busy "$1: building the ASan+UBSan tests" \
            "$MAKE" -s --no-print-directory IMPL="$impl" "$asan" \
            >"$logdir/$1.asan-build.log" 2>&1 || asan_built=failed
    fi
    if [ "$asan_built" = failed ]; then
        asan_note="ASan+UBSan: its build failed (log: $logdir/$1.asan-build.log)"
        return
    fi
    alog=$logdir/$1-$2.asan.log
    if busy "$1/$2: ASan+UBSan" \
        env ASAN_OPTIONS="allow_user_segv_handler=0 handle_abort=1 handle_sigill=1" \
        sanitizers/run "$asan" --only "$2" --fail-fast >"$alog" 2>&1 </dev/null; then
        asan_note="ASan+UBSan: the tests passed there, no line to show (log: $alog)"
        return
    fi
    said=$(sed -n -e 's/.*: runtime error: //p' \
        -e 's/^==[0-9]*==ERROR: AddressSanitizer: \(.*[^ ]\) *(pc .*/\1/p' \
        -e 's/^==[0-9]*==ERROR: AddressSanitizer: //p' "$alog" | head -n 1)
    grep -q 'address points to the zero page' "$alog" && said="$said (a NULL pointer)"
    # "    #0 0x55d1 in counter_mutex_inc labs/counter.c:42:5" gives
    # "labs/counter.c:42 counter_mutex_inc"
    frame=$(sed -n "s|^ *#[0-9]* 0x[0-9a-f]* in \([^ ]*\) \($impl/[^ :]*:[0-9]*\).*|\2 \1|p" "$alog" |
        head -n 1)
    crash_where=${frame%% *}
    asan_note="ASan+UBSan: ${said:-see its log}${frame:+, in ${frame#* }} (log: $alog)"
}

# ---- building a lab --------------------------------------------------------

# A compiler's warning, not make's: "labs/counter.c:12:5: warning: ..."
warning='^[^ :]*:[0-9]*:[0-9]*: warning: '

# why_unbuilt LOG: when make failed, what to say: "IMPL/X.c does not
# compile:" and the compiler's first error with its context (up to 5
# lines), or "does not link:" and the first undefined or doubled symbols.
why_unbuilt() {
    # make names the target it could not make: "*** [Makefile:199: T] Error 1"
    target=$(sed -n 's/.*\*\*\* \[[^]]*: \([^]]*\)\] Error.*/\1/p' "$1" | head -n 1)
    errors=0
    case $target in
    *.o)
        file=$impl/$(basename "$target" .o).c
        [ -f "$file" ] || file="the kit's $(basename "$target" .o).c"
        echo "$file does not compile:"
        errors=$(grep -c -e ': error: ' -e ': fatal error: ' "$1")
        # The first error and the lines that show it (the source line, the
        # caret), up to the next diagnostic.
        awk '
            !on && /: (fatal )?error: / { on = 1; print "          " $0; n = 1; next }
            on && (n >= 5 || /^[^ ]+:[0-9]+:[0-9]+: / || !/^ /) { exit }
            on { print "          " $0; n++ }
        ' "$1"
        ;;
    "")
        echo "the build failed:"
        { grep 'No rule to make' "$1" || tail -n 3 "$1"; } | head -n 3 | sed 's/^/          /'
        ;;
    *)
        # A name the tests call is missing or doubled; a warning about a
        # function with no prototype often says which was misspelt.
        echo "$src does not link:"
        grep -e 'undefined reference' -e 'multiple definition' "$1" | head -n 2 |
            sed -e 's|^[^ ]*ld: ||' -e 's/^/          /'
        grep "$warning" "$1" | head -n 1 | sed 's/^/          /'
        ;;
    esac
    more=""
    [ "$errors" = 2 ] && more="1 more error; "
    [ "$errors" -gt 2 ] && more="$((errors - 1)) more errors; "
    echo "        (${more}the whole log: $1)"
}

# The labs graded, and their exercises passed and graded, for the total.
labs_graded=0 pass_all=0 total_all=0 listed=""

for lab in "$@"; do
    src=$impl/$lab.c
    shake=build/shake/$bimpl/test_$lab
    tsan=build/tsan/$bimpl/test_$lab
    explore=""
    case " $explore_labs " in *" $lab "*) explore=build/explore/$bimpl/explore_$lab ;; esac
    buildlog=$logdir/$lab.build.log
    unbuilt=""
    # shellcheck disable=SC2086 # explore is one path or none
    if ! busy "$lab: building $src" \
        "$MAKE" -s --no-print-directory IMPL="$impl" "$shake" $explore >"$buildlog" 2>&1; then
        unbuilt=$(why_unbuilt "$buildlog")
    elif ! exercises=$("$shake" --list 2>>"$buildlog"); then
        unbuilt="$shake --list failed (log: $buildlog)"
    fi
    if [ -n "$unbuilt" ]; then
        # Its exercises, to count them failed: the reference's tests list
        # the same ones (their names are the contract's).
        exercises=""
        ref=build/shake/solutions/test_$lab
        busy "$lab: listing its exercises" \
            "$MAKE" -s --no-print-directory "$ref" >"$logdir/$lab.list-build.log" 2>&1 &&
            exercises=$("$ref" --list 2>/dev/null)
    fi
    names=$(echo "$exercises" | cut -f1 | tr '\n' ' ' | sed 's/ *$//')
    [ -n "$names" ] && listed="$listed $(echo "$names" | sed "s|[^ ]*|$lab/&|g")"
    if [ -n "$want" ]; then
        exercises=$(echo "$exercises" | awk -F "$tab" -v ex="$want" '$1 == ex')
        if [ -z "$exercises" ]; then
            [ $# = 1 ] || continue # another lab may have it
            echo "check: no exercise '$want' in $lab" \
                "(exercises: ${names:-none could be listed})" >&2
            exit 2
        fi
    fi
    labs_graded=$((labs_graded + 1))
    echo "racelab check: $src"
    if [ -n "$unbuilt" ]; then
        # Every exercise of a lab that does not build fails, on these lines.
        status=1
        n=$(echo "$exercises" | grep -c .)
        total_all=$((total_all + n))
        echo "$unbuilt" | sed "1s/^/  FAIL  $lab: /"
        [ -n "$exercises" ] ||
            echo "        (nor could its exercises be listed: $logdir/$lab.list-build.log)"
        # Its record: the first line, and the error's, as one reason.
        said=$(echo "$unbuilt" | sed -n '1,2p' | sed 's/^ *//' | tr '\n' ' ' | sed 's/ *$//')
        echo "${exercises:-$tab}" | while IFS=$tab read -r ex hint; do
            record "$lab" "$ex" unbuilt "$said" "$hint" "$src" "build=$buildlog"
        done
        echo "$lab: 0 of $n exercises pass (it does not build; logs: $logdir/)"
        continue
    fi
    # Warnings do not fail, but are worth a look (shown once: the next
    # make check does not compile the file again).
    warnings=$(grep -c "$warning" "$buildlog")
    if [ "$warnings" -gt 0 ]; then
        [ "$warnings" = 1 ] && warned="1 compiler warning" || warned="$warnings compiler warnings"
        echo "        $warned (the whole log: $buildlog):"
        grep "$warning" "$buildlog" | head -n 3 | sed 's/^/          /'
    fi
    explored="" tsan_built="" asan_built=""
    [ -n "$explore" ] && explored=$("$explore" --list)
    pass=0 total=0
    while IFS=$tab read -r ex hint; do
        total=$((total + 1))
        log=$logdir/$lab-$ex
        why="" short="" replay="" crash="" logs="build=$buildlog"
        # 0. the explorer, for the exercises that have scenarios
        if echo "$explored" | grep -qx "$ex"; then
            busy "$lab/$ex: explorer" "$explore" --only "$ex" >"$log.explore.log" 2>&1 </dev/null
            rc=$?
            logs="$logs${us}explore=$log.explore.log"
            if [ $rc != 0 ]; then
                why=$(sed -n 's/^FAIL  [^:]*: \(.*\)$/explorer: \1/p' "$log.explore.log" | head -n 1)
                if [ -z "$why" ]; then # the explorer itself failed
                    why="explorer: $(reason "$log.explore.log" $rc)"
                    crashed "$log.explore.log" $rc && crash=1
                fi
                # Its "crash" verdict: "crashes: SIGSEGV (a segfault...)"
                case $why in *": crashes: "*) crash=1 ;; esac
                short=$(sed -n 's/^      short: //p' "$log.explore.log" | head -n 1)
                replay=$(sed -n 's/^      replay: //p' "$log.explore.log" | head -n 1)
                [ "$impl" = labs ] || replay="$replay IMPL=$impl"
            fi
        fi
        # 1. the shake build
        if [ -z "$why" ]; then
            judge "$log.shake.log" "$lab/$ex: shake build" "$shake" --only "$ex" --fail-fast
            logs="$logs${us}shake=$log.shake.log"
            if [ $rc != 0 ]; then
                why=$(reason "$log.shake.log" $rc)
                crashed "$log.shake.log" $rc && crash=1
            fi
        fi
        # 2. ThreadSanitizer, its tests built when first needed: a fix the
        # explorer or the shake build failed does not wait for them. (Once
        # failed, never run: an older binary may be there.)
        if [ -z "$why" ] && [ -z "$tsan_built" ]; then
            tsan_built=yes
            busy "$lab: building the TSan tests" \
                "$MAKE" -s --no-print-directory IMPL="$impl" "$tsan" \
                >"$logdir/$lab.tsan-build.log" 2>&1 || tsan_built=failed
        fi
        [ -z "$why" ] && [ "$tsan_built" = failed ] &&
            why="the TSan build failed (log: $logdir/$lab.tsan-build.log)"
        if [ -z "$why" ]; then
            judge "$log.tsan.log" "$lab/$ex: ThreadSanitizer" \
                sanitizers/run "$tsan" --only "$ex" --fail-fast
            logs="$logs${us}tsan=$log.tsan.log"
            if [ $rc != 0 ]; then
                why="$(reason "$log.tsan.log" $rc) (TSan build)"
                crashed "$log.tsan.log" $rc && crash=1
            fi
        fi
        # A crash: the line, from ASan+UBSan.
        asan_note=""
        if [ -n "$crash" ]; then
            asan_line "$lab" "$ex"
            [ -n "$crash_where" ] && why="$why, at $crash_where"
            case $asan_note in *"(log: $logdir/$lab-$ex.asan.log)") logs="$logs${us}asan=$logdir/$lab-$ex.asan.log" ;; esac
        fi
        if [ -z "$why" ]; then
            pass=$((pass + 1))
            printf '  PASS  %s/%s\n' "$lab" "$ex"
            record "$lab" "$ex" pass "" "$hint" "" "$logs"
        else
            status=1
            todo=$(echo "$hint" | sed 's/:.*//')
            # Where to look: the TODO, or once it is gone, the exercise's
            # first function (counter_mutex_...).
            line=$(grep -n -F "$todo" "$src" 2>/dev/null | head -n 1 | cut -d: -f1)
            [ -n "$line" ] || line=$(grep -n "^[a-z].*${lab}_${ex}_" "$src" 2>/dev/null | head -n 1 | cut -d: -f1)
            printf '  FAIL  %s/%s: %s -- %s (%s%s)\n' "$lab" "$ex" "$why" "$hint" \
                "$src" "${line:+:$line}"
            record "$lab" "$ex" fail "$why" "$hint" "$src${line:+:$line}" "$logs"
            if [ -n "$replay" ]; then
                [ -n "$short" ] && printf '        the schedule: %s\n' "$short"
                printf '        its table: %s; replay it: %s\n' "$log.explore.log" "$replay"
            fi
            [ -n "$asan_note" ] && printf '        %s\n' "$asan_note"
        fi
    done <<EOF_LIST
$exercises
EOF_LIST
    echo "$lab: $pass of $total exercises pass (logs: $logdir/)"
    pass_all=$((pass_all + pass)) total_all=$((total_all + total))
done
if [ $labs_graded = 0 ]; then
    echo "check: no exercise '$want' in any lab (exercises:${listed:- none could be listed})" >&2
    exit 2
fi
[ $labs_graded -gt 1 ] &&
    echo "racelab check: $pass_all of $total_all exercises pass ($labs_graded labs)"
# The report, on what was stdout; a reader gone away is not our error.
if [ "$format" != text ]; then
    scripts/report.sh "$format" "$records" "$impl" >&8 || [ $? = 141 ] || exit 2
fi
exit $status

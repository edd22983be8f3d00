#!/bin/sh
# detectors.sh - `make detectors`: each lab's specimen and its reference
# solution under every race detector at hand, as one matrix (the teaching
# analogue of DataRaceBench's tables for OpenMP tools; docs/detectors.md
# explains each cell). Rows: per lab (per case, for a lab with cases) the
# specimen (the program's unsafe strategy, src/LAB_unsafe.c) and the
# reference (the program and the tests built from solutions/). Columns:
#   tsan      ThreadSanitizer: the build/tsan program (SPECIMEN arguments
#             for the specimen, DEMO for each reference strategy, as
#             `make tsan` runs them)
#   helgrind  valgrind --tool=helgrind on the -O2 -g release program, with
#             small arguments (SPECIMEN for the specimen, MEMCHECK for a
#             reference strategy, as `make test-valgrind` runs them)
#   drd       valgrind --tool=drd, the same runs
#   shake     the race-window amplifier: for the reference, the grader's
#             shake build (build/shake/solutions/test_LAB, every access a
#             fuzz point); for the specimen, which the shake build does not
#             compile, the program's --fuzz (the same rl_fuzz pauses, at the
#             points the specimen marks), judged by its verdict line
#   explorer  the schedule explorer's scenarios (tests/explore_LAB.c): the
#             specimen's group, or the exercises' groups over solutions/
# A cell is `race` (the tool reported something; [kind] when it is not a
# plain data race; the first source line of the tree it names), `clean`,
# `n/a` (the tool does not apply; the notes say why) or `error`/`timeout`.
# A reference cell sums the lab's strategies (or exercises): the
# strategy-by-strategy reports on correct code follow the matrix, as false
# positives, reported as they are: no suppressions.
#
#   scripts/detectors.sh [--csv] [--jobs N] [--timeout S] [LAB...]
#
# What it runs comes from build/labs.table (descriptions/LAB.mk) and each
# program's --list; it builds nothing (`make detectors` does). Every run's
# output: build/detectors/LAB[-CASE]/ROW.TOOL.log; the matrix, one line per
# run, also as build/detectors/matrix.csv. Exit status: 0 when every run
# ended (races are the point: they do not fail it), 1 when a run crashed
# or timed out, 2 on a usage error.
# The runs' command lines are lists of words (a lab's arguments, an empty
# case) joined into the job file: unquoted on purpose.
#
# shellcheck disable=SC2086
set -u
cd "$(dirname "$0")/.." || exit 2
self=$(pwd)/scripts/detectors.sh # $0 is relative to where it was started
out=build/detectors
jobfile=$out/jobs

usage() {
    cat <<'EOF'
usage: scripts/detectors.sh [--csv] [--jobs N] [--timeout S] [LAB...]

Runs each lab's specimen (its unsafe strategy) and its reference solution
under ThreadSanitizer, Helgrind, DRD, racelab's shake amplifier and the
schedule explorer, and prints a matrix: one row per specimen and per
reference, one column per tool. A cell is `race` (reported; [kind] when it
is not a plain data race, and the first source line named), `clean`,
`n/a` (the tool does not apply: the notes say why), `error` or `timeout`.
The reports on correct code (false positives) are listed after it.
Needs the binaries `make detectors` builds; docs/detectors.md explains.

options:
      --csv          print the matrix as CSV (build/detectors/matrix.csv,
                     one line per run) instead of the table
  -j, --jobs N       runs at once (default: nproc)
      --timeout S    seconds before a run is stopped (default 120)
  -h, --help         show this help and exit

LAB: one or more labs (default: all). Logs: build/detectors/LAB/ROW.TOOL.log

exit status:
  0   every run ended (races reported are results, not failures)
  1   a run crashed or timed out (its cell says error or timeout)
  2   usage error (a line on stderr says what)
EOF
}

die() { echo "detectors: $*" >&2; exit 2; }

# ---- judging a run (in --run-job, below) -----------------------------------

# The tree's own source files: a report's line is the first frame in one
# of them (not libc's, not valgrind's).
ours=$(for f in src/*.[ch] runtime/*.[ch] solutions/*.c labs/*.c include/*.h sanitizers/*.c \
    tests/*.[ch]; do echo "${f##*/}"; done | sort -u | tr '\n' ' ')

# first_ours: on stdin, text with file.c:N somewhere; prints the first
# such place in the tree's files (basename:line), or nothing.
first_ours() {
    grep -o '[A-Za-z0-9_./-]*\.[ch]:[0-9][0-9]*' | sed 's|.*/||' | awk -v ours=" $ours " '
        { split($0, p, ":"); if (index(ours, " " p[1] " ")) { print; exit } }'
}

# where OWN: on stdin, a run's report lines (frames, a trace); prints the
# first place in OWN, the file of the code the row runs (does the tool see
# the race there?), else the first place in the tree's files (a report
# about other code: the driver's, the runtime's, a library's caller).
where() {
    where_text=$(cat)
    where_own=$(echo "$where_text" | grep -o "[A-Za-z0-9_./-]*$1:[0-9][0-9]*" | sed 's|.*/||' |
        grep "^$1:" | head -n 1)
    if [ -n "$where_own" ]; then echo "$where_own"; else echo "$where_text" | first_ours; fi
}

# access_frames LOG: a valgrind log's stacks of the accesses and lock
# acquisitions its reports name, not those of where a thread was created,
# the memory allocated, or (DRD) the other thread's segment began and ended.
access_frames() {
    awk '
        { sub(/^==[0-9]+== ?/, "") }
        /was created$/ { on = 0; next }
        /^(Possible data race|This conflicts with|Conflicting |Thread #[0-9]+|Observed|  followed by|Required order|Probably a race|Mutex|Condition|Destroying|Recursive|Attempt)/ { on = 1; next }
        /^ *(Address|Allocation context|Other segment|Location|Block was)/ || /^ *$/ { on = 0 }
        on && /^ *(at|by) 0x/ { print }
    ' "$1"
}

# judge TOOL LOG OWN: prints VERDICT|KIND|WHERE|DETAIL for one run.
judge() {
    tool=$1 log=$2 own=$3
    rc=$(cat "$log.rc" 2>/dev/null || echo 125)
    verdict_line=$(sed -n 's/^verdict: //p' "$log" | tail -n 1)
    case $rc in
    124 | 137) echo "timeout|||stopped after $secs s"; return ;;
    esac
    case $tool in
    tsan)
        # A run with reports exits 66; 1 and 3 are verdicts (broken,
        # deadlock): the specimens' own. Anything else (a signal) is an error,
        # reports or not.
        first=$(grep -m 1 '^WARNING: ThreadSanitizer: ' "$log")
        if [ -n "$first" ]; then
            kind=$(echo "$first" | sed 's/^WARNING: ThreadSanitizer: \(.*\) (pid=.*/\1/')
            # lock-order-inversion (potential deadlock): "lock order".
            case $kind in lock-order-inversion*) kind="lock order" ;; esac
            # The accesses' (and acquisitions') frames: the first in OWN,
            # or the first report's first in the tree.
            where=$(awk '
                /^  (Read|Write|Previous|Atomic|Mutex M[0-9]+ acquired|Mutex M[0-9]+ previously)/ { on = 1; next }
                /^  [A-Z]/ || /^$/ { on = 0 }   # where a thread, a mutex or the memory came from
                on && /^ *#[0-9]+ / { print }
            ' "$log" | where "$own")
            n=$(grep -c '^WARNING: ThreadSanitizer' "$log")
            case $rc in
            0 | 1 | 3 | 66) echo "race|$kind|$where|$n reports; verdict: $verdict_line" ;;
            *) echo "error|$kind|$where|exit status $rc after $n reports; verdict: $verdict_line" ;;
            esac
        else
            case $rc in
            0 | 1 | 3) echo "clean|||verdict: $verdict_line" ;;
            *) echo "error|||exit status $rc, no report${verdict_line:+; verdict: $verdict_line}" ;;
            esac
        fi
        ;;
    helgrind | drd)
        errors=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" |
            awk '{ s += $1 } END { print s + 0 }')
        kind="" where="" detail=""
        if ! grep -q '^==[0-9]*== ERROR SUMMARY' "$log"; then
            echo "error|||exit status $rc, no ERROR SUMMARY from valgrind"
            return
        fi
        if [ "$errors" -gt 0 ]; then
            # The first report, for its headline (its kind). Reports are
            # set apart by a line of dashes (helgrind) or begin with their
            # headline (drd); a thread announcement is not a report.
            report=$(awk '
                { sub(/^==[0-9]+== ?/, "") }
                /^---Thread-Announcement/ { skip = 1; next }
                /^--------------------------------------------------/ { skip = 0; if (on) exit; next }
                skip { next }
                /^(Possible data race|Thread #[0-9]+|Conflicting |Lock order|Probably a race|Mutex|Condition|Destroying|Recursive|Acquired|Attempt|The object|pthread_|Reader-writer|Semaphore|Barrier)/ { if (on) exit; on = 1 }
                on && /^$/ && seen_frame { exit }
                on { print; if (/^ *(at|by) 0x/) seen_frame = 1 }
            ' "$log")
            head=$(echo "$report" | sed -n 1p)
            case $head in
            "Possible data race"* | "Conflicting "*) kind="data race" ;;
            *"lock order"* | *"Lock order"*) kind="lock order" ;;
            *"unlocked a not-locked lock"*) kind="unlock of a not-locked lock" ;;
            *"pthread_cond_"*"dubious"* | *"associated lock is not held"* | \
                "Probably a race condition: condition variable"*)
                kind="signal without the lock" ;;
            *) kind=$(echo "$head" | sed -e 's/^Thread #[0-9]*[:]* *//' -e 's/ 0x[0-9a-fA-F]*//g' | cut -c1-48) ;;
            esac
            where=$(access_frames "$log" | where "$own")
            detail="$errors errors; verdict: $verdict_line"
        fi
        # The program's exit status under valgrind: 0, 1 or 3 are verdicts;
        # anything else (a signal, no verdict) is an error, reports or not.
        case $rc in
        0 | 1 | 3) ;;
        *) echo "error|${kind:-}|${where:-}|exit status $rc; ${detail:-no report}"; return ;;
        esac
        if [ "$errors" -gt 0 ]; then
            echo "race|$kind|$where|$detail"
        else
            echo "clean|||verdict: $verdict_line"
        fi
        ;;
    shake)
        case $log in
        */specimen.*)
            # The program with --fuzz: its verdict line is the judge.
            case $verdict_line in
            ok:*) echo "clean|||verdict: $verdict_line" ;;
            broken:* | deadlock:* | stuck:*)
                echo "race|${verdict_line%%:*}||verdict: $verdict_line" ;;
            *) echo "error|||exit status $rc, no verdict line" ;;
            esac
            ;;
        *)
            # The shake build's tests: 0 passed, 1 a test failed.
            what=$(sed -n 's/^\[  ERROR   \] --- //p' "$log" | head -n 1)
            case $rc in
            0) echo "clean|||the tests passed" ;;
            1) echo "race|test failed|$(echo "$what" | first_ours)|$what" ;;
            *) echo "error|||exit status $rc${what:+: $what}" ;;
            esac
            ;;
        esac
        ;;
    explorer)
        # A specimen's group exits 0 and says BROKEN; a graded one exits 1
        # and says FAIL. Either way the first line of its trace is where.
        bad=$(grep -m 1 -E '^(BROKEN|FAIL)  ' "$log")
        if [ -n "$bad" ]; then
            case $bad in
            *"every thread is blocked"*) kind=deadlock ;;
            *"no thread is left to wake"*) kind="lost wake-up" ;;
            *livelock* | *"keeps spinning"*) kind=livelock ;;
            *) kind="" ;; # the scenario's check: a wrong outcome
            esac
            where=$(awk '/^  step / { on = 1; next } on' "$log" | where "$own")
            echo "race|$kind|$where|${bad#*: }"
        elif [ "$rc" = 0 ]; then
            echo "clean|||$(grep -c '^ok ' "$log") scenarios, every schedule right"
        else
            echo "error|||exit status $rc"
        fi
        ;;
    esac
}

# ---- one run: scripts/detectors.sh --run-job N (internal; xargs calls it) --

# Job N is line N of $jobfile: LOG<TAB>SECONDS<TAB>TOOL<TAB>OWN<TAB>COMMAND.
# Its output goes to LOG, its exit status to LOG.rc (124: timed out), and
# its judgement (judge, above) to LOG.judged: judged here, in parallel, as
# a valgrind log of thousands of reports takes a while to read. Stdin is
# /dev/null: a program that reads it must not steal the job list.
if [ "${1:-}" = --run-job ]; then
    line=$(sed -n "${2}p" "$jobfile")
    tab=$(printf '\t')
    IFS=$tab read -r log secs tool own cmd <<EOF_JOB
$line
EOF_JOB
    # -k: a run that ignores SIGTERM (valgrind in a deadlock) is killed.
    t0=$(date +%s)
    { echo "\$ $cmd"; timeout -k 5 "$secs" $cmd; } >"$log" 2>&1 </dev/null
    echo $? >"$log.rc"
    echo $(($(date +%s) - t0)) >"$log.secs"
    judge "$tool" "$log" "$own" >"$log.judged"
    exit 0
fi

csv="" jobs="" secs=120
while [ $# -gt 0 ]; do
    case $1 in
    -h | --help) usage; exit 0 ;;
    --csv) csv=1 ;;
    -j | --jobs)
        [ $# -ge 2 ] || die "$1 needs a number"
        case $2 in '' | *[!0-9]* | 0) die "bad value for $1: '$2' (a number of runs, 1 or more)" ;; esac
        jobs=$2
        shift ;;
    --timeout)
        [ $# -ge 2 ] || die "$1 needs a number of seconds"
        case $2 in '' | *[!0-9]* | 0) die "bad value for $1: '$2' (seconds, 1 or more)" ;; esac
        secs=$2
        shift ;;
    --) shift; break ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) break ;;
    esac
    shift
done
[ -n "$jobs" ] || jobs=$(nproc 2>/dev/null || echo 2)

[ -f build/labs.table ] || die "no build/labs.table: run make detectors"
table=$(cat build/labs.table)
all=$(echo "$table" | cut -d'|' -f1 | uniq | tr '\n' ' ')
[ $# -gt 0 ] || set -- $all
for lab in "$@"; do
    case " $all " in *" $lab "*) ;; *) die "no lab '$lab' (labs: ${all% })" ;; esac
done
command -v valgrind >/dev/null || die "valgrind is not installed (make detectors installs it)"

# Detect the TSan/ASLR problem once, not once per program (sanitizers/run).
RACELAB_SETARCH=$(sanitizers/run --detect)
export RACELAB_SETARCH
# The shake tests' watchdog (20 s by default) measures wall time, and here
# they share the CPUs with valgrind runs: 60 s, as a test that hangs is
# still stopped by --timeout.
export RACELAB_WATCHDOG_SECONDS=60

rm -rf "$out"
mkdir -p "$out"
tab=$(printf '\t')
# The cells: ROW|TOOL|ITEM|LOG|OWN (a run to judge; OWN: the file of the
# code it runs, src/LAB_unsafe.c or solutions/LAB.c, by its name) or
# ROW|TOOL|ITEM|-|n/a|WHY.
cells=$out/cells
: >"$cells"
: >"$jobfile"
valjobs=$out/jobs.valgrind
: >"$valjobs"

# job LIST LOG TOOL OWN CMD...: a run, in LIST (valgrind's first: they
# take longest), judged as TOOL's, OWN the file of the code it runs.
job() {
    job_list=$1 job_log=$2 job_tool=$3 job_own=$4
    shift 4
    printf '%s\t%s\t%s\t%s\t%s\n' "$job_log" "$secs" "$job_tool" "$job_own" "$*" >>"$job_list"
}
# cell ROW|TOOL|...: into the specimen's or the reference's pile, so that
# each lab's specimen row comes first whatever --list's order.
cell() {
    case $1 in
    *" specimen|"*) printf '%s\n' "$*" >>"$cells.s" ;;
    *) printf '%s\n' "$*" >>"$cells.r" ;;
    esac
}

# Each row's runs. A valgrind run: no -q, so its ERROR SUMMARY counts the
# reports; the program's (and a forked child's) stderr sits among them.
helgrind="valgrind --tool=helgrind"
drd="valgrind --tool=drd"
for want in "$@"; do
    rows=$(echo "$table" | awk -F'|' -v lab="$want" '$1 == lab')
    while IFS='|' read -r lab case prog sopt demo memcheck specimen _shows _race _says fuzz _rest; do
        [ "$case" = - ] && case=""
        dir=$out/$lab${case:+-$case}
        mkdir -p "$dir"
        rel=build/release/solutions/$prog
        tsan=build/tsan/solutions/$prog
        shake=build/shake/solutions/test_$lab
        explore=build/explore/solutions/explore_$lab
        for f in $rel $tsan $shake; do
            [ -x "$f" ] || die "no $f: run make detectors (it builds what this runs)"
        done
        [ -x "$explore" ] || explore=""
        # The valgrind runs take the first MEMCHECK run (runs are split by ';').
        small=$(echo "$memcheck" | cut -d';' -f1)
        # shellcheck disable=SC2086 # case is one word or none
        list=$($rel $case --list) || die "$rel $case --list failed"
        while IFS=$tab read -r s role file; do
            own=$(basename "$file")
            if [ "$role" = specimen ]; then
                row="$lab${case:+/$case} specimen"
                log=$dir/specimen
                job "$jobfile" "$log.tsan.log" tsan "$own" sanitizers/run $tsan $case $sopt $s $specimen
                job "$valjobs" "$log.helgrind.log" helgrind "$own" $helgrind $rel $case $sopt $s $specimen
                job "$valjobs" "$log.drd.log" drd "$own" $drd $rel $case $sopt $s $specimen
                cell "$row|tsan|$s|$log.tsan.log|$own"
                cell "$row|helgrind|$s|$log.helgrind.log|$own"
                cell "$row|drd|$s|$log.drd.log|$own"
                if [ "$fuzz" = yes ]; then
                    job "$jobfile" "$log.shake.log" shake "$own" $rel $case $sopt $s $specimen --fuzz --seed 1
                    cell "$row|shake|$s|$log.shake.log|$own"
                else
                    cell "$row|shake|$s|-|n/a|the program has no --fuzz, and the shake build compiles exercises, not specimens"
                fi
                group=${case:+$case-}$s
                if [ -z "$explore" ]; then
                    cell "$row|explorer|$s|-|n/a|lab $lab has no explorer scenarios (tests/explore_$lab.c)"
                elif $explore --specimens | grep -qx "$group"; then
                    job "$jobfile" "$log.explorer.log" explorer "$own" $explore --only $group
                    cell "$row|explorer|$group|$log.explorer.log|$own"
                else
                    cell "$row|explorer|$s|-|n/a|no scenario for this specimen in tests/explore_$lab.c"
                fi
            else
                row="$lab${case:+/$case} reference"
                log=$dir/reference-$s
                job "$jobfile" "$log.tsan.log" tsan "$own" sanitizers/run $tsan $case $sopt $s $demo
                job "$valjobs" "$log.helgrind.log" helgrind "$own" $helgrind $rel $case $sopt $s $small
                job "$valjobs" "$log.drd.log" drd "$own" $drd $rel $case $sopt $s $small
                cell "$row|tsan|$s|$log.tsan.log|$own"
                cell "$row|helgrind|$s|$log.helgrind.log|$own"
                cell "$row|drd|$s|$log.drd.log|$own"
            fi
        done <<EOF_LIST
$list
EOF_LIST
        # The grader's passes over the reference, exercise by exercise (a
        # lab with cases: the exercise named after the case).
        row="$lab${case:+/$case} reference"
        exercises=$($shake --list | cut -f1)
        [ -n "$case" ] && exercises=$(echo "$exercises" | grep -x "$case")
        graded=""
        [ -n "$explore" ] && graded=$($explore --list)
        own=$lab.c
        for ex in $exercises; do
            log=$dir/exercise-$ex
            job "$jobfile" "$log.shake.log" shake "$own" $shake --only $ex --fail-fast
            cell "$row|shake|$ex|$log.shake.log|$lab.c"
            if echo "$graded" | grep -qx "$ex"; then
                job "$jobfile" "$log.explorer.log" explorer "$own" $explore --only $ex --quiet
                cell "$row|explorer|$ex|$log.explorer.log|$lab.c"
            fi
        done
        if [ -z "$exercises" ]; then
            cell "$row|shake|-|-|n/a|no exercise of this case in $shake --list"
        fi
        if [ -z "$explore" ]; then
            cell "$row|explorer|-|-|n/a|lab $lab has no explorer scenarios (tests/explore_$lab.c)"
        fi
        cat "$cells.s" "$cells.r" >>"$cells" 2>/dev/null
        rm -f "$cells.s" "$cells.r"
    done <<EOF_ROWS
$rows
EOF_ROWS
done
cat "$valjobs" "$jobfile" >"$jobfile.all"
mv "$jobfile.all" "$jobfile"
rm -f "$valjobs"

# ---- run them, up to $jobs at once ----------------------------------------
n=$(grep -c . "$jobfile")
t0=$(date +%s)
[ -t 2 ] && printf 'detectors: %s runs, %s at once (timeout %s s each)...\n' "$n" "$jobs" "$secs" >&2
seq 1 "$n" | xargs -P "$jobs" -n 1 sh "$self" --run-job
t1=$(date +%s)

# The CSV: one line per run (or per n/a), with its log; each field in
# double quotes, inner quotes doubled. A run's judgement is LOG.judged,
# VERDICT|KIND|WHERE|DETAIL (the detail may hold a '|': it is the rest).
csvfile=$out/matrix.csv
awk -F'|' '
    function q(s) { gsub(/"/, "\"\"", s); return "\"" s "\"" }
    BEGIN { print "row,tool,run,verdict,kind,where,detail,log,seconds" }
    {
        row = $1; tool = $2; item = $3; lg = $4
        secs = ""
        if (lg == "-") { v = $5; kind = ""; where = ""; detail = $6; lg = "" }
        else {
            j = ""
            if ((getline j < (lg ".judged")) <= 0) j = "error|||not judged: the run did not finish"
            close(lg ".judged")
            n = split(j, f, "|")
            v = f[1]; kind = f[2]; where = f[3]; detail = f[4]
            for (i = 5; i <= n; i++) detail = detail "|" f[i]
            if ((getline secs < (lg ".secs")) <= 0) secs = ""
            close(lg ".secs")
        }
        print q(row) "," q(tool) "," q(item) "," q(v) "," q(kind) "," q(where) "," q(detail) "," q(lg) "," q(secs)
    }
' "$cells" >"$csvfile"
status=0
grep -q '^"[^"]*","[^"]*","[^"]*","\(error\|timeout\)"' "$csvfile" && status=1

if [ -n "$csv" ]; then
    cat "$csvfile"
    exit $status
fi

# ---- the matrix -------------------------------------------------------------
# One cell per row and tool: the worst of its runs (error, timeout, race,
# clean, n/a); a race names its kind when it is not a plain data race, the
# first line named, and for a reference which strategy or exercise (and
# how many more). Then the notes (n/a, errors) and the false positives.
awk -v secs=$((t1 - t0)) -v runs="$n" -v jobs="$jobs" '
    function unq(s) { gsub(/^"|"$/, "", s); gsub(/""/, "\"", s); return s }
    function rank(v) { return v == "error" ? 5 : v == "timeout" ? 4 : v == "race" ? 3 : v == "clean" ? 2 : 1 }
    BEGIN { FS = "\",\""; ntools = split("tsan helgrind drd shake explorer", tools, " ") }
    NR == 1 { next }
    {
        row = unq($1); tool = unq($2); item = unq($3); v = unq($4); kind = unq($5)
        where = unq($6); detail = unq($7); lg = unq($8)
        if (!(row in seen)) { seen[row] = 1; rows[++nrows] = row }
        k = row SUBSEP tool
        if (v == "race") races[k]++
        if (v == "race" || v == "clean") ran[k]++
        if (!(k in best) || rank(v) > rank(best[k])) {
            best[k] = v; bkind[k] = kind; bwhere[k] = where; bitem[k] = item
        }
        if (v == "n/a" || v == "error" || v == "timeout")
            notes[++nnotes] = sprintf("  %s, %s%s: %s: %s%s", row, tool, item != "-" && item != "" ? " (" item ")" : "",
                                      v, detail, lg != "" ? " (" lg ")" : "")
        if (v == "race" && row ~ / reference$/)
            fps[++nfps] = sprintf("  %-27s %-9s %-13s %s%s%s", row, tool, item,
                                  kind == "" ? "race" : kind, where != "" ? " at " where : "",
                                  lg != "" ? "  (" lg ")" : "")
    }
    END {
        for (r = 1; r <= nrows; r++) {
            for (t = 1; t <= ntools; t++) {
                k = rows[r] SUBSEP tools[t]
                v = (k in best) ? best[k] : "n/a"
                c = v
                if (v == "race") {
                    if (bkind[k] != "" && bkind[k] != "data race") c = c "[" bkind[k] "]"
                    if (bwhere[k] != "") c = c " " bwhere[k]
                    if (rows[r] ~ / reference$/) c = c " (" races[k] " of " ran[k] ": " bitem[k] (races[k] > 1 ? ",..." : "") ")"
                }
                cell[r, t] = c
                if (length(c) > w[t]) w[t] = length(c)
            }
            if (length(rows[r]) > w0) w0 = length(rows[r])
        }
        for (t = 1; t <= ntools; t++) if (length(tools[t]) > w[t]) w[t] = length(tools[t])
        printf "racelab detectors: each specimen and reference under each tool (%d runs, %d at once, %d s)\n\n", runs, jobs, secs
        line = sprintf("%-*s", w0, "")
        for (t = 1; t <= ntools; t++) line = line sprintf("  %-*s", w[t], tools[t])
        sub(/ +$/, "", line); print line
        for (r = 1; r <= nrows; r++) {
            line = sprintf("%-*s", w0, rows[r])
            for (t = 1; t <= ntools; t++) line = line sprintf("  %-*s", w[t], cell[r, t])
            sub(/ +$/, "", line); print line
        }
        printf "\nreports on correct code (the references: false positives, or a tool that cannot see the order):\n"
        if (nfps == 0) print "  none"
        for (i = 1; i <= nfps; i++) print fps[i]
        printf "\nnotes:\n"
        if (nnotes == 0) print "  none"
        for (i = 1; i <= nnotes; i++) print notes[i]
        printf "\nevery run: build/detectors/matrix.csv; the logs: build/detectors/LAB/ROW.TOOL.log\n"
    }
' "$csvfile"
exit $status

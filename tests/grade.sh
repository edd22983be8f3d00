#!/bin/sh
# grade.sh - tests of `make grade` (scripts/grade.sh) on a class of lab 1
# submissions made when it runs (tests/grade/make-fixtures.sh): the
# shipped exercise, the reference as an archive, an archive with '../', one
# that does not compile, a looper, a printer, a fork bomb, one that fills
# the process limit and a snooper (a .zip).
# Each must get its own verdict, name what it did, and change nothing for
# the others; nothing may be written outside the grading area and no
# process of theirs may be left; the reports must parse.
#
#   sh tests/grade.sh      (from anywhere; exit 0 iff every check passes)
#
# One line per check, "  ok    NAME" or "  FAIL  NAME  (log: FILE)", then
# "N passed, N failed". Logs and the grading area: build/grade-test/.
set -u
cd "$(dirname "$0")/.." || exit 2
top=$(pwd)
area=$top/build/grade-test
logs=$area/logs
subs=$area/submissions
out=$area/out
rm -rf "$area"
mkdir -p "$logs"
passed=0 failed=0
ok() { passed=$((passed + 1)); printf '  ok    %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf '  FAIL  %s  (log: %s)\n' "$1" "$2"; }
expect() { # NAME LOG CMD...: one check, passing when CMD exits 0
    e_name=$1 e_log=$2
    shift 2
    if "$@" >>"$logs/checks.log" 2>&1; then ok "$e_name"; else bad "$e_name" "$e_log"; fi
}

# The snooper's targets: a neighbour's file to read, and files outside its
# copy to write (in the kit's tree, $HOME, /tmp, /var/tmp, the grading
# area, the kit the copies come from). Named after this run.
mark=rlgrade$$
home=${HOME:-/root}
writes="$top/$mark-tree $home/$mark-home /tmp/$mark-tmp /var/tmp/$mark-vartmp $area/$mark-area
        $out/kit/labs/counter.c"
for w in $writes; do [ "$w" = "$out/kit/labs/counter.c" ] || rm -f "$w"; done
log=$logs/fixtures.log
# shellcheck disable=SC2086 # a list of paths
expect "the submissions are made (tests/grade/make-fixtures.sh)" "$log" \
    sh tests/grade/make-fixtures.sh "$subs" "$mark" "$subs/shipped/counter.c" $writes

# ---- the class, graded ---------------------------------------------------

# The looper is graded alone, beside the class, with a short wall time
# (--one, as a slot of its own): the class keeps a generous one, so a
# loaded machine cannot turn a slow reference into a timeout.
mkdir -p "$area/alone"
mv "$subs/looper" "$area/alone/looper"
mv "$subs/holder" "$area/alone/holder"
log=$logs/grade.log
started=$(date +%s)
scripts/grade.sh --labs counter --jobs 2 --time 90 --fsize 4 --procs 60 --out "$out" "$subs" \
    >"$log" 2>&1 &
class=$!
# Its kit made (the class's first step), the looper starts.
while [ ! -f "$out/kit/exercises.tsv" ] && kill -0 $class 2>/dev/null; do sleep 0.2; done
scripts/grade.sh --one "$area/alone/looper" "$area/one/looper" --kit "$out/kit" --slot 2 \
    --time 8 >"$logs/looper.log" 2>&1
looper_rc=$?
wait $class
rc=$?
echo "make grade took $(($(date +%s) - started)) s" >>"$log"
# The holder fills the process limit with sleeping children, so that the
# grader itself cannot fork: graded after the class (without root, the
# limit is shared with it), and with a --procs the guard never reaches,
# so only the grader's own failure can name it.
scripts/grade.sh --one "$area/alone/holder" "$area/one/holder" --kit "$out/kit" --slot 2 \
    --procs 100000 --time 60 >"$logs/holder.log" 2>&1
holder_rc=$?
expect "make grade exits 0 when every submission was graded" "$log" [ $rc = 0 ]
expect "grade.sh --one exits 0 on the looper" "$logs/looper.log" [ $looper_rc = 0 ]
expect "grade.sh --one exits 0 on the holder" "$logs/holder.log" [ $holder_rc = 0 ]
# The class's results.csv, and the looper's and the holder's after it.
csv=$area/results.csv
{ cat "$out/results.csv"; tail -n +2 "$area/one/looper/results.csv"
    tail -n +2 "$area/one/holder/results.csv"; } >"$csv"

# verdicts STUDENT V1 V2 V3 V4: the verdicts of counter's mutex, spin,
# atomic and sharded, in results.csv.
verdicts() {
    got=$(python3 -c '
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["student"] == sys.argv[2]]
print(" ".join(r["verdict"] for r in rows))' "$csv" "$1" 2>&1)
    shift
    [ "$got" = "$*" ] || { echo "verdicts: got '$got', want '$*'"; return 1; }
}
# reasons STUDENT ERE: every reason of STUDENT in results.csv matches ERE.
reasons() {
    python3 -c '
import csv, re, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["student"] == sys.argv[2]]
bad = [r["reason"] for r in rows if not re.search(sys.argv[3], r["reason"])]
print("\n".join(bad))
sys.exit(1 if bad or not rows else 0)' "$csv" "$1" "$2"
}

expect "the shipped exercise: every exercise fails" "$csv" verdicts shipped fail fail fail fail
expect "the reference, as a .tar.gz: every exercise passes" "$csv" \
    verdicts reference pass pass pass pass
expect "an archive with '../': refused, every exercise invalid" "$csv" \
    verdicts evil invalid invalid invalid invalid
expect "... the reason names '../escape.c'" "$csv" reasons evil "path '\.\./escape\.c'"
expect "... and unpacks nothing" "$out/students" \
    sh -c "! find '$area' -name escape.c | grep -q ."
expect "one that does not compile: compile-error, with the compiler's error" "$csv" \
    verdicts broken compile-error compile-error compile-error compile-error
expect "... the reason names the error" "$csv" reasons broken "does not compile: .*error: expected ';'"
expect "one that loops for ever (deaf to SIGTERM): timeout" "$csv" \
    verdicts looper timeout timeout timeout timeout
expect "... the reason names the wall time" "$csv" reasons looper "wall time \(8 s\) ran out"
expect "one that prints without end: output-limit" "$csv" \
    verdicts printer output-limit output-limit output-limit output-limit
expect "... the reason names the limit" "$csv" reasons printer "past 4 MB"
expect "a fork bomb: resource-limit" "$csv" \
    verdicts forker resource-limit resource-limit resource-limit resource-limit
expect "... the reason names it" "$csv" reasons forker "more than 60 processes at once \(a fork bomb\?\)"
expect "one that fills the process limit, so the grader cannot fork: resource-limit" "$csv" \
    verdicts holder resource-limit resource-limit resource-limit resource-limit
expect "... the reason names the limit" "$csv" reasons holder "512 processes at once, the limit \(a fork bomb\?\)"
expect "the snooper (a .zip) reads no neighbour's file (it would abort): every exercise passes" "$csv" \
    verdicts snooper pass pass pass pass

# ---- nothing outside, nothing left ----------------------------------------

for w in $writes; do
    if [ "$w" = "$out/kit/labs/counter.c" ]; then
        expect "the kit the copies come from is as it was (labs/counter.c)" "$w" \
            cmp "$w" labs/counter.c
    else
        expect "nothing written outside its copy: $w" "$w" [ ! -e "$w" ]
    fi
done
# The sandbox hides the kit's tree, the submissions and the results: a
# missing bwrap, or one that cannot work here, fails here (say why).
if grep -q 'sandbox: yes' "$log"; then
    ok "graded in bubblewrap's sandbox"
else
    bad "graded in bubblewrap's sandbox ($(grep -m 1 -i bubblewrap "$log" || echo "it was not used"))" "$log"
fi
expect "no process of theirs is left running (named $mark)" "$log" \
    sh -c "! pgrep -x '$mark'"
if [ "$(id -u)" = 0 ]; then
    # (A zombie is dead: the sandbox's init, orphaned, waits a moment for
    # the machine's init to reap it.)
    expect "no process of the slots' users is left (uid 61000, 61001, 61002)" "$log" \
        sh -c "! ps -o stat= -U 61000,61001,61002 | grep -qv '^Z'"
fi

# ---- the reports ------------------------------------------------------------

expect "results.csv: a header and 28 rows of 5 fields (CSV quoting)" "$out/results.csv" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert rows[0] == ["student", "lab", "exercise", "verdict", "reason"], rows[0]
assert len(rows) == 29 and all(len(r) == 5 for r in rows), len(rows)' "$out/results.csv"
expect "each results.json is Gradescope's format" "$out/students" python3 -c '
import json, sys, glob
files = glob.glob(sys.argv[1] + "/*/results.json") + glob.glob(sys.argv[2] + "/*/results.json")
assert len(files) == 9, files  # the class, the looper and the holder
for f in files:
    r = json.load(open(f))
    assert isinstance(r["score"], int) and isinstance(r["execution_time"], int), f
    assert len(r["tests"]) == 4, f
    for t in r["tests"]:
        assert t["status"] in ("passed", "failed") and t["max_score"] == 1, t
        assert t["score"] == (1 if t["status"] == "passed" else 0) and t["name"] and "output" in t, t
    assert r["score"] == sum(t["score"] for t in r["tests"]), f
assert json.load(open(sys.argv[1] + "/reference/results.json"))["score"] == 4' "$out/students" \
    "$area/one"
expect "each junit.xml parses: a testsuite, 4 testcases, its failures counted" "$out/students" \
    python3 -c '
import xml.etree.ElementTree as ET, sys, glob
for f in glob.glob(sys.argv[1] + "/*/junit.xml") + glob.glob(sys.argv[2] + "/*/junit.xml"):
    root = ET.parse(f).getroot()
    assert root.tag == "testsuites", f
    cases = root.findall("./testsuite/testcase")
    fails = [c for c in cases if c.find("failure") is not None]
    assert len(cases) == 4 and int(root.get("failures")) == len(fails), f
    for c in fails:
        assert c.find("failure").get("message"), f
' "$out/students" "$area/one"
expect "summary.txt: each exercise's pass rate" "$out/summary.txt" \
    grep -q '^  counter/mutex  *2 of  *7 pass' "$out/summary.txt"

# ---- one student alone, and usage ------------------------------------------

log=$logs/one.log
scripts/grade.sh --one "$subs/evil.tar.gz" "$area/one/evil" --kit "$out/kit" >"$log" 2>&1
rc=$?
expect "--one grades one submission into its folder" "$log" \
    sh -c "[ $rc = 0 ] && grep -q '\"invalid\"' '$area/one/evil/results.csv'"
log=$logs/usage.log
scripts/grade.sh --help >"$log" 2>&1
expect "--help says how, exit 0" "$log" sh -c "[ $? = 0 ] && grep -q 'make grade' '$log'"
for args in "--bogus" "--jobs x $subs" "" "--labs nolab $subs"; do
    # shellcheck disable=SC2086 # a list of arguments
    scripts/grade.sh $args >"$log" 2>&1
    rc=$?
    expect "grade.sh ${args:-(no arguments)}: one line, exit 2" "$log" \
        sh -c "[ $rc = 2 ] && [ \$(wc -l <'$log') = 1 ] && grep -q '^grade: ' '$log'"
done
# scripts/scaling.sh (how well this machine runs two gradings at once):
# its usage only here; its measurements take two minutes.
scripts/scaling.sh --help >"$log" 2>&1
expect "scaling.sh --help says what it measures, exit 0" "$log" \
    sh -c "[ $? = 0 ] && grep -q 'side by side' '$log'"
scripts/scaling.sh --bogus >"$log" 2>&1
rc=$?
expect "scaling.sh --bogus: one line, exit 2" "$log" \
    sh -c "[ $rc = 2 ] && [ \$(wc -l <'$log') = 1 ] && grep -q '^scaling.sh: ' '$log'"

# OUT is emptied before a class is graded: never a folder grade.sh did not
# make (a mistyped OUT=. would have been the repo), nor one holding the
# submissions.
mine=$area/not-a-result
mkdir -p "$mine"
echo "keep me" >"$mine/precious"
log=$logs/out-guard.log
scripts/grade.sh --labs counter --out "$mine" "$subs" >"$log" 2>&1
rc=$?
expect "--out on a folder it did not make: one line, exit 2, the folder kept" "$log" \
    sh -c "[ $rc = 2 ] && [ \$(wc -l <'$log') = 1 ] && [ -f '$mine/precious' ]"
scripts/grade.sh --labs counter --out "$area" "$subs" >"$log" 2>&1
rc=$?
expect "--out holding the submissions: one line, exit 2, nothing removed" "$log" \
    sh -c "[ $rc = 2 ] && [ \$(wc -l <'$log') = 1 ] && [ -d '$subs' ] && [ -f '$mine/precious' ]"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

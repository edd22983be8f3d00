#!/bin/sh
# format.sh - checks the editor support stays right:
#   - labs/ and solutions/ are in the style of .clang-format, so a student's
#     format-on-save changes only the lines they typed
#     (clang-format --dry-run prints nothing);
#   - `make compdb` writes a valid compile_commands.json with an entry for
#     labs/counter.c (what clangd and clang-tidy read);
#   - `make check FORMAT=json|junit|tap` writes that report, and only it,
#     on stdout (python3 parses it); an unknown FORMAT is a usage error.
# One line per check, "  ok    NAME" or "  FAIL  NAME  (log: FILE)", as in
# scripts/test.sh; exit status 0 when every check passes. Run it from
# anywhere; logs go to build/test/. clang-format and python3 (to read the
# JSON) are installed by `make test` (scripts/deps.sh); without them the
# checks fail and say so.
set -u
cd "$(dirname "$0")/.." || exit 2
logs=build/test
mkdir -p "$logs"
MAKE=${MAKE:-make}
failed=0

ok() { printf '  ok    %s\n' "$1"; }
bad() { failed=1; printf '  FAIL  %s  (log: %s)\n' "$1" "$2"; }

name="clang-format --dry-run is silent on labs/ and solutions/"
log=$logs/format_clang_format.log
if ! command -v clang-format >/dev/null 2>&1; then
    echo "clang-format is not installed: apt-get install clang-format (make test does)" >"$log"
    bad "$name (no clang-format)" "$log"
else
    clang-format --version >"$log" 2>&1
    # Silent means in style; --dry-run exits 0 either way.
    if clang-format --dry-run labs/*.c solutions/*.c >"$log.out" 2>&1 && ! [ -s "$log.out" ]; then
        rm -f "$log.out"
        ok "$name"
    else
        cat "$log.out" >>"$log"
        rm -f "$log.out"
        echo "fix: clang-format -i FILE, then check its diff (see .clang-format)" >>"$log"
        bad "$name" "$log"
    fi
fi

name="make compdb writes valid JSON with labs/counter.c"
log=$logs/format_compdb.log
if ! $MAKE -s --no-print-directory compdb >"$log" 2>&1; then
    bad "$name (make compdb failed)" "$log"
elif ! command -v python3 >/dev/null 2>&1; then
    echo "python3 is not installed: apt-get install python3 (make test does)" >>"$log"
    bad "$name (no python3 to read the JSON)" "$log"
elif ! python3 -m json.tool compile_commands.json >/dev/null 2>>"$log"; then
    echo "compile_commands.json is not valid JSON" >>"$log"
    bad "$name" "$log"
elif ! grep -q '"file": "labs/counter.c"' compile_commands.json; then
    echo "compile_commands.json has no entry for labs/counter.c" >>"$log"
    bad "$name" "$log"
else
    ok "$name"
fi

# make check FORMAT=json|junit|tap: the report alone on stdout, parsed as
# such (the lines for people go to stderr), one verdict per exercise: on
# the shipped exercises (all fail, exit 1), and on the references (all
# pass, exit 0: a passing record has empty fields, no reason, no where,
# which must stay empty, not shift the others). Each is graded once, as
# json; junit and tap are made from that grading's records by report.sh,
# as make check does; FORMAT= itself is passed through make the same way
# for every format, and an unknown one is refused (the last check).
for impl in labs solutions; do
    for format in json junit tap; do
        case $impl-$format in
        labs-json) parse='import json, sys
r = json.load(open(sys.argv[1]))
assert r["total"] == 4 and r["passed"] == 0, r
for e in r["exercises"]:
    assert e["lab"] == "counter" and e["verdict"] == "fail" and e["reason"] and e["hint"], e
    assert e["logs"]["explore"].startswith("build/check/labs/"), e' ;;
        labs-junit) parse='import xml.etree.ElementTree as ET, sys
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("failures") == "4", root.attrib
cases = root.findall("./testsuite[@name=\"counter\"]/testcase")
assert len(cases) == 4 and all(c.find("failure").get("message") for c in cases)' ;;
        labs-tap) parse='import re, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0] == "TAP version 13" and lines[1] == "1..4", lines[:2]
results = [l for l in lines if re.match(r"(not )?ok \d", l)]
assert len(results) == 4 and all(re.match(r"not ok \d - counter/\w+ # \S", l) for l in results)' ;;
        solutions-json) parse='import json, sys
r = json.load(open(sys.argv[1]))
assert r["total"] == 4 and r["passed"] == 4, r
for e in r["exercises"]:
    assert e["verdict"] == "pass" and e["reason"] == "" and e["where"] == "", e
    assert e["hint"].startswith("TODO(lab 1)"), e
    assert e["logs"]["explore"].startswith("build/check/solutions/"), e' ;;
        solutions-junit) parse='import xml.etree.ElementTree as ET, sys
root = ET.parse(sys.argv[1]).getroot()
assert root.get("tests") == "4" and root.get("failures") == "0", root.attrib
assert len(root.findall("./testsuite/testcase")) == 4 and not root.findall(".//failure")' ;;
        solutions-tap) parse='import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[:2] == ["TAP version 13", "1..4"] and lines[2:] == ["ok %d - counter/%s" % (i + 1, x)
    for i, x in enumerate(l.split("/")[1] for l in lines[2:])], lines' ;;
        esac
        if [ $impl = labs ]; then
            name="make check FORMAT=$format: stdout is a $format report of 4 exercises, 0 passed"
            want="non-zero" # check.sh's 1, through make
        else
            name="make check FORMAT=$format on the references: 4 exercises, 4 passed"
            want=0
        fi
        log=$logs/format_check_${impl}_$format.log
        records=$logs/format_records_$impl.tsv
        if [ $format != json ]; then
            # Graded once (json, above), its records rendered by the same
            # report.sh that make check calls, as make check
            # FORMAT=$format would.
            name="$name (its records, through scripts/report.sh)"
            if scripts/report.sh $format "$records" $impl >"$log.out" 2>"$log"; then
                rc=$json_rc # the grading's status: make check's
            else
                echo "scripts/report.sh $format exited $?" >>"$log"
                bad "$name" "$log"
                continue
            fi
        else
            : >"$records"
            RACELAB_RECORDS=$records $MAKE -s --no-print-directory check LAB=counter \
                IMPL=$impl FORMAT=$format >"$log.out" 2>"$log"
            rc=$?
            json_rc=$rc
        fi
        if ! command -v python3 >/dev/null 2>&1; then
            bad "$name (no python3 to read it)" "$log"
        elif { [ $want = 0 ] && [ $rc != 0 ]; } || { [ $want != 0 ] && [ $rc = 0 ]; }; then
            echo "make check exited $rc, not $want" >>"$log"
            bad "$name" "$log"
        elif ! python3 -c "$parse" "$log.out" >>"$log" 2>&1; then
            bad "$name" "$log.out"
        else
            ok "$name"
        fi
    done
done
name="make check FORMAT=yaml: one line, exit 2"
log=$logs/format_check_bad.log
FORMAT=yaml MAKE=$MAKE scripts/check.sh labs counter >"$log" 2>&1
rc=$?
if [ $rc = 2 ] && [ "$(wc -l <"$log")" = 1 ] && grep -q "^check: no format 'yaml'" "$log"; then
    ok "$name"
else
    bad "$name" "$log"
fi

exit $failed

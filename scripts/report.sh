#!/bin/sh
# report.sh - the grader's verdicts for a program: JSON, JUnit XML or TAP.
# `make check FORMAT=json|junit|tap` and `make grade` write theirs with it.
#
#   scripts/report.sh FORMAT RECORDS [NAME]    FORMAT: json, junit, tap, gradescope
#
# RECORDS: one line per exercise, as scripts/check.sh writes them
# (RACELAB_RECORDS), seven fields separated by tabs:
#   lab  exercise  verdict  reason  hint  where  logs
# verdict: pass, fail, unbuilt (the lab did not compile or link), or one of
# make grade's (compile-error, timeout, output-limit, resource-limit);
# where: the file and line to look at; logs: "judge=path" items separated
# by \037 (build, explore, shake, tsan, asan), the last one the judge that
# failed. An empty exercise is the lab as a whole (its exercises could not
# be listed). NAME: what was graded (IMPL, or a student).
#
# json: one object {"name", "passed", "total", "exercises": [{"lab",
#   "exercise", "verdict": "pass"|"fail", "category" (the verdict above),
#   "reason", "hint", "where", "logs": {judge: path}}]}.
# junit: <testsuites>, a <testsuite> per lab, a <testcase> per exercise,
#   <failure message="reason" type="category"> when it did not pass.
# tap: TAP version 13, "ok N - lab/ex" or "not ok N - lab/ex # reason",
#   with a YAML block (reason, hint, where, logs) under a failure.
# gradescope: Gradescope's results.json (make grade, one per student):
#   {"score", "execution_time" (RACELAB_TIME, seconds), "output",
#   "stdout_visibility": "visible", "tests": [{"name": "lab/ex", "score",
#   "max_score": 1, "status": "passed"|"failed", "output"}]}.
#
# Why not cmocka's own XML or TAP (CMOCKA_MESSAGE_OUTPUT=xml|tap)? An
# exercise's verdict is the grader's: three judges (the explorer is not a
# cmocka program), a build, a watchdog. And cmocka (1.1.5, Debian 12)
# writes one output at a time: xml or tap replaces the messages on stdout
# that the grader reads its reasons from (the test that ran when a signal
# came, "[  TIMEOUT ]"), and under --fail-fast, one group per test, it
# writes one <testsuites> document per test into the same file, not one
# XML document. So the judges keep cmocka's standard output, and JUnit
# attaches it: the failing judge's log (its last lines, as cmocka wrote
# them) is the <system-out> of a failed testcase, and every log's path is
# named there, as [[ATTACHMENT|path]] lines (Jenkins reads those).
#
# Anything a submission printed may reach a reason or a log: control
# characters and bytes that are not UTF-8 are dropped, XML and JSON are
# escaped. Exit status: 0; 2 on bad usage.
set -u
case ${1:-} in
-h | --help)
    sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
    ;;
esac
[ $# -ge 2 ] && [ $# -le 3 ] || {
    echo "usage: scripts/report.sh json|junit|tap|gradescope RECORDS [NAME] (--help says more)" >&2
    exit 2
}
format=$1 records=$2 name=${3:-}
case $format in
json | junit | tap | gradescope) ;;
*) echo "report: no format '$format' (json, junit, tap or gradescope)" >&2; exit 2 ;;
esac
[ -r "$records" ] || { echo "report: cannot read $records" >&2; exit 2; }
tab=$(printf '\t')
us=$(printf '\037')

# clean: stdin as UTF-8 text, without control characters but newline
# (a tab becomes a space).
clean() { tr '\t' ' ' | tr -d '\000-\010\013-\037\177' | iconv -c -f UTF-8 -t UTF-8 2>/dev/null; }
# js TEXT: TEXT as a JSON string's inside.
js() { printf '%s' "$1" | clean | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\n'; }
# xml: stdin escaped for XML text and attributes.
xml() { clean | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
xa() { printf '%s' "$1" | xml | tr -d '\n'; }
# The last lines of a log, for <system-out>: up to 60 lines, 6 KB.
tail_of() { tail -n 60 "$1" 2>/dev/null | tail -c 6144 | xml; }

total=$(grep -c . "$records")
passed=$(awk -F "$tab" '$3 == "pass"' "$records" | grep -c .)
# The records, escaped once for the format (a few processes, not a few per
# field): cleaned, then JSON's or XML's escapes; a tab still separates the
# fields, \037 the logs.
escaped=$(mktemp) || exit 2
E=$(printf '\002')
trap 'rm -f "$escaped"' EXIT
tr -d '\000-\010\013-\036\177\r' <"$records" | iconv -c -f UTF-8 -t UTF-8 2>/dev/null |
    if [ "$format" = junit ]; then
        sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'
    else
        sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'
    fi |
    # read with IFS=tab takes two tabs in a row as one (a tab is white
    # space to it) and drops a leading empty field: an empty field is
    # written as E (\002, which the tr above removed from the data), and
    # unmarked after each read.
    awk -F "$tab" -v OFS="$tab" -v e="$E" '{ for (i = 1; i <= NF; i++) if ($i == "") $i = e; print }' \
        >"$escaped"
unmark() { # the fields as read: empty again where they were
    lab=${lab#"$E"} ex=${ex#"$E"} verdict=${verdict#"$E"} reason=${reason#"$E"}
    hint=${hint#"$E"} where=${where#"$E"} logs=${logs#"$E"}
}

# ---- json ------------------------------------------------------------------
if [ "$format" = json ]; then
    printf '{"name": "%s", "passed": %d, "total": %d, "exercises": [' "$(js "$name")" \
        "$passed" "$total"
    sep=""
    while IFS=$tab read -r lab ex verdict reason hint where logs; do
        unmark
        v=fail
        [ "$verdict" = pass ] && v=pass
        printf '%s\n  {"lab": "%s", "exercise": "%s", "verdict": "%s", "category": "%s",' \
            "$sep" "$lab" "$ex" $v "$verdict"
        printf ' "reason": "%s", "hint": "%s", "where": "%s", "logs": {' \
            "$reason" "$hint" "$where"
        lsep=""
        while IFS= read -r item; do
            [ -n "$item" ] || continue
            printf '%s"%s": "%s"' "$lsep" "${item%%=*}" "${item#*=}"
            lsep=", "
        done <<EOF_LOGS
$(printf '%s\n' "$logs" | tr "$us" '\n')
EOF_LOGS
        printf '}}'
        sep=,
    done <"$escaped"
    printf '\n]}\n'
    exit 0
fi

# ---- gradescope -------------------------------------------------------------
if [ "$format" = gradescope ]; then
    printf '{"score": %d, "execution_time": %d, "stdout_visibility": "visible",' \
        "$passed" "${RACELAB_TIME:-0}"
    printf ' "output": "racelab: %d of %d exercises pass", "tests": [' "$passed" "$total"
    sep=""
    while IFS=$tab read -r lab ex verdict reason hint where logs; do
        unmark
        if [ "$verdict" = pass ]; then
            score=1 status=passed said="PASS"
        else
            score=0 status=failed said="$verdict: $reason -- $hint${where:+ ($where)}"
        fi
        printf '%s\n  {"name": "%s", "score": %d, "max_score": 1, "status": "%s", "output": "%s"}' \
            "$sep" "$lab${ex:+/$ex}" "$score" "$status" "$said"
        sep=,
    done <"$escaped"
    printf '\n]}\n'
    exit 0
fi

# ---- tap -------------------------------------------------------------------
if [ "$format" = tap ]; then
    echo "TAP version 13"
    echo "1..$total"
    n=0
    while IFS=$tab read -r lab ex verdict reason hint where logs; do
        unmark
        n=$((n + 1))
        if [ "$verdict" = pass ]; then
            echo "ok $n - $lab${ex:+/$ex}"
            continue
        fi
        # After '#', a reason that starts with TODO or SKIP would be read
        # as a directive (a failure not counted): it never starts so.
        why=$(printf '%s' "$reason" | sed 's/#/\\#/g') # (JSON's escapes kept)
        case $(printf '%s' "$why" | tr 'a-z' 'A-Z') in TODO* | SKIP*) why="failed: $why" ;; esac
        printf 'not ok %d - %s # %s\n' "$n" "$lab${ex:+/$ex}" "${why:-$verdict}"
        echo "  ---"
        printf '  category: "%s"\n  reason: "%s"\n' "$verdict" "$reason"
        printf '  hint: "%s"\n  where: "%s"\n  logs:\n' "$hint" "$where"
        while IFS= read -r item; do
            [ -n "$item" ] && printf '    %s: "%s"\n' "${item%%=*}" "${item#*=}"
        done <<EOF_LOGS
$(printf '%s\n' "$logs" | tr "$us" '\n')
EOF_LOGS
        echo "  ..."
    done <"$escaped"
    exit 0
fi

# ---- junit -----------------------------------------------------------------
failures=$((total - passed))
echo '<?xml version="1.0" encoding="UTF-8"?>'
printf '<testsuites name="%s" tests="%d" failures="%d" errors="0">\n' \
    "$(xa "racelab check${name:+: $name}")" "$total" "$failures"
xname=$(xa "$name")
for lab in $(cut -f1 "$escaped" | awk '!seen[$0]++'); do
    rows=$(awk -F "$tab" -v lab="$lab" '$1 == lab' "$escaped")
    n=$(printf '%s\n' "$rows" | grep -c .)
    f=$(printf '%s\n' "$rows" | awk -F "$tab" '$3 != "pass"' | grep -c .)
    printf '  <testsuite name="%s" tests="%d" failures="%d" errors="0" skipped="0">\n' \
        "$lab" "$n" "$f"
    printf '%s\n' "$rows" | while IFS=$tab read -r lab ex verdict reason hint where logs; do
        unmark
        printf '    <testcase classname="%s" name="%s"' "${name:+$xname.}$lab" \
            "$lab/${ex:-(the lab)}"
        if [ "$verdict" = pass ]; then
            echo '/>'
            continue
        fi
        echo '>'
        printf '      <failure message="%s" type="%s">%s -- %s (%s)</failure>\n' \
            "$reason" "$verdict" "$reason" "$hint" "$where"
        printf '      <system-out>'
        last=""
        while IFS= read -r item; do
            [ -n "$item" ] || continue
            printf '[[ATTACHMENT|%s]]\n' "${item#*=}"
            last=$(printf '%s' "${item#*=}" | sed -e 's/&quot;/"/g' -e 's/&gt;/>/g' -e 's/&lt;/</g' \
                -e 's/&amp;/\&/g')
        done <<EOF_LOGS
$(printf '%s\n' "$logs" | tr "$us" '\n')
EOF_LOGS
        # Only a log under here: a record is the student's to write in
        # make grade's copy, and must not make the report read elsewhere.
        case $last in /* | *..*) last="" ;; esac
        if [ -n "$last" ] && [ -f "$last" ] && [ ! -L "$last" ]; then
            printf -- '---- the last lines of %s ----\n' "$(xa "$last")"
            tail_of "$last"
        fi
        echo '</system-out>'
        echo '    </testcase>'
    done
    echo '  </testsuite>'
done
echo '</testsuites>'

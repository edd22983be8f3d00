#!/bin/sh
# tsan-demo.sh - `make tsan`: run every strategy of each lab program under
# ThreadSanitizer, show the reports as they come, then one summary table:
# lab, strategy, the file the strategy lives in, TSan's report count, and
# what the run counted.
#
#   scripts/tsan-demo.sh IMPL "LAB PROGRAM OPTION=ARGS"...
#       e.g. labs "counter counter -s=-n 20000 --fuzz --seed 1"
#   (OPTION picks the strategy: -s, or primes' -m)
#
# A viewer, not a verdict (that is `make check`): exits 0 after showing the
# reports, non-zero only when a program crashed or hung.
set -u
# Detect the TSan/ASLR problem once, not once per program (sanitizers/run).
RACELAB_SETARCH=$(sanitizers/run --detect)
export RACELAB_SETARCH
impl=$1
shift
table=$(mktemp)
trap 'rm -f "$table" "$table.log"' EXIT
crashed=0

for spec in "$@"; do
    head=${spec%%=*}
    args=${spec#*=}
    set -- $head
    lab=$1 program=$2 sopt=$3
    shift 3
    cases=$* # the CASE operands a program takes first (atomics), or none
    prog=build/tsan/$impl/$program
    for case in ${cases:-""}; do
        # shellcheck disable=SC2086 # case is one word or none
        strategies=$(sanitizers/run "$prog" $case --list)
        if [ -z "$strategies" ]; then
            echo "tsan: $prog $case --list printed nothing: it does not start" >&2
            crashed=1
        fi
        for s in $strategies; do
            if [ "$s" = unsafe ]; then where="src/${lab}_unsafe.c (specimen)"
            elif [ "$s" = processes ] || [ "$s" = process ] || [ "$s" = loop ]; then
                where="src/${lab}_$s.c (no threads)"
            elif [ "$s" = sequential ]; then where="src/${lab}_run.c (no threads)"
            else where="$impl/$lab.c"; fi
            printf '\n==== %s %s%s %s %s    [%s]\n' "$program" "${case:+$case }" "$sopt" "$s" "$args" "$where"
            # shellcheck disable=SC2086 # args is a list of words on purpose
            # A fix that deadlocks must not hang the viewer: 60 s is a hundred
            # times what a run takes.
            timeout -k 5 60 sanitizers/run "$prog" $case "$sopt" "$s" $args >"$table.log" 2>&1 </dev/null
            rc=$?
            cat "$table.log"
            reports=$(grep -c '^WARNING: ThreadSanitizer' "$table.log")
            # Each lab's verdict line, said the same way: "exact (...)" when right.
            outcome=$(sed -n -E \
                -e 's/^expected ([0-9]+), got (-?[0-9]+) \(lost (-?[0-9]+)\)$/lost \3 of \1 updates/p' \
                -e 's/^sent ([0-9]+), received ([0-9]+), lost 0, duplicated 0$/exact (\1 items)/p' \
                -e 's/^verdict: ok, ([0-9]+) records.*/exact (\1 records)/p' \
                -e 's/^verdict: broken at (line [0-9]+): (.{0,36}[^ ]*) .{8,}/broken at \1: \2 .../p' \
                -e 's/^verdict: broken at (line [0-9]+): (.*)$/broken at \1: \2/p' \
                -e 's/^sent ([0-9]+), received ([0-9]+), lost ([0-9]+), duplicated ([0-9]+)$/got \2 of \1 items: \3 lost, \4 duplicated/p' \
                -e 's/^answered ([0-9]+) of ([0-9]+) numbers, each once$/exact (\1 numbers)/p' \
                -e 's/^lost ([0-9]+) of ([0-9]+) results:.*/lost \1 of \2 results/p' \
                -e 's/^wrong: (.*)/wrong: \1/p' \
                -e 's/^Answer: ([0-9]+)$/answered \1/p' \
                -e 's/^published [0-9]+ messages: ([0-9]+) of \1 reads whole, 0 torn or stale$/exact (\1 reads)/p' \
                -e 's/^published [0-9]+ messages: [0-9]+ of ([0-9]+) reads whole, ([0-9]+) torn or stale$/torn \2 of \1 reads/p' \
                -e 's/^([0-9]+) rounds: \1 builds \(want \1\), 0 of ([0-9]+) gets half-built, 0 other pointers$/exact (\1 rounds)/p' \
                -e 's/^([0-9]+) rounds: ([0-9]+) builds \(want [0-9]+\), ([0-9]+) of ([0-9]+) gets half-built, ([0-9]+) other pointers$/\2 builds in \1 rounds, \3 of \4 gets half-built/p' \
                -e 's/^total ([0-9]+) of ([0-9]+) kept; ([0-9]+) audits, all right$/exact (total \1, \3 audits)/p' \
                -e 's/^total (-?[0-9]+) of ([0-9]+).*; ([0-9]+) of ([0-9]+) audits wrong.*/total \1 of \2, \3 of \4 audits wrong/p' \
                -e 's/^stuck after ([0-9]+) of [0-9]+ transfers: a deadlock$/deadlocked after \1 transfers/p' \
                -e 's/^stuck after ([0-9]+) of [0-9]+ transfers: (.*)$/stuck after \1 transfers, \2/p' \
                "$table.log" | tail -n 1)
            case $outcome in
            "lost 0 of "*) outcome="exact (${outcome#lost 0 of })" ;;
            "lost -"*) outcome="counted ${outcome#lost -} too many, of ${outcome##* of }" ;;
            "answered "[0-9]*) # the spinner: how often it turned, one line a frame
                outcome="$outcome after $(grep -c '^[-|/\\] ' "$table.log") frames" ;;
            esac
            broken=$(sed -n 's/^contract broken .*, first: //p' "$table.log" | head -n 1 | cut -c1-60)
            [ -n "$broken" ] && outcome="broke the contract: $broken"
            [ "$rc" = 1 ] && [ "${outcome#exact}" != "$outcome" ] && outcome="wrong (exit status 1)"
            # A program that gave up (exit 3; under TSan with reports, 66) said
            # why on a line of its own: "primes: ...", not its header.
            said=$(grep -v -E "^$program: (mode|strategy) " "$table.log" | grep -m 1 "^$program: " |
                cut -c1-80)
            [ -z "$outcome" ] && [ -n "$said" ] && outcome="gave up: ${said#"$program: "}"
            case $rc in
            0 | 1 | 66) ;;
            3) ;; # the program gave up (or the bank deadlocked), and said why
            124 | 137) outcome="HUNG (stopped after 60 s: a deadlock?)"; crashed=1 ;;
            *) outcome="CRASHED (exit status $rc)"; crashed=1 ;;
            esac
            printf '%s\t%s\t%s\t%s\t%s\n' "$lab" "${case:+$case/}$s" "$where" "$reports" "${outcome:-?}" >>"$table"
        done
    done
done

printf '\nracelab tsan: summary (IMPL=%s)\n' "$impl"
printf '  %-8s  %-17s  %-34s  %-12s  %s\n' lab strategy code "TSan reports" outcome
while IFS=$(printf '\t') read -r lab s where reports outcome; do
    printf '  %-8s  %-17s  %-34s  %-12s  %s\n' "$lab" "$s" "$where" "$reports" "$outcome"
done <"$table"
echo "Races are bugs even when the count comes out right. Grade your fixes with: make check"
exit $crashed

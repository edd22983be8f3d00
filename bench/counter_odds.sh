#!/bin/sh
# counter_odds.sh - how often does the specimen lose updates? Runs the
# unsafe counter RUNS times (default 100) with its default settings in four
# setups and counts the runs that came out exact: on all cores and pinned to
# one CPU, each without and with --fuzz (seeds 1..RUNS).
#
#   make && bench/counter_odds.sh [RUNS]
#
# The fuzzed pinned setup takes about a second a run.
set -u
runs=${1:-100}
prog=build/release/labs/counter
[ -x "$prog" ] || { echo "counter_odds: build first: make" >&2; exit 2; }
count() { # LABEL FUZZ PIN
    label=$1 fuzz=$2 pin=$3
    exact=0 i=1
    while [ $i -le "$runs" ]; do
        set --
        [ "$pin" = yes ] && set -- taskset -c 0
        set -- "$@" "$prog"
        [ "$fuzz" = yes ] && set -- "$@" --fuzz --seed "$i"
        "$@" >/dev/null 2>&1 && exact=$((exact + 1))
        i=$((i + 1))
    done
    printf '  %-28s %3d of %d runs exact\n' "$label" "$exact" "$runs"
}
echo "counter -s unsafe, defaults (4 threads x 1000000), $runs runs each:"
count "all cores" no no
count "all cores, --fuzz" yes no
count "one CPU (taskset -c 0)" no yes
count "one CPU, --fuzz" yes yes

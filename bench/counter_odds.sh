#!/bin/sh
# counter_odds.sh - how often does the specimen lose updates? Runs the
# unsafe counter RUNS times (default 100) with its default settings in five
# setups and counts the runs that came out exact: on all cores, on all
# cores with a CPU hog on each of two cores (a busy machine), and pinned
# to one CPU; without and with --fuzz (seeds 1..RUNS).
#
#   make && bench/counter_odds.sh [RUNS]
#
# The defaults differ with --fuzz (see counter --help). The fuzzed setups
# take a few seconds a run. bench/specimens_busy.sh does the same for every
# specimen.
set -u
runs=${1:-100}
prog=build/release/labs/counter
[ -x "$prog" ] || { echo "counter_odds: build first: make" >&2; exit 2; }
hogs=""
trap '[ -n "$hogs" ] && kill $hogs 2>/dev/null' EXIT
trap 'exit 130' INT TERM
count() { # LABEL FUZZ PIN HOGS
    label=$1 fuzz=$2 pin=$3
    if [ "$4" = yes ]; then
        sh -c 'while :; do :; done' &
        hogs=$!
        sh -c 'while :; do :; done' &
        hogs="$hogs $!"
    fi
    exact=0 i=1
    while [ $i -le "$runs" ]; do
        set --
        [ "$pin" = yes ] && set -- taskset -c 0
        set -- "$@" "$prog"
        [ "$fuzz" = yes ] && set -- "$@" --fuzz --seed "$i"
        "$@" >/dev/null 2>&1 && exact=$((exact + 1))
        i=$((i + 1))
    done
    if [ -n "$hogs" ]; then
        # shellcheck disable=SC2086 # two pids
        kill $hogs
        hogs=""
    fi
    printf '  %-34s %3d of %d runs exact\n' "$label" "$exact" "$runs"
}
echo "counter -s unsafe at its defaults (counter --help), $runs runs each:"
count "all cores" no no no
count "all cores, --fuzz" yes no no
count "all cores, 2 CPU hogs" no no yes
count "one CPU (taskset -c 0)" no yes no
count "one CPU, --fuzz" yes yes no

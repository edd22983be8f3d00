#!/bin/sh
# specimens_busy.sh - does each specimen show its bug at its DEFAULT options
# (no --fuzz) on a busy machine? Starts HOGS CPU hogs (default 2: one per
# core on the 2-core reference machine, as on a shared lab server), runs
# each specimen RUNS times (default 30), and counts, per specimen, the runs
# that
#   bug      showed the bug: exit 1 (bank: 3, the deadlock watchdog);
#   barely   came out right and said its threads "barely overlapped" (the
#            overlap meter, include/racelab.h: the run proves nothing, and
#            the program says what to run instead);
#   exact    came out right and said nothing more: the demo failed;
#   other    anything else (a time-out after 60 s, a crash: the exit
#            statuses are listed);
# and the median and slowest wall time of a run. The hogs are killed on
# exit, whatever ends the script.
#
#   make all && bench/specimens_busy.sh [-n RUNS] [-c HOGS] [-p] [-f] [SPECIMEN...]
#
# -c 0 measures the machine as it is (note the load it prints: "idle" is
# relative on a shared machine). -p pins the specimens to one CPU
# (taskset -c 0; the hogs are not pinned). -f adds --fuzz --seed I to run
# I (not to the spinner, which has no --fuzz). SPECIMEN picks rows by name:
# counter prints queue primes bank once volatile publish spinner (default:
# all). publish and spinner show their race only under ThreadSanitizer: in
# a release build they are expected to come out right (their rows show
# that; they are not judged). The spinner runs with --slow 0.5 instead of
# its default 3 s, to save time. Lab 4's primes runs from
# build/release/solutions/: its specimen mode runs on lab 3's locked
# queue, an unfinished exercise in labs/.
set -u
runs=30 hogs=2 pin=no fuzz=no
usage() {
    echo "usage: bench/specimens_busy.sh [-n RUNS] [-c HOGS] [-p] [-f] [SPECIMEN...]" >&2
    exit 2
}
while getopts n:c:pf opt; do
    case $opt in
    n) runs=$OPTARG ;;
    c) hogs=$OPTARG ;;
    p) pin=yes ;;
    f) fuzz=yes ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
case $runs$hogs in *[!0-9]* | "") usage ;; esac
[ "$runs" -ge 1 ] || usage
B=build/release
for p in labs/counter labs/prints labs/queue solutions/primes labs/bank labs/atomics labs/spinner; do
    [ -x "$B/$p" ] || { echo "specimens_busy: $B/$p missing: make all first" >&2; exit 2; }
done
only=${*:-counter prints queue primes bank once volatile publish spinner}

pids=""
tmp=$(mktemp -d)
cleanup() {
    # shellcheck disable=SC2086 # a list of pids
    [ -n "$pids" ] && kill $pids 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

i=0
while [ $i -lt "$hogs" ]; do
    sh -c 'while :; do :; done' &
    pids="$pids $!"
    i=$((i + 1))
done

now_ms() { date +%s%3N; } # GNU date; POSIX date has no sub-second field
load() { uptime | sed 's/.*load average: *//'; }

setup="defaults"
[ $fuzz = yes ] && setup="defaults + --fuzz --seed I"
[ $pin = yes ] && setup="$setup, pinned to CPU 0"
echo "specimens_busy: $runs runs each, $setup, $hogs CPU hog(s), $(nproc) CPUs; load $(load)"
printf '  %-38s %5s %5s %6s %6s %6s  %8s %8s\n' specimen runs bug barely exact other \
    "median s" "max s"

# run_one I FUZZABLE CMD...: runs CMD as run I of a row (pinned, fuzzed
# as asked), output in $tmp/out; returns its exit status.
run_one() {
    seed=$1 fuzzable=$2
    shift 2
    [ $fuzz = yes ] && [ "$fuzzable" = yes ] && set -- "$@" --fuzz --seed "$seed"
    [ $pin = yes ] && set -- taskset -c 0 "$@"
    timeout -k 5 60 "$@" >"$tmp/out" 2>&1 </dev/null
}

# row NAME BUGSTATUS FUZZABLE CMD...: runs CMD $runs times, prints one row.
row() {
    name=$1 bugrc=$2 fuzzable=$3
    shift 3
    bug=0 barely=0 exact=0 other=0 others="" n=0
    : >"$tmp/times"
    while [ $n -lt "$runs" ]; do
        n=$((n + 1))
        t0=$(now_ms)
        run_one $n "$fuzzable" "$@"
        rc=$?
        echo $(($(now_ms) - t0)) >>"$tmp/times"
        if [ $rc = "$bugrc" ]; then
            bug=$((bug + 1))
        elif [ $rc = 0 ] && grep -q 'barely overlapped' "$tmp/out"; then
            barely=$((barely + 1))
        elif [ $rc = 0 ]; then
            exact=$((exact + 1))
        else
            other=$((other + 1))
            case " $others " in *" $rc "*) ;; *) others="$others $rc" ;; esac
        fi
    done
    times=$(sort -n "$tmp/times" | awk '{ t[NR] = $1 } END {
        printf "%8.3f %8.3f", t[int((NR + 1) / 2)] / 1000, t[NR] / 1000 }')
    printf '  %-38s %5d %5d %6d %6d %6d  %s%s\n' "$name" "$runs" "$bug" "$barely" "$exact" \
        "$other" "$times" "${others:+  (exit$others)}"
}

for s in $only; do
    case $s in
    counter) row "counter -s unsafe" 1 yes $B/labs/counter -s unsafe ;;
    prints) row "prints -s unsafe --verify" 1 yes $B/labs/prints -s unsafe --verify ;;
    queue) row "queue -s unsafe" 1 yes $B/labs/queue -s unsafe ;;
    primes) row "primes -m unsafe (solutions/)" 1 yes $B/solutions/primes -m unsafe ;;
    bank) row "bank -s unsafe (bug: exit 3)" 3 yes $B/labs/bank -s unsafe ;;
    once | volatile) row "atomics $s -s unsafe" 1 yes $B/labs/atomics "$s" -s unsafe ;;
    publish) row "atomics publish -s unsafe (TSan's)" 1 yes $B/labs/atomics publish -s unsafe ;;
    spinner) row "spinner -m unsafe --slow 0.5 (TSan's)" 1 no $B/labs/spinner -m unsafe --slow 0.5 ;;
    *) echo "specimens_busy: no specimen '$s'" >&2; exit 2 ;;
    esac
done
echo "load after: $(load)"

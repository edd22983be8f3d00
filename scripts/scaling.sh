#!/bin/sh
# scaling.sh - how much of a second core grading gets on this machine: each
# job below runs alone, then two copies side by side, best of 3 rounds.
#
#   scripts/scaling.sh      (about two minutes; builds what it runs first)
#
# One line per job: its time alone, the pair's time, and their ratio.
# 1.00 means the second copy came free (two cores, perfectly used); 2.00
# means the two ran as if on one core. make grade with JOBS=2 runs two
# students side by side, so a class takes about students / 2 times the
# last line's pair time: where that ratio is near 2.0, a second core
# grades no faster. On a virtual machine whose page faults and process
# starts trap to the hypervisor, compute scales and process starts do not
# (see docs/grading.md, "What it costs").
#
# The compute loop is the control: when it is well above 1.0, something
# else shares the CPUs (another VM on the host) and the rest reads high.
# The jobs: a compute loop (awk); 300 starts of /bin/true; 5 compiles of a
# lab with clang's TSan; 10 starts of a TSan test binary; 20 runs of a
# release test that starts 64 threads; and make check LAB=counter on the
# references.
# Exit status: 0, or 2 on a usage error or when what it runs cannot be built.
set -u
cd "$(dirname "$0")/.." || exit 2
case ${1:-} in
-h | --help)
    sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
    ;;
"") ;;
*)
    echo "scaling.sh: takes no arguments, not '$1' (--help says more)" >&2
    exit 2
    ;;
esac
MAKE=${MAKE:-make}
$MAKE -s build/tsan/solutions/test_counter build/release/solutions/test_counter >/dev/null ||
    { echo "scaling.sh: make could not build the counter tests" >&2; exit 2; }
RACELAB_SETARCH=$(sanitizers/run --detect)
export RACELAB_SETARCH
tmp=$(mktemp -d) || exit 2
# (make check builds a folder outside the tree under build/VARIANT/ext/.)
trap 'rm -rf "$tmp" build/*/ext"$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE # a reader gone: nothing left in /tmp

# The seconds a job took, both copies' for a pair; a job that fails ends
# the measurement (a time of nothing done means nothing).
now() { date +%s.%N; }
failed() { echo "scaling.sh: this job failed (run it alone to see why): $1" >&2; exit 2; }
alone() {
    s=$(now)
    sh -c "$1" >/dev/null 2>&1 || failed "$1"
    e=$(now)
    awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'
}
pair() {
    s=$(now)
    sh -c "($1) & first=\$!; ($2); second=\$?; wait \$first && [ \$second = 0 ]" \
        >/dev/null 2>&1 || failed "$1"
    e=$(now)
    awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'
}
row() { # NAME JOB [JOB2: the second copy, when it needs files of its own]
    a=99 b=99
    for _ in 1 2 3; do
        x=$(alone "$2") || exit 2
        y=$(pair "$2" "${3:-$2}") || exit 2
        a=$(awk -v x="$x" -v a="$a" 'BEGIN { print (x < a ? x : a) }')
        b=$(awk -v y="$y" -v b="$b" 'BEGIN { print (y < b ? y : b) }')
    done
    printf '  %-38s alone %6.2f s   pair %6.2f s   ratio %.2f\n' "$1" "$a" "$b" \
        "$(awk -v a="$a" -v b="$b" 'BEGIN { print b / a }')" 2>/dev/null || exit 141
}

echo "scaling.sh: one copy alone, then two side by side ($(nproc) CPUs), best of 3"
row "compute loop (awk)" 'awk "BEGIN { for (i = 0; i < 5e7; i++) s += i }"'
row "start /bin/true, 300 times" 'i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i + 1)); done'
row "clang -fsanitize=thread -c, 5 times" \
    "d=\$(mktemp -d -p $tmp); for i in 1 2 3 4 5; do clang -fsanitize=thread -O1 -g -Iinclude -Iruntime -c solutions/counter.c -o \$d/c.o || exit 1; done"
row "start a TSan test, 10 times" \
    'for i in 1 2 3 4 5 6 7 8 9 10; do sanitizers/run build/tsan/solutions/test_counter --only atomic || exit 1; done'
row "a test of 64 threads, 20 times" \
    'i=0; while [ $i -lt 20 ]; do build/release/solutions/test_counter --only atomic || exit 1; i=$((i + 1)); done'
# Two copies of the reference, built once before: each make check grades
# its own, as make grade's slots do.
for c in a b; do
    mkdir -p "$tmp/$c" && cp solutions/counter.c "$tmp/$c/" &&
        $MAKE -s check LAB=counter IMPL="$tmp/$c" >/dev/null 2>&1 ||
        { echo "scaling.sh: make check LAB=counter fails on the reference" >&2; exit 2; }
done
row "make check LAB=counter (the reference)" \
    "$MAKE -s check LAB=counter IMPL=$tmp/a" "$MAKE -s check LAB=counter IMPL=$tmp/b"

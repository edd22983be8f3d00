#!/bin/sh
# bench.sh - `make bench` and `make bench-docs`: runs each lab's benchmark
# and says under what conditions: the CPUs this process may use, the CPU,
# and the load average before and after (a benchmark on a busy machine
# measures the machine). A benchmark whose --help offers --csv also leaves
# build/bench/LAB.csv and, with gnuplot, build/bench/LAB.svg
# (scripts/plot.sh); --quick runs leave theirs in build/bench/quick/.
#
#   scripts/bench.sh [--docs] [--quick] DIR LAB...
#
# DIR: where bench_LAB is built. --quick: each benchmark's smoke run (its
# numbers mean nothing; for the tests). BENCH_DOCS_DIR: where the pages
# are (default docs; the tests write into a copy).
#
# --docs also writes each run into docs/LAB.md, between the lines
#     <!-- bench: begin -->
#     <!-- bench: end -->
# so the numbers a lab's page shows come from a run, with its conditions,
# never from a hand-copied table. A run that found a queue, counter or
# pool wrong (exit 1) is not written. The pictures are not kept in git:
# a picture of another machine's numbers would mislead; the page says how
# to draw one.
# Exit status: 0 when every benchmark ran right, 1 otherwise, 2 on a usage
# error.
set -u
usage() { echo "usage: scripts/bench.sh [--docs] [--quick] DIR LAB..." >&2; exit 2; }
docs=0 quick=""
while [ $# -gt 0 ]; do
    case $1 in
    --help | -h)
        sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    --docs) docs=1 ;;
    --quick) quick=--quick ;;
    -*) echo "bench: unknown option '$1' (usage: scripts/bench.sh [--docs] [--quick] DIR LAB...)" >&2
        exit 2 ;;
    *) break ;;
    esac
    shift
done
[ $# -ge 2 ] || usage
case $1 in /*) dir=$1 ;; *) dir=$(pwd)/$1 ;; esac
shift
case ${BENCH_DOCS_DIR:-} in "" | /*) ;; *) BENCH_DOCS_DIR=$(pwd)/$BENCH_DOCS_DIR ;; esac
cd "$(dirname "$0")/.." || exit 2
# A smoke run's numbers mean nothing: its files go apart, so that neither
# the ratios nor a picture mix them with a real run's.
bdir=build/bench
[ -n "$quick" ] && bdir=build/bench/quick
mkdir -p "$bdir"
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "unknown"; }
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | sed -n 1p)
status=0 ran=""
for lab in "$@"; do
    b=$dir/bench_$lab
    [ -x "$b" ] || { echo "bench: no $b (make builds it)" >&2; exit 2; }
    out=$bdir/$lab.txt
    # Shown as it runs, and kept: the benchmark's status through a file,
    # since a pipeline's is tee's.
    {
        echo "conditions: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs for this process" \
            "(${model:-CPU model unknown}); load average before $(load)"
        if "$b" --help | grep -q -- --csv; then
            "$b" $quick --csv "$bdir/$lab.csv"
        else
            "$b" $quick
        fi
        echo $? >"$out.status"
        echo "load average after $(load)"
    } | tee "$out"
    # Nobody reads any more (a closed pipe): stop, quietly.
    [ -s "$out.status" ] || exit 141
    if [ "$(cat "$out.status" 2>/dev/null)" != 0 ]; then
        status=1
        continue
    fi
    ran="$ran $lab"
    if [ -f "$bdir/$lab.csv" ] && "$b" --help | grep -q -- --csv; then
        scripts/plot.sh "$bdir/$lab.csv" "$bdir/$lab.svg" \
            "lab $lab: throughput per strategy and peer (median of rounds, spread as bars)" \
            "million operations per second"
    fi
    if [ $docs = 1 ]; then
        page=${BENCH_DOCS_DIR:-docs}/$lab.md
        if ! grep -q '^<!-- bench: begin -->$' "$page" 2>/dev/null ||
            ! grep -q '^<!-- bench: end -->$' "$page"; then
            echo "bench: $page has no '<!-- bench: begin -->' ... '<!-- bench: end -->' block: not written" >&2
            status=1
            continue
        fi
        # The block: the run, indented as a code block.
        awk -v run="$out" '
            /^<!-- bench: begin -->$/ {
                print; print ""
                while ((getline line < run) > 0) print (line == "" ? "" : "    " line)
                print ""; skip = 1; next
            }
            /^<!-- bench: end -->$/ { skip = 0 }
            !skip' "$page" >"$page.new" && mv "$page.new" "$page"
        echo "  wrote   $page"
    fi
done

# The ratios racelab / peer of the labs this run benchmarked, from their
# CSVs: ratios.csv, and with gnuplot a bar chart of them. (Queue's CSV is
# its unpinned table: its judged ratios, pinned, are in its output.)
pairs="counter:sharded:slots counter:spin:ck_fas queue:locked:sbuf queue:lockfree:ck_ring pool:threads:openmp"
ratios=$bdir/ratios.csv
echo "pair,threads,ratio" >"$ratios"
for p in $pairs; do
    IFS=: read -r lab a b <<EOF2
$p
EOF2
    # Only labs benchmarked right in this run: never an older CSV.
    case " $ran " in *" $lab "*) ;; *) continue ;; esac
    [ -f "$bdir/$lab.csv" ] || continue
    awk -F, -v a="$a" -v b="$b" -v lab="$lab" '
        /^#/ || $1 == "series" { next }
        $1 == a { ra[$2] = $3 } $1 == b { rb[$2] = $3 }
        END { for (t in ra) if (t in rb && rb[t] > 0)
                  printf "%s: %s / %s,%s,%.2f\n", lab, a, b, t, ra[t] / rb[t] }' \
        "$bdir/$lab.csv" | sort -t, -k2n >>"$ratios"
done
if [ "$(wc -l <"$ratios")" -gt 1 ] && command -v gnuplot >/dev/null 2>&1; then
    scripts/plot.sh --bars "$ratios" "$bdir/ratios.svg" \
        "racelab / peer, measured in the same rounds (1.0: level)" "ratio"
fi
exit $status

#!/bin/sh
# plot.sh - draws a benchmark's CSV as an SVG with gnuplot: one line per
# series (a strategy, or a peer), its value against the thread count, and
# the spread of its rounds as error bars.
#
#   scripts/plot.sh CSV SVG TITLE YLABEL
#   scripts/plot.sh --bars CSV SVG TITLE YLABEL
#
# --bars: CSV is "pair,threads,ratio" rows (scripts/bench.sh writes
# build/bench/ratios.csv): a bar per pair and thread count, and a line
# at 1.0.
#
# CSV: a header line, then "series,threads,median,low,high" rows (the
# benchmarks write it: bench_LAB --csv FILE). A first line "# TEXT" names
# the unit, and overrides YLABEL. Without gnuplot (Debian:
# gnuplot-nox) it says so and exits 0: the CSV is the result, the picture
# a convenience.
set -eu
usage() { echo "usage: scripts/plot.sh [--bars] CSV SVG TITLE YLABEL" >&2; exit 2; }
bars=0
[ "${1:-}" = --bars ] && { bars=1; shift; }
[ $# = 4 ] || usage
csv=$1 svg=$2 title=$3 ylabel=$4
unit=$(sed -n '1s/^# *//p' "$csv")
[ -n "$unit" ] && ylabel=$unit
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "plot: no gnuplot here (apt-get install gnuplot-nox): $csv only" >&2
    exit 0
fi
if [ $bars = 1 ]; then
    data=$(mktemp)
    trap 'rm -f "$data"' EXIT
    # One row per pair: its name, then its ratio at each thread count.
    threads=$(awk -F, 'NR > 1 { print $2 }' "$csv" | sort -n -u | tr '\n' ' ')
    awk -F, -v ts="$threads" '
        NR > 1 { if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } r[$1, $2] = $3 }
        END { k = split(ts, t, " ")
              for (i = 1; i <= n; i++) {
                  line = "\"" order[i] "\""
                  for (j = 1; j <= k; j++) line = line " " ((order[i], t[j]) in r ? r[order[i], t[j]] : "NaN")
                  print line } }' "$csv" >"$data"
    k=$(echo "$threads" | wc -w)
    titles=$(for t in $threads; do printf '%s ' "$t"; done)
    gnuplot <<GNUPLOT
set terminal svg size 820,420 dynamic font "sans,12"
set output "$svg"
set title "$title"
set ylabel "$ylabel"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right title "threads"
set grid ytics
set xtics rotate by -20
set yrange [0:*]
names = "$titles"
plot for [i=2:$k+1] "$data" using i:xtic(1) title word(names, i-1), 1 with lines lw 2 dt 2 title "level"
GNUPLOT
    echo "  plot    $svg"
    exit 0
fi
# One block per series, blocks separated by two blank lines (gnuplot's
# "index"), in the order the series first appear.
data=$(mktemp)
trap 'rm -f "$data"' EXIT
rows() { awk -F, '/^#/ { next } !header++ { next } { print }' "$csv"; }
series=$(rows | awk -F, '!seen[$1]++ { print $1 }')
for s in $series; do
    rows | awk -F, -v s="$s" '$1 == s { print $2, $3, $4, $5 }' >>"$data"
    printf '\n\n' >>"$data"
done
n=$(echo "$series" | grep -c .)
titles=$(echo "$series" | tr '\n' ' ')
gnuplot <<GNUPLOT
set terminal svg size 720,420 dynamic font "sans,12"
set output "$svg"
set title "$title"
set xlabel "threads"
set ylabel "$ylabel"
set key outside right
set grid
set logscale y
set xtics 1
names = "$titles"
plot for [i=0:$n-1] "$data" index i using 1:2:3:4 with yerrorlines title word(names, i+1)
GNUPLOT
echo "  plot    $svg"

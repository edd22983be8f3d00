#!/bin/sh
# tsan-demo.sh - `make tsan`: run every strategy of each lab program under
# ThreadSanitizer and show, per lab, a summary row per strategy (its code,
# TSan's report count, the program's verdict line) and the specimen's first
# report, trimmed and annotated with the source lines it names. Everything
# the programs printed goes to a log, named at the top; V=1 prints it all.
#
#   scripts/tsan-demo.sh IMPL LAB...
#
# What it runs comes from build/labs.table (descriptions/LAB.mk, one line per lab
# or case) and each program's --list (name, role, file). The rows also go
# to build/tsan/IMPL/demo.tsv for make test:
#   lab|case|strategy|role|file|reports|verdict|exit status
#
# A viewer, not a verdict (that is `make check`): exits 0 after showing the
# reports, non-zero only when a program crashed or hung.
set -u
# Detect the TSan/ASLR problem once, not once per program (sanitizers/run).
RACELAB_SETARCH=$(sanitizers/run --detect)
export RACELAB_SETARCH
impl=$1
shift
case $impl in /*) bimpl=ext$impl ;; *) bimpl=$impl ;; esac
out=build/tsan/$bimpl
log=$out/demo.log
tsv=$out/demo.tsv
run=$out/demo.run
mkdir -p "$out"
: >"$log"
: >"$tsv"
trap 'rm -f "$run"' EXIT
verbose=${V:-}
tty=""
[ -t 1 ] && [ -z "$verbose" ] && tty=1
crashed=0

# A transient status line on a terminal: the runs take a while.
status() { [ -n "$tty" ] && printf '\r\033[K  ... %s' "$1"; }
unstatus() { [ -n "$tty" ] && printf '\r\033[K'; }

# The first ThreadSanitizer report in $run, trimmed to what a student reads:
# the warning, each access with its first frames, the location; every frame
# in the tree's own files followed by that source line.
first_report() { # LAB
    awk -v specimen="src/$1_unsafe.c" -v impl="$impl/" '
        /^WARNING: ThreadSanitizer/ { on = 1 }
        !on { next }
        /^={10,}$/ { if (shown) exit; next }
        /^ *#[4-9]/ || /^ *#[0-9][0-9]/ { next }      # deep frames
        /^ *#[0-9]/ && / (\/usr|<null>|\/lib)/ { next } # libc, the runtime
        /^SUMMARY/ { exit }
        /^  (Thread T[0-9]+ .*created by|Mutex M[0-9]+ .*created at)/ { skip = 1; next }
        /^$/ { skip = 0; next }
        skip { next }
        {
            shown = 1
            sub(/ \(([^ ]*\+0x[0-9a-f]+)\)$/, "")
            print "    " $0
            # The lab'"'"'s own lines, the specimen'"'"'s or the exercise'"'"'s: shown.
            if (/^ *#[0-9]/ && match($0, / [^ \/][^ ]*\.c:[0-9]+/)) {
                where = substr($0, RSTART + 1, RLENGTH - 1)
                n = split(where, parts, ":")
                file = parts[1]; line = parts[2]
                if (file != specimen && index(file, impl) != 1) next
                text = ""
                for (i = 1; i <= line && (getline text < file) > 0; i++) ;
                close(file)
                gsub(/^[ \t]+/, "", text)
                if (text != "") printf "    %*s%s | %s\n", 12, "", line, text
            }
        }
    ' "$run"
}

table=$(cat build/labs.table) || exit 2
printf 'racelab tsan: each strategy under ThreadSanitizer (IMPL=%s)\n' "$impl"
printf 'every line the programs printed: %s%s\n' "$log" "${verbose:+ (and below)}"
for want in "$@"; do
    lines=$(echo "$table" | awk -F'|' -v lab="$want" '$1 == lab')
    first=1
    echo "$lines" | while IFS='|' read -r lab case prog sopt demo _memcheck _specimen shows race _says _fuzz \
        _leaks _stress number title; do
        [ "$case" = - ] && case=""
        if [ -n "$first" ]; then
            printf '\nlab %s, %s: %s\n' "$number" "$lab" "$title"
            printf '  %-18s %-34s %7s  %s\n' strategy code reports verdict
            first=""
        fi
        bin=build/tsan/$bimpl/$prog
        # shellcheck disable=SC2086 # case is one word or none
        list=$(sanitizers/run "$bin" $case --list 2>>"$log")
        if [ -z "$list" ]; then
            printf '  %s %s --list printed nothing: it does not start (log: %s)\n' "$bin" "$case" "$log"
            crashed=1
            continue
        fi
        specimen_run=""
        tab=$(printf '\t')
        while IFS=$tab read -r s role file; do
            name=${case:+$case/}$s
            cmd="$prog ${case:+$case }$sopt $s $demo"
            status "$lab: $cmd"
            t0=$(date +%s)
            # shellcheck disable=SC2086 # demo is a list of words on purpose
            # A fix that deadlocks must not hang the viewer: 60 s is a hundred
            # times what a run takes.
            timeout -k 5 60 sanitizers/run "$bin" $case "$sopt" "$s" $demo >"$run" 2>&1 </dev/null
            rc=$?
            unstatus
            t1=$(date +%s)
            { printf '\n==== %s    [%s: %s] (%s s)\n' "$cmd" "$role" "$file" $((t1 - t0)); cat "$run"; } >>"$log"
            [ -n "$verbose" ] && { printf '\n==== %s    [%s: %s]\n' "$cmd" "$role" "$file"; cat "$run"; }
            reports=$(grep -c '^WARNING: ThreadSanitizer' "$run")
            verdict=$(sed -n 's/^verdict: //p' "$run" | tail -n 1)
            case $rc in
            124 | 137) verdict="HUNG: stopped after 60 s (a deadlock?)"; crashed=1 ;;
            0 | 1 | 3 | 66 | 130) [ -n "$verdict" ] || verdict="no verdict line (exit status $rc)" ;;
            *)
                sig=""
                [ "$rc" -gt 128 ] && sig=" ($(kill -l $((rc - 128)) 2>/dev/null || echo signal))"
                verdict="CRASHED: exit status $rc$sig${verdict:+, after: $verdict}"
                crashed=1
                ;;
            esac
            code=$file
            [ "$role" = exercise ] || code="$file ($role)"
            short=$verdict
            [ ${#short} -gt 76 ] && short="$(echo "$short" | cut -c1-72) ..."
            printf '  %-18s %-34s %7s  %s\n' "$name" "$code" "$reports" "$short"
            printf '%s|%s|%s|%s|%s|%s|%s|%s\n' "$lab" "${case:--}" "$s" "$role" "$file" \
                "$reports" "$verdict" "$rc" >>"$tsv"
            if [ "$role" = specimen ]; then
                specimen_run="$prog ${case:+$case }$sopt $s"
                specimen_verdict=$verdict
                cp "$run" "$run.specimen"
            fi
        done <<EOF_LIST
$list
EOF_LIST
        if [ -n "$specimen_run" ]; then
            mv "$run.specimen" "$run"
            if [ "${specimen_verdict%%:*}" != "$shows" ]; then
                printf '  the specimen'"'"'s verdict is %s, not %s: its row says why\n' \
                    "${specimen_verdict%%:*}" "$shows"
            elif grep -q '^WARNING: ThreadSanitizer' "$run"; then
                printf '  the specimen'"'"'s first report (%s):\n' "$specimen_run"
                first_report "$lab"
            elif [ "$race" = none ]; then
                printf '  no report for the specimen: its race is not a data race (every access\n'
                printf '  is under a lock), yet the verdict shows the damage. See docs/%s.md.\n' "$lab"
            fi
        fi
        # the loop runs in a subshell: carry crashed out
        [ $crashed = 0 ] || echo crashed >"$run.crashed"
    done
done
[ -f "$run.crashed" ] && crashed=1
rm -f "$run.crashed"
echo
echo "Races are bugs even when the verdict is ok. Grade your fixes with: make check"
exit $crashed

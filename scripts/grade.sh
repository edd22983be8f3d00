#!/bin/sh
# grade.sh - `make grade`: a class's submissions graded by `make check`,
# each in a throwaway copy of the kit, side by side, under limits, and in
# a sandbox where bubblewrap can make one. The instructor's page:
# docs/grading.md.
#
#   scripts/grade.sh [OPTION...] SUBMISSIONS   every student (make grade SUBMISSIONS=DIR)
#   scripts/grade.sh --one SUBMISSION OUTDIR [--kit KIT] [--slot N] [OPTION...]
#                                              one student: the unit of work
#   scripts/grade.sh --prepare KIT [--labs L]  the kit the copies come from
#
# A submission is a student's labs/ folder: a directory, a .tar.gz (.tgz)
# or a .zip of one, holding LAB.c files (counter.c, queue.c...). Each LAB.c
# of a lab graded goes into labs/ of its own copy of KIT (the kit without
# .git, build/ holding only the kit's own objects, built once: a copy
# compiles the student's files and nothing else), where
# `make check IMPL=labs` grades it, with its reasons and hints.
#
# Options:
#   --labs "L..."   labs to grade (make: LAB=; default every lab)
#   --jobs N        students graded at once (make: JOBS=; default nproc)
#   --out DIR       where the results go (make: OUT=; default build/grade)
#   --time S        wall time for one student, all labs (default 120 + 120 per lab)
#   --cpu S         CPU time of one process (default 120)
#   --fsize MB      size of one file written (default 64): output past it
#   --disk MB       size of a student's copy (default 512)
#   --procs N       processes of one student at once (default 100; see below)
#   --no-sandbox    limits only, even where bubblewrap works
#   --keep          keep the throwaway copies (OUT/STUDENT/.copy)
#
# Results, in OUT: results.csv (student,lab,exercise,verdict,reason), and
# summary.txt (the pass rate of each exercise, the commonest reasons); per
# student, OUT/STUDENT/: results.json (Gradescope's format), junit.xml,
# results.csv, check.log (what make check printed) and logs/ (its logs).
# A verdict: pass, fail, compile-error (does not compile or link),
# timeout (a test hung, or the student's wall time ran out), output-limit
# (a file written past --fsize, or the copy past --disk), resource-limit
# (past --cpu, past --procs, or the process limit full: a fork bomb),
# missing (no LAB.c), invalid (an archive refused: an absolute path,
# '..', a link, too big).
#
# Limits (prlimit): CPU time, file size, open files, no core files, and
# processes; the wall time with `timeout --kill-after`. No address-space
# limit: ThreadSanitizer and ASan reserve terabytes of it for their shadow
# memory (memory is bounded by TSAN_OPTIONS/ASAN_OPTIONS hard_rss_limit_mb
# in their runs). As root, each job slot runs as a user of its own
# (uid 61000 + slot; RACELAB_GRADE_UID moves it): its process limit is its
# own, a watch kills the slot's processes past --procs, and every process
# of that user is gone when the student is done. Not as root, the process
# limit is shared with your own processes (a fork bomb can slow its
# neighbours until its wall time ends): grade as root, in a container.
#
# The sandbox (bubblewrap): no network (--unshare-all), everything read-only
# but the student's copy, the kit's tree, OUT, the submissions and $HOME
# hidden (an empty tmpfs over each), a private /tmp, a process namespace
# that dies with its parent (--die-with-parent), a new session. Where
# bwrap is missing or cannot make a namespace, that is said in one line and
# the grading goes on under the limits alone.
#
# Exit status: 0 when every submission was graded (whatever its verdicts),
# 1 when one could not be, 2 on bad usage.
set -u
top=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd) || exit 2
MAKE=${MAKE:-make}
me=grade

usage() { echo "$me: $1 (scripts/grade.sh --help)" >&2; exit 2; }
say() { printf '%s\n' "$*" >&2; }

# ---- options -----------------------------------------------------------

mode=batch labs="" jobs="" out="" time_s="" cpu=120 fsize=64 disk=512 procs=100
sandbox=auto keep="" kit="" slot=0 one_sub="" one_out="" subs=""
num() { case $2 in '' | *[!0-9]*) usage "$1 wants a number, not '$2'" ;; esac; }
while [ $# -gt 0 ]; do
    case $1 in
    -h | --help)
        sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
        exit 0
        ;;
    --one)
        [ $# -ge 3 ] || usage "--one wants SUBMISSION OUTDIR"
        mode=one one_sub=$2 one_out=$3
        shift 3
        continue
        ;;
    --prepare)
        [ $# -ge 2 ] || usage "--prepare wants KIT"
        mode=prepare kit=$2
        shift 2
        continue
        ;;
    --labs | --jobs | --out | --time | --cpu | --fsize | --disk | --procs | --kit | --slot)
        [ $# -ge 2 ] || usage "$1 wants a value"
        case $1 in
        --labs) labs=$2 ;;
        --jobs) num "$1" "$2"; jobs=$2 ;;
        --out) out=$2 ;;
        --time) num "$1" "$2"; time_s=$2 ;;
        --cpu) num "$1" "$2"; cpu=$2 ;;
        --fsize) num "$1" "$2"; fsize=$2 ;;
        --disk) num "$1" "$2"; disk=$2 ;;
        --procs) num "$1" "$2"; procs=$2 ;;
        --kit) kit=$2 ;;
        --slot) num "$1" "$2"; slot=$2 ;;
        esac
        shift 2
        ;;
    --no-sandbox) sandbox=no; shift ;;
    --keep) keep=1; shift ;;
    -*) usage "no option '$1'" ;;
    *)
        [ -z "$subs" ] || usage "one SUBMISSIONS folder, not '$subs' and '$1'"
        subs=$1
        shift
        ;;
    esac
done
[ "$mode" = batch ] && [ -z "$subs" ] && usage "which submissions? (make grade SUBMISSIONS=DIR)"
[ "$mode" != batch ] && [ -n "$subs" ] && usage "no SUBMISSIONS folder with --one or --prepare"
for v in "$jobs" "$time_s" "$cpu" "$fsize" "$disk" "$procs"; do
    [ "$v" != 0 ] || usage "a limit of 0 grades nothing"
done
[ -n "$jobs" ] || jobs=$(nproc 2>/dev/null || echo 2)

# The labs, in lab order, from the kit (descriptions/LAB.mk).
all_labs=$(cd "$top" && "$MAKE" -s --no-print-directory print-labs) || exit 2
explore_labs=$(cd "$top" && "$MAKE" -s --no-print-directory print-explore-labs) || exit 2
[ -n "$labs" ] || labs=$all_labs
for lab in $labs; do
    case " $all_labs " in *" $lab "*) ;; *) usage "no lab '$lab' (labs: $all_labs)" ;; esac
done
# The wall time of one student, when not given: by the labs graded.
default_time() {
    # shellcheck disable=SC2086 # a list of labs
    [ -n "$time_s" ] || time_s=$((120 + 120 * $(echo $labs | wc -w)))
}
tab=$(printf '\t')

# abs PATH: PATH made absolute (it need not exist yet).
abs() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$(pwd)" "$1" ;; esac; }

# ---- the kit the copies come from ---------------------------------------

# What a copy of the kit holds: what make check needs, no more. Not
# tests/mutants (patches against the reference), not docs.
KIT_PARTS="Makefile include src runtime tests scripts descriptions sanitizers labs solutions bench"

# prepare KIT: the tree's sources, and build/ with the kit's own objects
# and the reference's tests of each lab (check.sh lists a lab's exercises
# with them when a student's does not build), built once. The tree's
# build/ seeds it, times kept, so make rebuilds nothing that is up to date.
prepare() {
    k=$1
    # Emptied first: only a kit this script made (its mark), or an empty
    # folder, never something else named by mistake (--prepare .).
    if [ -d "$k" ] && [ ! -f "$k/.racelab-kit" ] && [ -n "$(ls -A "$k" 2>/dev/null)" ]; then
        say "$me: $k is not empty and not a kit made by $me: not emptied"
        return 1
    fi
    case $top/ in "$(abs "$k")"/*) say "$me: $k holds the kit itself"; return 1 ;; esac
    rm -rf "$k"
    mkdir -p "$k" || return 1
    : >"$k/.racelab-kit"
    parts=""
    for p in $KIT_PARTS config.mak; do [ -e "$top/$p" ] && parts="$parts $p"; done
    # shellcheck disable=SC2086 # a list of names
    (cd "$top" && tar -cf - --exclude=tests/mutants $parts) | (cd "$k" && tar -xf -) || return 1
    seed=""
    for f in build/deps.mk build/labs.table build/tsan/aslr-probe; do
        [ -e "$top/$f" ] && seed="$seed $f"
    done
    # (Not release/: make check does not use it. Of the reference's, only
    # the graded labs' objects and tests: each student's copy is a copy of
    # this kit, and the programs of all eight labs would triple its size.)
    for v in tsan asan shake explore; do
        for d in flags common runtime tests sanitizers; do
            [ -e "$top/build/$v/$d" ] && seed="$seed build/$v/$d"
        done
        for lab in $labs; do
            for f in "$lab.o" "$lab.d" "test_$lab" "explore_$lab"; do
                [ -e "$top/build/$v/solutions/$f" ] && seed="$seed build/$v/solutions/$f"
            done
        done
    done
    # shellcheck disable=SC2086
    [ -z "$seed" ] || (cd "$top" && tar -cf - $seed) | (cd "$k" && tar -xf -) || return 1
    targets="build/tsan/aslr-probe build/labs.table"
    for lab in $labs; do
        targets="$targets build/shake/solutions/test_$lab build/tsan/solutions/test_$lab"
        targets="$targets build/asan/solutions/test_$lab"
        case " $explore_labs " in
        *" $lab "*) targets="$targets build/explore/solutions/explore_$lab" ;;
        esac
    done
    # shellcheck disable=SC2086
    (cd "$k" && "$MAKE" -s --no-print-directory -j"$jobs" $targets) >"$k/prepare.log" 2>&1 || {
        say "$me: the kit does not build: $k/prepare.log"
        return 1
    }
    # Each lab's exercises and hints: a student's rows, graded or not.
    for lab in $labs; do
        "$k/build/shake/solutions/test_$lab" --list | sed "s/^/$lab$tab/"
    done >"$k/exercises.tsv" || return 1
    echo "$labs" >"$k/graded-labs"
    # The reference's sources stay out of the copies: the prepared objects
    # stand in for them. Each copy gets the shipped exercise instead, its
    # time set back, so make never rebuilds from it.
    mkdir -p "$k/.reference"
    for f in "$k"/solutions/*.c; do
        b=$(basename "$f")
        mv "$f" "$k/.reference/$b"
        cp "$k/labs/$b" "$f" 2>/dev/null || : >"$f"
        touch -r "$k/.reference/$b" "$f"
    done
    rm -rf "$k/.reference"
}

# ---- the sandbox -------------------------------------------------------

# As root, each slot is a user of its own: a process limit of its own, and
# its processes known by their uid.
root=""
[ "$(id -u)" = 0 ] && root=1
slot_uid() { echo $((${RACELAB_GRADE_UID:-61000} + $1)); }

# sandbox_args COPY HIDE...: bwrap's arguments for a run in COPY, with
# each HIDE directory covered by an empty tmpfs (outermost first).
sandbox_args() {
    copy=$1
    shift
    printf '%s\n' --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --tmpfs /var/tmp \
        --tmpfs /dev/shm
    for h in "$@"; do printf '%s\n' "$h"; done | awk '$0 != "/" && $0 != ""' |
        awk '{ print length($0) "\t" $0 }' | sort -n | cut -f2- | awk '!seen[$0]++' |
        while IFS= read -r h; do
            [ -d "$h" ] && printf '%s\n' --tmpfs "$h"
        done
    printf '%s\n' --bind "$copy" "$copy" --unshare-all --die-with-parent --new-session \
        --chdir "$copy" --setenv HOME /tmp --setenv TMPDIR /tmp --
}

# as_slot: the command prefix that runs as the slot's user (root only).
as_slot() {
    [ -n "$root" ] || return 0
    u=$(slot_uid "$slot")
    printf '%s\n' setpriv --reuid="$u" --regid="$u" --clear-groups --inh-caps=-all
}

# sandbox_works: whether bwrap makes a sandbox here, as this slot's user,
# with the same arguments a student gets. Says why not, in one line.
sandbox_works() {
    [ "$sandbox" != no ] || return 1
    if ! command -v bwrap >/dev/null 2>&1; then
        say "$me: bubblewrap (bwrap) is not installed: grading under limits only, no sandbox (apt-get install bubblewrap)"
        return 1
    fi
    probe=$(mktemp -d) || return 1
    [ -n "$root" ] && chown "$(slot_uid "$slot")" "$probe"
    (
        set --
        argv="$(as_slot)
bwrap
$(sandbox_args "$probe" "$top")"
        while IFS= read -r a; do [ -n "$a" ] && set -- "$@" "$a"; done <<EOF_ARGS
$argv
EOF_ARGS
        exec "$@" sh -c 'echo ok >probe && ! touch /probe-rw 2>/dev/null'
    ) >"$probe.log" 2>&1 </dev/null
    rc=$?
    ok=""
    [ $rc = 0 ] && [ "$(cat "$probe/probe" 2>/dev/null)" = ok ] && ok=1
    if [ -z "$ok" ]; then
        say "$me: bubblewrap cannot make a sandbox here ($(head -n 1 "$probe.log")): grading under limits only"
    fi
    rm -rf "$probe" "$probe.log"
    [ -n "$ok" ]
}

# ---- one student -------------------------------------------------------

# unpack ARCHIVE DIR: a .tar.gz or .zip into DIR, refused (a reason on
# stdout, status 1) when it holds an absolute path, a '..', anything but
# files and folders, more than 200 entries or 8 MB unpacked.
unpack() {
    a=$1 d=$2
    size=$(wc -c <"$a")
    [ "$size" -le 4194304 ] || { echo "the archive is over 4 MB"; return 1; }
    case $a in
    *.zip)
        command -v unzip >/dev/null 2>&1 || { echo "unzip is not installed"; return 1; }
        # Its entries' lines: "-rw-r--r--  3.0 unx  5021 tx  1790 defN date time name".
        list=$(unzip -Z -l "$a" 2>/dev/null) || { echo "not a zip archive"; return 1; }
        list=$(printf '%s\n' "$list" | awk '$2 ~ /^[0-9]+\.[0-9]+$/')
        names=$(unzip -Z1 "$a" 2>/dev/null)
        types=$(printf '%s\n' "$list" | cut -c1 | sort -u | tr -d '\n')
        total=$(printf '%s\n' "$list" | awk '{ s += $4 } END { print s + 0 }')
        ;;
    *)
        list=$(tar -tzvf "$a" 2>/dev/null) || { echo "not a gzip'd tar archive"; return 1; }
        names=$(tar -tzf "$a" 2>/dev/null)
        types=$(printf '%s\n' "$list" | cut -c1 | sort -u | tr -d '\n')
        total=$(printf '%s\n' "$list" | awk '{ s += $3 } END { print s + 0 }')
        ;;
    esac
    n=$(printf '%s\n' "$names" | grep -c .)
    [ "$n" -le 200 ] || { echo "the archive holds $n entries (at most 200)"; return 1; }
    [ "$total" -le 8388608 ] || { echo "the archive unpacks to $total bytes (at most 8 MB)"; return 1; }
    case $types in *[!-d]*) echo "the archive holds a link or a special file"; return 1 ;; esac
    bad=$(printf '%s\n' "$names" | grep -E -m 1 '^/|(^|/)\.\.(/|$)')
    [ -z "$bad" ] || { echo "the archive holds the path '$bad'"; return 1; }
    mkdir -p "$d"
    case $a in
    *.zip) unzip -qq -o "$a" -d "$d" >/dev/null 2>&1 ;;
    *) tar -xzf "$a" -C "$d" --no-same-owner --no-same-permissions >/dev/null 2>&1 ;;
    esac || { echo "the archive does not unpack"; return 1; }
}

# find_lab DIR LAB: the submission's LAB.c (the shallowest), a plain file
# of at most 1 MB, not a link: nothing when there is none.
find_lab() {
    find "$1" -maxdepth 3 -name "$2.c" -type f ! -size +1024k 2>/dev/null |
        awk -F/ '{ print NF "\t" $0 }' | sort -n | head -n 1 | cut -f2-
}

# grade_one SUBMISSION OUTDIR: one student, results into OUTDIR; hidden
# from its sandbox: the folders beside OUTDIR and SUBMISSION, the kit.
grade_one() { # SUBMISSION OUTDIR [NAME]: NAME, the queue's unique one in a class
    sub=$1 o=$2
    name=${3:-$(basename "$sub")}
    name=${name%.tar.gz}
    name=${name%.tgz}
    name=${name%.zip}
    mkdir -p "$o" || return 1
    o=$(CDPATH='' cd -- "$o" && pwd)
    copy=$o/.copy src=$o/.submission
    rm -rf "$copy" "$src" "$o/logs"
    started=$(date +%s)
    invalid="" dir=""
    if [ -d "$sub" ]; then
        dir=$sub
    elif [ -f "$sub" ]; then
        case $sub in
        *.tar.gz | *.tgz | *.zip) invalid=$(unpack "$sub" "$src") && invalid="" dir=$src ;;
        *) invalid="not a folder, .tar.gz or .zip" ;;
        esac
    else
        invalid="no such file or folder"
    fi
    # The labs it holds, in its copy's labs/ (new times: make compiles them).
    graded=""
    cp -a "$kit" "$copy" || return 1
    rm -rf "$copy/prepare.log"
    if [ -z "$invalid" ]; then
        for lab in $labs; do
            f=$(find_lab "$dir" "$lab")
            [ -n "$f" ] || continue
            cp "$f" "$copy/labs/$lab.c" && touch "$copy/labs/$lab.c" && graded="$graded $lab"
        done
    fi
    cause="" rc=0
    records=$copy/build/records.tsv
    : >"$records"
    if [ -n "$graded" ]; then
        [ -n "$root" ] && chown -R "$(slot_uid "$slot")" "$copy"
        run_sandboxed "$copy" "$sub" "$o" "$graded"
    fi
    end=$(date +%s)
    # The rows: every exercise of every lab asked for, in one pass: its
    # record mapped to make grade's verdict , or why it has none.
    rows=$o/verdicts.tsv
    awk -F "$tab" -v OFS="$tab" -v graded=" $graded " -v invalid="$invalid" -v cause="$cause" \
        -v rc="$rc" '
        FILENAME == ARGV[1] { if (!(($1, $2) in rec)) rec[$1, $2] = $0; next }
        {
            lab = $1; ex = $2; hint = $3
            if (index(graded, " " lab " ") == 0) {
                if (invalid != "") { v = "invalid"; why = "the submission is refused: " invalid }
                else { v = "missing"; why = "no " lab ".c in the submission" }
                print lab, ex, v, why, hint, "", ""
                next
            }
            line = ((lab, ex) in rec) ? rec[lab, ex] : (((lab, "") in rec) ? rec[lab, ""] : "")
            if (line != "") {
                split(line, f, "\t")
                v = f[3]; why = f[4]
                if (v == "unbuilt") v = "compile-error"
                else if (v != "pass") {
                    if (why ~ /SIGXFSZ/) v = "output-limit"
                    else if (why ~ /SIGXCPU/) v = "resource-limit"
                    else if (why ~ /^hangs:|: hangs: |^explorer: hangs/) v = "timeout"
                    else v = "fail"
                }
                logs = f[7]
                gsub(/build\/check\/labs\//, "logs/", logs)
                print lab, ex, v, why, hint, f[6], logs
            } else if (cause != "") {
                split(cause, c, "\t")
                print lab, ex, c[1], c[2] "; grading stopped there", hint, "labs/" lab ".c", "check=check.log"
            } else {
                print lab, ex, "fail", "not graded: the grader stopped (exit " rc "; see check.log)", hint,
                    "labs/" lab ".c", "check=check.log"
            }
        }' "$records" "$kit/exercises.tsv" >"$rows"
    # The logs, each cut to 1 MB, out of the copy; then the copy goes.
    mkdir -p "$o/logs"
    for f in "$copy"/build/check/labs/*; do
        [ -f "$f" ] && [ ! -L "$f" ] && head -c 1048576 "$f" >"$o/logs/$(basename "$f")"
    done
    [ -f "$copy/build/check.out" ] && head -c 1048576 "$copy/build/check.out" >"$o/check.log"
    [ -n "$keep" ] || rm -rf "$copy" "$src"
    # The reports.
    awk -F "$tab" -v s="$name" '
        function q(x) { gsub(/"/, "\"\"", x); return "\"" x "\"" }
        BEGIN { print "student,lab,exercise,verdict,reason" }
        { print q(s) "," q($1) "," q($2) "," q($3) "," q($4) }' "$rows" >"$o/results.csv"
    # From OUTDIR: the rows name the logs as logs/..., copied out above.
    (cd "$o" && "$top/scripts/report.sh" junit "$rows" "$name") >"$o/junit.xml"
    (cd "$o" && RACELAB_TIME=$((end - started)) "$top/scripts/report.sh" gradescope "$rows" \
        "$name") >"$o/results.json"
    p=$(awk -F "$tab" '$3 == "pass"' "$rows" | grep -c .)
    n=$(grep -c . "$rows")
    others=$(awk -F "$tab" '$3 != "pass" && $3 != "fail" { print $3 }' "$rows" | sort | uniq -c |
        awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
    printf '  %-20s %d of %d pass%s (%d s)\n' "$name" "$p" "$n" "${others:+; $others}" \
        $((end - started))
}

# run_sandboxed COPY SUBMISSION OUTDIR LABS: make check in COPY, under the
# limits, in the sandbox if there is one. As make check runs it: the
# grader, scripts/check.sh, with what make would tell it (the labs, and
# whether TSan needs setarch -R: asked once for the class), which saves
# two reads of the Makefile and a probe per student. Sets rc, and cause
# ("VERDICT<TAB>reason") when the run was stopped.
run_sandboxed() {
    copy=$1
    subdir=$(dirname "$(abs "$2")") outdir=$(dirname "$3")
    nproc_share=512 # the student's own processes, at most
    nproc_limit=$nproc_share
    if [ -z "$root" ]; then
        # Not root: the limit counts all our processes; leave room for them.
        mine=$(ps -L -o lwp= -u "$(id -u)" 2>/dev/null | grep -c .)
        nproc_limit=$((mine + nproc_share))
    fi
    # The command, one word a line: the limits, the slot's user, the
    # sandbox, a clean environment, make check.
    argv="timeout
--kill-after=3
$time_s
prlimit
--cpu=$cpu
--fsize=$((fsize * 1048576))
--nofile=1024
--core=0
--nproc=$nproc_limit
--
$(as_slot)"
    # Hidden: the kit, its tree, the submissions, the results, $HOME (each
    # one argument: a path may hold spaces).
    [ "$use_sandbox" = yes ] && argv="$argv
bwrap
$(sandbox_args "$copy" "$top" "$kit" "$subdir" "$outdir" "${HOME:-}")"
    argv="$argv
env
-i
PATH=$PATH
LANG=C.UTF-8
TERM=dumb
HOME=/tmp
RACELAB_DEPS=checked
RACELAB_RECORDS=$copy/build/records.tsv
TSAN_OPTIONS=hard_rss_limit_mb=4096
ASAN_OPTIONS=hard_rss_limit_mb=4096
${RACELAB_WATCHDOG_SECONDS:+RACELAB_WATCHDOG_SECONDS=$RACELAB_WATCHDOG_SECONDS}
MAKE=$MAKE
RACELAB_LABS=$all_labs
RACELAB_EXPLORE_LABS=$explore_labs
RACELAB_SETARCH=$setarch
scripts/check.sh
labs
$(for lab in $4; do echo "$lab"; done)"
    (
        cd "$copy" || exit 1
        set --
        while IFS= read -r a; do [ -n "$a" ] && set -- "$@" "$a"; done <<EOF_ARGS
$argv
EOF_ARGS
        exec "$@"
    ) >"$copy/build/check.out" 2>&1 </dev/null &
    job=$!
    # The guard beside it, stopped the moment the run ends; what it saw
    # stop the run, it leaves in a file.
    rm -f "$copy.cause"
    guard "$job" "$copy" "$copy.cause" &
    guarding=$!
    wait "$job" 2>/dev/null # not the shell's "Killed"
    rc=$?
    kill "$guarding" 2>/dev/null
    wait "$guarding" 2>/dev/null
    [ -s "$copy.cause" ] && cause=$(cat "$copy.cause")
    rm -f "$copy.cause"
    if [ -z "$cause" ] && { [ $rc = 124 ] || [ $rc = 137 ]; }; then
        cause="timeout${tab}the student's wall time ($time_s s) ran out"
    fi
    # Past --fsize, the kernel stops the writer with SIGXFSZ, and the
    # shell that waits for it may go too (dash does): 153 is 128 + SIGXFSZ.
    if [ -z "$cause" ] && { [ $rc = 153 ] ||
        grep -q -e 'File size limit exceeded' -e 'Error 153' "$copy/build/check.out"; }; then
        cause="output-limit${tab}a file it wrote grew past $fsize MB (output without end?)"
    fi
    # A fork bomb can fill the process limit between two of the guard's
    # looks, so that the grader itself cannot start a process and stops
    # (dash: "Cannot fork"; make and others: "Resource temporarily
    # unavailable"): the same verdict as the guard's.
    if [ -z "$cause" ] && [ $rc != 0 ] &&
        grep -Eq -e '^scripts/check\.sh: [0-9]+: Cannot fork$' \
            -e '^make(\[[0-9]+\])?: v?fork: Resource temporarily unavailable' "$copy/build/check.out"; then
        # It filled its share of the process limit: past --procs, when
        # that is lower (the guard's words), else at the share.
        if [ "$procs" -lt "$nproc_share" ]; then
            cause="resource-limit${tab}more than $procs processes at once (a fork bomb?)"
        else
            cause="resource-limit${tab}$nproc_share processes at once, the limit (a fork bomb?)"
        fi
        # Any exercise that did not pass may have been judged by a crippled
        # grader (its tests could not start their threads, say; the limit
        # may have filled before the last one): its record gives way to
        # this verdict. Passes stand.
        if [ -s "$records" ]; then
            awk -F "$tab" '$3 == "pass"' "$records" >"$records.pass" && mv "$records.pass" "$records"
        fi
    fi
    # Nothing of this student's left running (a zombie is not running: the
    # sandbox's init, orphaned, waits a moment for the machine's to reap it).
    if [ -n "$root" ]; then
        u=$(slot_uid "$slot")
        i=0
        while [ $i -lt 50 ] && ps -o stat= -U "$u" | grep -qv '^Z'; do
            pkill -KILL -U "$u" 2>/dev/null
            sleep 0.1
            i=$((i + 1))
        done
    fi
}

# guard JOB COPY CAUSE: every second, whether this slot's user has more
# than --procs processes (root only), and every third, whether COPY grew
# past --disk: then it writes why to CAUSE ("VERDICT<TAB>reason") and
# kills JOB's process group (the sandbox dies with it). A second, not
# less: each look reads /proc, and costs.
guard() {
    i=0
    u=""
    [ -n "$root" ] && u=$(slot_uid "$slot")
    while kill -0 "$1" 2>/dev/null; do
        sleep 1
        i=$((i + 1))
        why=""
        if [ -n "$u" ] && [ "$(pgrep -c -U "$u")" -gt "$procs" ]; then
            why="resource-limit${tab}more than $procs processes at once (a fork bomb?)"
        elif [ $((i % 3)) = 0 ] && kb=$(du -sk "$2" 2>/dev/null | cut -f1) &&
            [ "${kb:-0}" -gt $((disk * 1024)) ]; then
            why="output-limit${tab}its copy grew past $disk MB"
        fi
        if [ -n "$why" ]; then
            printf '%s\n' "$why" >"$3"
            kill -KILL -- "-$1" 2>/dev/null
            [ -n "$u" ] && pkill -KILL -U "$u" 2>/dev/null
            return
        fi
    done
}

# ---- run ---------------------------------------------------------------

if [ "$mode" = prepare ]; then
    kit=$(abs "$kit")
    prepare "$kit" || exit 1
    exit 0
fi

use_sandbox=no
sandbox_works && use_sandbox=yes
# The labs, in lab order, as make check passes them to check.sh (LABS
# fits in one line: several words).
all_labs=$(echo $all_labs) explore_labs=$(echo $explore_labs)

if [ "$mode" = one ]; then
    one_out=$(abs "$one_out")
    if [ -z "$kit" ]; then
        kit=$one_out/.kit
        prepare "$kit" || exit 1
    fi
    kit=$(abs "$kit")
    [ -f "$kit/exercises.tsv" ] || usage "--kit $kit: not a kit (scripts/grade.sh --prepare KIT)"
    labs=$(cat "$kit/graded-labs")
    default_time
    setarch=$(cd "$kit" && sanitizers/run --detect)
    grade_one "$one_sub" "$one_out" || exit 1
    exit 0
fi

# Every student, JOBS at a time: a worker takes the next submission from
# the queue (a counter under a mkdir lock) until there is none.
[ -d "$subs" ] || usage "SUBMISSIONS=$subs: no such folder"
subs=$(abs "$subs")
out=$(abs "${out:-$top/build/grade}")
case $out/ in "$subs"/*) usage "OUT=$out is inside SUBMISSIONS" ;; esac
case $subs/ in "$out"/*) usage "SUBMISSIONS=$subs is inside OUT=$out" ;; esac
case $top/ in "$out"/*) usage "OUT=$out holds the kit itself" ;; esac
# OUT is emptied first: only a folder this script made (its mark), or an
# empty one, never something else someone named by mistake.
if [ -d "$out" ] && [ ! -f "$out/.racelab-grade" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
    usage "OUT=$out is not empty and not a make grade result: not emptied"
fi
[ -w "$(dirname "$out")" ] || mkdir -p "$out" || exit 2
echo "racelab grade: $subs (labs: $(echo $labs); $jobs at a time; sandbox: $use_sandbox)"
rm -rf "$out"
mkdir -p "$out/students" || exit 2
: >"$out/.racelab-grade"
kit=$out/kit
prepare "$kit" || exit 1
default_time
setarch=$(cd "$kit" && sanitizers/run --detect)
# The queue: one submission a line, its student's name unique.
find "$subs" -mindepth 1 -maxdepth 1 \( -type d -o -name '*.tar.gz' -o -name '*.tgz' \
    -o -name '*.zip' \) ! -name '.*' | LC_ALL=C sort | while IFS= read -r s; do
    n=$(basename "$s")
    n=${n%.tar.gz}
    n=${n%.tgz}
    n=$(printf '%s' "${n%.zip}" | tr -c 'A-Za-z0-9._@+-' '_')
    printf '%s\t%s\n' "$n" "$s"
done | awk -F "$tab" '{ n = $1; while (n in seen) n = n "_"; seen[n]; print n "\t" $2 }' \
    >"$out/queue.tsv"
total=$(grep -c . "$out/queue.tsv")
[ "$total" -gt 0 ] || usage "SUBMISSIONS=$subs holds no folder, .tar.gz or .zip"
echo 0 >"$out/next"
next() { # the queue's next line number, or nothing
    while ! mkdir "$out/lock" 2>/dev/null; do sleep 0.05; done
    k=$(($(cat "$out/next") + 1))
    echo "$k" >"$out/next"
    rmdir "$out/lock"
    [ "$k" -le "$total" ] && echo "$k"
}
worker() { # SLOT
    slot=$1
    while k=$(next) && [ -n "$k" ]; do
        line=$(sed -n "${k}p" "$out/queue.tsv")
        grade_one "${line#*"$tab"}" "$out/students/${line%%"$tab"*}" "${line%%"$tab"*}" ||
            echo "  ${line%%"$tab"*}: could not be graded" >>"$out/errors"
    done
}
pids=""
w=0
while [ $w -lt "$jobs" ] && [ $w -lt "$total" ]; do
    worker $w &
    pids="$pids $!"
    w=$((w + 1))
done
# shellcheck disable=SC2086
wait $pids
rm -f "$out/next"

# The class: results.csv, summary.txt.
{
    echo "student,lab,exercise,verdict,reason"
    for f in "$out"/students/*/results.csv; do tail -n +2 "$f"; done
} >"$out/results.csv"
cat "$out"/students/*/verdicts.tsv >"$out/verdicts.tsv"
{
    echo "racelab grade: $total submissions; the pass rate of each exercise"
    awk -F "$tab" '
        { key = $1 "/" $2; if (!(key in n)) order[++k] = key; n[key]++; if ($3 == "pass") p[key]++ }
        END { for (i = 1; i <= k; i++)
                  printf "  %-24s %4d of %4d pass (%3.0f%%)\n", order[i], p[order[i]] + 0,
                      n[order[i]], 100 * p[order[i]] / n[order[i]] }' "$out/verdicts.tsv"
    echo
    echo "the commonest reasons of the others (their numbers as N), how often:"
    awk -F "$tab" '$3 != "pass" { r = $3 ": " $4; gsub(/[0-9]+/, "N", r); print r }' \
        "$out/verdicts.tsv" | sort | uniq -c | sort -k1,1nr | head -n 12 |
        sed 's/^ *\([0-9]*\) /  \1  /'
} >"$out/summary.txt"
cat "$out/summary.txt"
echo "racelab grade: results in $out/ (results.csv, summary.txt, students/NAME/)"
if [ -s "$out/errors" ]; then
    cat "$out/errors" >&2
    exit 1
fi
exit 0

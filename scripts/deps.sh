#!/bin/sh
# deps.sh - makes sure the tools a make goal needs are installed, and tells
# the Makefile which compiler to use for the sanitizer builds.
#
#   scripts/deps.sh GOAL...     GOAL: build tsan check test bench explore detectors
#
# Every goal needs lab 8's libraries (libcurl, libmicrohttpd) to build;
# bench and test need concurrencykit's headers (libck-dev) for the
# benchmarks' peers.
#
# Prints make assignments on stdout (the Makefile evaluates them), and talks
# to the person on stderr. What is missing is installed with apt-get (through
# sudo when not root), after saying what and why. When clang cannot be had,
# the sanitizer builds fall back to gcc's -fsanitize=thread, and it says so.
set -u

say() { printf 'racelab: %s\n' "$*" >&2; }

want_clang=0 want_cmocka=0 want_test_tools=0 want_plot=0 want_peers=0 want_valgrind=0
for goal in "$@"; do
    case $goal in
    tsan | explore) want_clang=1 ;;
    check | asan) want_clang=1 want_cmocka=1 ;;
    test) want_clang=1 want_cmocka=1 want_test_tools=1 want_peers=1 ;;
    detectors) want_clang=1 want_cmocka=1 want_valgrind=1 ;;
    bench) want_plot=1 want_peers=1 ;;
    esac
done
# make grade (GOAL grade: make check's tools, and bubblewrap for its
# sandbox, unzip for .zip submissions); make test tests it.
want_sandbox=0
for goal in "$@"; do
    case $goal in
    grade) want_clang=1 want_cmocka=1 want_sandbox=1 ;;
    test) want_sandbox=1 ;;
    esac
done

have_cmocka() {
    for dir in /usr/include /usr/local/include; do
        [ -f "$dir/cmocka.h" ] && return 0
    done
    return 1
}

# Can clang build and link a ThreadSanitizer program? On Debian the TSan
# runtime (libclang-rt-dev) is only recommended by clang, not required.
tsan_links() { # COMPILER
    probe=$(mktemp -d) || return 1
    echo 'int main(void) { return 0; }' >"$probe/p.c"
    "$1" -fsanitize=thread "$probe/p.c" -o "$probe/p" >/dev/null 2>&1
    rc=$?
    rm -rf "$probe"
    return $rc
}

have_header() { # FILE
    for dir in /usr/include /usr/local/include /usr/include/x86_64-linux-gnu \
        /usr/include/aarch64-linux-gnu; do
        [ -f "$dir/$1" ] && return 0
    done
    return 1
}

# Whether clang links a TSan program: probed once (half a second), asked
# twice (what to install, which compiler to name).
clang_tsan=""
clang_tsan_links() {
    if [ -z "$clang_tsan" ]; then
        clang_tsan=no
        command -v clang >/dev/null 2>&1 && tsan_links clang && clang_tsan=yes
    fi
    [ "$clang_tsan" = yes ]
}

missing=""
# Lab 8's clients and its server.
have_header curl/curl.h || missing="$missing libcurl4-openssl-dev"
have_header microhttpd.h || missing="$missing libmicrohttpd-dev"
if [ $want_clang = 1 ]; then
    if ! command -v clang >/dev/null 2>&1; then
        missing="$missing clang libclang-rt-dev llvm"
    elif ! clang_tsan_links; then
        missing="$missing libclang-rt-dev"
    fi
    # llvm-symbolizer turns TSan's addresses into file:line.
    command -v llvm-symbolizer >/dev/null 2>&1 || missing="$missing llvm"
fi
if [ $want_cmocka = 1 ] && ! have_cmocka; then
    missing="$missing libcmocka-dev"
fi
if [ $want_clang = 1 ] && ! command -v setarch >/dev/null 2>&1; then
    missing="$missing util-linux"
fi
if [ $want_sandbox = 1 ]; then
    command -v bwrap >/dev/null 2>&1 || missing="$missing bubblewrap"
    command -v unzip >/dev/null 2>&1 || missing="$missing unzip"
fi
if [ $want_test_tools = 1 ]; then
    command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind"
    command -v patch >/dev/null 2>&1 || missing="$missing patch"
    command -v taskset >/dev/null 2>&1 || missing="$missing util-linux"
    # tests/format.sh: labs/ and solutions/ in style, make compdb's JSON.
    command -v clang-format >/dev/null 2>&1 || missing="$missing clang-format"
    command -v python3 >/dev/null 2>&1 || missing="$missing python3"
fi
# The benchmarks' peers from concurrencykit (bench/peers.h): make test
# builds the benchmarks too. (OpenMP comes with gcc: libgomp.)
if [ $want_peers = 1 ]; then
    have_header ck_ring.h || missing="$missing libck-dev"
fi
# make detectors runs Helgrind and DRD.
if [ $want_valgrind = 1 ]; then
    command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind"
fi
# make bench draws each benchmark's CSV as an SVG.
if [ $want_plot = 1 ]; then
    command -v gnuplot >/dev/null 2>&1 || missing="$missing gnuplot-nox"
fi

missing=$(echo "$missing" | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ')
missing=${missing% }
missing=${missing:+ $missing}
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        sudo=""
    elif command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        sudo="none"
    fi
    if [ "$sudo" = none ] || ! command -v apt-get >/dev/null 2>&1; then
        say "missing:$missing. Install them with your package manager, then run make again."
        echo "DEPS_ERROR := missing:$missing"
        exit 0
    fi
    say "installing$missing with apt-get (needed for: $*)"
    # Debian's lists may be absent or stale on a fresh machine: update first.
    if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
        ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends $missing >&2; then
        say "apt-get could not install everything:$missing"
    fi
    clang_tsan="" # probed again: it may link now
fi

if [ $want_cmocka = 1 ] && ! have_cmocka; then
    say "libcmocka-dev is still missing; the tests cannot be built."
    echo "DEPS_ERROR := libcmocka-dev is missing"
fi
if ! have_header curl/curl.h || ! have_header microhttpd.h; then
    say "libcurl4-openssl-dev or libmicrohttpd-dev is still missing; lab 8 cannot be built."
    echo "DEPS_ERROR := libcurl4-openssl-dev or libmicrohttpd-dev is missing"
fi
if [ $want_peers = 1 ] && ! have_header ck_ring.h; then
    say "libck-dev is still missing; the benchmarks cannot be built."
    echo "DEPS_ERROR := libck-dev is missing"
fi
# The sanitizer compiler, when a goal needs one: also kept in
# build/san-cc.mk, which the Makefile reads when a goal that needs none
# (make, make bench) runs. Naming another compiler there would change the
# sanitizer builds' remembered flags, and the next make check would
# rebuild them all.
if [ $want_clang = 0 ]; then
    :
elif clang_tsan_links; then
    echo "SAN_CC := clang" | tee build/san-cc.mk
elif tsan_links gcc; then
    say "clang's ThreadSanitizer could not be had: the sanitizer builds use gcc's -fsanitize=thread instead."
    echo "SAN_CC := gcc" | tee build/san-cc.mk
else
    say "neither clang nor gcc can build a ThreadSanitizer program here."
    echo "DEPS_ERROR := no compiler with -fsanitize=thread"
fi
exit 0

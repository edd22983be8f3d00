#!/bin/sh
# format.sh - checks the editor support stays right:
#   - labs/ and solutions/ are in the style of .clang-format, so a student's
#     format-on-save changes only the lines they typed
#     (clang-format --dry-run prints nothing);
#   - `make compdb` writes a valid compile_commands.json with an entry for
#     labs/counter.c (what clangd and clang-tidy read).
# One line per check, "  ok    NAME" or "  FAIL  NAME  (log: FILE)", as in
# scripts/test.sh; exit status 0 when every check passes. Run it from
# anywhere; logs go to build/test/. clang-format and python3 (to read the
# JSON) are installed by `make test` (scripts/deps.sh); without them the
# checks fail and say so.
set -u
cd "$(dirname "$0")/.." || exit 2
logs=build/test
mkdir -p "$logs"
MAKE=${MAKE:-make}
failed=0

ok() { printf '  ok    %s\n' "$1"; }
bad() { failed=1; printf '  FAIL  %s  (log: %s)\n' "$1" "$2"; }

name="clang-format --dry-run is silent on labs/ and solutions/"
log=$logs/format_clang_format.log
if ! command -v clang-format >/dev/null 2>&1; then
    echo "clang-format is not installed: apt-get install clang-format (make test does)" >"$log"
    bad "$name (no clang-format)" "$log"
else
    clang-format --version >"$log" 2>&1
    # Silent means in style; --dry-run exits 0 either way.
    if clang-format --dry-run labs/*.c solutions/*.c >"$log.out" 2>&1 && ! [ -s "$log.out" ]; then
        rm -f "$log.out"
        ok "$name"
    else
        cat "$log.out" >>"$log"
        rm -f "$log.out"
        echo "fix: clang-format -i FILE, then check its diff (see .clang-format)" >>"$log"
        bad "$name" "$log"
    fi
fi

name="make compdb writes valid JSON with labs/counter.c"
log=$logs/format_compdb.log
if ! $MAKE -s --no-print-directory compdb >"$log" 2>&1; then
    bad "$name (make compdb failed)" "$log"
elif ! command -v python3 >/dev/null 2>&1; then
    echo "python3 is not installed: apt-get install python3 (make test does)" >>"$log"
    bad "$name (no python3 to read the JSON)" "$log"
elif ! python3 -m json.tool compile_commands.json >/dev/null 2>>"$log"; then
    echo "compile_commands.json is not valid JSON" >>"$log"
    bad "$name" "$log"
elif ! grep -q '"file": "labs/counter.c"' compile_commands.json; then
    echo "compile_commands.json has no entry for labs/counter.c" >>"$log"
    bad "$name" "$log"
else
    ok "$name"
fi

exit $failed

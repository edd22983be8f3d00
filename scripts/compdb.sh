#!/bin/sh
# compdb.sh - `make compdb`: writes compile_commands.json, the compilation
# database that clangd, clang-tidy and editors read to learn each file's
# flags (-Iinclude, -std=gnu11, -pthread, the warnings).
#
#   scripts/compdb.sh CC FLAG...      (make compdb passes the Makefile's own)
#
# One entry per C source in src/ labs/ solutions/ tests/ bench/ sanitizers/,
# each compiled with CC FLAG... -c FILE, from the top of the repo. Headers
# need no entry: clangd gives them the flags of a file that includes them.
# Writes compile_commands.json in the current directory (the top), through a
# temporary file, so a failed run leaves the old one in place.
set -u
[ $# -ge 1 ] || { echo "usage: scripts/compdb.sh CC FLAG..." >&2; exit 2; }
out=compile_commands.json
tmp=$out.tmp

# One awk for the whole file: a JSON string is the text with backslashes
# and double quotes escaped (paths and flags here have no control
# characters). The flags and the directory come through the environment:
# awk -v would read their backslashes as escapes. (A sed per argument, as
# before, took half a minute.)
for file in runtime/*.c src/*.c labs/*.c solutions/*.c tests/*.c bench/*.c sanitizers/*.c; do
    [ -f "$file" ] && printf "%s\n" "$file"
done |
    DIR=$(pwd) FLAGS=$(printf '%s\n' "$@") awk '
        function json(t) { gsub(/[\\"]/, "\\\\&", t); return "\"" t "\"" }
        BEGIN { dir = ENVIRON["DIR"]; n = split(ENVIRON["FLAGS"], f, "\n"); print "[" }
        {
            printf "%s  {\n    \"directory\": %s,\n    \"file\": %s,\n    \"arguments\": [", \
                sep, json(dir), json($0)
            for (i = 1; i <= n; i++) printf "%s, ", json(f[i])
            printf "%s, %s]\n  }", json("-c"), json($0)
            sep = ",\n"
        }
        END { printf "\n]\n" }' >"$tmp" || { rm -f "$tmp"; exit 1; }
mv "$tmp" "$out" || exit 1
echo "  wrote $out ($(grep -c '"file"' "$out") files)"

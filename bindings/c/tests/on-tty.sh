#!/bin/sh
# Runs a test program as the foreground process group of a new pseudo-terminal, through
# script(1), so that the library's terminal-aware paths (a helper kept in the caller's process
# group, descendants found through the process tree on timeout) are exercised too.
#
#   on-tty.sh PROGRAM [ARG ...]
#
# Without script(1) it says so and reports `0 passed, 0 failed`.
set -u
if ! command -v script >/dev/null 2>&1; then
    echo "note: script(1) not found: not run on a terminal"
    echo "0 passed, 0 failed"
    exit 0
fi
out=$(mktemp "${TMPDIR:-/tmp}/processcreds-tty.XXXXXX") || exit 1
script -qec "$*" /dev/null >"$out" 2>&1 </dev/null
rc=$?
tr -d '\r' <"$out"
rm -f "$out"
exit "$rc"

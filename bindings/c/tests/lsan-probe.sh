#!/bin/sh
# Checks that LeakSanitizer works here (it needs ptrace, which some containers forbid).
#
#   lsan-probe.sh CC OUTDIR      prints 1 when a planted leak is reported, else 0
#
# When it prints 0 the reason goes to stderr, so that a run without leak detection under ASan
# is never silent (valgrind still checks leaks).
set -u
cc=$1
out=$2
mkdir -p "$out"
cat >"$out/lsan-probe.c" <<'C'
#include <stdlib.h>
void *volatile keep;
int main(void) {
    keep = malloc(123);
    keep = 0;
    return 0;
}
C
if ! "$cc" -fsanitize=address -g -o "$out/lsan-probe" "$out/lsan-probe.c" 2>"$out/lsan-probe.log"; then
    echo "LeakSanitizer probe: cannot build with -fsanitize=address:" >&2
    cat "$out/lsan-probe.log" >&2
    echo 0
    exit 0
fi
ASAN_OPTIONS=detect_leaks=1 "$out/lsan-probe" >"$out/lsan-probe.log" 2>&1
if grep -q 'detected memory leaks' "$out/lsan-probe.log"; then
    echo 1
else
    echo "WARNING: LeakSanitizer does not work here; ASan runs go without leak detection" >&2
    echo "(valgrind still checks leaks). Its report:" >&2
    head -n 5 "$out/lsan-probe.log" >&2
    echo 0
fi

#!/bin/sh
# Runs test suites with run-time facilities taken away by the LD_PRELOAD shim (nofacilities.c),
# so that the library's fallbacks run, then checks from the shim's log that each facility was
# really asked for and refused.
#
#   run-fallbacks.sh SHIM OFF SUITES...
#
# OFF is the shim's PC_SHIM_OFF list (closefrom, pidfd, close_range, procfd); SUITES are cargo
# test names (runner, faults, vectors, host). Only the test binaries run under the shim (cargo's
# target runner), not cargo or the compiler.
set -u
shim=$1
off=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pc-fallbacks.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/refused
out=$tmp/out
triple=$(rustc -vV | sed -n 's/^host: //p' | tr 'a-z-' 'A-Z_')
tests=""
for s in "$@"; do tests="$tests --test $s"; done
echo "== without $off: $*"
# The log may be appended to by processes of other users (a test runs a copy as nobody).
: >"$log"
chmod 666 "$log"
# shellcheck disable=SC2086
env "CARGO_TARGET_${triple}_RUNNER=env LD_PRELOAD=$shim PC_SHIM_OFF=$off PC_SHIM_LOG=$log" \
    "${CARGO:-cargo}" test --quiet $tests >"$out" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
    grep -v '^ *[0-9]*: \|^ *at ' "$out" | tail -n 60
    echo "FAILED without $off (exit status $rc)"
    exit 1
fi
grep '^test result' "$out"
# Each facility taken away must have been refused at least once.
status=0
for f in $(echo "$off" | tr ',' ' '); do
    n=$(grep -o "$f=[0-9]*" "$log" | awk -F= '{s += $2} END {print s + 0}')
    echo "$f: refused $n times"
    if [ "$n" -eq 0 ]; then
        echo "FAILED: $f was never asked for, so its fallback did not run"
        status=1
    fi
done
exit $status

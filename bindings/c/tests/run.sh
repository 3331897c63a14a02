#!/bin/sh
# Runs test programs and sums their results.
#
#   run.sh LOGDIR LABEL COMMAND [LABEL COMMAND ...]
#
# Each COMMAND (run with sh -c) is a test program whose last line is `N passed, N failed`. Its
# full output goes to LOGDIR/<label>.log; what is not an `ok` line (failures, sanitizer and
# valgrind error reports) is shown here, then one summary line per run. A run that exits non-zero
# although its tests passed (a leak or error reported at exit) or that prints no summary (a
# crash) counts as one more failure. The last line is the total: `N passed, N failed`.
set -u
logdir=$1
shift
mkdir -p "$logdir"
total_passed=0
total_failed=0
summaries=""
while [ $# -ge 2 ]; do
    label=$1
    command=$2
    shift 2
    log="$logdir/$(printf '%s' "$label" | tr -c 'A-Za-z0-9_.-' '-').log"
    echo "== $label"
    sh -c "$command" >"$log" 2>&1
    rc=$?
    # Shown: everything but `ok` lines, the summary and valgrind's own notes (`--pid-- ...`,
    # e.g. a syscall it does not know), which stay in the log.
    grep -v '^ok   ' "$log" | grep -Ev '^([0-9]+ passed, [0-9]+ failed|--[0-9]+-- .*)$'
    notes=$(grep -c -E '^--[0-9]+-- ' "$log")
    if [ "$notes" -gt 0 ]; then
        echo "($notes lines of valgrind notes, such as unknown syscalls, in $log)"
    fi
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$summary" ]; then
        passed=0
        failed=1
        note=" (no summary line; exit status $rc; log: $log)"
        tail -n 20 "$log"
    else
        passed=${summary%% passed*}
        failed=${summary#*passed, }
        failed=${failed%% failed*}
        note=""
        if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
            failed=1
            note=" (+1: exit status $rc after its tests passed; see the report above)"
        fi
    fi
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    line="$label: $passed passed, $failed failed$note"
    echo "$line"
    summaries="$summaries$line
"
done
echo "== summary"
printf '%s' "$summaries"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]

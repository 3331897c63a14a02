# checks.sh: sourced by the shell test scripts (tools/dist-test, bindings/c/tests/install-test.sh,
# bindings/go/recipe-test.sh, bindings/python/wheel-test.sh) for their `ok`/`FAIL` lines and
# their last line, `N passed, N failed`. `check` needs the script's temporary directory in $tmp.
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
# check LABEL COMMAND...: runs the command, its output to $tmp/check.out; ok if it succeeds,
# else FAIL and the last 25 lines of its output.
check() {
    label=$1
    shift
    if "$@" >"$tmp/check.out" 2>&1; then ok "$label"; else fail "$label"; tail -n 25 "$tmp/check.out"; fi
}
# summary: the last line; fails if a check failed.
summary() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

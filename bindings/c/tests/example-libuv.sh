#!/bin/sh
# Runs examples/libuv.c (built as $1) with a 0.3 s helper and 20 requests: every request gets the
# helper's key id, the helper runs once, and the loop's heartbeat never stalls 20 ms or more.
# The last line is `N passed, N failed` (bindings/c/tests/run.sh).
set -u
example=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/pc-libuv-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cat > "$dir/helper" <<HELPER
#!/bin/sh
echo run >> "$dir/runs"
sleep 0.3
printf '{"Version":1,"AccessKeyId":"AKIDEXAMPLE","SecretAccessKey":"example-secret"}'
HELPER
chmod 755 "$dir/helper"
out=$("$example" "$dir/helper" 20)
rc=$?
echo "$out"
passed=0
failed=0
check() {
    if eval "$2"; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
check "exits 0" '[ "$rc" -eq 0 ]'
check "20 answers with the key id" '[ "$(echo "$out" | grep -c ": AKIDEXAMPLE$")" -eq 20 ]'
check "one run of the helper" '[ "$(wc -l < "$dir/runs")" -eq 1 ]'
check "no secret shown" '! echo "$out" | grep -q example-secret'
stall=$(echo "$out" | sed -n 's/^the loop.s longest stall: \([0-9]*\)\..*/\1/p')
check "the loop never stalled 20 ms (longest: ${stall:-?} ms)" '[ -n "$stall" ] && [ "$stall" -lt 20 ]'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/sh
# cli-test.sh PROCESSCREDS.EXE: the processcreds command built for Windows, run under Wine
# ($WINE_RUN, tools/wine-run) in the project's Wine prefix (`make wine-prefix`): helpers are
# command strings run by cmd.exe (D10). Part of `make test-windows`. The shared cache: the
# command twice runs the helper once, five at once run it once, %ROLE% separates entries, the
# default directory %LOCALAPPDATA%\processcreds, untrusted directories (a DACL granting Everyone,
# another owner, a symbolic link: made from the Linux side, which Wine shows as such) bypassed
# with a warning, a killed command leaves no helper behind and frees the lock, clear.
set -u
top=$(pwd)
exe=$1
: "${WINE_RUN:=$top/tools/wine-run}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/processcreds-win-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$top/tools/checks.sh"

json='{"Version":1,"AccessKeyId":"AKIDWINCLI","SecretAccessKey":"win-cli-secret","Expiration":"2199-01-01T00:00:00Z"}'
pc() { "$WINE_RUN" "$exe" "$@"; }
# has FILE TEXT: FILE holds TEXT (a fixed string).
has() { grep -qF -- "$2" "$1"; }

check "bin/processcreds.exe has no debug info" sh -c "objdump -h '$exe' >'$tmp/sec' && ! grep -q '\\.debug_' '$tmp/sec'"
check "--version" sh -c "'$WINE_RUN' '$exe' --version | tr -d '\\r' | grep -qx 'processcreds $PC_VERSION'"

pc get --command "echo $json" >"$tmp/get.out" 2>"$tmp/get.err"
check "get --command runs the helper through cmd.exe (exit 0)" test $? -eq 0
check "get prints the credential_process object" has "$tmp/get.out" '"AccessKeyId":"AKIDWINCLI"'
check "get: nothing on stderr" test ! -s "$tmp/get.err"

pc exec --command "echo $json" -- cmd.exe /d /c "echo key=%AWS_ACCESS_KEY_ID% exp=%AWS_CREDENTIAL_EXPIRATION%" >"$tmp/exec.out" 2>"$tmp/exec.err"
check "exec runs the program (exit 0)" test $? -eq 0
check "exec passes AWS_ACCESS_KEY_ID and AWS_CREDENTIAL_EXPIRATION" has "$tmp/exec.out" "key=AKIDWINCLI exp=2199-01-01T00:00:00Z"
pc exec --command "echo $json" -- cmd.exe /d /c "exit 7" >/dev/null 2>&1
check "exec exits with the program's status" test $? -eq 7

pc get --help >"$tmp/get-help.out" 2>&1
check "get --help: --command runs cmd.exe" has "$tmp/get-help.out" 'cmd.exe /d /s /c "STRING"'

pc check --command "echo $json" >"$tmp/check.txt" 2>&1
check "check accepts good output (exit 0)" test $? -eq 0
check "check reports aws-sdk-go v1's verdict" has "$tmp/check.txt" "aws-sdk-go v1: accepted: AccessKeyId AKIDWINCLI"

pc get --command "echo oops 1>&2 & exit /b 3" >"$tmp/fail.out" 2>"$tmp/fail.err"
check "a failing helper: exit 1" test $? -eq 1
check "a failing helper: Go's text (exit status 3)" has "$tmp/fail.err" "caused by: exit status 3"
pc get -- no-such-processcreds-helper >/dev/null 2>"$tmp/missing.err"
check "a missing program: exit 1" test $? -eq 1
check "a missing program: Go's Windows text" has "$tmp/missing.err" 'exec: "no-such-processcreds-helper": executable file not found in %PATH%'

. "$top/tests/windows/cli-shared-cache.sh"

check "no secret in any output but the credentials themselves" sh -c "! cat '$tmp'/*.err '$tmp/exec.out' '$tmp/check.txt' | grep -q win-cli-secret"

summary

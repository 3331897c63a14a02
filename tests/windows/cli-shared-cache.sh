# cli-shared-cache.sh: the shared cache of processcreds.exe under Wine; sourced by cli-test.sh
# (which gives $tmp, $top, $exe, pc, has and check). The helpers are batch files that count
# their runs in a file and print credentials expiring in 2199 whose key id names %ROLE%.

: "${WINEPREFIX:=$top/build/wineprefix}"
# The Windows path of a Linux path (Wine's drive Z:).
winpath() { printf 'Z:%s' "$1" | tr / '\\'; }
runs() { if [ -f "$tmp/runs.txt" ]; then grep -c x "$tmp/runs.txt"; else echo 0; fi; }

printf '@echo off\r\necho x>>"%%~dp0runs.txt"\r\nif not "%%PC_PINGS%%"=="" ping -n %%PC_PINGS%% 127.0.0.1 >nul\r\necho {"Version":1,"AccessKeyId":"AKID%%ROLE%%RUN","SecretAccessKey":"win-cli-secret","Expiration":"2199-01-01T00:00:00Z"}\r\n' >"$tmp/count.bat"
helper="\"$(winpath "$tmp/count.bat")\""
cache_dir=$(winpath "$tmp/cache")
spc() { PROCESSCREDS_CACHE_DIR=$cache_dir pc "$@"; }
entries() { ls "$1" 2>/dev/null | grep -c '\.entry$'; }

# The command twice: one run.
ROLE=ro spc cache --command "$helper --role %ROLE%" >"$tmp/sc1.out" 2>"$tmp/sc1.err"
check "shared cache: cache runs the helper (exit 0)" test $? -eq 0
ROLE=ro spc cache --command "$helper --role %ROLE%" >"$tmp/sc2.out" 2>"$tmp/sc2.err"
check "shared cache: the second cache is served the entry (exit 0)" test $? -eq 0
check "shared cache: the command twice runs the helper once" test "$(runs)" -eq 1
check "shared cache: both print the same credentials" sh -c "grep -qF '\"AccessKeyId\":\"AKIDroRUN\"' '$tmp/sc1.out' && cmp -s '$tmp/sc1.out' '$tmp/sc2.out'"
check "shared cache: nothing on stderr (no warning)" sh -c "! test -s '$tmp/sc1.err' && ! test -s '$tmp/sc2.err'"
check "shared cache: the directory holds one entry" test "$(entries "$tmp/cache")" -eq 1
check "shared cache: the directory is private (Wine shows its DACL as mode bits: no other)" sh -c "ls -ld '$tmp/cache' | grep -q '^d......---'"

# %ROLE% referenced by the command separates entries.
ROLE=admin spc cache --command "$helper --role %ROLE%" >"$tmp/sc3.out" 2>"$tmp/sc3.err"
check "shared cache: another %ROLE% runs the helper" sh -c "test $(runs) -eq 2 && grep -qF '\"AccessKeyId\":\"AKIDadminRUN\"' '$tmp/sc3.out'"
ROLE=ro spc cache --command "$helper --role %ROLE%" >"$tmp/sc4.out" 2>"$tmp/sc4.err"
check "shared cache: the first %ROLE% is still served its own entry" sh -c "test $(runs) -eq 2 && grep -qF '\"AccessKeyId\":\"AKIDroRUN\"' '$tmp/sc4.out'"
check "shared cache: two roles, two entries" test "$(entries "$tmp/cache")" -eq 2

# Five at once: one run.
before=$(runs)
for i in 1 2 3 4 5; do
    ROLE=five PC_PINGS=3 spc cache --command "$helper five" >"$tmp/five$i.out" 2>"$tmp/five$i.err" &
done
wait
check "shared cache: five commands at once run the helper once" test "$(runs)" -eq $((before + 1))
check "shared cache: the five print the same credentials" sh -c "for i in 2 3 4 5; do cmp -s '$tmp/five1.out' '$tmp/five'\$i'.out' || exit 1; done; grep -qF AKIDfiveRUN '$tmp/five1.out'"

# The default directory: %LOCALAPPDATA%\processcreds (Wine sets LOCALAPPDATA from its prefix).
lad=$("$WINE_RUN" cmd /d /c 'echo %LOCALAPPDATA%' | tr -d '\r')
lad_unix=$WINEPREFIX/drive_c/$(printf '%s' "${lad#C:\\}" | tr '\\' /)/processcreds
default_cmd="$helper default-$$"
env -u PROCESSCREDS_CACHE_DIR ROLE=dflt "$WINE_RUN" "$exe" cache --command "$default_cmd" >"$tmp/dflt.out" 2>"$tmp/dflt.err"
check "shared cache: the default directory works (exit 0, no warning)" sh -c "grep -qF AKIDdfltRUN '$tmp/dflt.out' && ! test -s '$tmp/dflt.err'"
check "shared cache: the entry is in %LOCALAPPDATA%\\processcreds ($lad_unix)" sh -c "ls '$lad_unix' | grep -q '\\.entry\$'"
env -u PROCESSCREDS_CACHE_DIR ROLE=dflt "$WINE_RUN" "$exe" cache --command "$default_cmd" >"$tmp/dflt2.out" 2>"$tmp/dflt2.err"
check "shared cache: the default directory serves it" sh -c "cmp -s '$tmp/dflt.out' '$tmp/dflt2.out' && test $(runs) -eq $((before + 2))"
env -u PROCESSCREDS_CACHE_DIR ROLE=dflt "$WINE_RUN" "$exe" clear --command "$default_cmd" | tr -d '\r' >"$tmp/dflt-clear.out"
check "shared cache: clear --command removes that entry from the default directory" sh -c "grep -qF 'removed 1 entry and 1 lock file from $lad\\processcreds:' '$tmp/dflt-clear.out' && ! ls '$lad_unix' | grep -q '\\.entry\$'"

# An untrusted directory: bypassed with a warning, left alone.
mkdir "$tmp/open"
chmod 0757 "$tmp/open"
before=$(runs)
ROLE=ro PROCESSCREDS_CACHE_DIR=$(winpath "$tmp/open") pc cache --command "$helper --role %ROLE%" >"$tmp/open.out" 2>"$tmp/open.err"
check "untrusted directory (Everyone): the helper runs, exit 0" sh -c "test $(runs) -eq $((before + 1)) && grep -qF AKIDroRUN '$tmp/open.out'"
check "untrusted directory (Everyone): a warning says why" has "$tmp/open.err" "shared cache: the directory $(winpath "$tmp/open") is not used: it grants access to Everyone (S-1-1-0)"
check "untrusted directory (Everyone): nothing written, mode unchanged" sh -c "test -z \"\$(ls -A '$tmp/open')\" && ls -ld '$tmp/open' | grep -q '^drwxr-xrwx'"
if [ "$(id -u)" -eq 0 ]; then
    mkdir -m 0700 "$tmp/theirs"
    chown 54321 "$tmp/theirs"
    ROLE=ro PROCESSCREDS_CACHE_DIR=$(winpath "$tmp/theirs") pc cache --command "$helper --role %ROLE%" >"$tmp/theirs.out" 2>"$tmp/theirs.err"
    check "untrusted directory (another owner): the helper runs, a warning says why" sh -c "test $(runs) -eq $((before + 2)) && grep -qF 'is not used: it is owned by ANONYMOUS LOGON (S-1-5-7), not by the current user' '$tmp/theirs.err'"
else
    echo "not run: another owner needs chown (root); Wine shows any other uid as ANONYMOUS LOGON"
fi
mkdir -m 0700 "$tmp/real"
ln -s "$tmp/real" "$tmp/link"
ROLE=ro PROCESSCREDS_CACHE_DIR=$(winpath "$tmp/link") pc cache --command "$helper --role %ROLE%" >"$tmp/link.out" 2>"$tmp/link.err"
check "a symbolic link as the directory: not followed, a warning says why" sh -c "grep -qF 'is not used: it is a symbolic link or a junction' '$tmp/link.err' && test -z \"\$(ls -A '$tmp/real')\""

# A killed command leaves no helper behind, and the next caller is not kept waiting.
printf '@echo off\r\nping -n 47 127.0.0.1 >nul\r\necho {"Version":1,"AccessKeyId":"AKIDLATE","SecretAccessKey":"win-cli-secret","Expiration":"2199-01-01T00:00:00Z"}\r\n' >"$tmp/sleeper.bat"
sleeper="\"$(winpath "$tmp/sleeper.bat")\""
# (The patterns are written so that they do not match the shell running pgrep.)
for sig in KILL TERM; do
    PROCESSCREDS_CACHE_DIR=$cache_dir "$WINE_RUN" "$exe" cache --command "$sleeper" >/dev/null 2>&1 &
    pid=$!
    i=0
    while ! pgrep -f 'ping -n 4[7]' >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    check "killed command (SIG$sig): its helper started" pgrep -f 'ping -n 4[7]'
    kill -s "$sig" "$pid"
    wait "$pid" 2>/dev/null
    i=0
    while pgrep -f 'ping -n 4[7]' >/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
    check "killed command (SIG$sig): no helper left after 3 s (the job is killed on close)" sh -c "! pgrep -f 'ping -n 4[7]' && ! pgrep -f 'sleeper[.]bat'"
done
spc cache --timeout 5s --command "$sleeper" >/dev/null 2>"$tmp/after-kill.err"
check "killed command: the lock was freed (the next caller runs its own helper, timed out at 5 s)" has "$tmp/after-kill.err" "credential process timed out"

# clear --profile for the README's recipe: a profile whose credential_process is
# `processcreds cache -- HELPER`, read by an SDK that runs it with AWS_PROFILE set.
printf '[profile rec]\r\ncredential_process = processcreds cache -- %s --recipe\r\n' "$helper" >"$tmp/config"
recipe_env="AWS_CONFIG_FILE=$(winpath "$tmp/config") AWS_SDK_LOAD_CONFIG=1"
env $recipe_env AWS_PROFILE=rec ROLE=rec PROCESSCREDS_CACHE_DIR=$cache_dir "$WINE_RUN" "$exe" cache -- "$(winpath "$tmp/count.bat")" --recipe >"$tmp/rec.out" 2>"$tmp/rec.err"
n=$(entries "$tmp/cache")
env $recipe_env PROCESSCREDS_CACHE_DIR=$cache_dir "$WINE_RUN" "$exe" clear --profile rec | tr -d '\r' >"$tmp/rec-clear.out"
check "clear --profile: removes the entry of the profile's processcreds cache line" sh -c "grep -qF AKIDrecRUN '$tmp/rec.out' && grep -q '^removed 1 entry and 1 lock file from ' '$tmp/rec-clear.out' && test $(entries "$tmp/cache") -eq $((n - 1))"

# clear.
spc clear --all | tr -d '\r' >"$tmp/clear.out"
check "clear --all: lists what it removed" sh -c "grep -q '^removed [0-9]* entries and [0-9]* lock files from ' '$tmp/clear.out' && grep -qF '$cache_dir:' '$tmp/clear.out'"
check "clear --all: no entry left" test "$(entries "$tmp/cache")" -eq 0
spc clear --all | tr -d '\r' >"$tmp/clear2.out"
check "clear --all again: nothing removed, says where it looked" has "$tmp/clear2.out" "nothing removed: no entry in $cache_dir"

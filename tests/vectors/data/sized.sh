#!/bin/sh
# Prints a credentials object of exactly TOTAL bytes (spaces before the closing brace fill it up),
# then TRAIL_WS newlines, then TRAIL_JUNK bytes of "x".
# Usage: sized.sh TOTAL [TRAIL_WS [TRAIL_JUNK]]
total=$1
ws=${2:-0}
junk=${3:-0}
body='{"Version":1,"AccessKeyId":"sizedkey","SecretAccessKey":"sized"'
pad=$((total - ${#body} - 1))
if [ "$pad" -lt 0 ]; then
    echo "sized.sh: TOTAL must be at least $((${#body} + 1))" >&2
    exit 2
fi
printf '%s' "$body"
head -c "$pad" /dev/zero | tr '\0' ' '
printf '}'
head -c "$ws" /dev/zero | tr '\0' '\n'
head -c "$junk" /dev/zero | tr '\0' 'x'

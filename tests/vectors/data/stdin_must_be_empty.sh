#!/bin/sh
# Fails when it can read a line from stdin; otherwise prints static credentials.
if IFS= read -r line; then
    echo "stdin_must_be_empty.sh: stdin was not empty" >&2
    exit 9
fi
cat "$(dirname "$0")/static.json"

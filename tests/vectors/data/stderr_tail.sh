#!/bin/sh
# Writes 1000 "a" then 4096 "b" (no newline) to stderr and fails.
head -c 1000 /dev/zero | tr '\0' 'a' >&2
head -c 4096 /dev/zero | tr '\0' 'b' >&2
exit 1

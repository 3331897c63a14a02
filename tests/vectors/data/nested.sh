#!/bin/sh
# Prints credentials whose unknown key "Extra" holds DEPTH nested empty arrays.
# Usage: nested.sh DEPTH
depth=$1
printf '%s' '{"Version":1,"AccessKeyId":"nestedkey","SecretAccessKey":"nestedsecret","Extra":'
head -c "$depth" /dev/zero | tr '\0' '['
head -c "$depth" /dev/zero | tr '\0' ']'
printf '}'

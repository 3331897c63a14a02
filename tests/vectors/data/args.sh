#!/bin/sh
# Prints credentials built from its arguments: AccessKeyId is $1, SecretAccessKey is $2,
# SessionToken tells how many arguments arrived. Arguments must not hold '"' or '\'.
printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s","SessionToken":"argc=%s"}' "$1" "$2" "$#"

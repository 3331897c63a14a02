#!/bin/sh
# A sample credential_process helper: prints fake temporary credentials valid for one hour.
exp=$(date -u -d '+1 hour' '+%Y-%m-%dT%H:%M:%SZ' 2>/dev/null || date -u -v+1H '+%Y-%m-%dT%H:%M:%SZ')
cat <<JSON
{
  "Version": 1,
  "AccessKeyId": "AKIDEXAMPLESAMPLE01",
  "SecretAccessKey": "sample/secret/key/EXAMPLEKEY0123456789",
  "SessionToken": "sample-session-token-EXAMPLE",
  "AccountId": "123456789012",
  "Expiration": "$exp"
}
JSON

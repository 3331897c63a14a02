//! The outputs `check` is tried on: one per documented pitfall and per class of output the SDKs
//! disagree on, with what it must report (the SDK verdicts are those of the real SDKs: the
//! differential test in tests/check-sdks proves them on a larger corpus, and
//! cli/tests/botocore.rs checks these against botocore itself).

use crate::shared_support::{in_an_hour, rfc3339_in};

/// The `check` fixtures: (name, output, exit status, pitfall tags, SDK verdict lines).
#[allow(clippy::type_complexity)]
pub fn check_fixtures() -> Vec<(
    &'static str,
    String,
    i32,
    Vec<&'static str>,
    Vec<&'static str>,
)> {
    let later = in_an_hour();
    let obj = |fields: &str| format!("{{\"Version\":1,{fields}}}");
    let base = format!(
        r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","SessionToken":"TOKEN","Expiration":"{later}""#
    );
    vec![
        (
            "clean",
            obj(&base),
            0,
            vec![],
            vec![
                "aws-sdk-go v1: accepted",
                "aws-sdk-go-v2: accepts",
                "botocore: accepts",
                "aws-sdk-rust: accepts",
                "processcreds: accepts",
            ],
        ),
        (
            "key-case",
            obj(&format!(
                r#""accessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"{later}""#
            )),
            1,
            vec!["key-case"],
            vec![
                "botocore: rejects",
                "aws-sdk-go-v2: accepts",
                "aws-sdk-rust: accepts",
            ],
        ),
        (
            "token-case",
            obj(&format!(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","sessionToken":"T","Expiration":"{later}""#
            )),
            1,
            vec!["key-case"],
            vec!["botocore: accepts"],
        ),
        (
            "hour-one-digit",
            obj(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"2099-01-01T1:00:00Z""#,
            ),
            1,
            vec!["expiration-format"],
            vec![
                "aws-sdk-rust: rejects",
                "aws-sdk-go-v2: accepts",
                "botocore: accepts",
            ],
        ),
        (
            "space-separator",
            obj(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"2099-01-01 01:00:00Z""#,
            ),
            1,
            vec!["expiration-format"],
            vec![
                "aws-sdk-go-v2: rejects",
                "botocore: accepts",
                "aws-sdk-rust: accepts",
            ],
        ),
        (
            "no-zone",
            obj(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"2099-01-01T01:00:00""#,
            ),
            1,
            vec!["expiration-format"],
            vec![
                "aws-sdk-go-v2: rejects",
                "botocore: rejects",
                "aws-sdk-rust: rejects",
            ],
        ),
        (
            "not-utc",
            obj(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"2099-01-01T01:00:00+01:00""#,
            ),
            1,
            vec!["expiration-not-utc"],
            vec![
                "aws-sdk-go-v2: accepts",
                "botocore: accepts",
                "aws-sdk-rust: accepts",
            ],
        ),
        (
            "empty-token",
            obj(&format!(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","SessionToken":"","Expiration":"{later}""#
            )),
            1,
            vec!["empty-session-token"],
            vec!["botocore: accepts"],
        ),
        (
            "secret-number",
            obj(&format!(
                r#""AccessKeyId":"AKID","SecretAccessKey":12345,"Expiration":"{later}""#
            )),
            1,
            vec!["field-type"],
            vec![
                "aws-sdk-go-v2: rejects",
                "botocore: accepts",
                "aws-sdk-rust: rejects",
            ],
        ),
        (
            "account-number",
            obj(&format!(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","AccountId":123456789012,"Expiration":"{later}""#
            )),
            1,
            vec!["field-type"],
            vec![
                "aws-sdk-go-v2: rejects",
                "botocore: accepts",
                "aws-sdk-rust: accepts",
            ],
        ),
        (
            "token-number",
            obj(&format!(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","SessionToken":7,"Expiration":"{later}""#
            )),
            1,
            vec!["field-type"],
            vec![
                "aws-sdk-go-v2: rejects",
                "botocore: rejects",
                "aws-sdk-rust: accepts",
            ],
        ),
        (
            "secret-null",
            obj(&format!(
                r#""AccessKeyId":"AKID","SecretAccessKey":null,"Expiration":"{later}""#
            )),
            1,
            vec!["field-type"],
            vec!["aws-sdk-go-v2: rejects", "aws-sdk-rust: rejects"],
        ),
        (
            "version-float",
            format!(
                r#"{{"Version":1.0,"AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"{later}"}}"#
            ),
            1,
            vec!["field-type"],
            vec![
                "aws-sdk-go-v2: rejects",
                "botocore: accepts",
                "aws-sdk-rust: accepts",
            ],
        ),
        (
            "version-true",
            format!(
                r#"{{"Version":true,"AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"{later}"}}"#
            ),
            1,
            vec!["field-type"],
            vec![
                "aws-sdk-go-v2: rejects",
                "botocore: accepts",
                "aws-sdk-rust: rejects",
            ],
        ),
        (
            "too-long",
            obj(&format!(r#"{base},"Padding":"{}""#, "x".repeat(9000))),
            1,
            vec!["output-size"],
            vec![
                "aws-sdk-go v1: rejected",
                "aws-sdk-go-v2: accepts",
                "botocore: accepts",
                "aws-sdk-rust: accepts",
                "processcreds: rejects: ProcessProviderParseError",
            ],
        ),
        // The object ends before byte 8192 and garbage follows past it: aws-sdk-go v1 never
        // reads it, processcreds fails on it (D3).
        (
            "garbage-past-8192",
            format!("{}{}x", obj(&base), " ".repeat(8300)),
            1,
            vec!["output-size"],
            vec![
                "aws-sdk-go v1: accepted",
                "aws-sdk-go-v2: rejects",
                "botocore: rejects",
                "aws-sdk-rust: rejects",
                "processcreds: rejects: ProcessProviderParseError",
            ],
        ),
        (
            "expires-soon",
            obj(&format!(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"{}""#,
                rfc3339_in(5 * 60)
            )),
            1,
            vec!["expires-soon"],
            vec!["botocore: accepts", "aws-sdk-go-v2: accepts"],
        ),
        (
            "expired",
            obj(&format!(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"{}""#,
                rfc3339_in(-60)
            )),
            1,
            vec!["expires-soon"],
            vec!["botocore: rejects", "aws-sdk-go-v2: accepts"],
        ),
        (
            "not-json",
            "Version: 1".to_string(),
            1,
            vec![],
            vec![
                "botocore: rejects",
                "aws-sdk-go-v2: rejects",
                "aws-sdk-rust: rejects",
                "verdict: every SDK rejects this output",
            ],
        ),
        // The time crate takes a leap second at a month's end; Go and dateutil refuse second 60.
        (
            "leap-second",
            obj(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"2098-12-31T23:59:60Z""#,
            ),
            1,
            vec!["expiration-format"],
            vec![
                "aws-sdk-go v1: rejected",
                "aws-sdk-go-v2: rejects",
                "botocore: rejects",
                "aws-sdk-rust: accepts",
            ],
        ),
        // botocore signs with any AccessKeyId value: a non-string one fails the signing.
        (
            "key-id-null",
            obj(&format!(
                r#""AccessKeyId":null,"SecretAccessKey":"SECRET","Expiration":"{later}""#
            )),
            1,
            vec!["field-type"],
            vec![
                "aws-sdk-go v1: rejected",
                "botocore: rejects",
                "aws-sdk-rust: rejects",
            ],
        ),
        (
            "key-id-number",
            obj(&format!(
                r#""AccessKeyId":12345,"SecretAccessKey":"SECRET","Expiration":"{later}""#
            )),
            1,
            vec!["field-type"],
            vec!["botocore: rejects", "aws-sdk-rust: rejects"],
        ),
        // An empty object is falsy: botocore signs without a token.
        (
            "token-empty-object",
            obj(&format!(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","SessionToken":{{}},"Expiration":"{later}""#
            )),
            1,
            vec!["field-type"],
            vec![
                "aws-sdk-go-v2: rejects",
                "botocore: accepts",
                "aws-sdk-rust: accepts",
            ],
        ),
        // dateutil reads +24:00; the comparison with the current time then raises.
        (
            "offset-24h",
            obj(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"2099-01-02T03:04:05+24:00""#,
            ),
            1,
            vec!["expiration-format"],
            vec![
                "aws-sdk-go v1: accepted",
                "aws-sdk-go-v2: accepts",
                "botocore: rejects",
                "aws-sdk-rust: rejects",
            ],
        ),
        (
            "month-one-digit",
            obj(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"2099-1-02T03:04:05Z""#,
            ),
            1,
            vec!["expiration-format"],
            vec![
                "aws-sdk-go-v2: rejects",
                "botocore: accepts",
                "aws-sdk-rust: rejects",
            ],
        ),
        (
            "utc-suffix",
            obj(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"2099-01-02 03:04:05 UTC""#,
            ),
            1,
            vec!["expiration-format"],
            vec![
                "aws-sdk-go-v2: rejects",
                "botocore: accepts",
                "aws-sdk-rust: rejects",
            ],
        ),
        (
            "rfc1123",
            obj(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"Fri, 02 Jan 2099 03:04:05 GMT""#,
            ),
            1,
            vec!["expiration-format"],
            vec![
                "aws-sdk-go-v2: rejects",
                "botocore: accepts",
                "aws-sdk-rust: rejects",
            ],
        ),
        // botocore reads only the exact "Expiration"; Go and aws-sdk-rust the last one.
        (
            "expiration-twice",
            obj(&format!(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"{later}","expiration":"soon""#
            )),
            1,
            vec!["duplicate-key", "key-case", "expiration-format"],
            vec![
                "aws-sdk-go-v2: rejects",
                "botocore: accepts",
                "aws-sdk-rust: rejects",
            ],
        ),
        // D8: Go reads a lone surrogate escape as U+FFFD; processcreds refuses it.
        (
            "lone-surrogate",
            obj(&format!(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","SessionToken":"T\ud800","Expiration":"{later}""#
            )),
            1,
            vec![],
            vec![
                "aws-sdk-go v1: accepted",
                "aws-sdk-go-v2: accepts",
                "botocore: rejects",
                "aws-sdk-rust: rejects",
                "processcreds: rejects: ProcessProviderParseError",
            ],
        ),
        // D8: `\u0000` in the token; aws-sdk-rust cannot put it in a header.
        (
            "escaped-nul",
            obj(&format!(
                r#""AccessKeyId":"AKID","SecretAccessKey":"SECRET","SessionToken":"T\u0000","Expiration":"{later}""#
            )),
            1,
            vec!["header-value"],
            vec![
                "aws-sdk-go v1: accepted",
                "aws-sdk-go-v2: accepts",
                "botocore: accepts",
                "aws-sdk-rust: rejects",
                "processcreds: rejects",
            ],
        ),
    ]
}

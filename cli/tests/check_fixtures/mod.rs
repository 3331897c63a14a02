//! The outputs `check` is tried on: one per documented pitfall, with what it must report.

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
                "aws-sdk-go-v2: accepts",
                "botocore: accepts",
                "aws-sdk-rust: accepts",
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
                "aws-sdk-go-v2: accepts",
                "botocore: accepts",
                "aws-sdk-rust: accepts",
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
            ],
        ),
    ]
}

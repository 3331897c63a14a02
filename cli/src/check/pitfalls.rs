//! The portability pitfalls `check` reports: one small check each, with the SDK behaviour it
//! describes and where the SDKs have it. A pitfall explains why the SDKs' verdicts differ (or
//! will, once the credentials are used); the verdicts themselves come from the SDK models.

use std::time::Duration;

use processcreds::time::{format_rfc3339, parse_rfc3339, UnixTime};

use super::dateutil::{self, Local, Parsed};
use super::go::{self, go_fold_eq, GO_V1_BUF};
use super::pyjson::{Py, PyStr};
use super::rust_sdk::header_value_ok;
use super::{time_crate, until, Analysis};

/// The fields of the output, as the AWS documentation spells them.
const FIELDS: [&str; 6] = [
    "Version",
    "AccessKeyId",
    "SecretAccessKey",
    "SessionToken",
    "Expiration",
    "AccountId",
];

/// botocore's advisory refresh window.
const BOTOCORE_ADVISORY: Duration = Duration::from_secs(15 * 60);

/// One pitfall: its tag, the SDK behaviour behind it and where the SDKs have it (documentation of
/// the table, listed by the tests), and its check (one text per finding).
pub struct Pitfall {
    pub tag: &'static str,
    #[cfg_attr(not(test), allow(dead_code))]
    pub models: &'static str,
    #[cfg_attr(not(test), allow(dead_code))]
    pub source: &'static str,
    pub check: fn(&Analysis) -> Vec<String>,
}

/// A key as a line shows it: quoted, with control and non-ASCII characters escaped (a KELVIN
/// SIGN must not pass for a K).
fn key_shown(k: &PyStr) -> String {
    let mut out = String::from("\"");
    for &c in &k.0 {
        match char::from_u32(c) {
            Some(ch) if ch.is_ascii() && !ch.is_ascii_control() && ch != '"' && ch != '\\' => {
                out.push(ch)
            }
            _ => out.push_str(&format!("\\u{{{c:04x}}}")),
        }
    }
    out.push('"');
    out
}

/// The top-level object's (key, value) pairs as Go reads them, when Python's reader takes them.
fn pairs(a: &Analysis) -> Vec<(PyStr, Py)> {
    go::object(a.raw).unwrap_or_default()
}

/// The value Go decodes for a field: the last key matching it ignoring case.
fn go_value<'p>(pairs: &'p [(PyStr, Py)], name: &str) -> Option<&'p Py> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| go_fold_eq(&k.lossy(), name))
        .map(|(_, v)| v)
}

fn output_size(a: &Analysis) -> Vec<String> {
    let trimmed = a
        .raw
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        .map_or(0, |p| p + 1);
    if trimmed <= GO_V1_BUF {
        return vec![];
    }
    vec![format!(
        "the output is {trimmed} bytes: aws-sdk-go v1 reads only the first {GO_V1_BUF} \
         (MaxBufSize) and {} them, processcreds fails at once (D3), while aws-sdk-go-v2, \
         botocore and aws-sdk-rust read it all",
        if a.go_v1.is_ok() {
            "accepts"
        } else {
            "fails to parse"
        }
    )]
}

fn key_case(a: &Analysis) -> Vec<String> {
    let pairs = pairs(a);
    let mut out = Vec::new();
    for (k, _) in &pairs {
        let key = k.lossy();
        let Some(name) = FIELDS
            .iter()
            .find(|n| go_fold_eq(&key, n) && key.as_str() != **n)
        else {
            continue;
        };
        let exact_too = pairs.iter().any(|(k, _)| k.is(name));
        let botocore = if exact_too {
            format!("uses the {name:?} key instead")
        } else {
            match *name {
                "AccessKeyId" | "SecretAccessKey" => {
                    "fails with \"Missing required key in response\"".into()
                }
                "Version" => "fails with \"Unsupported version\"".into(),
                "SessionToken" => {
                    "signs without the session token (AWS refuses the requests)".into()
                }
                "Expiration" => {
                    "never refreshes the credentials (requests fail once they expire)".into()
                }
                _ => "has no account id".to_string(),
            }
        };
        let rust = if key.eq_ignore_ascii_case(name) {
            "aws-sdk-rust matches it ignoring ASCII case"
        } else {
            "aws-sdk-rust does not match it (it folds ASCII letters only)"
        };
        out.push(format!(
            "key {} is not spelled {name:?}: aws-sdk-go v1/v2 match keys ignoring case \
             (Unicode folding), {rust}, but botocore (AWS CLI, boto3) reads only the exact \
             spelling, so it {botocore}",
            key_shown(k)
        ));
    }
    out
}

fn duplicate_key(a: &Analysis) -> Vec<String> {
    let pairs = pairs(a);
    FIELDS
        .iter()
        .filter_map(|name| {
            let keys: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| go_fold_eq(&k.lossy(), name))
                .map(|(k, _)| key_shown(k))
                .collect();
            (keys.len() > 1).then(|| {
                format!(
                    "{name} is given {} times ({}): aws-sdk-go v1/v2 take the last key matching \
                     ignoring case, aws-sdk-rust the last one matching ignoring ASCII case whose \
                     value has the field's type, botocore the last one spelled exactly",
                    keys.len(),
                    keys.join(", ")
                )
            })
        })
        .collect()
}

/// What each SDK does with a field of this name holding this non-string value.
fn type_effect(name: &str, v: &Py) -> Option<String> {
    let kind = v.kind();
    let text = match (name, v) {
        ("Version", Py::Int(t)) if t == "1" => return None,
        ("Version", p) if p.equals_one() && !matches!(p, Py::Bool(_)) => format!(
            "Version is {}, not the integer 1: aws-sdk-go v1/v2 fail to parse it, botocore \
             (Version == 1) and aws-sdk-rust (a lossless integer) accept it",
            match p {
                Py::Float(f) => format!("{f:?}"),
                _ => "1".into(),
            }
        ),
        ("Version", Py::Bool(true)) => "Version is true: botocore accepts it (True == 1), \
                                        aws-sdk-go v1/v2 fail to parse it and aws-sdk-rust \
                                        finds no Version"
            .into(),
        ("Version", _) => return None,
        (_, Py::Str(_)) => return None,
        ("SessionToken" | "Expiration" | "AccountId", Py::None) => return None,
        ("AccessKeyId", Py::None) => "AccessKeyId is null: aws-sdk-go v1/v2 and aws-sdk-rust \
                                      treat it as missing, botocore's signing raises TypeError"
            .into(),
        ("AccessKeyId", _) => format!(
            "AccessKeyId is {kind}, not a string: aws-sdk-go v1/v2 fail to parse the output, \
             aws-sdk-rust treats it as missing, botocore's signing raises TypeError"
        ),
        ("SecretAccessKey", Py::None) => "SecretAccessKey is null: aws-sdk-go v1/v2 and \
                                          aws-sdk-rust treat it as missing, botocore signs with \
                                          the text \"None\" as the secret (AWS refuses the \
                                          requests)"
            .into(),
        ("SecretAccessKey", _) => format!(
            "SecretAccessKey is {kind}, not a string: aws-sdk-go v1/v2 fail to parse the output, \
             aws-sdk-rust treats it as missing, botocore signs with the value as Python prints it \
             (AWS refuses the requests)"
        ),
        ("SessionToken", p) => format!(
            "SessionToken is {kind}, not a string: aws-sdk-go v1/v2 fail to parse the output, \
             aws-sdk-rust ignores it (no token), botocore {}",
            if p.truthy() {
                "fails when it signs a request (AttributeError)"
            } else {
                "takes a falsy value as no token"
            }
        ),
        ("Expiration", _) => format!(
            "Expiration is {kind}, not a string: aws-sdk-go v1/v2 fail to parse the output, \
             aws-sdk-rust ignores it (the credentials never expire), botocore fails \
             (dateutil raises TypeError)"
        ),
        (_, _) => format!(
            "AccountId is {kind}: aws-sdk-go v1 and aws-sdk-rust ignore it, aws-sdk-go-v2 fails \
             to parse the output, botocore passes it on as it is"
        ),
    };
    Some(text)
}

fn field_type(a: &Analysis) -> Vec<String> {
    let pairs = pairs(a);
    let mut out: Vec<String> = Vec::new();
    for (k, v) in &pairs {
        let key = k.lossy();
        if let Some(name) = FIELDS.iter().find(|n| go_fold_eq(&key, n)) {
            if let Some(t) = type_effect(name, v) {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
    }
    out
}

fn empty_session_token(a: &Analysis) -> Vec<String> {
    match a.rust.fields().and_then(|f| f.session_token.as_deref()) {
        Some("") => vec![
            "SessionToken is \"\": aws-sdk-go v1/v2 and botocore treat it as no \
                          token, but aws-sdk-rust keeps an empty token and sends an empty \
                          X-Amz-Security-Token header (AWS refuses the requests), as do tools \
                          that export it (AWS_SESSION_TOKEN=''); leave the key out instead"
                .into(),
        ],
        _ => vec![],
    }
}

fn empty_key(a: &Analysis) -> Vec<String> {
    let pairs = pairs(a);
    ["AccessKeyId", "SecretAccessKey"]
        .iter()
        .filter(|name| matches!(go_value(&pairs, name), Some(Py::Str(s)) if s.0.is_empty()))
        .map(|name| {
            format!(
                "{name} is \"\": aws-sdk-go v1/v2 report it missing, while botocore and \
                 aws-sdk-rust sign with an empty value (AWS refuses the requests)"
            )
        })
        .collect()
}

fn header_value(a: &Analysis) -> Vec<String> {
    // The values as decoded (Python's reader keeps a NUL and control characters as they are),
    // else as Go reads them.
    let pairs = match a.boto.object() {
        Some(Py::Dict(d)) => d.clone(),
        _ => pairs(a),
    };
    ["AccessKeyId", "SessionToken"]
        .iter()
        .filter_map(|name| match go_value(&pairs, name) {
            Some(Py::Str(s)) if !header_value_ok(&s.lossy()) => Some(format!(
                "{name} holds a control character: it goes into an HTTP header, which \
                 aws-sdk-rust refuses to sign ({}) and HTTP clients refuse to send, so \
                 requests fail with every SDK",
                if *name == "AccessKeyId" {
                    "it panics"
                } else {
                    "an error"
                }
            )),
            _ => None,
        })
        .collect()
}

/// How one reader took the Expiration text.
fn reading(r: Result<UnixTime, String>) -> String {
    match r {
        Ok(t) => format!("read as {}", format_rfc3339(t)),
        Err(why) => why,
    }
}

/// The Expiration text Go decodes, and how Go, the time crate and dateutil read it.
struct Readings {
    text: String,
    go: Result<UnixTime, String>,
    rust: Result<UnixTime, String>,
    botocore: Result<UnixTime, String>,
}

fn readings(a: &Analysis) -> Option<Readings> {
    let pairs = pairs(a);
    let Some(Py::Str(s)) = go_value(&pairs, "Expiration") else {
        return None;
    };
    let text = s.lossy();
    let botocore = match dateutil::parse(&s.0, &Local::at(a.now)) {
        Ok(Parsed::Aware { at, offset }) if offset.abs() < 86_400 => Ok(at),
        Ok(Parsed::Aware { .. }) => {
            Err("read with an offset of 24 hours or more, which then fails".into())
        }
        Ok(Parsed::Naive) => {
            Err("read without a time zone, which fails the comparison with the current time".into())
        }
        Err(_) => Err("rejected".into()),
    };
    Some(Readings {
        go: parse_rfc3339(text.as_bytes()).map_err(|_| "rejected".to_string()),
        rust: time_crate::parse(&text).map_err(|_| "rejected".to_string()),
        botocore,
        text,
    })
}

impl Readings {
    fn agree(&self) -> bool {
        matches!((&self.go, &self.rust, &self.botocore),
            (Ok(g), Ok(r), Ok(b)) if g == r && r == b)
    }
}

fn expiration_format(a: &Analysis) -> Vec<String> {
    let Some(r) = readings(a).filter(|r| !r.agree()) else {
        return vec![];
    };
    let none = r.go.is_err() && r.rust.is_err() && r.botocore.is_err();
    vec![format!(
        "Expiration {:?} is {}: aws-sdk-go v1/v2: {}; aws-sdk-rust (the time \
         crate): {}; botocore (dateutil): {}; write YYYY-MM-DDThh:mm:ssZ",
        r.text,
        if none {
            "read by no SDK"
        } else {
            "read differently"
        },
        reading(r.go),
        reading(r.rust),
        reading(r.botocore)
    )]
}

fn expiration_not_utc(a: &Analysis) -> Vec<String> {
    match readings(a) {
        Some(r)
            if r.agree()
                && !(r.text.ends_with('Z')
                    || r.text.ends_with("+00:00")
                    || r.text.ends_with("-00:00")) =>
        {
            vec![format!(
                "Expiration {:?} is not in UTC: every SDK converts the offset, but the AWS \
                 documentation's format is UTC (Z), and readers that take only that form \
                 (Java's Instant.parse before Java 12, text comparisons in scripts) misread it",
                r.text
            )]
        }
        _ => vec![],
    }
}

fn expires_soon(a: &Analysis) -> Vec<String> {
    let at = a
        .go_v1
        .as_ref()
        .ok()
        .and_then(|g| g.expiration)
        .or(match a.boto.expiration() {
            Some(Ok(Parsed::Aware { at, .. })) => Some(*at),
            _ => None,
        });
    let Some(t) = at else { return vec![] };
    if t >= a.now.plus(BOTOCORE_ADVISORY) {
        return vec![];
    }
    let left = if t <= a.now {
        "have already expired: botocore refuses them after running the helper again, \
         aws-sdk-go v1/v2 and aws-sdk-rust hand them out and AWS refuses the requests"
            .to_string()
    } else {
        format!(
            "expire in {}: botocore refreshes credentials that expire within 15 minutes \
             (blocking within 10) and so runs the helper again at every use",
            until(t, a.now)
        )
    };
    vec![format!(
        "the credentials {left}; `processcreds cache` (expiry window 15m) runs it at every call \
         too; return credentials valid for longer"
    )]
}

pub const PITFALLS: [Pitfall; 10] = [
    Pitfall {
        tag: "output-size",
        models: "aws-sdk-go v1 reads at most MaxBufSize (8192) bytes; the others read it all",
        source: "aws-sdk-go v1.55.8 aws/credentials/processcreds/provider.go:363-369",
        check: output_size,
    },
    Pitfall {
        tag: "key-case",
        models: "Go folds keys (Unicode), aws-sdk-rust folds ASCII, botocore matches exactly",
        source: "encoding/json (bytes.EqualFold); aws-config 1.13.0 \
                 src/credential_process.rs:213-236; botocore/credentials.py:1125-1141",
        check: key_case,
    },
    Pitfall {
        tag: "duplicate-key",
        models: "each SDK takes a different one of several keys for the same field",
        source: "encoding/json (last match wins); aws-config 1.13.0 \
                 src/credential_process.rs:203-242; Python dict (last exact key wins)",
        check: duplicate_key,
    },
    Pitfall {
        tag: "field-type",
        models: "Go fails on a value of the wrong type, aws-sdk-rust ignores it, botocore takes \
                 any value",
        source: "aws-sdk-go v1.55.8 provider.go:231-247 (CredentialProcessResponse); aws-config \
                 1.13.0 src/credential_process.rs:213-239; botocore/credentials.py:1134-1141, \
                 botocore/auth.py:393-424",
        check: field_type,
    },
    Pitfall {
        tag: "empty-session-token",
        models: "aws-sdk-rust keeps an empty SessionToken; Go and botocore drop it",
        source: "aws-config 1.13.0 src/credential_process.rs:229-230,266; botocore/auth.py:463",
        check: empty_session_token,
    },
    Pitfall {
        tag: "empty-key",
        models: "Go requires a non-empty AccessKeyId and secret; botocore and aws-sdk-rust do not",
        source: "aws-sdk-go v1.55.8 provider.go:272-284; aws-config 1.13.0 \
                 src/credential_process.rs:255-257",
        check: empty_key,
    },
    Pitfall {
        tag: "header-value",
        models: "the AccessKeyId and SessionToken go into HTTP headers",
        source: "aws-sigv4 1.6.4 src/http_request/canonical_request.rs:289-290; aws-runtime \
                 1.10.2 src/auth.rs:296",
        check: header_value,
    },
    Pitfall {
        tag: "expiration-format",
        models: "Go's RFC 3339, the time crate's RFC 3339 and dateutil read different forms",
        source: "Go time.Parse(RFC3339); time 0.3.55 Rfc3339; dateutil 2.9.0 parser.parse",
        check: expiration_format,
    },
    Pitfall {
        tag: "expires-soon",
        models: "botocore refreshes within 15 minutes of expiry and refuses expired credentials",
        source: "botocore/credentials.py:80-81, 567-635",
        check: expires_soon,
    },
    Pitfall {
        tag: "expiration-not-utc",
        models: "an offset other than Z is read by every SDK but not by every other tool",
        source: "the AWS documentation's credential_process format (UTC)",
        check: expiration_not_utc,
    },
];

/// Every pitfall found: (tag, text).
pub fn find(a: &Analysis) -> Vec<(&'static str, String)> {
    PITFALLS
        .iter()
        .flat_map(|p| (p.check)(a).into_iter().map(move |t| (p.tag, t)))
        .collect()
}

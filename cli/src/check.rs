//! `processcreds check`: runs a helper once, uncached, and says what aws-sdk-go v1 makes of its
//! output (Go's code and text, through this library's parser) and where other SDKs disagree.
//!
//! The other SDKs' rules, as their sources state them:
//! - aws-sdk-go-v2 (`credentials/processcreds`, v1.21): the same `encoding/json` decoding as v1
//!   (keys matched ignoring case, `Version` an integer, `Expiration` RFC 3339 as Go reads it),
//!   but the whole output is read (no 8192-byte `MaxBufSize`) and `AccountId` is a string field
//!   (a number there fails to parse).
//! - botocore (`credentials.ProcessProvider`, 1.43): `json.loads` of the UTF-8 output; keys are
//!   looked up with their exact spelling; `Version` compared with `== 1` (so `1.0` and `true`
//!   pass); `AccessKeyId` and `SecretAccessKey` must be present, with no check of their value
//!   (SigV4 formats any value, `None` included, into the signature; a non-string
//!   `SessionToken` fails the signing);
//!   `Expiration` is read by `dateutil.parser.parse` (lenient; a time without a zone cannot be
//!   compared with the aware current time, which fails at the first use of the credentials);
//!   refreshable credentials are refreshed when they expire within 15 minutes (advisory) and,
//!   blocking, within 10 (mandatory), and a refresh that returns expired credentials raises.
//! - aws-sdk-rust (`aws-config` 1.x, `credential_process.rs`): keys matched ignoring ASCII case;
//!   only values of the right JSON type are taken (others are ignored, so the field counts as
//!   missing); `Version` a number equal to 1 without loss (`1.0` passes); `Expiration` parsed by
//!   the `time` crate's strict RFC 3339 (two-digit hour, `.` before a fraction, offset hour at
//!   most 23; any one character between date and time, `z` accepted).

use std::time::Duration;

use processcreds::error::Error;
use processcreds::output;
use processcreds::runner::{self, Program, RunOptions, StderrMode, StdinMode};
use processcreds::time::{format_rfc3339, parse_rfc3339, UnixTime};
use serde_json::{Map, Value};

use crate::duration::show;

/// aws-sdk-go v1's `DefaultBufSize`.
const GO_V1_BUF: usize = 8192;
/// How much output `check` reads at most.
const READ_LIMIT: usize = 1 << 20;
/// botocore's advisory and mandatory refresh windows.
const BOTOCORE_ADVISORY: Duration = Duration::from_secs(15 * 60);
const BOTOCORE_MANDATORY: Duration = Duration::from_secs(10 * 60);

/// The fields of the output, as named by the AWS documentation.
const FIELDS: [&str; 6] = [
    "Version",
    "AccessKeyId",
    "SecretAccessKey",
    "SessionToken",
    "Expiration",
    "AccountId",
];

struct Report {
    lines: Vec<String>,
    pitfalls: Vec<(&'static str, String)>,
    sdks: Vec<(&'static str, Result<(), String>)>,
}

impl Report {
    fn pitfall(&mut self, tag: &'static str, text: String) {
        self.pitfalls.push((tag, text));
    }
}

/// Runs the check; returns the exit status (0: every SDK accepts the output).
pub fn run(program: &Program, timeout: Duration) -> i32 {
    let run = runner::run(
        program,
        &RunOptions {
            timeout,
            max_buf_size: READ_LIMIT,
            stderr: StderrMode::Inherit,
            stdin: StdinMode::Inherit,
        },
    );
    let stdout = match run {
        Ok(r) => r.stdout,
        Err(e) => {
            println!("aws-sdk-go v1: rejected: {e}");
            println!("the helper did not succeed: every SDK fails the same way");
            return 1;
        }
    };
    let now = UnixTime::now();
    let mut report = Report {
        lines: Vec::new(),
        pitfalls: Vec::new(),
        sdks: Vec::new(),
    };
    let go_v1 = go_verdict(&stdout[..stdout.len().min(GO_V1_BUF)]);
    match &go_v1 {
        Ok(desc) => report
            .lines
            .push(format!("aws-sdk-go v1: accepted: {}", describe(desc, now))),
        Err(e) => report.lines.push(format!("aws-sdk-go v1: rejected: {e}")),
    }
    analyze(&stdout, go_v1.as_ref().ok(), now, &mut report);

    for l in &report.lines {
        println!("{l}");
    }
    for (sdk, v) in &report.sdks {
        match v {
            Ok(()) => println!("{sdk}: accepts"),
            Err(why) => println!("{sdk}: rejects: {why}"),
        }
    }
    for (tag, text) in &report.pitfalls {
        println!("pitfall [{tag}]: {text}");
    }
    let all_accept = go_v1.is_ok() && report.sdks.iter().all(|(_, v)| v.is_ok());
    if all_accept && report.pitfalls.is_empty() {
        println!("verdict: every SDK accepts this output");
        0
    } else {
        let n = report.pitfalls.len();
        println!(
            "verdict: {} ({n} pitfall{})",
            if go_v1.is_err() {
                "aws-sdk-go v1 rejects this output"
            } else {
                "SDKs disagree about this output"
            },
            if n == 1 { "" } else { "s" }
        );
        1
    }
}

/// What aws-sdk-go v1 accepted: key id, whether a token came, the expiration.
struct Accepted {
    access_key_id: String,
    token: bool,
    expiration: Option<UnixTime>,
}

fn go_verdict(bytes: &[u8]) -> Result<Accepted, Error> {
    let out = output::parse(bytes)?;
    if out.version != 1 {
        return Err(Error::version());
    }
    if out.access_key_id.is_empty() {
        return Err(Error::missing_key());
    }
    if out.secret_access_key.is_empty() {
        return Err(Error::missing_secret());
    }
    Ok(Accepted {
        access_key_id: out.access_key_id.to_string(),
        token: !out.session_token.is_empty(),
        expiration: out.expiration,
    })
}

fn describe(a: &Accepted, now: UnixTime) -> String {
    let exp = match a.expiration {
        None => "never expire".to_string(),
        Some(t) if t < now => format!("expired at {}", format_rfc3339(t)),
        Some(t) => format!(
            "expire at {} (in {})",
            format_rfc3339(t),
            show(Duration::from_secs(
                ((t.as_nanos() - now.as_nanos()) / 1_000_000_000) as u64
            ))
        ),
    };
    format!(
        "AccessKeyId {}, {}, credentials {exp}",
        a.access_key_id,
        if a.token {
            "with a SessionToken"
        } else {
            "no SessionToken"
        }
    )
}

/// Go's `bytes.EqualFold` against one of our ASCII field names.
fn go_fold_eq(key: &str, name: &str) -> bool {
    let mut k = key.chars();
    for want in name.chars() {
        let got = match k.next() {
            Some('\u{212A}') => 'K',
            Some('\u{017F}') => 'S',
            Some(c) if c.is_ascii() => c.to_ascii_uppercase(),
            _ => return false,
        };
        if got != want.to_ascii_uppercase() {
            return false;
        }
    }
    k.next().is_none()
}

/// The value Go's decoder gives a field: the last key (in document order) matching it.
fn go_field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .rev()
        .find(|(k, _)| go_fold_eq(k, name))
        .map(|(_, v)| v)
}

/// aws-sdk-rust's view: the last key matching ignoring ASCII case whose value has the type.
fn rust_field<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
    ty: fn(&Value) -> bool,
) -> Option<&'a Value> {
    obj.iter()
        .rev()
        .find(|(k, v)| k.eq_ignore_ascii_case(name) && ty(v))
        .map(|(_, v)| v)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The time `time`'s strict RFC 3339 reads (aws-sdk-rust), if it reads it.
fn rust_rfc3339(s: &str) -> Option<UnixTime> {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| -> Option<i64> {
        let part = b.get(from..from + n)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0i64, |a, c| a * 10 + i64::from(c - b'0')))
    };
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !b.get(10)?.is_ascii() {
        return None;
    }
    let (h, m, sec) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') || h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let mut i = 19;
    let mut frac = String::new();
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        frac = format!(".{}", &s[start..i]);
    }
    let zone = match b.get(i..)? {
        [b'Z' | b'z'] => "Z".to_string(),
        [sign @ (b'+' | b'-'), ..] if b.len() == i + 6 => {
            let (zh, zm) = (digits(i + 1, 2)?, digits(i + 4, 2)?);
            if b[i + 3] != b':' || zh > 23 || zm > 59 {
                return None;
            }
            format!("{}{zh:02}:{zm:02}", *sign as char)
        }
        _ => return None,
    };
    // The same instant in Go's form, whose reader checks the date.
    let go_form = format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{sec:02}{frac}{zone}");
    parse_rfc3339(go_form.as_bytes()).ok()
}

/// A form dateutil (botocore) reads: date, `T` or space, time, optional fraction and zone.
/// Returns whether it carries a zone. `None`: a form not known here to be readable.
fn dateutil_form(s: &str) -> Option<bool> {
    let b = s.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let date = (0..4).all(d) && b.get(4) == Some(&b'-') && d(5) && d(6) && b.get(7) == Some(&b'-');
    if !(date && d(8) && d(9)) {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let mut i = 11;
    let mut parts = 0;
    loop {
        let start = i;
        while d(i) {
            i += 1;
        }
        if i == start || i - start > 2 {
            return None;
        }
        parts += 1;
        if parts < 3 && b.get(i) == Some(&b':') {
            i += 1;
        } else {
            break;
        }
    }
    if matches!(b.get(i), Some(b'.' | b',')) && d(i + 1) {
        i += 1;
        while d(i) {
            i += 1;
        }
    }
    match &s[i..] {
        "" => Some(false),
        "Z" | "z" | "UTC" | "GMT" => Some(true),
        z if (z.starts_with('+') || z.starts_with('-'))
            && z[1..].bytes().all(|c| c.is_ascii_digit() || c == b':')
            && (3..=6).contains(&z.len()) =>
        {
            Some(true)
        }
        _ => None,
    }
}

fn analyze(raw: &[u8], go_v1: Option<&Accepted>, now: UnixTime, r: &mut Report) {
    let trimmed_len = raw
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        .map_or(0, |p| p + 1);
    if trimmed_len > GO_V1_BUF {
        r.pitfall(
            "output-size",
            format!(
                "the output is {trimmed_len} bytes: aws-sdk-go v1 reads at most {GO_V1_BUF} \
                 (MaxBufSize) and fails to parse the rest (this library fails at once, D3), \
                 while aws-sdk-go-v2, botocore and aws-sdk-rust read it all"
            ),
        );
    }
    let text = std::str::from_utf8(raw);
    let value: Option<Value> = text.ok().and_then(|t| serde_json::from_str(t).ok());
    let Some(Value::Object(obj)) = value else {
        // Not a JSON object: every SDK fails (Go's text says why).
        let why = match (text, &value) {
            (Err(_), _) => "the output is not UTF-8",
            (_, None) => "the output is not one JSON value",
            _ => "the output is not a JSON object",
        };
        for sdk in ["aws-sdk-go-v2", "botocore", "aws-sdk-rust"] {
            r.sdks.push((sdk, Err(why.to_string())));
        }
        return;
    };

    // ---- key spelling ----
    for key in obj.keys() {
        if let Some(name) = FIELDS
            .iter()
            .find(|n| go_fold_eq(key, n) && key.as_str() != **n)
        {
            let effect = match *name {
                "AccessKeyId" | "SecretAccessKey" => {
                    "fails with \"Missing required key in response\"".to_string()
                }
                "Version" => "fails with \"Unsupported version\"".to_string(),
                "SessionToken" => {
                    "signs without the session token (AWS refuses the requests)".to_string()
                }
                "Expiration" => {
                    "never refreshes the credentials (requests fail once they expire)".to_string()
                }
                _ => "has no account id".to_string(),
            };
            r.pitfall(
                "key-case",
                format!(
                    "key {key:?} is not spelled {name:?}: aws-sdk-go v1/v2 and aws-sdk-rust match \
                     keys ignoring case, but botocore (AWS CLI, boto3) reads only the exact \
                     spelling, so it {effect}"
                ),
            );
        }
    }

    // ---- field types ----
    for name in FIELDS {
        let Some(v) = go_field(&obj, name) else {
            continue;
        };
        let problem = match (name, v) {
            ("Version", Value::Number(n)) if n.as_i64() == Some(1) && n.to_string() == "1" => None,
            ("Version", Value::Number(n)) if n.as_f64() == Some(1.0) => Some(format!(
                "Version is {n}, not the integer 1: aws-sdk-go v1/v2 fail to parse it, \
                 botocore and aws-sdk-rust accept it"
            )),
            ("Version", Value::Bool(true)) => Some(
                "Version is true: botocore accepts it (true == 1 in Python), aws-sdk-go v1/v2 \
                 fail to parse it and aws-sdk-rust finds no Version"
                    .to_string(),
            ),
            ("Version", _) => None, // a wrong version: every SDK rejects it (see Go's error)
            (_, Value::String(_)) => None,
            ("AccountId", Value::Null) => None,
            ("AccountId", v) => Some(format!(
                "AccountId is {}: aws-sdk-go v1 and aws-sdk-rust ignore it, aws-sdk-go-v2 fails \
                 to parse the output, botocore passes it on as it is",
                kind(v)
            )),
            ("SessionToken" | "Expiration", Value::Null) => None,
            (_, Value::Null) => Some(format!(
                "{name} is null: aws-sdk-go v1/v2 and aws-sdk-rust treat it as missing, \
                 botocore takes None and signs with the text \"None\" (AWS refuses the \
                 requests)"
            )),
            ("SessionToken", v) => Some(format!(
                "SessionToken is {}, not a string: aws-sdk-go v1/v2 fail to parse the output, \
                 aws-sdk-rust ignores it (no token), botocore fails when it signs a request",
                kind(v)
            )),
            (_, v) => Some(format!(
                "{name} is {}, not a string: aws-sdk-go v1/v2 fail to parse the output, \
                 aws-sdk-rust treats it as missing, botocore signs with the value as Python \
                 prints it",
                kind(v)
            )),
        };
        if let Some(p) = problem {
            r.pitfall("field-type", p);
        }
    }

    // ---- SessionToken ----
    if let Some(Value::String(t)) = go_field(&obj, "SessionToken") {
        if t.is_empty() {
            r.pitfall(
                "empty-session-token",
                "SessionToken is \"\": aws-sdk-go v1/v2 and botocore treat it as no token, but \
                 aws-sdk-rust keeps an empty token, and tools that export it \
                 (AWS_SESSION_TOKEN='') or send it as an empty X-Amz-Security-Token get the \
                 request refused; leave the key out instead"
                    .to_string(),
            );
        }
    }

    // ---- Expiration ----
    let expiration_text = match go_field(&obj, "Expiration") {
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let mut dateutil_ok = true;
    let mut dateutil_aware = true;
    if let Some(s) = expiration_text {
        let go = parse_rfc3339(s.as_bytes()).ok();
        let rust = rust_rfc3339(s);
        let du = dateutil_form(s);
        dateutil_ok = du.is_some() || go.is_some();
        dateutil_aware = du.unwrap_or(true);
        match (go, rust) {
            (Some(_), None) => r.pitfall(
                "expiration-format",
                format!(
                    "Expiration {s:?} is not strict RFC 3339: aws-sdk-go v1/v2 read it, \
                     aws-sdk-rust (the time crate) rejects it; write \
                     YYYY-MM-DDThh:mm:ssZ"
                ),
            ),
            (None, _) => r.pitfall(
                "expiration-format",
                format!(
                    "Expiration {s:?} is not RFC 3339 as Go reads it: aws-sdk-go v1/v2 fail to \
                     parse the output{}{}; write YYYY-MM-DDThh:mm:ssZ",
                    if rust.is_some() {
                        ", aws-sdk-rust reads it"
                    } else {
                        ", aws-sdk-rust rejects it"
                    },
                    match du {
                        Some(true) => ", botocore reads it (dateutil)",
                        Some(false) => {
                            ", botocore reads it without a time zone and then fails comparing \
                             it with the current time"
                        }
                        None => ", botocore reads it only if dateutil can",
                    }
                ),
            ),
            (Some(_), Some(_)) => {
                let utc = s.ends_with('Z')
                    || s.ends_with('z')
                    || s.ends_with("+00:00")
                    || s.ends_with("-00:00");
                if !utc {
                    r.pitfall(
                        "expiration-not-utc",
                        format!(
                            "Expiration {s:?} is not in UTC: aws-sdk-go v1/v2, botocore and \
                             aws-sdk-rust convert the offset, but the AWS documentation's \
                             format is UTC (Z), and readers that take only that form (Java's \
                             Instant.parse before Java 12, text comparisons in scripts) \
                             misread it"
                        ),
                    );
                }
            }
        }
    }
    if let Some(t) = go_v1.and_then(|a| a.expiration) {
        if t < now.plus(BOTOCORE_ADVISORY) {
            let left = if t <= now {
                "have already expired".to_string()
            } else {
                format!(
                    "expire in {}",
                    show(Duration::from_secs(
                        ((t.as_nanos() - now.as_nanos()) / 1_000_000_000) as u64
                    ))
                )
            };
            r.pitfall(
                "expires-soon",
                format!(
                    "the credentials {left}: botocore refreshes credentials that expire within \
                     15 minutes (blocking within 10) and so runs the helper again at every use, \
                     and raises when the new ones are expired; `processcreds cache` (expiry \
                     window 15m) runs it at every call too; return credentials valid for longer"
                ),
            );
        }
    }

    // ---- each SDK's verdict ----
    // aws-sdk-go-v2: Go v1's decoding of the whole output, and AccountId must be a string.
    let v2 = go_verdict(raw).map_err(|e| e.to_string()).and_then(|_| {
        match go_field(&obj, "AccountId") {
            Some(Value::String(_) | Value::Null) | None => Ok(()),
            Some(v) => Err(format!("AccountId is {}, not a string", kind(v))),
        }
    });
    r.sdks.push(("aws-sdk-go-v2", v2));

    // botocore.
    let py = |k: &str| obj.get(k);
    let botocore = (|| {
        match py("Version") {
            Some(Value::Number(n)) if n.as_f64() == Some(1.0) => {}
            Some(Value::Bool(true)) => {}
            Some(v) => {
                return Err(format!(
                    "Unsupported version {v} (it compares Version == 1)"
                ))
            }
            None => return Err("no \"Version\" key (exact spelling)".to_string()),
        }
        for k in ["AccessKeyId", "SecretAccessKey"] {
            // Any value, null included, is formatted into the signature as Python prints it
            // (the field-type pitfall says what that means).
            if py(k).is_none() {
                return Err(format!("Missing required key in response: '{k}'"));
            }
        }
        match py("SessionToken") {
            None | Some(Value::Null | Value::String(_)) => {}
            Some(v) => return Err(format!("SessionToken is {}: signing fails", kind(v))),
        }
        match py("Expiration") {
            None | Some(Value::Null) => Ok(()),
            Some(Value::String(_)) if !dateutil_ok => {
                Err("dateutil cannot be trusted to read the Expiration".to_string())
            }
            Some(Value::String(_)) if !dateutil_aware => Err(
                "the Expiration has no time zone: comparing it with the current time fails"
                    .to_string(),
            ),
            Some(Value::String(_)) => match go_v1.and_then(|a| a.expiration) {
                Some(t) if t <= now => Err(
                    "the credentials are expired: \"Credentials were refreshed, but the \
                     refreshed credentials are still expired\""
                        .to_string(),
                ),
                Some(t) if t < now.plus(BOTOCORE_MANDATORY) => {
                    // Accepted, but refreshed (blocking) at every use.
                    Ok(())
                }
                _ => Ok(()),
            },
            Some(v) => Err(format!(
                "Expiration is {}: dateutil cannot read it",
                kind(v)
            )),
        }
    })();
    r.sdks.push(("botocore", botocore));

    // aws-sdk-rust.
    let is_str: fn(&Value) -> bool = Value::is_string;
    let rust = (|| {
        match rust_field(&obj, "Version", Value::is_number) {
            Some(Value::Number(n)) if n.as_f64() == Some(1.0) => {}
            Some(v) => return Err(format!("unknown version number: {v}")),
            None => return Err("missing field Version".to_string()),
        }
        for k in ["AccessKeyId", "SecretAccessKey"] {
            if rust_field(&obj, k, is_str).is_none() {
                return Err(format!("missing field {k}"));
            }
        }
        if let Some(Value::String(s)) = rust_field(&obj, "Expiration", is_str) {
            if rust_rfc3339(s).is_none() {
                return Err("invalid field Expiration (not RFC 3339)".to_string());
            }
        }
        Ok(())
    })();
    r.sdks.push(("aws-sdk-rust", rust));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_rfc3339_rules() {
        for ok in [
            "2030-01-02T03:04:05Z",
            "2030-01-02t03:04:05z",
            "2030-01-02 03:04:05Z",
            "2030-01-02T03:04:05.123+01:00",
        ] {
            assert!(rust_rfc3339(ok).is_some(), "{ok}");
        }
        for bad in [
            "2030-01-02T3:04:05Z",
            "2030-01-02T03:04:05,5Z",
            "2030-01-02T03:04:05+24:00",
            "2030-01-02T03:04:05",
            "2030-02-30T03:04:05Z",
            "2030-01-02T03:04:05+0100",
        ] {
            assert!(rust_rfc3339(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn fold() {
        assert!(go_fold_eq("accesskeyid", "AccessKeyId"));
        assert!(go_fold_eq("\u{212A}", "K"));
        assert!(!go_fold_eq("AccessKeyIdX", "AccessKeyId"));
    }

    #[test]
    fn dateutil_forms() {
        assert_eq!(dateutil_form("2030-01-02 03:04:05Z"), Some(true));
        assert_eq!(dateutil_form("2030-01-02T03:04:05"), Some(false));
        assert_eq!(dateutil_form("2030-01-02T03:04:05+0100"), Some(true));
        assert_eq!(dateutil_form("tomorrow"), None);
    }
}

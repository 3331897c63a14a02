//! `processcreds check`: runs a helper once, uncached, and tells what each SDK makes of its output:
//! aws-sdk-go v1.55.8, aws-sdk-go-v2 (credentials v1.21.3), botocore 1.44.18 and aws-sdk-rust
//! (aws-config 1.13.0), then what processcreds itself does where it diverges from aws-sdk-go v1,
//! then the portability pitfalls.
//!
//! An SDK **accepts** an output when credentials can be obtained through its own process provider
//! and used to sign a request:
//! - aws-sdk-go v1: `Credentials.Get()` of `processcreds.NewCredentials`, then its v4 signer;
//! - aws-sdk-go-v2: `Retrieve` of `processcreds.NewProvider` behind `aws.CredentialsCache`, then
//!   its v4 signer;
//! - botocore: `ProcessProvider.load()`, `get_frozen_credentials()` (with its 15/10-minute
//!   refresh windows: credentials still expired after a refresh raise) and SigV4 signing;
//! - aws-sdk-rust: `provide_credentials` of aws-config's `CredentialProcessProvider`, then SigV4
//!   signing as aws-runtime does it.
//!
//! Each SDK is modelled as a table of small rules ([`Rule`]), in the order the SDK applies them,
//! each naming the behaviour and the place in the pinned SDK's source; its verdict is the first
//! rule that fails. The pitfalls are a table too (`pitfalls::PITFALLS`). The report's lines
//! (documented in README.md, "processcreds check"):
//!
//! ```text
//! aws-sdk-go v1: accepted: <what it got> | rejected: <Go's error text, "caused by:" on the next line>
//! aws-sdk-go-v2: accepts | rejects: <why>
//! botocore: accepts | rejects: <why>
//! aws-sdk-rust: accepts | rejects: <why>
//! processcreds: accepts | rejects: <its error> (<as aws-sdk-go v1 | the divergence, D3/D8/D10>)
//! pitfall [<tag>]: <text>
//! verdict: <summary>
//! ```
//!
//! Exit status 0 only when every SDK and processcreds accept the output and no pitfall is found.

mod botocore;
mod civil;
mod dateutil;
mod go;
mod pitfalls;
mod pychar;
mod pyjson;
mod rust_sdk;
mod smithy_json;
mod time_crate;

use std::time::Duration;

use processcreds::error::Error;
use processcreds::runner::{self, Program, RunOptions, StderrMode, StdinMode};
use processcreds::time::{format_rfc3339, UnixTime};

use crate::duration::show;

/// How much output `check` reads at most (aws-sdk-go-v2, botocore and aws-sdk-rust read any
/// amount; past this a helper is reported as failed).
const READ_LIMIT: usize = 16 << 20;

/// One rule of an SDK's model: the behaviour, where the pinned SDK has it, and its check.
/// (`models` and `source` document the table; the tests list them.)
pub struct Rule<C> {
    #[cfg_attr(not(test), allow(dead_code))]
    pub models: &'static str,
    #[cfg_attr(not(test), allow(dead_code))]
    pub source: &'static str,
    pub check: fn(&C) -> Result<(), String>,
}

/// The first rule that fails, in order.
pub fn first_failure<C>(rules: &[Rule<C>], c: &C) -> Result<(), String> {
    rules.iter().try_for_each(|r| (r.check)(c))
}

/// Everything known about one output.
pub struct Analysis<'a> {
    pub raw: &'a [u8],
    pub now: UnixTime,
    pub go_v1: Result<go::Accepted, Error>,
    pub go_v2: Result<(), String>,
    pub boto: botocore::View,
    pub botocore: Result<(), String>,
    pub rust: rust_sdk::View,
    pub aws_sdk_rust: Result<(), String>,
    pub own: Result<(), (Error, String)>,
}

impl Analysis<'_> {
    pub fn new(raw: &[u8], now: UnixTime) -> Analysis<'_> {
        let go_v1 = go::v1(raw);
        let boto = botocore::View::new(raw, now);
        let rust = rust_sdk::View::new(raw);
        Analysis {
            raw,
            now,
            go_v2: go::v2(raw),
            botocore: botocore::verdict(&boto),
            aws_sdk_rust: rust_sdk::verdict(&rust),
            own: go::processcreds(raw, &go_v1),
            go_v1,
            boto,
            rust,
        }
    }

    fn others(&self) -> [(&'static str, &Result<(), String>); 3] {
        [
            ("aws-sdk-go-v2", &self.go_v2),
            ("botocore", &self.botocore),
            ("aws-sdk-rust", &self.aws_sdk_rust),
        ]
    }
}

/// The key id as a line can show it (escaped when it holds a control character).
fn shown(s: &str) -> String {
    if s.chars().any(char::is_control) {
        format!("{s:?}")
    } else {
        s.to_string()
    }
}

fn until(t: UnixTime, now: UnixTime) -> String {
    show(Duration::from_secs(
        ((t.as_nanos() - now.as_nanos()) / 1_000_000_000) as u64,
    ))
}

fn describe(a: &go::Accepted, now: UnixTime) -> String {
    let exp = match a.expiration {
        None => "never expire".to_string(),
        Some(t) if t < now => format!("expired at {}", format_rfc3339(t)),
        Some(t) => format!("expire at {} (in {})", format_rfc3339(t), until(t, now)),
    };
    format!(
        "AccessKeyId {}, {}, credentials {exp}",
        shown(&a.access_key_id),
        if a.token {
            "with a SessionToken"
        } else {
            "no SessionToken"
        }
    )
}

/// The report's lines and the exit status.
pub fn report(a: &Analysis) -> (Vec<String>, i32) {
    let mut lines = vec![match &a.go_v1 {
        Ok(acc) => format!("aws-sdk-go v1: accepted: {}", describe(acc, a.now)),
        Err(e) => format!("aws-sdk-go v1: rejected: {e}"),
    }];
    for (sdk, v) in a.others() {
        lines.push(match v {
            Ok(()) => format!("{sdk}: accepts"),
            Err(why) => format!("{sdk}: rejects: {why}"),
        });
    }
    lines.push(match &a.own {
        Ok(()) => "processcreds: accepts".to_string(),
        Err((e, why)) => format!("processcreds: rejects: {} ({why})", go::one_line(e)),
    });
    let found = pitfalls::find(a);
    for (tag, text) in &found {
        lines.push(format!("pitfall [{tag}]: {text}"));
    }
    let sdks_accept = a.go_v1.is_ok() && a.others().iter().all(|(_, v)| v.is_ok());
    let none_accepts = a.go_v1.is_err() && a.others().iter().all(|(_, v)| v.is_err());
    let n = found.len();
    let plural = if n == 1 { "" } else { "s" };
    lines.push(if sdks_accept && a.own.is_ok() && n == 0 {
        "verdict: every SDK accepts this output".to_string()
    } else if sdks_accept {
        format!("verdict: the SDKs accept this output, with {n} pitfall{plural}")
    } else if none_accepts {
        format!("verdict: every SDK rejects this output ({n} pitfall{plural})")
    } else if a.go_v1.is_err() {
        format!("verdict: aws-sdk-go v1 rejects this output ({n} pitfall{plural})")
    } else {
        format!("verdict: SDKs disagree about this output ({n} pitfall{plural})")
    });
    let code = i32::from(!(sdks_accept && a.own.is_ok() && n == 0));
    (lines, code)
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
            // Every SDK fails on a helper that fails (exit status, signal, timeout).
            println!("aws-sdk-go v1: rejected: {e}");
            for sdk in ["aws-sdk-go-v2", "botocore", "aws-sdk-rust"] {
                println!("{sdk}: rejects: the helper failed: {}", go::one_line(&e));
            }
            println!(
                "processcreds: rejects: {} (as aws-sdk-go v1)",
                go::one_line(&e)
            );
            println!("verdict: the helper did not succeed: every SDK fails the same way");
            return 1;
        }
    };
    let analysis = Analysis::new(&stdout, UnixTime::now());
    let (lines, code) = report(&analysis);
    for l in lines {
        println!("{l}");
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule and pitfall says what it models and where the pinned SDK does it; `cargo test
    /// -p processcreds-cli tables -- --nocapture` prints the tables.
    #[test]
    fn tables() {
        let mut rows: Vec<(&str, &str, &str)> = Vec::new();
        rows.extend(
            go::V2_RULES
                .iter()
                .map(|r| ("aws-sdk-go-v2", r.models, r.source)),
        );
        rows.extend(
            botocore::RULES
                .iter()
                .map(|r| ("botocore", r.models, r.source)),
        );
        rows.extend(
            rust_sdk::RULES
                .iter()
                .map(|r| ("aws-sdk-rust", r.models, r.source)),
        );
        rows.extend(
            pitfalls::PITFALLS
                .iter()
                .map(|p| (p.tag, p.models, p.source)),
        );
        for (who, models, source) in rows {
            assert!(models.len() > 10, "{who}: {models}");
            assert!(
                source.chars().any(|c| c.is_ascii_digit()) || source.contains("documentation"),
                "{who}: {source} names no version or line"
            );
            println!("{who}\t{models}\t{source}");
        }
    }

    fn verdicts(out: &str) -> (Vec<String>, i32) {
        report(&Analysis::new(out.as_bytes(), UnixTime::now()))
    }

    #[test]
    fn report_lines() {
        let (lines, code) = verdicts(
            r#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"S","Expiration":"2099-01-02T03:04:05Z"}"#,
        );
        assert_eq!(code, 0, "{lines:#?}");
        assert!(lines[0].starts_with("aws-sdk-go v1: accepted: AccessKeyId AKID, no SessionToken"));
        assert_eq!(
            &lines[1..],
            [
                "aws-sdk-go-v2: accepts",
                "botocore: accepts",
                "aws-sdk-rust: accepts",
                "processcreds: accepts",
                "verdict: every SDK accepts this output"
            ]
        );
        // A lone surrogate in the token: Go accepts (U+FFFD), processcreds does not (D8).
        let (lines, code) = verdicts(
            r#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"S","SessionToken":"T\ud800"}"#,
        );
        assert_eq!(code, 1);
        assert!(
            lines[0].starts_with("aws-sdk-go v1: accepted: "),
            "{lines:#?}"
        );
        assert!(lines.contains(&"aws-sdk-go-v2: accepts".to_string()));
        assert!(lines.iter().any(|l| l.starts_with("botocore: rejects: ")));
        assert!(lines
            .iter()
            .any(|l| l.starts_with("aws-sdk-rust: rejects: ")));
        assert!(lines
            .iter()
            .any(|l| l.starts_with("processcreds: rejects: ") && l.contains("D8")));
        // The access key id is shown escaped when it holds a control character.
        let (lines, _) = verdicts(r#"{"Version":1,"AccessKeyId":"A\nB","SecretAccessKey":"S"}"#);
        assert!(lines[0].contains(r#"AccessKeyId "A\nB""#), "{}", lines[0]);
    }
}

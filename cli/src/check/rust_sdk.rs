//! aws-sdk-rust: aws-config 1.13.0's `CredentialProcessProvider` (`src/credential_process.rs`,
//! the provider of a profile's `credential_process`), then SigV4 signing as aws-runtime 1.10.2
//! does it with aws-sigv4 1.6.4. "Accepts" means `provide_credentials` succeeds and a request is
//! signed. The SDK's identity cache hands out what the provider returned even when it has
//! expired (aws-smithy-runtime 1.16.2 `src/client/identity/cache/lazy.rs:459-500`, and
//! `src/expiring_cache.rs:67-75`: a freshly loaded identity is returned whatever its expiry), so
//! an Expiration in the past is no rejection.

use super::smithy_json::{self, Token};
use super::{time_crate, Rule};

/// The fields aws-config took (`None`: absent, or only values of another type).
#[derive(Default)]
pub struct Fields {
    pub version: Option<i32>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub expiration: Option<String>,
}

pub struct View {
    utf8: bool,
    fields: Option<Result<Fields, String>>,
}

impl View {
    pub fn new(raw: &[u8]) -> View {
        let Ok(text) = std::str::from_utf8(raw) else {
            return View {
                utf8: false,
                fields: None,
            };
        };
        View {
            utf8: true,
            fields: Some(fields(text)),
        }
    }

    pub fn fields(&self) -> Option<&Fields> {
        self.fields.as_ref().and_then(|f| f.as_ref().ok())
    }
}

/// `parse_credential_process_json_credentials` (credential_process.rs:191-242): each key matched
/// ignoring ASCII case, only a value of the field's type taken (the last one wins).
fn fields(text: &str) -> Result<Fields, String> {
    let mut f = Fields::default();
    smithy_json::parse_loop(text.as_bytes(), |key, token| {
        let name = |n: &str| key.eq_ignore_ascii_case(n);
        match token {
            Token::Number(n) if name("Version") => {
                f.version = Some(n.to_i32().map_err(|e| format!("invalid Version: {e}"))?);
            }
            Token::Str(s) => {
                let slot = if name("AccessKeyId") {
                    &mut f.access_key_id
                } else if name("SecretAccessKey") {
                    &mut f.secret_access_key
                } else if name("SessionToken") {
                    &mut f.session_token
                } else if name("Expiration") {
                    &mut f.expiration
                } else if name("AccountId") {
                    // unescaped too, and kept: an escape error fails the parse
                    smithy_json::unescape(s).map_err(|e| format!("invalid JSON: {e}"))?;
                    return Ok(());
                } else {
                    return Ok(());
                };
                *slot = Some(smithy_json::unescape(s).map_err(|e| format!("invalid JSON: {e}"))?);
            }
            _ => {}
        }
        Ok(())
    })
    .map(|()| f)
}

fn utf8(v: &View) -> Result<(), String> {
    if v.utf8 {
        Ok(())
    } else {
        Err("could not decode output as UTF-8".into())
    }
}

fn parsed(v: &View) -> Result<(), String> {
    match &v.fields {
        Some(Err(e)) => Err(format!("could not parse response: {e}")),
        _ => Ok(()),
    }
}

fn version(v: &View) -> Result<(), String> {
    match v.fields().map(|f| f.version) {
        Some(None) => Err(
            "missing field Version (a number; keys match ignoring ASCII case, values of another \
             type are ignored)"
                .into(),
        ),
        Some(Some(n)) if n != 1 => Err(format!("unknown version number: {n}")),
        _ => Ok(()),
    }
}

fn required(v: &View) -> Result<(), String> {
    let Some(f) = v.fields() else { return Ok(()) };
    for (name, value) in [
        ("AccessKeyId", &f.access_key_id),
        ("SecretAccessKey", &f.secret_access_key),
    ] {
        if value.is_none() {
            return Err(format!(
                "missing field {name} (a string; keys match ignoring ASCII case only, values of \
                 another type are ignored)"
            ));
        }
    }
    Ok(())
}

fn expiration(v: &View) -> Result<(), String> {
    match v.fields().and_then(|f| f.expiration.as_deref()) {
        Some(s) => time_crate::parse(s)
            .map(|_| ())
            .map_err(|why| format!("invalid field Expiration (the time crate's RFC 3339: {why})")),
        None => Ok(()),
    }
}

/// `http::HeaderValue::from_str`: visible ASCII, space, tab and bytes of 0x80 and above.
pub fn header_value_ok(s: &str) -> bool {
    s.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

fn token_header(v: &View) -> Result<(), String> {
    match v.fields().and_then(|f| f.session_token.as_deref()) {
        Some(t) if !header_value_ok(t) => Err(
            "signing fails: the SessionToken is not a valid HTTP header value (a control \
             character)"
                .into(),
        ),
        _ => Ok(()),
    }
}

fn authorization_header(v: &View) -> Result<(), String> {
    match v.fields().and_then(|f| f.access_key_id.as_deref()) {
        Some(k) if !header_value_ok(k) => Err(
            "signing panics: the Authorization header holding the AccessKeyId is not a valid \
             HTTP header value (a control character)"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// aws-sdk-rust's steps, in the order it takes them.
pub const RULES: [Rule<View>; 7] = [
    Rule {
        models: "the output must be UTF-8",
        source: "aws-config 1.13.0 src/credential_process.rs:133-137",
        check: utf8,
    },
    Rule {
        models: "a JSON object read by aws-smithy-json's tokenizer (lenient numbers, a nesting \
                 limit of 512, every key unescaped: a lone surrogate escape fails); keys matched \
                 ignoring ASCII case; a Version number that is not a lossless i32 fails",
        source: "aws-config 1.13.0 src/credential_process.rs:203-242, \
                 src/json_credentials.rs:221-254",
        check: parsed,
    },
    Rule {
        models: "Version present (a number) and 1",
        source: "aws-config 1.13.0 src/credential_process.rs:244-253",
        check: version,
    },
    Rule {
        models: "AccessKeyId and SecretAccessKey present as strings (an empty one passes)",
        source: "aws-config 1.13.0 src/credential_process.rs:255-257",
        check: required,
    },
    Rule {
        models: "Expiration read by the time crate's RFC 3339 (any separator byte, z, leap \
                 seconds at a month's end)",
        source: "aws-config 1.13.0 src/credential_process.rs:272-279; time 0.3.55 \
                 src/parsing/parsable.rs (Rfc3339::parse_offset_date_time)",
        check: expiration,
    },
    Rule {
        models: "the SessionToken becomes the x-amz-security-token header: \
                 HeaderValue::from_str must accept it",
        source: "aws-sigv4 1.6.4 src/http_request/canonical_request.rs:289-290",
        check: token_header,
    },
    Rule {
        models: "the Authorization header holds the AccessKeyId and is unwrapped: a control \
                 character panics",
        source: "aws-runtime 1.10.2 src/auth.rs:290-299 (apply_signing_instructions)",
        check: authorization_header,
    },
];

pub fn verdict(v: &View) -> Result<(), String> {
    super::first_failure(&RULES, v)
}

//! aws-sdk-go v1.55.8 (`aws/credentials/processcreds/provider.go`) and aws-sdk-go-v2
//! (`credentials/processcreds/provider.go`, credentials v1.21.3, with `aws.CredentialsCache` of
//! aws-sdk-go-v2 v1.48.0), and processcreds itself, on the helper's output.
//!
//! Both Go SDKs decode with `encoding/json` into `CredentialProcessResponse`, which this
//! library's parser reproduces except where it diverges on purpose (D8): Go turns each invalid
//! UTF-8 byte inside a string and each lone surrogate escape into U+FFFD and keeps `\u0000`. So
//! Go's verdict is the library's parser on the output rewritten as Go reads it. Neither SDK
//! refuses credentials that have expired (v1 `Credentials.Get`, v2 `CredentialsCache.Retrieve`
//! return them), and neither v4 signer fails on any key, secret or token.

use processcreds::error::Error;
use processcreds::output;
use processcreds::time::UnixTime;

use super::pyjson::{self, Py};
use super::Rule;

/// aws-sdk-go v1's `DefaultBufSize`: it reads at most this much of the output.
pub const GO_V1_BUF: usize = 8192;

/// What aws-sdk-go v1 accepted.
pub struct Accepted {
    pub access_key_id: String,
    pub token: bool,
    pub expiration: Option<UnixTime>,
}

/// On Windows both Go SDKs replace every `\"` of the output with `"` before decoding (D10).
fn windows_rewrite(b: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if cfg!(windows) && b.windows(2).any(|w| w == b"\\\"") {
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\\' && b.get(i + 1) == Some(&b'"') {
                out.push(b'"');
                i += 2;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out.into()
    } else {
        b.into()
    }
}

/// The output as Go's decoder reads it, in a form this library's parser takes: inside strings,
/// each invalid UTF-8 byte becomes U+FFFD, a lone surrogate escape becomes `\ufffd` and `\u0000`
/// becomes `\u2400` (a stand-in: a non-empty string that matches no key and no time, as Go's NUL).
/// `None` when nothing changes.
pub fn as_go_reads(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    let mut changed = false;
    let mut in_string = false;
    let mut i = 0;
    let hex4 = |at: usize| -> Option<u32> {
        let h = b.get(at..at + 4)?;
        std::str::from_utf8(h)
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .filter(|_| h.iter().all(u8::is_ascii_hexdigit))
    };
    while i < b.len() {
        let c = b[i];
        if !in_string {
            in_string = c == b'"';
            out.push(c);
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                in_string = false;
                out.push(c);
                i += 1;
            }
            b'\\' if b.get(i + 1) == Some(&b'u') => match hex4(i + 2) {
                Some(0) => {
                    out.extend_from_slice(b"\\u2400");
                    changed = true;
                    i += 6;
                }
                Some(0xd800..=0xdbff)
                    if b.get(i + 6) == Some(&b'\\')
                        && b.get(i + 7) == Some(&b'u')
                        && hex4(i + 8).is_some_and(|lo| (0xdc00..0xe000).contains(&lo)) =>
                {
                    out.extend_from_slice(&b[i..i + 12]);
                    i += 12;
                }
                Some(0xd800..=0xdfff) => {
                    out.extend_from_slice(b"\\ufffd");
                    changed = true;
                    i += 6;
                }
                _ => {
                    out.extend_from_slice(&b[i..(i + 6).min(b.len())]);
                    i += 6;
                }
            },
            b'\\' => {
                out.extend_from_slice(&b[i..(i + 2).min(b.len())]);
                i += 2;
            }
            c if c < 0x80 => {
                out.push(c);
                i += 1;
            }
            c => {
                let n = match c {
                    0xc0..=0xdf => 2,
                    0xe0..=0xef => 3,
                    0xf0..=0xf7 => 4,
                    _ => 1,
                };
                match b.get(i..i + n).filter(|s| std::str::from_utf8(s).is_ok()) {
                    Some(s) => {
                        out.extend_from_slice(s);
                        i += n;
                    }
                    None => {
                        out.extend_from_slice("\u{fffd}".as_bytes());
                        changed = true;
                        i += 1;
                    }
                }
            }
        }
    }
    changed.then_some(out)
}

/// Decodes and validates as `ProcessProvider.Retrieve` does (provider.go:256-284 in v1,
/// 186-210 in v2): `json.Unmarshal`, `Version != 1`, an empty AccessKeyId, an empty secret.
fn retrieve(b: &[u8]) -> Result<Accepted, Error> {
    let b = windows_rewrite(b);
    let go = as_go_reads(&b);
    let out = output::parse(go.as_deref().unwrap_or(&b))?;
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

/// aws-sdk-go v1: the first 8192 bytes (provider.go:363-369, `io.LimitReader`), decoded.
pub fn v1(raw: &[u8]) -> Result<Accepted, Error> {
    retrieve(&raw[..raw.len().min(GO_V1_BUF)])
}

/// Go's `bytes.EqualFold` of a key with one of the (ASCII) field names: Unicode simple folding,
/// so KELVIN SIGN matches `k` and LONG S matches `s`.
pub fn go_fold_eq(key: &str, name: &str) -> bool {
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

/// The object as Go reads it (its keys and values), where Python's reader takes it too.
pub fn object(raw: &[u8]) -> Option<Vec<(pyjson::PyStr, Py)>> {
    let b = windows_rewrite(raw);
    let go = as_go_reads(&b);
    let text = std::str::from_utf8(go.as_deref().unwrap_or(&b)).ok()?;
    match pyjson::loads(text).ok()? {
        Py::Dict(pairs) => Some(pairs),
        _ => None,
    }
}

/// The kind of a value Go would decode into v2's `AccountID` string field that is neither a
/// string nor null.
fn account_id_type(raw: &[u8]) -> Option<&'static str> {
    object(raw)?
        .iter()
        .find(|(k, v)| go_fold_eq(&k.lossy(), "AccountId") && !matches!(v, Py::Str(_) | Py::None))
        .map(|(_, v)| v.kind())
}

/// What aws-sdk-go-v2 reads: the whole output.
pub struct V2 {
    raw: Vec<u8>,
}

/// v2's text for the error v1 gives (the same checks, without v1's error codes).
fn v2_text(e: &Error) -> String {
    let message = e
        .message()
        .replace("of credential_process output", "of process output");
    match e.cause() {
        Some(c) => format!("{message}: {c}"),
        None => message,
    }
}

fn v2_decode(v: &V2) -> Result<(), String> {
    retrieve(&v.raw).map(|_| ()).map_err(|e| v2_text(&e))
}

/// A key that Go matches to `AccountId` whose value is neither a string nor null.
fn v2_account_id(v: &V2) -> Result<(), String> {
    match account_id_type(&v.raw) {
        Some(kind) => Err(format!(
            "parse failed of process output: AccountId is {kind}: json: cannot unmarshal it \
             into the string field AccountID"
        )),
        None => Ok(()),
    }
}

pub const V2_RULES: [Rule<V2>; 2] = [
    Rule {
        models: "the whole output (no size limit) decoded by encoding/json into \
                 CredentialProcessResponse, Version 1, AccessKeyId and SecretAccessKey not empty",
        source: "aws-sdk-go-v2 credentials v1.21.3 processcreds/provider.go:180-227 (Retrieve), \
                 231-278 (executeCredentialProcess: a bytes.Buffer, no limit)",
        check: v2_decode,
    },
    Rule {
        models: "AccountId is a string field of v2's response: any other value but null fails \
                 the decoding",
        source: "aws-sdk-go-v2 credentials v1.21.3 processcreds/provider.go:174-175",
        check: v2_account_id,
    },
];

pub fn v2(raw: &[u8]) -> Result<(), String> {
    super::first_failure(&V2_RULES, &V2 { raw: raw.to_vec() })
}

/// Go's error text on one line.
pub fn one_line(e: &Error) -> String {
    e.to_string().replace("\ncaused by: ", ": ")
}

/// What processcreds itself (the library, `processcreds cache`) does with the output, when it
/// differs from aws-sdk-go v1: its error and the divergence that explains it.
pub fn processcreds(raw: &[u8], go_v1: &Result<Accepted, Error>) -> Result<(), (Error, String)> {
    // D3: beyond MaxBufSize only JSON whitespace is ignored.
    let beyond = raw.get(GO_V1_BUF..).unwrap_or_default();
    if beyond
        .iter()
        .any(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
    {
        let e = Error::parse(format!("output exceeds MaxBufSize ({GO_V1_BUF} bytes)"));
        let why = if go_v1.is_ok() {
            "D3: aws-sdk-go v1 silently reads only the first 8192 bytes (MaxBufSize) and ignores \
             the rest; processcreds fails at once on any byte past the limit but whitespace"
        } else {
            "as aws-sdk-go v1, which fails on the first 8192 bytes it reads (D3)"
        };
        return Err((e, why.into()));
    }
    let b = windows_rewrite(raw);
    let own = output::parse(raw).and_then(|out| {
        if out.version != 1 {
            Err(Error::version())
        } else if out.access_key_id.is_empty() {
            Err(Error::missing_key())
        } else if out.secret_access_key.is_empty() {
            Err(Error::missing_secret())
        } else {
            Ok(())
        }
    });
    match own {
        Ok(()) => Ok(()),
        Err(e) => {
            let why = if go_v1.is_err() {
                "as aws-sdk-go v1".to_string()
            } else if cfg!(windows) && b.len() != raw.len() {
                "D10: on Windows aws-sdk-go turns every \\\" of the output into \", processcreds \
                 never rewrites the output"
                    .to_string()
            } else {
                "D8: aws-sdk-go reads invalid UTF-8 and lone surrogate escapes as U+FFFD and \
                 keeps \\u0000, processcreds rejects them: a NUL cannot cross the C ABI, and a \
                 silently altered secret fails only later, at AWS"
                    .to_string()
            };
            Err((e, why))
        }
    }
}

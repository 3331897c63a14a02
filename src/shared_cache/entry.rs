//! The format of a shared-cache entry:
//!
//! ```text
//! processcreds-shared-cache v1 <key>\n
//! {"Version":1,"AccessKeyId":"…","SecretAccessKey":"…","SessionToken":"…","Expiration":"2031-07-09T13:14:15.123456789Z","AccountId":"…"}\n
//! ```
//!
//! The first line names the format and the entry's key, so that a file of another format, or
//! the entry of another key put in its place, is a miss. The rest is read by the same Go-exact
//! parser as a helper's output ([`crate::output`]), into wiped buffers, checked by the same
//! function ([`Output::into_credentials`](crate::output::Output::into_credentials): `Version` 1,
//! a non-empty key id and secret), and must hold an `Expiration`; anything else (truncated,
//! corrupt, empty) is a miss. `SessionToken` and `AccountId` are written only when present.

use zeroize::Zeroizing;

use super::key::Key;
use crate::credentials::Credentials;
use crate::output;
use crate::time::{format_rfc3339, UnixTime};

const MAGIC: &str = "processcreds-shared-cache v1 ";

/// The entry for `c` (which has an expiration) under `key`, in a wiped buffer.
pub fn encode(key: &Key, c: &Credentials) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(
        MAGIC.len()
            + 64
            + 200
            + 6 * (c.access_key_id().len()
                + c.secret_access_key().len()
                + c.session_token().len()
                + c.account_id().map_or(0, str::len)),
    ));
    out.extend_from_slice(MAGIC.as_bytes());
    out.extend_from_slice(key.as_str().as_bytes());
    out.extend_from_slice(b"\n{\"Version\":1,\"AccessKeyId\":");
    json_string(&mut out, c.access_key_id());
    out.extend_from_slice(b",\"SecretAccessKey\":");
    json_string(&mut out, c.secret_access_key());
    if !c.session_token().is_empty() {
        out.extend_from_slice(b",\"SessionToken\":");
        json_string(&mut out, c.session_token());
    }
    if let Some(t) = c.expiration() {
        out.extend_from_slice(b",\"Expiration\":\"");
        out.extend_from_slice(rfc3339_nanos(t).as_bytes());
        out.push(b'"');
    }
    if let Some(a) = c.account_id() {
        out.extend_from_slice(b",\"AccountId\":");
        json_string(&mut out, a);
    }
    out.extend_from_slice(b"}\n");
    out
}

/// The credentials of an entry of `key`; `None` for anything that is not one.
pub fn decode(key: &Key, bytes: &[u8]) -> Option<Credentials> {
    let rest = bytes.strip_prefix(MAGIC.as_bytes())?;
    let rest = rest.strip_prefix(key.as_str().as_bytes())?;
    let json = rest.strip_prefix(b"\n")?;
    let c = output::parse(json).ok()?.into_credentials(None).ok()?;
    c.expiration()?;
    Some(c)
}

/// RFC 3339 in UTC with nine fraction digits (Go's parser keeps nanoseconds).
fn rfc3339_nanos(t: UnixTime) -> String {
    let whole = format_rfc3339(t);
    let nanos = t.as_nanos().rem_euclid(1_000_000_000);
    format!("{}.{nanos:09}Z", whole.trim_end_matches('Z'))
}

/// A JSON string: `"`, `\` and control characters escaped.
fn json_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{CredentialsSource, PROVIDER_NAME};
    use crate::runner::Program;

    fn key(s: &str) -> Key {
        Key::new(&crate::shared_cache::KeyInput::new(&Program::Shell(
            s.into(),
        )))
    }

    #[test]
    fn round_trip_keeps_every_field() {
        let k = key("h");
        let t = UnixTime::from_nanos(1_941_022_455_123_456_789_i128);
        for (token, account) in [("", None), ("tok\"\\\n\u{1}é", Some("1234"))] {
            let c = Credentials::new(
                "AK\"ID",
                "se\\cr\tet$'`",
                token,
                account,
                CredentialsSource::Process,
                Some(t),
            );
            let bytes = encode(&k, &c);
            let d = decode(&k, &bytes).expect("decodes");
            assert_eq!(d.access_key_id(), "AK\"ID");
            assert_eq!(d.secret_access_key(), "se\\cr\tet$'`");
            assert_eq!(d.session_token(), token);
            assert_eq!(d.account_id(), account);
            assert_eq!(d.expiration(), Some(t));
            assert_eq!(d.provider_name(), PROVIDER_NAME);
        }
    }

    #[test]
    fn anything_else_is_a_miss() {
        let k = key("h");
        let c = Credentials::new(
            "AKID",
            "SECRET",
            "TOKEN",
            None,
            CredentialsSource::Process,
            Some(UnixTime::from_nanos(4_000_000_000_000_000_000)),
        );
        let good = encode(&k, &c);
        assert!(decode(&k, &good).is_some());
        assert!(decode(&key("other"), &good).is_none(), "another key");
        assert!(decode(&k, b"").is_none(), "empty");
        for n in 0..good.len() - 2 {
            assert!(decode(&k, &good[..n]).is_none(), "truncated to {n}");
        }
        let mut flipped = good.to_vec();
        flipped[3] ^= 0x20;
        assert!(decode(&k, &flipped).is_none(), "other format");
        let json_only = &good[good.iter().position(|&b| b == b'\n').unwrap() + 1..];
        assert!(
            decode(&k, json_only).is_none(),
            "a bare credential_process object"
        );
        let never = Credentials::new("AKID", "SECRET", "", None, CredentialsSource::Process, None);
        assert!(decode(&k, &encode(&k, &never)).is_none(), "no expiration");
        let mut garbage = good.to_vec();
        garbage.extend_from_slice(b"x");
        assert!(decode(&k, &garbage).is_none(), "trailing garbage");
    }
}

//! Parses the helper's output as aws-sdk-go v1 does: Go's `encoding/json` decoding into
//! `CredentialProcessResponse`, with the deliberate divergences D4 (no output in errors) and D8
//! (invalid UTF-8, lone surrogate escapes and `\u0000` are errors).
//!
//! Go rules kept (SEMANTICS.md, "The output"): keys match case-insensitively as Go folds them; the last duplicate
//! wins; unknown keys and their values are ignored (but must be valid JSON); `null` leaves
//! `Version` and string fields as they were and resets `Expiration`; a top-level `null` decodes to
//! nothing (so the version check fails); any other non-object top-level value, a value of the
//! wrong type for a known field, or anything but JSON whitespace after the value is an error.
//! `Version` must be an integer literal in `i64` range. `Expiration` is the raw text between the
//! quotes (Go does not unescape it) in Go's RFC 3339 form.
//!
//! Error causes name the problem and a byte offset, never a byte of the output.

use zeroize::Zeroizing;

use crate::credentials::{Credentials, CredentialsSource};
use crate::error::Error;
use crate::time::{parse_rfc3339, UnixTime};

/// Go's `encoding/json` maximum nesting depth.
const MAX_DEPTH: usize = 10_000;

/// The decoded fields of the helper's output, before validation.
#[derive(Default)]
pub struct Output {
    pub version: i64,
    pub access_key_id: Zeroizing<String>,
    pub secret_access_key: Zeroizing<String>,
    pub session_token: Zeroizing<String>,
    pub account_id: Option<String>,
    pub expiration: Option<UnixTime>,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("version", &self.version)
            .field("access_key_id", &self.access_key_id.as_str())
            .field("account_id", &self.account_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl Output {
    /// The credentials this output gives, checked as Go v1 checks a helper's output once it is
    /// parsed: `Version` must be 1, then `AccessKeyId` non-empty, then `SecretAccessKey`
    /// non-empty (only emptiness counts). `expiration` is used when the output has no
    /// `Expiration` (D6: the `Duration`-derived time; `None`: they never expire).
    ///
    /// The one place where output becomes credentials: a helper's run and a shared-cache entry
    /// both go through it.
    ///
    /// # Errors
    ///
    /// The version error, then the missing-key error, then the missing-secret error.
    pub fn into_credentials(self, expiration: Option<UnixTime>) -> Result<Credentials, Error> {
        if self.version != 1 {
            return Err(Error::version());
        }
        if self.access_key_id.is_empty() {
            return Err(Error::missing_key());
        }
        if self.secret_access_key.is_empty() {
            return Err(Error::missing_secret());
        }
        Ok(Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            &self.session_token,
            self.account_id.as_deref(),
            CredentialsSource::Process,
            self.expiration.or(expiration),
        ))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Version,
    AccessKeyId,
    SecretAccessKey,
    SessionToken,
    Expiration,
    AccountId,
}

/// Go v1's struct fields (and `AccountId`, passed through), in Go's folded form.
/// (`CredentialScope` is not a field of v1.55.8's response: it is an unknown key.)
const FIELDS: [(&str, Field); 6] = [
    ("VERSION", Field::Version),
    ("ACCESSKEYID", Field::AccessKeyId),
    ("SECRETACCESSKEY", Field::SecretAccessKey),
    ("SESSIONTOKEN", Field::SessionToken),
    ("EXPIRATION", Field::Expiration),
    ("ACCOUNTID", Field::AccountId),
];

/// Go matches a JSON key to a field name with Unicode simple case folding (as `bytes.EqualFold`).
/// Our names are ASCII, so a key can only match if every rune folds to ASCII: ASCII letters, and
/// the two non-ASCII runes in the fold orbits of ASCII letters (`K` ↔ KELVIN SIGN, `S` ↔ LONG S).
/// Dotless `ı` and dotted `İ` do not fold to `I`/`i`.
fn fold(c: char) -> Option<u8> {
    match c {
        c if c.is_ascii() => Some(c.to_ascii_uppercase() as u8),
        '\u{212A}' => Some(b'K'), // KELVIN SIGN folds with k and K
        '\u{017F}' => Some(b'S'), // LATIN SMALL LETTER LONG S folds with s and S
        _ => None,
    }
}

fn lookup(key: &str) -> Option<Field> {
    'fields: for (name, field) in FIELDS {
        let mut chars = key.chars();
        for want in name.bytes() {
            match chars.next().and_then(fold) {
                Some(got) if got == want => {}
                _ => continue 'fields,
            }
        }
        if chars.next().is_none() {
            return Some(field);
        }
    }
    None
}

/// Parses the helper's output. Secrets are held in wiped buffers.
pub fn parse(input: &[u8]) -> Result<Output, Error> {
    if let Err(e) = std::str::from_utf8(input) {
        return Err(Error::parse(format!(
            "invalid UTF-8 at offset {}",
            e.valid_up_to()
        )));
    }
    let mut p = Parser { b: input, pos: 0 };
    let out = p.document()?;
    Ok(out)
}

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
}

/// What kind of JSON value starts at a position (for type errors).
fn kind_name(c: u8) -> &'static str {
    match c {
        b'{' => "object",
        b'[' => "array",
        b'"' => "string",
        b't' | b'f' => "bool",
        b'n' => "null",
        _ => "number",
    }
}

impl<'a> Parser<'a> {
    fn err<T>(&self, what: &str) -> Result<T, Error> {
        Err(Error::parse(format!("{what} at offset {}", self.pos)))
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn eof<T>(&self) -> Result<T, Error> {
        Err(Error::parse("unexpected end of JSON input"))
    }

    fn expect(&mut self, c: u8, context: &str) -> Result<(), Error> {
        match self.peek() {
            Some(x) if x == c => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => self.err(&format!("invalid character {context}")),
            None => self.eof(),
        }
    }

    fn document(&mut self) -> Result<Output, Error> {
        let mut out = Output::default();
        self.ws();
        match self.peek() {
            None => return self.eof(),
            Some(b'{') => self.object(&mut out)?,
            Some(b'n') => self.literal(b"null")?,
            Some(c @ (b'[' | b'"' | b't' | b'f' | b'-' | b'0'..=b'9')) => {
                let at = self.pos;
                self.skip_value(1)?;
                self.after_top_level()?;
                return Err(Error::parse(format!(
                    "cannot unmarshal {} into the credentials object at offset {at}",
                    kind_name(c)
                )));
            }
            Some(_) => return self.err("invalid character looking for beginning of value"),
        }
        self.after_top_level()?;
        Ok(out)
    }

    fn after_top_level(&mut self) -> Result<(), Error> {
        self.ws();
        if self.pos < self.b.len() {
            return self.err("invalid character after top-level value");
        }
        Ok(())
    }

    /// The top-level object, decoded into `out`.
    fn object(&mut self, out: &mut Output) -> Result<(), Error> {
        self.pos += 1; // '{'
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        let mut key = Zeroizing::new(String::new());
        loop {
            self.ws();
            match self.peek() {
                Some(b'"') => {}
                Some(_) => {
                    return self.err("invalid character looking for beginning of object key string")
                }
                None => return self.eof(),
            }
            key.clear();
            self.string(Some(&mut key))?;
            self.ws();
            self.expect(b':', "after object key")?;
            self.ws();
            match lookup(&key) {
                Some(field) => self.field(field, out)?,
                None => self.skip_value(2)?,
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => return self.err("invalid character after object key:value pair"),
                None => return self.eof(),
            }
        }
    }

    fn field(&mut self, field: Field, out: &mut Output) -> Result<(), Error> {
        let at = self.pos;
        let c = match self.peek() {
            Some(c) => c,
            None => return self.eof(),
        };
        if c == b'n' {
            self.literal(b"null")?;
            if field == Field::Expiration {
                out.expiration = None;
            }
            return Ok(());
        }
        let type_error = |this: &mut Self, want: &str| -> Result<(), Error> {
            this.skip_value(2)?;
            Err(Error::parse(format!(
                "cannot unmarshal {} into field {} of type {want} at offset {at}",
                kind_name(c),
                field_name(field)
            )))
        };
        match field {
            Field::Version => {
                if !(c == b'-' || c.is_ascii_digit()) {
                    return type_error(self, "int");
                }
                let start = self.pos;
                self.number()?;
                let text = std::str::from_utf8(&self.b[start..self.pos]).unwrap_or("");
                match text.parse::<i64>() {
                    Ok(v) => out.version = v,
                    Err(_) => {
                        return Err(Error::parse(format!(
                            "cannot unmarshal number into field Version of type int at offset {at}"
                        )))
                    }
                }
            }
            Field::Expiration => {
                if c != b'"' {
                    return type_error(self, "time.Time (an RFC 3339 string)");
                }
                let start = self.pos + 1;
                self.string(None)?;
                let raw = &self.b[start..self.pos - 1];
                match parse_rfc3339(raw) {
                    Ok(t) => out.expiration = Some(t),
                    Err(why) => {
                        return Err(Error::parse(format!(
                            "Expiration is not an RFC 3339 time ({why}) at offset {at}"
                        )))
                    }
                }
            }
            Field::AccountId if c != b'"' => {
                // Not a field of Go v1's response: a non-string value is ignored, as Go does.
                self.skip_value(2)?;
            }
            _ => {
                if c != b'"' {
                    return type_error(self, "string");
                }
                let target: Option<&mut String> = match field {
                    Field::AccessKeyId => Some(&mut out.access_key_id),
                    Field::SecretAccessKey => Some(&mut out.secret_access_key),
                    Field::SessionToken => Some(&mut out.session_token),
                    Field::AccountId => Some(out.account_id.insert(String::new())),
                    _ => None,
                };
                match target {
                    Some(s) => {
                        // Decode into a buffer sized once (the decoded text is never longer than
                        // the raw one), so no partial copy of a secret is freed unwiped; the old
                        // value is wiped as it is dropped.
                        let mut fresh = Zeroizing::new(String::with_capacity(self.raw_len()));
                        self.string(Some(&mut fresh))?;
                        std::mem::swap(s, &mut *fresh);
                    }
                    None => self.string(None)?,
                }
            }
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        for &w in word {
            match self.peek() {
                Some(c) if c == w => self.pos += 1,
                Some(_) => return self.err("invalid character in literal"),
                None => return self.eof(),
            }
        }
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A JSON number (grammar only).
    fn number(&mut self) -> Result<(), Error> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            Some(_) => return self.err("invalid character in numeric literal"),
            None => return self.eof(),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return match self.peek() {
                    None => self.eof(),
                    Some(_) => self.err("invalid character after decimal point in numeric literal"),
                };
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return match self.peek() {
                    None => self.eof(),
                    Some(_) => self.err("invalid character in exponent of numeric literal"),
                };
            }
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                Some(_) => {
                    return self.err("invalid character in \\u hexadecimal character escape")
                }
                None => return self.eof(),
            };
            v = v * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    /// The length of the raw string starting at `"` (up to its closing quote, or the input's end).
    fn raw_len(&self) -> usize {
        let mut i = self.pos + 1;
        while let Some(&c) = self.b.get(i) {
            match c {
                b'"' => break,
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        i.min(self.b.len()) - self.pos
    }

    /// A string starting at `"`; decoded into `sink` when given. The input is valid UTF-8.
    fn string(&mut self, mut sink: Option<&mut String>) -> Result<(), Error> {
        self.pos += 1; // opening quote
        let b = self.b;
        loop {
            // Copy the run of plain bytes at once.
            let start = self.pos;
            while let Some(&c) = b.get(self.pos) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            if let Some(s) = sink.as_deref_mut() {
                // Runs end at ASCII bytes, so they are whole UTF-8 sequences.
                s.push_str(std::str::from_utf8(&b[start..self.pos]).unwrap_or_default());
            }
            match self.peek() {
                None => return self.eof(),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let at = self.pos;
                    self.pos += 1;
                    let c = match self.peek() {
                        None => return self.eof(),
                        Some(c) => c,
                    };
                    self.pos += 1;
                    let ch = match c {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape(at)?,
                        _ => {
                            self.pos -= 1;
                            return self.err("invalid character in string escape code");
                        }
                    };
                    if let Some(s) = sink.as_deref_mut() {
                        s.push(ch);
                    }
                }
                Some(_) => return self.err("invalid control character in string literal"),
            }
        }
    }

    /// After `\u`: one code point, combining a surrogate pair (D8: lone surrogates and NUL are
    /// errors).
    fn unicode_escape(&mut self, at: usize) -> Result<char, Error> {
        let lone = || {
            Err(Error::parse(format!(
                "lone surrogate escape in string at offset {at}"
            )))
        };
        let hi = self.hex4()?;
        let cp = match hi {
            0 => return Err(Error::parse(format!("\\u0000 in string at offset {at}"))),
            0xD800..=0xDBFF => {
                if self.b.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return lone();
                }
                self.pos += 2;
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return lone();
                }
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            }
            0xDC00..=0xDFFF => return lone(),
            _ => hi,
        };
        char::from_u32(cp).map_or_else(lone, Ok)
    }

    /// Validates and skips one value of any kind, without recursion. `depth` is the nesting
    /// depth the value starts at (the top-level object is depth 1).
    fn skip_value(&mut self, depth: usize) -> Result<(), Error> {
        let mut stack: Vec<u8> = Vec::new();
        loop {
            // A value is expected here.
            self.ws();
            let opened = match self.peek() {
                None => return self.eof(),
                Some(c @ (b'{' | b'[')) => {
                    if depth + stack.len() > MAX_DEPTH {
                        return self.err("exceeded max depth");
                    }
                    self.pos += 1;
                    self.ws();
                    let close = if c == b'{' { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        false
                    } else {
                        stack.push(c);
                        if c == b'{' {
                            self.key()?;
                        }
                        true
                    }
                }
                Some(b'"') => {
                    self.string(None)?;
                    false
                }
                Some(b't') => {
                    self.literal(b"true")?;
                    false
                }
                Some(b'f') => {
                    self.literal(b"false")?;
                    false
                }
                Some(b'n') => {
                    self.literal(b"null")?;
                    false
                }
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                    false
                }
                Some(_) => return self.err("invalid character looking for beginning of value"),
            };
            if opened {
                continue;
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(&top) = stack.last() else {
                    return Ok(());
                };
                self.ws();
                match (top, self.peek()) {
                    (_, None) => return self.eof(),
                    (b'{', Some(b',')) => {
                        self.pos += 1;
                        self.key()?;
                        break;
                    }
                    (b'[', Some(b',')) => {
                        self.pos += 1;
                        break;
                    }
                    (b'{', Some(b'}')) | (b'[', Some(b']')) => {
                        self.pos += 1;
                        stack.pop();
                    }
                    (b'{', Some(_)) => {
                        return self.err("invalid character after object key:value pair")
                    }
                    (_, Some(_)) => return self.err("invalid character after array element"),
                }
            }
        }
    }

    /// An object key and its colon, inside a skipped object.
    fn key(&mut self) -> Result<(), Error> {
        self.ws();
        match self.peek() {
            Some(b'"') => self.string(None)?,
            Some(_) => {
                return self.err("invalid character looking for beginning of object key string")
            }
            None => return self.eof(),
        }
        self.ws();
        self.expect(b':', "after object key")
    }
}

fn field_name(f: Field) -> &'static str {
    match f {
        Field::Version => "Version",
        Field::AccessKeyId => "AccessKeyId",
        Field::SecretAccessKey => "SecretAccessKey",
        Field::SessionToken => "SessionToken",
        Field::Expiration => "Expiration",
        Field::AccountId => "AccountId",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Output, Error> {
        parse(s.as_bytes())
    }

    #[test]
    fn basic() {
        let o = p(r#"{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK","SessionToken":"T","AccountId":"123","Expiration":"2030-01-01T00:00:00Z"}"#).unwrap();
        assert_eq!(o.version, 1);
        assert_eq!(o.access_key_id.as_str(), "AK");
        assert_eq!(o.secret_access_key.as_str(), "SK");
        assert_eq!(o.session_token.as_str(), "T");
        assert_eq!(o.account_id.as_deref(), Some("123"));
        assert!(o.expiration.is_some());
    }

    #[test]
    fn folding_duplicates_nulls() {
        let o = p("{\"version\":1,\"ACCESSKEYID\":\"a\",\"accesskeyid\":\"b\",\"\u{17f}ecretAccessKey\":\"s\",\"AccessKeyId\":null}").unwrap();
        assert_eq!(o.version, 1);
        assert_eq!(o.access_key_id.as_str(), "b");
        assert_eq!(o.secret_access_key.as_str(), "s");
        let o =
            p(r#"{"Expiration":"2030-01-01T00:00:00Z","Expiration":null,"Version":null}"#).unwrap();
        assert!(o.expiration.is_none());
        assert_eq!(o.version, 0);
        let o = p(r#"{"\u0041ccessKeyId":"x"}"#).unwrap();
        assert_eq!(o.access_key_id.as_str(), "x");
    }

    #[test]
    fn errors_never_show_output() {
        let secret = "wJalrXUtnFEMI-fake-secret";
        for doc in [
            format!(r#"{{"SecretAccessKey":"{secret}"#),
            format!(r#"{{"SecretAccessKey":"{secret}"}} {secret}"#),
            format!(r#"{{"SecretAccessKey":"{secret}", x}}"#),
            secret.to_string(),
        ] {
            let e = p(&doc).unwrap_err();
            assert_eq!(e.code(), "ProcessProviderParseError");
            assert!(
                !e.to_string().contains("wJal"),
                "leaked: {}",
                e.to_string().len()
            );
        }
    }

    #[test]
    fn rejections() {
        for doc in [
            "",
            " ",
            "[]",
            "\"x\"",
            "1",
            "true",
            "\u{feff}{}",
            "{} {}",
            "{} x",
            r#"{"Version":"1"}"#,
            r#"{"Version":1.0}"#,
            r#"{"Version":1e0}"#,
            r#"{"Version":true}"#,
            r#"{"Version":99999999999999999999}"#,
            r#"{"AccessKeyId":5}"#,
            r#"{"Expiration":""}"#,
            r#"{"Expiration":5}"#,
            r#"{"Expiration":"2030-01-01 00:00:00Z"}"#,
            r#"{"x":"\ud800"}"#,
            r#"{"x":"\udc00"}"#,
            r#"{"x":"\u0000"}"#,
            r#"{"x":01}"#,
            r#"{"x":[1,]}"#,
            r#"{"x":"a
b"}"#,
            r#"{"a":1,}"#,
            r#"{'a':1}"#,
        ] {
            assert!(p(doc).is_err(), "{doc:?} should fail");
        }
        assert!(parse(b"{\"x\":\"\xff\"}").is_err());
    }

    #[test]
    fn acceptances() {
        for doc in [
            "null",
            " \r\n{}\r\n ",
            r#"{"Version":-0}"#,
            r#"{"x":{"y":[1,2,{"z":null}],"w":-1.5e+3},"Version":2}"#,
            r#"{"AccountId":5}"#,
            r#"{"x":"\ud83d\ude00 \/ \b"}"#,
        ] {
            assert!(p(doc).is_ok(), "{doc:?} should parse");
        }
    }

    #[test]
    fn depth_limit_without_recursion() {
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(p(&deep).is_err());
        let ok = format!("{{\"x\":{}{}}}", "[".repeat(9_999), "]".repeat(9_999));
        assert!(p(&ok).is_ok());
        let over = format!("{{\"x\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(p(&over).is_err());
    }
}

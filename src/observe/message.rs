//! An event's message: `key=value` fields (logfmt), written once a logger wants the event, and
//! read back ([`fields`]).

use std::fmt::{self, Display, Write as _};
use std::time::Duration;

use crate::error::Status;

/// The `key=value` fields of an event's message, values unquoted, in order. Text that is not a
/// field is skipped.
///
/// ```
/// use processcreds::observe::fields;
///
/// let f = fields(r#"program=helper status=ok duration_ms=1.250 detail="a b\"c""#);
/// assert_eq!(f[0], ("program".to_owned(), "helper".to_owned()));
/// assert_eq!(f[3], ("detail".to_owned(), "a b\"c".to_owned()));
/// ```
pub fn fields(message: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = message.trim_start();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().to_owned();
        rest = &rest[eq + 1..];
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let (v, used) = unquote(quoted);
            value = v;
            rest = &quoted[used..];
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            value = rest[..end].to_owned();
            rest = &rest[end..];
        }
        out.push((key, value));
        rest = rest.trim_start();
    }
    out
}

/// The text of a quoted value (after its opening quote) and the bytes used, closing quote
/// included.
fn unquote(s: &str) -> (String, usize) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, i + 1),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, 'x')) => {
                    let hex: String = chars.by_ref().take(2).map(|(_, c)| c).collect();
                    if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        out.push(c);
                    }
                }
                Some((_, c)) => out.push(c),
                None => break,
            },
            c => out.push(c),
        }
    }
    (out, s.len())
}

/// Writes `value` as a logfmt value: bare when it needs no quoting, else quoted with Go's
/// `strconv.Quote` escapes.
pub(super) fn write_value(out: &mut String, value: &str) {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| !c.is_control() && c != ' ' && c != '"' && c != '=' && c != '\\');
    if plain {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An event's message as given to a logger: its text followed by a NUL byte (for the C ABI,
/// which passes it without copying).
pub(crate) struct Message(pub(super) String);

impl Message {
    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0[..self.0.len() - 1]
    }

    /// The text as a NUL-terminated C string, valid while `self` lives.
    pub(crate) fn as_c_ptr(&self) -> *const std::ffi::c_char {
        self.0.as_ptr().cast()
    }
}

/// A status as an event gives it: `execution`, `timeout`, ... (its C name, lower case, without
/// `PC_STATUS_`).
pub(crate) fn status_name(s: Status) -> String {
    s.name()
        .trim_start_matches("PC_STATUS_")
        .to_ascii_lowercase()
}

/// A duration as milliseconds with three decimals.
pub(crate) struct Millis(pub Duration);

impl Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0.as_micros();
        write!(f, "{}.{:03}", us / 1000, us % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_when_they_must_be_and_parse_back() {
        let mut s = String::new();
        for v in [
            "plain",
            "",
            "a b",
            "q\"uote",
            "k=v",
            "back\\slash",
            "nl\nx",
            "\u{1}",
        ] {
            s.clear();
            s.push_str("k=");
            write_value(&mut s, v);
            let parsed = fields(&s);
            assert_eq!(parsed, vec![("k".to_owned(), v.to_owned())], "{s}");
        }
        let mut s = String::new();
        write_value(&mut s, "plain/path.entry");
        assert_eq!(s, "plain/path.entry");
    }

    #[test]
    fn millis_have_three_decimals() {
        assert_eq!(
            Millis(Duration::from_micros(1_234_567)).to_string(),
            "1234.567"
        );
        assert_eq!(Millis(Duration::from_micros(5)).to_string(), "0.005");
    }
}

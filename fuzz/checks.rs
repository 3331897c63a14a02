//! Invariants checked on every fuzzed input, shared by the cargo-fuzz targets (`fuzz_targets/`)
//! and the stable property test (`tests/fuzz_props.rs`, which includes this file). Each check
//! panics on a violation.
//!
//! - Neither parser panics (any panic is a finding).
//! - Output parser: an error is a parse error with Go's code and message, and its cause names the
//!   problem and an offset but never a byte of the output (D4): every word of it must be a word
//!   of the parser's own sources. A success holds no NUL (D8), and its `Debug` print never shows
//!   the secret access key or the session token.
//! - INI reader: an error is `line N: ...` with words of the reader's own sources only; a success
//!   has trimmed, non-empty names, keys and values on one line each.

#![allow(dead_code)]

/// The sources whose words an error text may use.
const SOURCES: &[&str] = &[
    include_str!("../src/output.rs"),
    include_str!("../src/time.rs"),
    include_str!("../src/error.rs"),
    include_str!("../src/ini.rs"),
    include_str!("../src/config.rs"),
];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn vocabulary() -> &'static std::collections::HashSet<&'static str> {
    static V: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    V.get_or_init(|| {
        SOURCES
            .iter()
            .flat_map(|s| s.split(|c: char| !is_word_char(c)))
            .filter(|w| !w.is_empty())
            .collect()
    })
}

/// Every word of `text` is a number or a word of the sources. Returns the first other word.
pub fn foreign_word(text: &str) -> Option<&str> {
    let vocab = vocabulary();
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .find(|w| !w.bytes().all(|b| b.is_ascii_digit()) && !vocab.contains(w))
}

const PARSE_PREFIX: &str =
    "ProcessProviderParseError: parse failed of credential_process output\ncaused by: ";

pub fn check_output(data: &[u8]) {
    match processcreds::output::parse(data) {
        Ok(out) => {
            for s in [
                out.access_key_id.as_str(),
                out.secret_access_key.as_str(),
                out.session_token.as_str(),
                out.account_id.as_deref().unwrap_or(""),
            ] {
                assert!(!s.contains('\0'), "a NUL byte got through");
            }
            let shown = format!("{out:?}");
            for (name, s) in [
                ("secret access key", out.secret_access_key.as_str()),
                ("session token", out.session_token.as_str()),
            ] {
                // Only distinctive values: a short one may match a number or a field name.
                let distinctive = s.len() >= 12
                    && !out.access_key_id.contains(s)
                    && !out.account_id.as_deref().unwrap_or("").contains(s);
                assert!(
                    !(distinctive && shown.contains(s)),
                    "Debug of Output shows the {name}"
                );
            }
        }
        Err(e) => {
            assert_eq!(e.status(), processcreds::Status::Parse);
            assert_eq!(e.code(), "ProcessProviderParseError");
            let text = e.to_string();
            assert!(text.starts_with(PARSE_PREFIX), "unexpected error text");
            let cause = &text[PARSE_PREFIX.len()..];
            if let Some(w) = foreign_word(cause) {
                panic!(
                    "parse error cause holds a word that is not the parser's own ({} bytes)",
                    w.len()
                );
            }
        }
    }
}

pub fn check_ini(data: &[u8]) {
    let space = |c: char| c.is_whitespace() && c != '\n' && c != '\r';
    match processcreds::config::parse_ini_for_fuzz(data) {
        Ok(sections) => {
            for (name, kv) in sections {
                assert!(!name.starts_with(space) && !name.ends_with(space));
                assert!(!name.contains('\n'));
                for (k, v) in kv {
                    assert!(!k.is_empty(), "empty key");
                    assert!(!k.starts_with(space) && !k.ends_with(space));
                    assert!(!k.contains('\n') && !v.contains('\n'));
                    assert!(!v.is_empty(), "empty value");
                    assert!(!v.starts_with(' ') && !v.ends_with(' '));
                }
            }
        }
        Err(e) => {
            assert!(e.starts_with("line "), "unexpected INI error text");
            if let Some(w) = foreign_word(&e) {
                panic!(
                    "INI error holds a word that is not the reader's own ({} bytes)",
                    w.len()
                );
            }
        }
    }
}

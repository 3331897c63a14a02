//! The INI reader for the shared config and credentials files.
//!
//! It reads what aws-sdk-go v1's `internal/ini` reads, with one deliberate difference (D9, SEMANTICS.md):
//! a double quote is an ordinary character, so a value is kept verbatim wherever quotes stand.
//!
//! The grammar, as Go v1 applies it:
//!
//! * A file is a sequence of tokens: runs of white space (any Unicode space except `\n` and
//!   `\r`), `,`, comments, newlines (`\n` or `\r\n`; a lone `\r` is an ordinary character), `[`,
//!   `]`, the separators `=` and `:`, and literals. A literal runs until a space, a newline, `=`,
//!   `:`, `[` or `]` (so a tab, `#`, `;` or `,` inside a literal belong to it).
//! * `#` and `;` start a comment only where a token starts: at the start of a line, after white
//!   space, after `=`, `:`, `[`, `]` or `,`. `a#b` is a literal; `cat f # x` is `cat f` and a
//!   comment.
//! * `[ name ]` opens (or, when repeated, resets) a section; the name is trimmed of white space.
//!   A header may span lines: newlines inside the brackets are dropped.
//! * `key = value` or `key: value` sets a key of the current section (keys before any header go
//!   to the section named `""`). Keys are trimmed of white space and case-sensitive; the value
//!   runs to the end of the line or to a comment and is trimmed of spaces (only U+0020: a
//!   trailing tab stays). The last duplicate wins.
//! * `key =` with nothing after it leaves the key absent and skips the indented lines that
//!   follow (sub-properties); so does a line holding a key without a separator. Skipping stops
//!   at the first line that does not start with white space (an empty line stops it too).
//! * A `,` where a value token would start (`key = a ,b`) drops the key and skips the rest of
//!   the line and the indented lines that follow.
//! * Errors (the whole file is rejected): a comment or `,` right after the separator
//!   (`key = #x`); a key without a separator followed by a comment, `,`, `[`, `]` or the end of
//!   the file; a statement starting with `=`, `:`, `,` or `]`; an empty or unterminated section
//!   header; a comment, `,` or `[` inside a header; invalid UTF-8 (Go reads it as U+FFFD). A byte
//!   order mark is not skipped (Go does not skip it either), so a file starting with one and a
//!   header is rejected.
//!
//! Errors name the line and what was wrong there, never the text of the file (it may hold
//! secrets).

// Sorted maps: a config file holds a few sections and keys, which a BTreeMap looks up as fast as
// a HashMap would, without hashing, and walks in the same order every time.
use std::collections::BTreeMap;

use std::fmt;
use zeroize::Zeroize;

/// Every section with its keys and values, sorted (see [`Ini::dump`]).
pub(crate) type Dump = Vec<(String, Vec<(String, String)>)>;

/// One parsed file: its sections by name.
#[derive(Debug, Default)]
pub(crate) struct Ini {
    sections: BTreeMap<String, Section>,
}

/// One section: its keys and values (wiped when dropped: values may be secrets).
#[derive(Default)]
pub(crate) struct Section {
    values: BTreeMap<String, String>,
}

impl Drop for Section {
    fn drop(&mut self) {
        for v in self.values.values_mut() {
            v.zeroize();
        }
    }
}

impl std::fmt::Debug for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut keys: Vec<&String> = self.values.keys().collect();
        keys.sort();
        f.debug_struct("Section")
            .field("keys", &keys)
            .finish_non_exhaustive()
    }
}

/// Why a file was rejected: the 1-based line and a description that never quotes the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub(crate) line: usize,
    pub(crate) what: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

impl Ini {
    /// The section with exactly this name.
    pub(crate) fn section(&self, name: &str) -> Option<&Section> {
        self.sections.get(name)
    }

    /// All sections, sorted by name, each with its keys sorted (for tests and fuzzing).
    pub(crate) fn dump(&self) -> Dump {
        let mut out: Vec<(String, Vec<(String, String)>)> = self
            .sections
            .iter()
            .map(|(name, s)| {
                let mut kv: Vec<(String, String)> = s
                    .values
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                kv.sort();
                (name.clone(), kv)
            })
            .collect();
        out.sort();
        out
    }

    /// Parses a whole file.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Ini, ParseError> {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let line = 1 + bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                return Err(ParseError {
                    line,
                    what: "invalid UTF-8",
                });
            }
        };
        Parser::new(text).run()
    }
}

impl Section {
    /// The value of `key`, if the key is present.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }
}

/// White space as Go v1's INI lexer sees it: Unicode white space except `\n` and `\r`.
fn is_space(c: char) -> bool {
    c.is_whitespace() && c != '\n' && c != '\r'
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Space,
    Comma,
    Comment,
    Newline,
    Open,
    Close,
    Sep,
    Lit,
    End,
}

/// Where the reader stands between tokens.
enum State {
    /// Between statements (start of file, after a header, a comment or a finished key).
    Between,
    /// A key is being read; it started at this byte offset.
    Key { start: usize },
    /// After `key =`, before the first token of the value.
    AfterSep { key: String },
    /// The value of `key` started at this byte offset.
    Value { key: String, start: usize },
    /// After `[`.
    HeaderOpen,
    /// Reading a header name.
    Header { name: String },
    /// Skipping until a line that does not start with white space; `mid_line` while the rest
    /// of the current line still has to go.
    Skip { mid_line: bool },
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    ini: Ini,
    scope: String,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser {
            text,
            pos: 0,
            line: 1,
            ini: Ini::default(),
            scope: String::new(),
        }
    }

    fn err(&self, what: &'static str) -> ParseError {
        ParseError {
            line: self.line,
            what,
        }
    }

    /// The token starting at `self.pos` and its end offset.
    fn token(&self) -> (Tok, usize) {
        let b = self.text.as_bytes();
        let i = self.pos;
        if i >= b.len() {
            return (Tok::End, i);
        }
        match b[i] {
            b',' => return (Tok::Comma, i + 1),
            b'#' | b';' => {
                let end = memchr_nl(&b[i..]).map_or(b.len(), |n| i + n);
                // A `\r` right before the `\n` belongs to the newline.
                let end = if end > i + 1 && end < b.len() && b[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                };
                return (Tok::Comment, end);
            }
            b'\n' => return (Tok::Newline, i + 1),
            b'\r' if b.get(i + 1) == Some(&b'\n') => return (Tok::Newline, i + 2),
            b'[' => return (Tok::Open, i + 1),
            b']' => return (Tok::Close, i + 1),
            b'=' | b':' => return (Tok::Sep, i + 1),
            _ => {}
        }
        let mut chars = self.text[i..].char_indices();
        if let Some((_, c)) = chars.next() {
            if is_space(c) {
                let end = self.text[i..]
                    .char_indices()
                    .find(|&(_, c)| !is_space(c))
                    .map_or(b.len(), |(n, _)| i + n);
                return (Tok::Space, end);
            }
        }
        // A literal: everything up to a space, a newline, `=`, `:`, `[` or `]`.
        let mut j = i;
        while j < b.len() {
            match b[j] {
                b' ' | b'\n' | b'=' | b':' | b'[' | b']' => break,
                b'\r' if b.get(j + 1) == Some(&b'\n') => break,
                _ => j += 1,
            }
        }
        (Tok::Lit, j)
    }

    fn set(&mut self, key: String, raw: &str) {
        let value = raw.trim_matches(' ').to_owned();
        if let Some(section) = self.ini.sections.get_mut(&self.scope) {
            if let Some(mut old) = section.values.insert(key, value) {
                old.zeroize(); // a replaced value may be a secret
            }
        } else {
            let mut section = Section::default();
            section.values.insert(key, value);
            self.ini.sections.insert(self.scope.clone(), section);
        }
    }

    fn run(mut self) -> Result<Ini, ParseError> {
        let mut state = State::Between;
        loop {
            let (tok, end) = self.token();
            let start = self.pos;
            state = match state {
                State::Between => match tok {
                    Tok::Space | Tok::Comment | Tok::Newline => State::Between,
                    Tok::Lit => State::Key { start },
                    Tok::Open => State::HeaderOpen,
                    Tok::End => break,
                    Tok::Close => return Err(self.err("']' without '['")),
                    Tok::Sep => return Err(self.err("'=' or ':' where a key should start")),
                    Tok::Comma => return Err(self.err("',' where a key should start")),
                },
                State::Key { start: key_start } => match tok {
                    Tok::Lit | Tok::Space => State::Key { start: key_start },
                    Tok::Sep => {
                        let key = self.text[key_start..start].trim_end_matches(is_space);
                        State::AfterSep {
                            key: key.to_owned(),
                        }
                    }
                    // A key without a separator: Go drops the line and its indented followers.
                    Tok::Newline => State::Skip { mid_line: false },
                    Tok::Open => return Err(self.err("'[' after a key without '=' or ':'")),
                    Tok::Close => return Err(self.err("']' without '['")),
                    Tok::Comment => return Err(self.err("comment after a key without '=' or ':'")),
                    Tok::Comma => return Err(self.err("',' after a key without '=' or ':'")),
                    Tok::End => return Err(self.err("key without '=' or ':' at end of file")),
                },
                State::AfterSep { key } => match tok {
                    Tok::Space => State::AfterSep { key },
                    Tok::Lit | Tok::Open | Tok::Close | Tok::Sep => State::Value { key, start },
                    // `key =` with no value: absent; indented lines that follow are skipped.
                    Tok::Newline => State::Skip { mid_line: false },
                    Tok::End => break,
                    Tok::Comment => return Err(self.err("comment where a value should start")),
                    Tok::Comma => return Err(self.err("',' where a value should start")),
                },
                State::Value { key, start: v } => match tok {
                    Tok::Lit | Tok::Space | Tok::Open | Tok::Close | Tok::Sep => {
                        State::Value { key, start: v }
                    }
                    Tok::Newline | Tok::Comment => {
                        self.set(key, &self.text[v..start]);
                        State::Between
                    }
                    Tok::End => {
                        self.set(key, &self.text[v..start]);
                        break;
                    }
                    // Go drops the key and skips the rest of the line.
                    Tok::Comma => State::Skip { mid_line: true },
                },
                State::HeaderOpen => match tok {
                    Tok::Space | Tok::Newline => State::HeaderOpen,
                    Tok::Lit => State::Header {
                        name: self.text[start..end].to_owned(),
                    },
                    Tok::Close => return Err(self.err("empty section name")),
                    Tok::Open => return Err(self.err("'[' inside a section header")),
                    Tok::Comment => return Err(self.err("comment inside a section header")),
                    Tok::Sep => {
                        return Err(self.err("'=' or ':' where a section name should start"))
                    }
                    Tok::Comma => return Err(self.err("',' inside a section header")),
                    Tok::End => return Err(self.err("unterminated section header")),
                },
                State::Header { mut name } => match tok {
                    Tok::Lit | Tok::Space | Tok::Sep => {
                        name.push_str(&self.text[start..end]);
                        State::Header { name }
                    }
                    Tok::Newline => State::Header { name },
                    Tok::Close => {
                        let name = name.trim_matches(is_space).to_owned();
                        self.ini.sections.insert(name.clone(), Section::default());
                        self.scope = name;
                        State::Between
                    }
                    Tok::Open => return Err(self.err("'[' inside a section header")),
                    Tok::Comment => return Err(self.err("comment inside a section header")),
                    Tok::Comma => return Err(self.err("',' inside a section header")),
                    Tok::End => return Err(self.err("unterminated section header")),
                },
                State::Skip { mid_line: true } => match tok {
                    Tok::Newline => State::Skip { mid_line: false },
                    Tok::End => break,
                    _ => State::Skip { mid_line: true },
                },
                State::Skip { mid_line: false } => match tok {
                    // An indented line: skipped whole.
                    Tok::Space => State::Skip { mid_line: true },
                    Tok::End => break,
                    // Any other line start ends the skipping; read the token normally.
                    _ => {
                        state = State::Between;
                        continue;
                    }
                },
            };
            if tok == Tok::Newline {
                self.line += 1;
            }
            self.pos = end;
        }
        Ok(self.ini)
    }
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Dump, ParseError> {
        Ini::parse(s.as_bytes()).map(|i| i.dump())
    }

    fn get(s: &str, section: &str, key: &str) -> Option<String> {
        Ini::parse(s.as_bytes())
            .unwrap()
            .section(section)
            .and_then(|sec| sec.get(key).map(str::to_owned))
    }

    #[test]
    fn basics() {
        let f = "[ default ]\na = 1\nb: 2\n\n[profile x]\nc=cat f # x\nd = a#b\n";
        assert_eq!(get(f, "default", "a").as_deref(), Some("1"));
        assert_eq!(get(f, "default", "b").as_deref(), Some("2"));
        assert_eq!(get(f, "profile x", "c").as_deref(), Some("cat f"));
        assert_eq!(get(f, "profile x", "d").as_deref(), Some("a#b"));
    }

    #[test]
    fn errors_name_lines() {
        assert_eq!(parse("[a]\nk = #x\n").unwrap_err().line, 2);
        assert_eq!(parse("[a\n").unwrap_err().line, 2);
        let e = Ini::parse(b"[a]\nk = v\xff\n").unwrap_err();
        assert_eq!(
            e,
            ParseError {
                line: 2,
                what: "invalid UTF-8"
            }
        );
    }
}

//! aws-smithy-json 0.65's token iterator (`src/deserialize.rs`, `JsonTokenIterator`), its
//! `skip_value` (`src/deserialize/token.rs`, depth limit 512) and `EscapedStr::to_unescaped`
//! (`src/escape.rs`), through aws-config's `json_parse_loop` (`src/json_credentials.rs:221`):
//! the top-level object's keys with the first token of each value.
//!
//! The tokenizer is lenient where Go and Python are not: a number is any run of digits, `.`,
//! `e`/`E` and signs that Rust's number parsers accept (`01`, `1.` and `1.e5` pass); a backslash
//! in a string skips the next byte, whatever it is (`\x`, a short `\u12`), and escapes are
//! checked only when a string is unescaped (the keys, and the values aws-config reads), where a
//! lone surrogate escape fails. Errors name a byte offset, never a byte of the output (a value
//! may be a secret).

/// The first token of a value, as aws-config's callback sees it.
#[derive(Debug, PartialEq)]
pub enum Token<'a> {
    /// A string, still escaped.
    Str(&'a str),
    Number(Number),
    Bool(bool),
    Null,
    /// `{` or `[`.
    Container,
}

/// `aws_smithy_types::Number`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    PosInt(u64),
    NegInt(i64),
    Float(f64),
}

impl Number {
    /// `i32::try_from(Number)`: integers in range, and floats converted without loss.
    pub fn to_i32(self) -> Result<i32, String> {
        match self {
            Number::PosInt(v) => i32::try_from(v).map_err(|e| e.to_string()),
            Number::NegInt(v) => i32::try_from(v).map_err(|e| e.to_string()),
            Number::Float(v) => {
                let c = v as i32;
                if f64::from(c) == v {
                    Ok(c)
                } else {
                    Err(format!(
                        "cannot convert floating point number {v} into an integer"
                    ))
                }
            }
        }
    }
}

const MAX_SKIP_DEPTH: usize = 512;

#[derive(Clone, Copy, PartialEq)]
enum State {
    Initial,
    ArrayFirst,
    ArrayNext,
    ObjectFirst,
    ObjectNext,
    ObjectValue,
}

#[derive(Debug, PartialEq)]
enum Tok<'a> {
    StartObject,
    EndObject,
    StartArray,
    EndArray,
    Key(&'a str),
    Value(Token<'a>),
}

struct Tokens<'a> {
    b: &'a [u8],
    i: usize,
    stack: Vec<State>,
}

type R<T> = Result<T, String>;

impl<'a> Tokens<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn expect(&self) -> R<u8> {
        self.peek()
            .ok_or_else(|| format!("unexpected end of input at {}", self.i))
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn set(&mut self, s: State) {
        self.stack.pop();
        self.stack.push(s);
    }

    /// `read_string`: from the opening quote; the raw text between the quotes.
    fn string(&mut self) -> R<&'a str> {
        self.i += 1;
        let start = self.i;
        loop {
            match self.expect()? {
                b'"' => {
                    let s = std::str::from_utf8(&self.b[start..self.i])
                        .map_err(|_| "invalid UTF-8".to_string())?;
                    self.i += 1;
                    return Ok(s);
                }
                // `next_expect` returns the backslash itself, which matches the `\\` arm: any
                // byte after a backslash is skipped, unchecked (its `\u` and error arms are
                // never reached).
                b'\\' => self.i = (self.i + 2).min(self.b.len()),
                c @ 0x00..=0x1f => return Err(format!("unexpected control character {c:#04x}")),
                _ => self.i += 1,
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(format!(
                "expected literal {} at {}",
                String::from_utf8_lossy(word),
                self.i
            ))
        }
    }

    /// `scan_number` and `expect_number`.
    fn number(&mut self) -> R<Number> {
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let mut floating = false;
        let exponent = |t: &mut Self| {
            t.i += 1;
            if matches!(t.peek(), Some(b'-' | b'+')) {
                t.i += 1;
            }
            while t.peek().is_some_and(|c| c.is_ascii_digit()) {
                t.i += 1;
            }
        };
        while let Some(c) = self.peek() {
            match c {
                b'0'..=b'9' => self.i += 1,
                b'.' => {
                    floating = true;
                    self.i += 1;
                    while let Some(c) = self.peek() {
                        match c {
                            b'0'..=b'9' => self.i += 1,
                            b'e' | b'E' => exponent(self),
                            _ => break,
                        }
                    }
                }
                b'e' | b'E' => {
                    floating = true;
                    exponent(self);
                }
                _ => break,
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("");
        let invalid = || format!("invalid number at {start}");
        if floating {
            return text.parse().map(Number::Float).map_err(|_| invalid());
        }
        if negative {
            return Ok(match text[1..].parse::<u64>() {
                Ok(p) if p <= i64::MAX as u64 => Number::NegInt(-(p as i64)),
                Ok(p) if p == i64::MAX as u64 + 1 => Number::NegInt(i64::MIN),
                Ok(p) => Number::Float(-(p as f64)),
                Err(_) => Number::Float(text.parse().map_err(|_| invalid())?),
            });
        }
        Ok(match text.parse::<u64>() {
            Ok(n) => Number::PosInt(n),
            Err(_) => Number::Float(text.parse().map_err(|_| invalid())?),
        })
    }

    /// `read_value`.
    fn value(&mut self) -> R<Tok<'a>> {
        self.ws();
        match self.expect()? {
            b'{' => {
                self.i += 1;
                self.stack.push(State::ObjectFirst);
                Ok(Tok::StartObject)
            }
            b'[' => {
                self.i += 1;
                self.stack.push(State::ArrayFirst);
                Ok(Tok::StartArray)
            }
            b'"' => Ok(Tok::Value(Token::Str(self.string()?))),
            c => {
                let v = match c {
                    b'n' => self.literal(b"null").map(|_| Token::Null)?,
                    b't' => self.literal(b"true").map(|_| Token::Bool(true))?,
                    b'f' => self.literal(b"false").map(|_| Token::Bool(false))?,
                    b'-' | b'0'..=b'9' => Token::Number(self.number()?),
                    _ => return Err(format!("unexpected token at byte {}", self.i)),
                };
                match self.peek() {
                    None | Some(b' ' | b'\t' | b'\r' | b'\n' | b'}' | b']' | b',') => {
                        Ok(Tok::Value(v))
                    }
                    Some(_) => Err(format!("unexpected token at byte {}", self.i)),
                }
            }
        }
    }

    fn key(&mut self) -> R<Tok<'a>> {
        match self.expect()? {
            b'"' => {
                self.set(State::ObjectValue);
                Ok(Tok::Key(self.string()?))
            }
            _ => Err(format!("unexpected token at byte {}", self.i)),
        }
    }

    fn end(&mut self, t: Tok<'a>) -> R<Tok<'a>> {
        self.i += 1;
        self.stack.pop();
        Ok(t)
    }

    /// `Iterator::next`: after an error the iterator is over.
    fn next(&mut self) -> Option<R<Tok<'a>>> {
        if self.i >= self.b.len() {
            return None;
        }
        self.ws();
        let state = *self.stack.last()?;
        let r = match state {
            State::Initial => {
                self.peek()?;
                self.value()
            }
            State::ArrayFirst => match self.peek() {
                Some(b']') => self.end(Tok::EndArray),
                _ => {
                    self.set(State::ArrayNext);
                    self.value()
                }
            },
            State::ArrayNext => match self.expect() {
                Ok(b']') => self.end(Tok::EndArray),
                Ok(b',') => {
                    self.i += 1;
                    self.value()
                }
                Ok(_) => Err(format!("unexpected token at byte {}", self.i)),
                Err(e) => Err(e),
            },
            State::ObjectFirst => match self.expect() {
                Ok(b'}') => self.end(Tok::EndObject),
                Ok(_) => self.key(),
                Err(e) => Err(e),
            },
            State::ObjectNext => match self.expect() {
                Ok(b'}') => self.end(Tok::EndObject),
                Ok(b',') => {
                    self.i += 1;
                    self.ws();
                    self.key()
                }
                Ok(_) => Err(format!("unexpected token at byte {}", self.i)),
                Err(e) => Err(e),
            },
            State::ObjectValue => match self.expect() {
                Ok(b':') => {
                    self.i += 1;
                    self.set(State::ObjectNext);
                    self.value()
                }
                Ok(_) => Err(format!("unexpected token at byte {}", self.i)),
                Err(e) => Err(e),
            },
        };
        if r.is_err() {
            self.i = self.b.len();
        }
        Some(r)
    }
}

/// `EscapedStr::to_unescaped`.
pub fn unescape(s: &str) -> R<String> {
    let b = s.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    let hex = |at: usize| -> R<u32> {
        if b.len() < at + 6 {
            return Err("unexpected end of string".into());
        }
        if &b[at..at + 2] != b"\\u" {
            return Err("expected a UTF-16 surrogate pair".into());
        }
        let h = std::str::from_utf8(&b[at + 2..at + 6]).map_err(|_| "invalid UTF-8")?;
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err("invalid JSON Unicode escape".into());
        }
        u32::from_str_radix(h, 16).map_err(|e| e.to_string())
    };
    while i < b.len() {
        if b[i] != b'\\' {
            let c = s[i..].chars().next().unwrap_or('\u{fffd}');
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        match b.get(i + 1) {
            None => return Err("unexpected end of string".into()),
            Some(b'u') => {
                let high = hex(i)?;
                let (read, c) = if (0xd800..0xdc00).contains(&high) {
                    let low = hex(i + 6)?;
                    if !(0xdc00..0xe000).contains(&low) {
                        return Err("invalid surrogate pair".into());
                    }
                    (12, 0x10000 + (high - 0xd800) * 0x400 + (low - 0xdc00))
                } else {
                    (6, high)
                };
                out.push(
                    char::from_u32(c).ok_or_else(|| {
                        "invalid JSON Unicode escape (a lone surrogate)".to_string()
                    })?,
                );
                i += read;
            }
            Some(&e) => {
                out.push(match e {
                    b'\\' => '\\',
                    b'/' => '/',
                    b'"' => '"',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    _ => return Err("invalid JSON escape".into()),
                });
                i += 2;
            }
        }
    }
    Ok(out)
}

/// `json_parse_loop`: calls `f` with each key of the top-level object (unescaped) and the first
/// token of its value, skipping the rest of the value; then nothing but whitespace may follow.
pub fn parse_loop<'a>(input: &'a [u8], mut f: impl FnMut(&str, &Token<'a>) -> R<()>) -> R<()> {
    let mut t = Tokens {
        b: input,
        i: 0,
        stack: vec![State::Initial],
    };
    if !matches!(t.next().transpose()?, Some(Tok::StartObject)) {
        return Err("expected a JSON document starting with `{`".into());
    }
    // The peeked token of the next value (`tokens.peek()` in json_parse_loop).
    let mut peeked: Option<R<Tok<'a>>> = None;
    let next =
        |t: &mut Tokens<'a>, peeked: &mut Option<R<Tok<'a>>>| peeked.take().or_else(|| t.next());
    loop {
        match next(&mut t, &mut peeked).transpose()? {
            Some(Tok::EndObject) => break,
            Some(Tok::Key(key)) => {
                peeked = t.next();
                if let Some(Ok(tok)) = &peeked {
                    let key = unescape(key)?;
                    let token = match tok {
                        Tok::Value(v) => match v {
                            Token::Str(s) => Token::Str(s),
                            Token::Number(n) => Token::Number(*n),
                            Token::Bool(b) => Token::Bool(*b),
                            Token::Null => Token::Null,
                            Token::Container => Token::Container,
                        },
                        _ => Token::Container,
                    };
                    f(&key, &token)?;
                }
                // skip_value
                let mut depth = 0usize;
                loop {
                    match next(&mut t, &mut peeked).transpose()? {
                        Some(Tok::StartObject | Tok::StartArray) => {
                            depth += 1;
                            if depth > MAX_SKIP_DEPTH {
                                return Err(
                                    "exceeded max recursion depth while skipping value".into()
                                );
                            }
                        }
                        Some(Tok::EndObject | Tok::EndArray) => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                        Some(Tok::Key(_)) => {}
                        Some(Tok::Value(_)) => {
                            if depth == 0 {
                                break;
                            }
                        }
                        None => return Err("unexpected end of input while skipping".into()),
                    }
                }
            }
            other => {
                return Err(format!(
                    "expected object key, found: {}",
                    if other.is_none() {
                        "the end"
                    } else {
                        "another token"
                    }
                ))
            }
        }
    }
    if t.next().is_some() {
        return Err("found more JSON tokens after completing parsing".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(doc: &str) -> R<Vec<(String, String)>> {
        let mut v = Vec::new();
        parse_loop(doc.as_bytes(), |k, t| {
            v.push((k.to_string(), format!("{t:?}")));
            Ok(())
        })?;
        Ok(v)
    }

    #[test]
    fn lenient_where_smithy_is() {
        assert!(keys(r#"{"a":01,"b":1.,"c":"\u12G4","d":[[{"e":1}]],"f":"\x","g":"\u1"}"#).is_ok());
        assert!(keys(r#"{"a\ud800":1}"#).is_err());
        assert!(keys(r#"{"a":1} x"#).is_err());
        assert!(keys(r#"{"a":1,}"#).is_err());
        assert!(keys("null").is_err());
        assert!(keys(" ").is_err());
        assert!(keys(r#"{"a":NaN}"#).is_err());
        let deep = |n: usize| format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n));
        assert!(keys(&deep(512)).is_ok() && keys(&deep(513)).is_err());
        assert_eq!(unescape(r"a\u0041\n\ud83d\ude00").unwrap(), "aA\n😀");
        assert!(unescape(r"\udc00").is_err() && unescape(r"\ud800x").is_err());
        assert_eq!(Number::Float(1.0).to_i32(), Ok(1));
        assert!(Number::Float(1.5).to_i32().is_err());
    }
}

//! Python 3's `json.loads` (the C scanner of CPython 3.11, `Modules/_json.c`, and
//! `Lib/json/decoder.py`), as botocore calls it on the helper's decoded output: what it accepts
//! and the values it gives, as far as botocore looks at them.
//!
//! Differences from the JSON that Go reads, all kept here: `NaN`, `Infinity` and `-Infinity` are
//! values; a lone surrogate escape (`\ud800`) is kept in the string as it is; duplicate keys are
//! kept, the last one wins (exact spelling); a text starting with a BOM is refused; an integer
//! of more than 4300 digits is refused (`sys.int_info.default_max_str_digits`); nesting deeper
//! than the interpreter's recursion limit raises `RecursionError`.

/// Containers nested deeper than this raise `RecursionError` (Python's recursion limit, 1000,
/// less the frames below `json.loads` in botocore's provider: measured, 991 with botocore 1.44
/// on CPython 3.11).
const MAX_DEPTH: usize = 991;
/// `sys.int_info.default_max_str_digits` (CPython ≥ 3.11).
const MAX_INT_DIGITS: usize = 4300;

/// A Python string: code points, lone surrogates included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PyStr(pub Vec<u32>);

impl PyStr {
    pub fn is(&self, s: &str) -> bool {
        self.0.iter().copied().eq(s.chars().map(u32::from))
    }

    pub fn has_surrogate(&self) -> bool {
        self.0.iter().any(|c| (0xd800..0xe000).contains(c))
    }

    /// The text, a lone surrogate shown as U+FFFD.
    pub fn lossy(&self) -> String {
        self.0
            .iter()
            .map(|&c| char::from_u32(c).unwrap_or('\u{fffd}'))
            .collect()
    }
}

/// A value as `json.loads` returns it.
#[derive(Clone, Debug, PartialEq)]
pub enum Py {
    None,
    Bool(bool),
    /// An `int`, as its JSON text.
    Int(String),
    Float(f64),
    Str(PyStr),
    List(Vec<Py>),
    /// A `dict`, every key in document order (the last of equal keys is the dict's value).
    Dict(Vec<(PyStr, Py)>),
}

impl Py {
    /// The name of the value's Python type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Py::None => "NoneType",
            Py::Bool(_) => "bool",
            Py::Int(_) => "int",
            Py::Float(_) => "float",
            Py::Str(_) => "str",
            Py::List(_) => "list",
            Py::Dict(_) => "dict",
        }
    }

    /// "a number", "an object", … for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Py::None => "null",
            Py::Bool(_) => "a boolean",
            Py::Int(_) | Py::Float(_) => "a number",
            Py::Str(_) => "a string",
            Py::List(_) => "an array",
            Py::Dict(_) => "an object",
        }
    }

    /// Python's truth value.
    pub fn truthy(&self) -> bool {
        match self {
            Py::None => false,
            Py::Bool(b) => *b,
            Py::Int(t) => t.trim_start_matches('-').bytes().any(|c| c != b'0'),
            Py::Float(f) => *f != 0.0,
            Py::Str(s) => !s.0.is_empty(),
            Py::List(l) => !l.is_empty(),
            Py::Dict(d) => !d.is_empty(),
        }
    }

    /// `self == 1` in Python (`True == 1`, `1.0 == 1`).
    pub fn equals_one(&self) -> bool {
        match self {
            Py::Bool(b) => *b,
            Py::Int(t) => t == "1",
            Py::Float(f) => *f == 1.0,
            _ => false,
        }
    }

    /// `dict.get(key)`: the value of the last key spelled exactly so.
    pub fn get(&self, key: &str) -> Option<&Py> {
        match self {
            Py::Dict(d) => d.iter().rev().find(|(k, _)| k.is(key)).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// `json.loads(text)`: the value, or the exception's type and message.
pub fn loads(text: &str) -> Result<Py, String> {
    let chars: Vec<u32> = text.chars().map(u32::from).collect();
    if chars.first() == Some(&0xfeff) {
        return Err("JSONDecodeError: Unexpected UTF-8 BOM (decode using utf-8-sig)".into());
    }
    let mut p = Parser {
        s: &chars,
        depth: 0,
    };
    let start = p.ws(0);
    let (v, end) = p.value(start)?;
    let end = p.ws(end);
    if end != chars.len() {
        return Err(format!("JSONDecodeError: Extra data at char {end}"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u32],
    depth: usize,
}

fn err<T>(what: &str, at: usize) -> Result<T, String> {
    Err(format!("JSONDecodeError: {what} at char {at}"))
}

impl Parser<'_> {
    fn at(&self, i: usize) -> Option<u32> {
        self.s.get(i).copied()
    }

    fn is(&self, i: usize, c: char) -> bool {
        self.at(i) == Some(c as u32)
    }

    fn ws(&self, mut i: usize) -> usize {
        while matches!(self.at(i), Some(0x20 | 0x09 | 0x0a | 0x0d)) {
            i += 1;
        }
        i
    }

    fn literal(&self, i: usize, word: &str) -> bool {
        word.chars()
            .enumerate()
            .all(|(k, c)| self.at(i + k) == Some(c as u32))
    }

    /// `scan_once` at `i`: a value and the index after it ("Expecting value" when none starts).
    fn value(&mut self, i: usize) -> Result<(Py, usize), String> {
        let Some(c) = self.at(i).and_then(char::from_u32) else {
            return err("Expecting value", i);
        };
        match c {
            '"' => self.string(i + 1).map(|(s, e)| (Py::Str(s), e)),
            '{' | '[' => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err("RecursionError: maximum recursion depth exceeded".into());
                }
                let r = if c == '{' {
                    self.object(i + 1)
                } else {
                    self.array(i + 1)
                };
                self.depth -= 1;
                r
            }
            'n' if self.literal(i, "null") => Ok((Py::None, i + 4)),
            't' if self.literal(i, "true") => Ok((Py::Bool(true), i + 4)),
            'f' if self.literal(i, "false") => Ok((Py::Bool(false), i + 5)),
            'N' if self.literal(i, "NaN") => Ok((Py::Float(f64::NAN), i + 3)),
            'I' if self.literal(i, "Infinity") => Ok((Py::Float(f64::INFINITY), i + 8)),
            '-' if self.literal(i + 1, "Infinity") => Ok((Py::Float(f64::NEG_INFINITY), i + 9)),
            '-' | '0'..='9' => self.number(i),
            _ => err("Expecting value", i),
        }
    }

    fn digits(&self, mut i: usize) -> usize {
        while self.at(i).is_some_and(|c| (0x30..=0x39).contains(&c)) {
            i += 1;
        }
        i
    }

    /// `_match_number_unicode`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`.
    fn number(&self, start: usize) -> Result<(Py, usize), String> {
        let mut i = start;
        if self.is(i, '-') {
            i += 1;
        }
        match self.at(i) {
            Some(0x31..=0x39) => i = self.digits(i + 1),
            Some(0x30) => i += 1,
            _ => return err("Expecting value", start),
        }
        let mut float = false;
        if self.is(i, '.') && self.digits(i + 1) > i + 1 {
            i = self.digits(i + 1);
            float = true;
        }
        if self.is(i, 'e') || self.is(i, 'E') {
            let mut j = i + 1;
            if self.is(j, '-') || self.is(j, '+') {
                j += 1;
            }
            if self.digits(j) > j {
                i = self.digits(j);
                float = true;
            }
        }
        let text: String = self.s[start..i]
            .iter()
            .map(|&c| char::from_u32(c).unwrap_or('?'))
            .collect();
        if float {
            // Python's float() rounds as Rust's parser does (both correctly rounded).
            Ok((Py::Float(text.parse().unwrap_or(f64::NAN)), i))
        } else if text.trim_start_matches('-').len() > MAX_INT_DIGITS {
            Err("ValueError: Exceeds the limit (4300 digits) for integer string conversion".into())
        } else {
            Ok((Py::Int(text), i))
        }
    }

    fn hex4(&self, i: usize) -> Option<u32> {
        (0..4).try_fold(0u32, |acc, k| {
            let c = char::from_u32(self.at(i + k)?)?;
            Some(acc * 16 + c.to_digit(16)?)
        })
    }

    /// `scanstring_unicode` (strict): from after the opening quote to after the closing one.
    fn string(&self, start: usize) -> Result<(PyStr, usize), String> {
        let mut out = Vec::new();
        let mut i = start;
        loop {
            let Some(c) = self.at(i) else {
                return err("Unterminated string starting at", start - 1);
            };
            match c {
                0x22 => return Ok((PyStr(out), i + 1)),
                0x5c => {
                    let Some(e) = self.at(i + 1) else {
                        return err("Unterminated string starting at", start - 1);
                    };
                    let simple = match char::from_u32(e) {
                        Some('"') => Some(0x22),
                        Some('\\') => Some(0x5c),
                        Some('/') => Some(0x2f),
                        Some('b') => Some(0x08),
                        Some('f') => Some(0x0c),
                        Some('n') => Some(0x0a),
                        Some('r') => Some(0x0d),
                        Some('t') => Some(0x09),
                        _ => None,
                    };
                    if let Some(v) = simple {
                        out.push(v);
                        i += 2;
                    } else if e == 'u' as u32 {
                        let Some(mut cp) = self.hex4(i + 2) else {
                            return err("Invalid \\uXXXX escape", i);
                        };
                        i += 6;
                        // A high surrogate takes a low one that follows as `\uXXXX`.
                        if (0xd800..0xdc00).contains(&cp) && self.is(i, '\\') && self.is(i + 1, 'u')
                        {
                            let Some(low) = self.hex4(i + 2) else {
                                return err("Invalid \\uXXXX escape", i);
                            };
                            if (0xdc00..0xe000).contains(&low) {
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                                i += 6;
                            }
                        }
                        out.push(cp);
                    } else {
                        return err("Invalid \\escape", i);
                    }
                }
                c if c < 0x20 => return err("Invalid control character", i),
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
    }

    fn object(&mut self, start: usize) -> Result<(Py, usize), String> {
        let mut pairs = Vec::new();
        let mut i = self.ws(start);
        if self.is(i, '}') {
            return Ok((Py::Dict(pairs), i + 1));
        }
        loop {
            if !self.is(i, '"') {
                return err("Expecting property name enclosed in double quotes", i);
            }
            let (key, e) = self.string(i + 1)?;
            i = self.ws(e);
            if !self.is(i, ':') {
                return err("Expecting ':' delimiter", i);
            }
            i = self.ws(i + 1);
            let (v, e) = self.value(i)?;
            pairs.push((key, v));
            i = self.ws(e);
            if self.is(i, '}') {
                return Ok((Py::Dict(pairs), i + 1));
            }
            if !self.is(i, ',') {
                return err("Expecting ',' delimiter", i);
            }
            i = self.ws(i + 1);
        }
    }

    fn array(&mut self, start: usize) -> Result<(Py, usize), String> {
        let mut items = Vec::new();
        let mut i = self.ws(start);
        if self.is(i, ']') {
            return Ok((Py::List(items), i + 1));
        }
        loop {
            let (v, e) = self.value(i)?;
            items.push(v);
            i = self.ws(e);
            if self.is(i, ']') {
                return Ok((Py::List(items), i + 1));
            }
            if !self.is(i, ',') {
                return err("Expecting ',' delimiter", i);
            }
            i = self.ws(i + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_json() {
        let v =
            loads(r#" {"a":1,"a":NaN,"b":"\ud800x","c":[1.5e0,-Infinity,true,null]} "#).unwrap();
        assert!(matches!(v.get("a"), Some(Py::Float(f)) if f.is_nan()));
        let Some(Py::Str(b)) = v.get("b") else {
            panic!()
        };
        assert!(b.has_surrogate());
        assert!(loads("\u{feff}{}").is_err());
        for bad in [
            "01",
            "1.",
            "-",
            "{\"a\":1,}",
            "[1,]",
            "\"\t\"",
            "\"\\x\"",
            "{} x",
            "tru",
        ] {
            assert!(loads(bad).is_err(), "{bad}");
        }
        assert!(loads(&"7".repeat(4301)).is_err());
        assert_eq!(loads("1E0").unwrap(), Py::Float(1.0));
        assert!(Py::Bool(true).equals_one() && Py::Float(1.0).equals_one());
        assert!(!Py::Int("10".into()).equals_one());
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(loads(&deep(991)).is_ok() && loads(&deep(992)).is_err());
    }
}

//! Go's `strconv.Quote`, for the names `os/exec`'s errors quote (`exec: "<name>": …`).
//!
//! Quote keeps a rune as it is when `strconv.IsPrint` accepts it (the ASCII graphic characters
//! and the space, and the letters, marks, numbers, punctuation and symbols of Unicode, but no
//! other space), and escapes the others: `\"` and `\\`; `\a`, `\b`, `\f`, `\n`, `\r`, `\t`,
//! `\v`; `\xNN` for the other controls below U+0020 and DEL; `\uNNNN` for other unprintable
//! runes up to U+FFFF and `\UNNNNNNNN` beyond; and `\xNN` for each byte that is not part of a
//! valid UTF-8 sequence. `IsPrint` is Go's table for its Unicode version ([`print_table`],
//! generated from Go by tests/goref_quote), and `tests/goref_quote/quote_vectors.txt` is
//! Go's own output for inputs covering every rule and both ends of every range of the table.

mod print_table;

use print_table::{PRINT16, PRINT32};

/// Go's `strconv.Quote(s)`.
pub(crate) fn go_quote(s: &str) -> String {
    go_quote_bytes(s.as_bytes())
}

/// Go's `strconv.Quote` of a Go string holding any bytes (the library's names are UTF-8, so
/// only [`go_quote`] calls it; it is the one implementation, tested with invalid UTF-8 too).
fn go_quote_bytes(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            escape_rune(&mut out, c);
        }
        for b in chunk.invalid() {
            hex(&mut out, "\\x", u32::from(*b), 2);
        }
    }
    out.push('"');
    out
}

/// Go's `appendEscapedRune` for Quote (not ASCII-only, not graphic-only).
fn escape_rune(out: &mut String, c: char) {
    match c {
        '"' | '\\' => {
            out.push('\\');
            out.push(c);
        }
        c if is_print(c) => out.push(c),
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        c if c < ' ' || c == '\x7f' => hex(out, "\\x", c as u32, 2),
        c if (c as u32) < 0x10000 => hex(out, "\\u", c as u32, 4),
        c => hex(out, "\\U", c as u32, 8),
    }
}

/// `prefix` and `v` in `digits` lowercase hexadecimal digits.
fn hex(out: &mut String, prefix: &str, v: u32, digits: usize) {
    use std::fmt::Write;
    let _ = write!(out, "{prefix}{v:0digits$x}");
}

/// Go's `strconv.IsPrint`.
fn is_print(c: char) -> bool {
    let r = c as u32;
    if r < 0x80 {
        return (0x20..0x7f).contains(&r);
    }
    match u16::try_from(r) {
        Ok(r) => in_ranges(PRINT16, r),
        Err(_) => in_ranges(PRINT32, r),
    }
}

/// Whether `v` is in one of `ranges` (sorted, disjoint, inclusive).
fn in_ranges<T: Ord + Copy>(ranges: &[(T, T)], v: T) -> bool {
    // The ranges before `i` end below `v`.
    let i = ranges.partition_point(|&(_, hi)| hi < v);
    ranges.get(i).is_some_and(|&(lo, _)| lo <= v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = include_str!("../../../tests/goref_quote/quote_vectors.txt");
    const TABLE: &str = include_str!("print_table.rs");

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn equal_to_go_on_its_vectors() {
        let mut cases = 0;
        for line in VECTORS.lines().filter(|l| !l.starts_with('#')) {
            let (input, want) = line.split_once('\t').expect("hex, tab, quoted");
            let input = unhex(input);
            assert_eq!(go_quote_bytes(&input), want, "input bytes {input:02x?}");
            if let Ok(s) = std::str::from_utf8(&input) {
                assert_eq!(go_quote(s), want);
            }
            cases += 1;
        }
        assert!(cases > 300, "{cases} cases");
    }

    #[test]
    fn vectors_and_table_come_from_the_same_unicode() {
        let version = |text: &str| {
            let at = text.find("(Unicode ").expect("a Unicode version") + 9;
            text[at..].split([')', ',']).next().unwrap().to_string()
        };
        assert_eq!(version(VECTORS), version(TABLE));
    }

    #[test]
    fn tables_are_sorted_and_disjoint() {
        fn check<T: Ord + Copy + std::fmt::Debug>(r: &[(T, T)]) {
            assert!(r.iter().all(|(lo, hi)| lo <= hi));
            assert!(r.windows(2).all(|w| w[0].1 < w[1].0), "{r:?}");
        }
        check(PRINT16);
        check(PRINT32);
    }

    #[test]
    fn named_cases() {
        assert_eq!(go_quote("a\x07b"), r#""a\ab""#);
        assert_eq!(go_quote("\x08\x0c\x0b"), r#""\b\f\v""#);
        assert_eq!(
            go_quote("\u{a0}\u{200b}\u{feff}"),
            r#""\u00a0\u200b\ufeff""#
        );
        assert_eq!(go_quote("\u{e0001}"), r#""\U000e0001""#);
        assert_eq!(go_quote("é😀"), "\"é😀\"");
        assert_eq!(go_quote_bytes(b"\xff\xe2\x82"), r#""\xff\xe2\x82""#);
    }
}

//! dateutil's lexer (`_timelex`, `dateutil/parser/_parser.py:58-217`) and the Python number
//! conversions its parser applies to tokens (`float()`, `Decimal()`, `int()`).

use super::super::pychar::{digit, is_alpha, is_digit, is_space};

pub(super) type Tok = Vec<u32>;

pub(super) fn text(t: &[u32]) -> String {
    t.iter()
        .map(|&c| char::from_u32(c).unwrap_or('\u{fffd}'))
        .collect()
}

pub(super) fn lower(t: &[u32]) -> String {
    text(t).to_lowercase()
}

pub(super) fn is(t: &[u32], s: &str) -> bool {
    t.iter().copied().eq(s.chars().map(u32::from))
}

/// `_timelex.split`: words, numbers (with `.`/`,` decimals), one token per other character, a
/// whitespace character as `" "`; NUL characters are dropped.
pub(super) fn split(s: &[u32]) -> Vec<Tok> {
    let chars: Vec<u32> = s.iter().copied().filter(|&c| c != 0).collect();
    let (dot, comma) = ('.' as u32, ',' as u32);
    let mut pos = 0;
    let mut pushed_back: Option<u32> = None;
    let mut pending: std::collections::VecDeque<Tok> = Default::default();
    let mut out = Vec::new();
    loop {
        if let Some(t) = pending.pop_front() {
            out.push(t);
            continue;
        }
        #[derive(PartialEq, Clone, Copy)]
        enum St {
            None,
            A,
            Num,
            ADot,
            NumDot,
        }
        let mut state = St::None;
        let mut seen_letters = false;
        let mut token: Tok = Vec::new();
        loop {
            let c = match pushed_back.take() {
                Some(c) => c,
                None => match chars.get(pos) {
                    Some(&c) => {
                        pos += 1;
                        c
                    }
                    None => break,
                },
            };
            match state {
                St::None => {
                    token = vec![c];
                    if is_alpha(c) {
                        state = St::A;
                    } else if is_digit(c) {
                        state = St::Num;
                    } else if is_space(c) {
                        token = vec![' ' as u32];
                        break;
                    } else {
                        break;
                    }
                }
                St::A => {
                    seen_letters = true;
                    if is_alpha(c) {
                        token.push(c);
                    } else if c == dot {
                        token.push(c);
                        state = St::ADot;
                    } else {
                        pushed_back = Some(c);
                        break;
                    }
                }
                St::Num => {
                    if is_digit(c) {
                        token.push(c);
                    } else if c == dot || (c == comma && token.len() >= 2) {
                        token.push(c);
                        state = St::NumDot;
                    } else {
                        pushed_back = Some(c);
                        break;
                    }
                }
                St::ADot => {
                    seen_letters = true;
                    if c == dot || is_alpha(c) {
                        token.push(c);
                    } else if is_digit(c) && token.last() == Some(&dot) {
                        token.push(c);
                        state = St::NumDot;
                    } else {
                        pushed_back = Some(c);
                        break;
                    }
                }
                St::NumDot => {
                    if c == dot || is_digit(c) {
                        token.push(c);
                    } else if is_alpha(c) && token.last() == Some(&dot) {
                        token.push(c);
                        state = St::ADot;
                    } else {
                        pushed_back = Some(c);
                        break;
                    }
                }
            }
        }
        if token.is_empty() {
            return out;
        }
        let dots = token.iter().filter(|&&c| c == dot).count();
        let last = *token.last().unwrap_or(&0);
        if matches!(state, St::ADot | St::NumDot)
            && (seen_letters || dots > 1 || last == dot || last == comma)
        {
            // re.split("([.,])", token): the first part is the token, the rest follow.
            let mut parts: Vec<Tok> = vec![Vec::new()];
            for &c in &token {
                if c == dot || c == comma {
                    parts.push(vec![c]);
                    parts.push(Vec::new());
                } else if let Some(p) = parts.last_mut() {
                    p.push(c);
                }
            }
            let mut it = parts.into_iter();
            token = it.next().unwrap_or_default();
            pending.extend(it.filter(|p| !p.is_empty()));
        }
        if state == St::NumDot && !token.contains(&dot) {
            for c in token.iter_mut() {
                if *c == comma {
                    *c = dot;
                }
            }
        }
        out.push(token);
    }
}

/// Python's `float(token)` for a token of the lexer (digits of any script, one `.`, or the
/// words `inf`, `infinity`, `nan`).
pub(super) fn py_float(t: &[u32]) -> Option<f64> {
    let s = lower(t);
    let s = s.trim_matches(|c: char| is_space(c as u32));
    if matches!(s, "inf" | "infinity") {
        return Some(f64::INFINITY);
    }
    if s == "nan" {
        return Some(f64::NAN);
    }
    let mut ascii = String::new();
    let mut any_digit = false;
    for c in s.chars() {
        if let Some(d) = digit(c as u32) {
            ascii.push(char::from(b'0' + d as u8));
            any_digit = true;
        } else if c == '.' {
            ascii.push('.');
        } else {
            return None;
        }
    }
    if !any_digit || ascii.matches('.').count() > 1 {
        return None;
    }
    ascii.parse().ok()
}

/// `Decimal(token)`, finite (`_to_decimal`).
pub(super) fn py_decimal(t: &[u32]) -> Result<f64, ()> {
    py_float(t).filter(|v| v.is_finite()).ok_or(())
}

/// Python's `int(s)` of a string: digits of any script, optional sign and surrounding
/// whitespace (the lexer's tokens hold no `_`). Past `i64`, Python would go on and fail later
/// (an out-of-range date part): an error here.
pub(super) fn py_int(t: &[u32]) -> Result<i64, ()> {
    let s: Vec<u32> = {
        let start = t.iter().position(|&c| !is_space(c)).unwrap_or(t.len());
        let end = t
            .iter()
            .rposition(|&c| !is_space(c))
            .map_or(start, |p| p + 1);
        t[start..end.max(start)].to_vec()
    };
    let (neg, digits) = match s.first() {
        Some(&c) if c == '-' as u32 => (true, &s[1..]),
        Some(&c) if c == '+' as u32 => (false, &s[1..]),
        _ => (false, &s[..]),
    };
    if digits.is_empty() {
        return Err(());
    }
    let mut v: i64 = 0;
    for &c in digits {
        let d = digit(c).ok_or(())?;
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(d)))
            .ok_or(())?;
    }
    Ok(if neg { -v } else { v })
}

pub(super) fn is_digits(t: &[u32]) -> bool {
    !t.is_empty() && t.iter().all(|&c| is_digit(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexer() {
        let toks = |s: &str| -> Vec<String> {
            split(&s.chars().map(u32::from).collect::<Vec<_>>())
                .iter()
                .map(|t| text(t))
                .collect()
        };
        assert_eq!(
            toks("2099-01-02T03:04:05.5Z"),
            ["2099", "-", "01", "-", "02", "T", "03", ":", "04", ":", "05.5", "Z"]
        );
        assert_eq!(toks("05,5"), ["05.5"]);
        assert_eq!(toks("a.m."), ["a", ".", "m", "."]);
        assert_eq!(toks("05.Z"), ["05.Z"]);
    }
}

//! `dateutil.parser.parse(s)` (python-dateutil 2.9.0, `dateutil/parser/_parser.py`), which
//! botocore applies to the Expiration (`RefreshableCredentials._expiry_datetime`,
//! botocore/credentials.py:637): its lexer (`_timelex`, line 58), its token rules
//! (`parser._parse`, line 666, and `_parse_numeric_token`, line 875), the year/month/day
//! resolution (`_ymd.resolve_ymd`, line 474), `parserinfo.validate` (line 380), and
//! `_build_naive`/`_build_tzaware` (lines 1217 and 1177), with the default parser's settings
//! (no `dayfirst`, no `yearfirst`, not fuzzy, no `tzinfos`).
//!
//! Missing date parts come from today (local time), a two-digit year is taken within 50 years
//! of this one, a time zone name dateutil does not know leaves the time naive (botocore then
//! fails comparing it with the aware current time).

use processcreds::time::UnixTime;

use super::civil::{days_from_civil, days_in_month, weekday};
use super::pychar::{digit, is_alpha, is_digit, is_space};

/// What `parse` returns.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// An aware datetime: the instant and its UTC offset in seconds.
    Aware { at: UnixTime, offset: i64 },
    /// A naive datetime (no zone, or a zone name dateutil does not know).
    Naive,
}

/// The local facts dateutil reads: today's date, this year, the zone's names and offset.
pub struct Local {
    pub today: (i64, i64, i64),
    pub names: Vec<String>,
    pub offset: i64,
}

impl Local {
    /// The machine's local time zone at `now` (UTC where it cannot be read).
    pub fn at(now: UnixTime) -> Local {
        let secs = now.as_nanos().div_euclid(1_000_000_000) as i64;
        let utc = || {
            let (y, m, d) = super::civil::civil_from_days(secs.div_euclid(86_400));
            Local {
                today: (y, m, d),
                names: vec!["UTC".into()],
                offset: 0,
            }
        };
        local_zone(secs).unwrap_or_else(utc)
    }
}

#[cfg(unix)]
fn local_zone(secs: i64) -> Option<Local> {
    let zone_at = |t: i64| -> Option<(libc::tm, String)> {
        let t = t as libc::time_t;
        // SAFETY: an all-zero `tm` is a valid value for localtime_r to overwrite.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are valid for the call; localtime_r is thread-safe.
        if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
            return None;
        }
        let name = if tm.tm_zone.is_null() {
            String::new()
        } else {
            // SAFETY: tm_zone points to a NUL-terminated name owned by the C library.
            unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }
                .to_string_lossy()
                .into_owned()
        };
        Some((tm, name))
    };
    let (tm, name) = zone_at(secs)?;
    // Python's time.tzname: the standard and the daylight-saving names.
    let (_, other) = zone_at(secs + 182 * 86_400)?;
    #[allow(clippy::useless_conversion)] // `c_long` is `i32` on 32-bit targets
    let offset = i64::from(tm.tm_gmtoff);
    Some(Local {
        today: (
            i64::from(tm.tm_year) + 1900,
            i64::from(tm.tm_mon) + 1,
            i64::from(tm.tm_mday),
        ),
        names: vec![name, other],
        offset,
    })
}

#[cfg(not(unix))]
fn local_zone(_secs: i64) -> Option<Local> {
    None
}

type Tok = Vec<u32>;

fn text(t: &[u32]) -> String {
    t.iter()
        .map(|&c| char::from_u32(c).unwrap_or('\u{fffd}'))
        .collect()
}

fn lower(t: &[u32]) -> String {
    text(t).to_lowercase()
}

fn is(t: &[u32], s: &str) -> bool {
    t.iter().copied().eq(s.chars().map(u32::from))
}

/// `_timelex.split`: words, numbers (with `.`/`,` decimals), one token per other character, a
/// whitespace character as `" "`; NUL characters are dropped.
fn split(s: &[u32]) -> Vec<Tok> {
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
fn py_float(t: &[u32]) -> Option<f64> {
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
fn py_decimal(t: &[u32]) -> Result<f64, ()> {
    py_float(t).filter(|v| v.is_finite()).ok_or(())
}

/// Python's `int(s)` of a string: digits of any script, optional sign and surrounding
/// whitespace (the lexer's tokens hold no `_`). Past `i64`, Python would go on and fail later
/// (an out-of-range date part): an error here.
fn py_int(t: &[u32]) -> Result<i64, ()> {
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

fn is_digits(t: &[u32]) -> bool {
    !t.is_empty() && t.iter().all(|&c| is_digit(c))
}

const JUMP: [&str; 18] = [
    " ", ".", ",", ";", "-", "/", "'", "at", "on", "and", "ad", "m", "t", "of", "st", "nd", "rd",
    "th",
];
const WEEKDAYS: [&str; 14] = [
    "mon",
    "monday",
    "tue",
    "tuesday",
    "wed",
    "wednesday",
    "thu",
    "thursday",
    "fri",
    "friday",
    "sat",
    "saturday",
    "sun",
    "sunday",
];
const MONTHS: [(&str, i64); 25] = [
    ("jan", 1),
    ("january", 1),
    ("feb", 2),
    ("february", 2),
    ("mar", 3),
    ("march", 3),
    ("apr", 4),
    ("april", 4),
    ("may", 5),
    ("jun", 6),
    ("june", 6),
    ("jul", 7),
    ("july", 7),
    ("aug", 8),
    ("august", 8),
    ("sep", 9),
    ("sept", 9),
    ("september", 9),
    ("oct", 10),
    ("october", 10),
    ("nov", 11),
    ("november", 11),
    ("dec", 12),
    ("december", 12),
    ("", 0),
];

fn jump(t: &[u32]) -> bool {
    JUMP.contains(&lower(t).as_str())
}

fn weekday_of(t: &[u32]) -> Option<i64> {
    let l = lower(t);
    WEEKDAYS.iter().position(|w| *w == l).map(|i| i as i64 / 2)
}

fn month_of(t: &[u32]) -> Option<i64> {
    let l = lower(t);
    MONTHS
        .iter()
        .find(|(n, m)| *m > 0 && *n == l)
        .map(|(_, m)| *m)
}

fn hms_of(t: &[u32]) -> Option<i64> {
    match lower(t).as_str() {
        "h" | "hour" | "hours" => Some(0),
        "m" | "minute" | "minutes" => Some(1),
        "s" | "second" | "seconds" => Some(2),
        _ => None,
    }
}

fn ampm_of(t: &[u32]) -> Option<i64> {
    match lower(t).as_str() {
        "am" | "a" => Some(0),
        "pm" | "p" => Some(1),
        _ => None,
    }
}

fn utczone(name: &str) -> bool {
    matches!(name.to_lowercase().as_str(), "utc" | "gmt" | "z")
}

/// Any failure inside `_parse` (an `IndexError` or `ValueError`): "Unknown string format".
#[derive(Debug)]
struct Fail;
type P<T> = Result<T, Fail>;

impl From<()> for Fail {
    fn from(_: ()) -> Fail {
        Fail
    }
}

#[derive(Default, Debug)]
struct Res {
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    weekday: Option<i64>,
    hour: Option<i64>,
    minute: Option<i64>,
    second: Option<i64>,
    microsecond: Option<i64>,
    tzname: Option<String>,
    tzoffset: Option<i64>,
    ampm: Option<i64>,
    century_specified: bool,
}

impl Res {
    fn len(&self) -> usize {
        [
            self.year.is_some(),
            self.month.is_some(),
            self.day.is_some(),
            self.weekday.is_some(),
            self.hour.is_some(),
            self.minute.is_some(),
            self.second.is_some(),
            self.microsecond.is_some(),
            self.tzname.is_some(),
            self.tzoffset.is_some(),
            self.ampm.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }
}

/// A value `_ymd.append` takes: a token (string) or a number.
enum YVal<'a> {
    Str(&'a [u32]),
    Num(f64),
}

#[derive(Default)]
struct Ymd {
    v: Vec<i64>,
    century_specified: bool,
    mstridx: Option<usize>,
    ystridx: Option<usize>,
}

#[derive(PartialEq, Clone, Copy)]
enum Label {
    None,
    M,
    Y,
}

impl Ymd {
    fn append(&mut self, val: YVal, mut label: Label) -> P<()> {
        let n = match val {
            YVal::Str(s) => {
                if is_digits(s) && s.len() > 2 {
                    self.century_specified = true;
                    if label == Label::M {
                        return Err(Fail);
                    }
                    label = Label::Y;
                }
                py_int(s)?
            }
            YVal::Num(f) => {
                if f > 100.0 {
                    self.century_specified = true;
                    if label == Label::M {
                        return Err(Fail);
                    }
                    label = Label::Y;
                }
                f.trunc() as i64
            }
        };
        self.v.push(n);
        match label {
            Label::M if self.mstridx.is_some() => return Err(Fail),
            Label::M => self.mstridx = Some(self.v.len() - 1),
            Label::Y if self.ystridx.is_some() => return Err(Fail),
            Label::Y => self.ystridx = Some(self.v.len() - 1),
            Label::None => {}
        }
        Ok(())
    }

    fn could_be_day(&self, value: f64) -> bool {
        let max = match (self.mstridx, self.ystridx) {
            (None, _) => 31,
            (Some(m), None) => days_in_month(2000, self.v[m]),
            (Some(m), Some(y)) => days_in_month(self.v[y], self.v[m]),
        };
        (1.0..=max as f64).contains(&value)
    }

    /// `resolve_ymd(yearfirst=False, dayfirst=False)`: (year, month, day).
    fn resolve(&self) -> P<(Option<i64>, Option<i64>, Option<i64>)> {
        let v = &self.v;
        let n = v.len();
        let strids: Vec<(char, usize)> = [('y', self.ystridx), ('m', self.mstridx)]
            .into_iter()
            .filter_map(|(k, i)| i.map(|i| (k, i)))
            .collect();
        if (n == strids.len() && n > 0) || (n == 3 && strids.len() == 2) {
            let mut ids = strids.clone();
            if n == 3 && ids.len() == 2 {
                let missing = (0..3)
                    .find(|x| !ids.iter().any(|(_, i)| i == x))
                    .ok_or(Fail)?;
                let key = ['y', 'm', 'd']
                    .into_iter()
                    .find(|k| !ids.iter().any(|(kk, _)| kk == k))
                    .ok_or(Fail)?;
                ids.push((key, missing));
            }
            let get = |k: char| ids.iter().find(|(kk, _)| *kk == k).map(|(_, i)| v[*i]);
            return Ok((get('y'), get('m'), get('d')));
        }
        let (mut year, mut month, mut day) = (None, None, None);
        let m = self.mstridx;
        if n > 3 {
            return Err(Fail);
        } else if n == 1 || (m.is_some() && n == 2) {
            let other = match m {
                Some(mi) => {
                    month = Some(v[mi]);
                    // self[mstridx - 1]: index -1 is the last one.
                    v[if mi == 0 { n - 1 } else { mi - 1 }]
                }
                None => v[0],
            };
            if n > 1 || m.is_none() {
                if other > 31 {
                    year = Some(other);
                } else {
                    day = Some(other);
                }
            }
        } else if n == 2 {
            if v[0] > 31 {
                (year, month) = (Some(v[0]), Some(v[1]));
            } else if v[1] > 31 {
                (month, year) = (Some(v[0]), Some(v[1]));
            } else {
                (month, day) = (Some(v[0]), Some(v[1]));
            }
        } else if n == 3 {
            let (a, b, c) = (Some(v[0]), Some(v[1]), Some(v[2]));
            match m {
                Some(0) => {
                    if v[1] > 31 {
                        (month, year, day) = (a, b, c);
                    } else {
                        (month, day, year) = (a, b, c);
                    }
                }
                Some(1) => {
                    if v[0] > 31 {
                        (year, month, day) = (a, b, c);
                    } else {
                        (day, month, year) = (a, b, c);
                    }
                }
                Some(2) => {
                    if v[1] > 31 {
                        (day, year, month) = (a, b, c);
                    } else {
                        (year, day, month) = (a, b, c);
                    }
                }
                _ => {
                    if v[0] > 31 || self.ystridx == Some(0) {
                        (year, month, day) = (a, b, c);
                    } else if v[0] > 12 {
                        (day, month, year) = (a, b, c);
                    } else {
                        (month, day, year) = (a, b, c);
                    }
                }
            }
        }
        Ok((year, month, day))
    }
}

struct Parser<'a> {
    l: Vec<Tok>,
    local: &'a Local,
}

impl Parser<'_> {
    fn tok(&self, i: usize) -> P<&[u32]> {
        self.l.get(i).map(Vec::as_slice).ok_or(Fail)
    }

    fn tok_is(&self, i: usize, s: &str) -> bool {
        self.l.get(i).is_some_and(|t| is(t, s))
    }

    fn convertyear(&self, year: i64, century_specified: bool) -> i64 {
        let this = self.local.today.0;
        let mut y = year;
        if y < 100 && !century_specified {
            y += this / 100 * 100;
            if y >= this + 50 {
                y -= 100;
            } else if y < this - 50 {
                y += 100;
            }
        }
        y
    }

    fn could_be_tzname(res: &Res, tzoffset: Option<i64>, t: &[u32]) -> bool {
        res.hour.is_some()
            && res.tzname.is_none()
            && tzoffset.is_none()
            && t.len() <= 5
            && (t.iter().all(|&c| (0x41..=0x5a).contains(&c))
                || ["UTC", "GMT", "Z", "z"].iter().any(|z| is(t, z)))
    }

    /// `_parse`: `Err` is dateutil's `(None, None)`.
    fn parse(&mut self) -> P<Res> {
        let mut res = Res::default();
        let mut ymd = Ymd::default();
        let n = self.l.len();
        let mut i = 0;
        while i < n {
            let cur = self.l[i].clone();
            if let Some(value) = py_float(&cur) {
                i = self.numeric(i, value, &mut ymd, &mut res)?;
            } else if let Some(w) = weekday_of(&cur) {
                res.weekday = Some(w);
            } else if let Some(m) = month_of(&cur) {
                ymd.append(YVal::Num(m as f64), Label::M)?;
                if i + 1 < n {
                    if self.tok_is(i + 1, "-") || self.tok_is(i + 1, "/") {
                        let sep = self.l[i + 1].clone();
                        ymd.append(YVal::Str(self.tok(i + 2)?), Label::None)?;
                        if i + 3 < n && self.l[i + 3] == sep {
                            ymd.append(YVal::Str(self.tok(i + 4)?), Label::None)?;
                            i += 2;
                        }
                        i += 2;
                    } else if i + 4 < n
                        && self.tok_is(i + 1, " ")
                        && self.tok_is(i + 3, " ")
                        && lower(&self.l[i + 2]) == "of"
                    {
                        if is_digits(&self.l[i + 4]) {
                            let v = py_int(&self.l[i + 4])?;
                            let year: Vec<u32> = self
                                .convertyear(v, false)
                                .to_string()
                                .chars()
                                .map(u32::from)
                                .collect();
                            ymd.append(YVal::Str(&year), Label::Y)?;
                        }
                        i += 4;
                    }
                }
            } else if let Some(a) = ampm_of(&cur) {
                let hour = res.hour.ok_or(Fail)?;
                if !(0..=12).contains(&hour) {
                    return Err(Fail);
                }
                res.hour = Some(adjust_ampm(hour, a));
                res.ampm = Some(a);
            } else if Self::could_be_tzname(&res, res.tzoffset, &cur) {
                let name = text(&cur);
                res.tzoffset = if ["utc", "gmt", "z"].contains(&name.as_str()) {
                    Some(0)
                } else {
                    None
                };
                res.tzname = Some(name.clone());
                if self.tok_is(i + 1, "+") || self.tok_is(i + 1, "-") {
                    // "UTC+3" means 3 hours behind UTC (POSIX): the sign flips.
                    let flipped = if self.tok_is(i + 1, "+") { "-" } else { "+" };
                    self.l[i + 1] = flipped.chars().map(u32::from).collect();
                    res.tzoffset = None;
                    if utczone(&name) {
                        res.tzname = None;
                    }
                }
            } else if res.hour.is_some() && (is(&cur, "+") || is(&cur, "-")) {
                let signal = if is(&cur, "+") { 1 } else { -1 };
                let next = self.tok(i + 1)?.to_vec();
                let (h, m);
                if next.len() == 4 {
                    h = py_int(&next[..2])?;
                    m = py_int(&next[2..])?;
                } else if i + 2 < n && self.tok_is(i + 2, ":") {
                    h = py_int(&next)?;
                    m = py_int(self.tok(i + 3)?)?;
                    i += 2;
                } else if next.len() <= 2 {
                    h = py_int(&next[..next.len().min(2)])?;
                    m = 0;
                } else {
                    return Err(Fail);
                }
                res.tzoffset = Some(signal * (h * 3600 + m * 60));
                if i + 5 < n
                    && jump(&self.l[i + 2])
                    && self.tok_is(i + 3, "(")
                    && self.tok_is(i + 5, ")")
                    && self.l[i + 4].len() >= 3
                    && Self::could_be_tzname(&res, None, &self.l[i + 4])
                {
                    res.tzname = Some(text(&self.l[i + 4]));
                    i += 4;
                }
                i += 1;
            } else if !jump(&cur) {
                return Err(Fail);
            }
            i += 1;
        }
        let (y, m, d) = ymd.resolve()?;
        res.century_specified = ymd.century_specified;
        res.year = y;
        res.month = m;
        res.day = d;
        // parserinfo.validate
        if let Some(y) = res.year {
            if y < 0 {
                return Err(Fail);
            }
            res.year = Some(self.convertyear(y, res.century_specified));
        }
        let tzname_z = matches!(res.tzname.as_deref(), Some("Z" | "z"));
        if (res.tzoffset == Some(0) && res.tzname.is_none()) || tzname_z {
            res.tzname = Some("UTC".into());
            res.tzoffset = Some(0);
        } else if res.tzoffset != Some(0) && res.tzname.as_deref().is_some_and(utczone) {
            res.tzoffset = Some(0);
        }
        Ok(res)
    }

    /// `_parse_numeric_token`: the index of the last token it used.
    fn numeric(&mut self, idx: usize, value: f64, ymd: &mut Ymd, res: &mut Res) -> P<usize> {
        let mut idx = idx;
        let repr = self.l[idx].clone();
        let value = py_decimal(&repr).map_err(|_| Fail).and(Ok(value))?;
        let len_li = repr.len();
        let n = self.l.len();
        let dot = '.' as u32;
        let hms_next = |p: &Self, i: usize| p.l.get(i).and_then(|t| hms_of(t)).is_some();
        if ymd.v.len() == 3
            && (len_li == 2 || len_li == 4)
            && res.hour.is_none()
            && (idx + 1 >= n || (!self.tok_is(idx + 1, ":") && !hms_next(self, idx + 1)))
        {
            res.hour = Some(py_int(&repr[..2])?);
            if len_li == 4 {
                res.minute = Some(py_int(&repr[2..])?);
            }
        } else if len_li == 6 || (len_li > 6 && repr.iter().position(|&c| c == dot) == Some(6)) {
            if ymd.v.is_empty() && !repr.contains(&dot) {
                ymd.append(YVal::Str(&repr[..2]), Label::None)?;
                ymd.append(YVal::Str(&repr[2..4]), Label::None)?;
                ymd.append(YVal::Str(&repr[4..]), Label::None)?;
            } else {
                res.hour = Some(py_int(&repr[..2])?);
                res.minute = Some(py_int(&repr[2..4])?);
                let (s, us) = parsems(&repr[4..])?;
                res.second = Some(s);
                res.microsecond = Some(us);
            }
        } else if matches!(len_li, 8 | 12 | 14) {
            ymd.append(YVal::Str(&repr[..4]), Label::Y)?;
            ymd.append(YVal::Str(&repr[4..6]), Label::None)?;
            ymd.append(YVal::Str(&repr[6..8]), Label::None)?;
            if len_li > 8 {
                res.hour = Some(py_int(&repr[8..10])?);
                res.minute = Some(py_int(&repr[10..12])?);
                if len_li > 12 {
                    res.second = Some(py_int(&repr[12..])?);
                }
            }
        } else if let Some(hms_idx) = self.find_hms_idx(idx) {
            let hms = if hms_idx > idx {
                let h = hms_of(&self.l[hms_idx]).ok_or(Fail)?;
                idx = hms_idx;
                h
            } else {
                hms_of(&self.l[hms_idx]).ok_or(Fail)? + 1
            };
            // _assign_hms
            match hms {
                0 => {
                    res.hour = Some(value.trunc() as i64);
                    if value.fract() != 0.0 {
                        res.minute = Some((60.0 * value.fract()).trunc() as i64);
                    }
                }
                1 => {
                    let (m, s) = min_sec(value);
                    res.minute = Some(m);
                    res.second = s;
                }
                2 => {
                    let (s, us) = parsems(&repr)?;
                    res.second = Some(s);
                    res.microsecond = Some(us);
                }
                _ => {}
            }
        } else if idx + 2 < n && self.tok_is(idx + 1, ":") {
            res.hour = Some(value.trunc() as i64);
            let v = py_decimal(&self.l[idx + 2])?;
            let (m, s) = min_sec(v);
            res.minute = Some(m);
            res.second = s;
            if idx + 4 < n && self.tok_is(idx + 3, ":") {
                let (s, us) = parsems(&self.l[idx + 4])?;
                res.second = Some(s);
                res.microsecond = Some(us);
                idx += 2;
            }
            idx += 2;
        } else if idx + 1 < n
            && (self.tok_is(idx + 1, "-") || self.tok_is(idx + 1, "/") || self.tok_is(idx + 1, "."))
        {
            let sep = self.l[idx + 1].clone();
            ymd.append(YVal::Str(&repr), Label::None)?;
            if idx + 2 < n && !jump(&self.l[idx + 2]) {
                let t2 = self.l[idx + 2].clone();
                if is_digits(&t2) {
                    ymd.append(YVal::Str(&t2), Label::None)?;
                } else {
                    let m = month_of(&t2).ok_or(Fail)?;
                    ymd.append(YVal::Num(m as f64), Label::M)?;
                }
                if idx + 3 < n && self.l[idx + 3] == sep {
                    let t4 = self.tok(idx + 4)?.to_vec();
                    match month_of(&t4) {
                        Some(m) => ymd.append(YVal::Num(m as f64), Label::M)?,
                        None => ymd.append(YVal::Str(&t4), Label::None)?,
                    }
                    idx += 2;
                }
                idx += 1;
            }
            idx += 1;
        } else if idx + 1 >= n || jump(&self.l[idx + 1]) {
            match self.l.get(idx + 2).and_then(|t| ampm_of(t)) {
                Some(a) if idx + 2 < n => {
                    res.hour = Some(adjust_ampm(value.trunc() as i64, a));
                    idx += 1;
                }
                _ => ymd.append(YVal::Num(value), Label::None)?,
            }
            idx += 1;
        } else if let Some(a) = ampm_of(&self.l[idx + 1]).filter(|_| (0.0..24.0).contains(&value)) {
            res.hour = Some(adjust_ampm(value.trunc() as i64, a));
            idx += 1;
        } else if ymd.could_be_day(value) {
            ymd.append(YVal::Num(value), Label::None)?;
        } else {
            return Err(Fail);
        }
        Ok(idx)
    }

    fn find_hms_idx(&self, idx: usize) -> Option<usize> {
        let n = self.l.len();
        let hms = |i: usize| self.l.get(i).and_then(|t| hms_of(t)).is_some();
        if idx + 1 < n && hms(idx + 1) {
            Some(idx + 1)
        } else if idx + 2 < n && self.tok_is(idx + 1, " ") && hms(idx + 2) {
            Some(idx + 2)
        } else if idx > 0 && hms(idx - 1) {
            Some(idx - 1)
        } else if idx > 1 && idx == n - 1 && self.tok_is(idx - 1, " ") && hms(idx - 2) {
            Some(idx - 2)
        } else {
            None
        }
    }
}

fn adjust_ampm(hour: i64, ampm: i64) -> i64 {
    if hour < 12 && ampm == 1 {
        hour + 12
    } else if hour == 12 && ampm == 0 {
        0
    } else {
        hour
    }
}

/// `_parse_min_sec`.
fn min_sec(v: f64) -> (i64, Option<i64>) {
    let r = v.fract();
    (
        v.trunc() as i64,
        (r != 0.0).then(|| (60.0 * r).trunc() as i64),
    )
}

/// `_parsems`: "S" or "S.F" → (seconds, microseconds).
fn parsems(t: &[u32]) -> P<(i64, i64)> {
    let dot = '.' as u32;
    match t.iter().filter(|&&c| c == dot).count() {
        0 => Ok((py_int(t)?, 0)),
        1 => {
            let p = t.iter().position(|&c| c == dot).ok_or(Fail)?;
            let mut f: Vec<u32> = t[p + 1..].to_vec();
            f.resize(f.len().max(6), '0' as u32);
            Ok((py_int(&t[..p])?, py_int(&f[..6])?))
        }
        _ => Err(Fail),
    }
}

/// `dateutil.parser.parse(s)` as botocore calls it. `Err`: the exception's type and message.
pub fn parse(s: &[u32], local: &Local) -> Result<Parsed, String> {
    let mut p = Parser { l: split(s), local };
    let res = p
        .parse()
        .map_err(|_| "ParserError: Unknown string format".to_string())?;
    if res.len() == 0 {
        return Err("ParserError: String does not contain a date".into());
    }
    // _build_naive: missing parts from today at midnight (local time).
    let (ty, tm, td) = local.today;
    let year = res.year.unwrap_or(ty);
    let month = res.month.unwrap_or(tm);
    if !(1..=12).contains(&month) {
        return Err(format!("ParserError: month must be in 1..12: {month}"));
    }
    let day = match res.day {
        Some(d) => d,
        None => td.min(days_in_month(year, month)),
    };
    let (hour, minute, second, micro) = (
        res.hour.unwrap_or(0),
        res.minute.unwrap_or(0),
        res.second.unwrap_or(0),
        res.microsecond.unwrap_or(0),
    );
    if !(1..=9999).contains(&year) {
        return Err(format!("ParserError: year {year} is out of range"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err("ParserError: day is out of range for month".into());
    }
    if !(0..=23).contains(&hour) {
        return Err("ParserError: hour must be in 0..23".into());
    }
    if !(0..=59).contains(&minute) {
        return Err("ParserError: minute must be in 0..59".into());
    }
    if !(0..=59).contains(&second) {
        return Err("ParserError: second must be in 0..59".into());
    }
    if !(0..=999_999).contains(&micro) {
        return Err("ParserError: microsecond must be in 0..999999".into());
    }
    let mut days = days_from_civil(year, month, day);
    if let Some(w) = res.weekday.filter(|_| res.day.is_none()) {
        days += (w - weekday(days)).rem_euclid(7);
    }
    let naive = i128::from(days * 86_400 + hour * 3600 + minute * 60 + second) * 1_000_000_000
        + i128::from(micro) * 1000;
    // _build_tzaware (no tzinfos).
    let offset = match (&res.tzname, res.tzoffset) {
        (Some(name), _) if local.names.iter().any(|n| n == name) => {
            if utczone(name) && local.names.first().is_none_or(|n| n != name) {
                Some(0)
            } else {
                Some(local.offset)
            }
        }
        (_, Some(o)) if o != 0 => Some(o),
        (_, Some(_)) => Some(0),
        (_, None) => None,
    };
    Ok(match offset {
        Some(o) => Parsed::Aware {
            at: UnixTime::from_nanos(naive - i128::from(o) * 1_000_000_000),
            offset: o,
        },
        None => Parsed::Naive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Result<Parsed, String> {
        let local = Local {
            today: (2026, 5, 17),
            names: vec!["UTC".into(), "UTC".into()],
            offset: 0,
        };
        parse(&s.chars().map(u32::from).collect::<Vec<_>>(), &local)
    }

    fn utc(s: &str) -> i128 {
        match at(s) {
            Ok(Parsed::Aware { at, .. }) => at.as_nanos() / 1_000_000_000,
            other => panic!("{s}: {other:?}"),
        }
    }

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

    #[test]
    fn forms_botocore_reads() {
        let want = 4_071_006_245; // 2099-01-02T03:04:05Z
        for s in [
            "2099-01-02T03:04:05Z",
            "2099-01-02 03:04:05 UTC",
            "2099-01-02T03:04:05z",
            "2099-1-2T3:4:5Z",
            "Fri, 02 Jan 2099 03:04:05 GMT",
            "Fri, 02 Jan 2099 03:04:05 +0000",
            "20990102T030405Z",
            "2 January 2099 03:04:05 UTC",
            "01/02/2099 03:04:05 UTC",
            "Fri Jan  2 03:04:05 UTC 2099",
            "2099-01-02T04:04:05+01:00",
            "2099-01-02T04:04:05 UTC-01:00", // POSIX: UTC-1 is an hour ahead
            "2099-01-02T04:04:05+01",
        ] {
            assert_eq!(utc(s), want, "{s}");
        }
        assert_eq!(utc("2099-01-02 03:04:05 PM UTC"), want + 12 * 3600);
        for naive in ["2099-01-02T03:04:05", "2099-01-02T03:04:05 EST", "2099"] {
            assert_eq!(at(naive), Ok(Parsed::Naive), "{naive}");
        }
        for bad in [
            "",
            "soon",
            "2099-01-02T03:04:05.Z",
            "2098-12-31T23:59:60Z",
            "0000-01-01T00:00:00Z",
            "2099-02-29T00:00:00Z",
            "nan",
        ] {
            assert!(at(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            at("2099-01-02T03:04:05+24:00"),
            Ok(Parsed::Aware { offset: 86_400, .. })
        ));
        // A two-digit year within 50 years of this one (2026): 99 is 1999.
        assert!(utc("Friday, 02-Jan-99 03:04:05 GMT") < 1_000_000_000);
    }
}

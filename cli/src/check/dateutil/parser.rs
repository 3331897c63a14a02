//! dateutil's `parser._parse` (`dateutil/parser/_parser.py:666-873`), its numeric tokens
//! (`_parse_numeric_token`, line 875) and `parserinfo.validate` (line 380): the fields of a
//! result before a datetime is built.

use super::info::{ampm_of, hms_of, jump, month_of, utczone, weekday_of};
use super::lexer::{is, is_digits, lower, py_decimal, py_float, py_int, text, Tok};
use super::ymd::{Label, YVal, Ymd};
use super::{Fail, Local, P};

#[derive(Default, Debug)]
pub(super) struct Res {
    pub(super) year: Option<i64>,
    pub(super) month: Option<i64>,
    pub(super) day: Option<i64>,
    pub(super) weekday: Option<i64>,
    pub(super) hour: Option<i64>,
    pub(super) minute: Option<i64>,
    pub(super) second: Option<i64>,
    pub(super) microsecond: Option<i64>,
    pub(super) tzname: Option<String>,
    pub(super) tzoffset: Option<i64>,
    pub(super) ampm: Option<i64>,
    pub(super) century_specified: bool,
}

impl Res {
    pub(super) fn len(&self) -> usize {
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

pub(super) struct Parser<'a> {
    pub(super) l: Vec<Tok>,
    pub(super) local: &'a Local,
}

impl Parser<'_> {
    pub(super) fn tok(&self, i: usize) -> P<&[u32]> {
        self.l.get(i).map(Vec::as_slice).ok_or(Fail)
    }

    pub(super) fn tok_is(&self, i: usize, s: &str) -> bool {
        self.l.get(i).is_some_and(|t| is(t, s))
    }

    pub(super) fn convertyear(&self, year: i64, century_specified: bool) -> i64 {
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

    pub(super) fn could_be_tzname(res: &Res, tzoffset: Option<i64>, t: &[u32]) -> bool {
        res.hour.is_some()
            && res.tzname.is_none()
            && tzoffset.is_none()
            && t.len() <= 5
            && (t.iter().all(|&c| (0x41..=0x5a).contains(&c))
                || ["UTC", "GMT", "Z", "z"].iter().any(|z| is(t, z)))
    }

    /// `_parse`: `Err` is dateutil's `(None, None)`.
    pub(super) fn parse(&mut self) -> P<Res> {
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
    pub(super) fn numeric(
        &mut self,
        idx: usize,
        value: f64,
        ymd: &mut Ymd,
        res: &mut Res,
    ) -> P<usize> {
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

    pub(super) fn find_hms_idx(&self, idx: usize) -> Option<usize> {
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

pub(super) fn adjust_ampm(hour: i64, ampm: i64) -> i64 {
    if hour < 12 && ampm == 1 {
        hour + 12
    } else if hour == 12 && ampm == 0 {
        0
    } else {
        hour
    }
}

/// `_parse_min_sec`.
pub(super) fn min_sec(v: f64) -> (i64, Option<i64>) {
    let r = v.fract();
    (
        v.trunc() as i64,
        (r != 0.0).then(|| (60.0 * r).trunc() as i64),
    )
}

/// `_parsems`: "S" or "S.F" → (seconds, microseconds).
pub(super) fn parsems(t: &[u32]) -> P<(i64, i64)> {
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

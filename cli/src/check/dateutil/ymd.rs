//! dateutil's `_ymd` (`dateutil/parser/_parser.py:394-565`): the year, month and day values
//! the parser collects, and how it tells which is which (`resolve_ymd`, no dayfirst/yearfirst).

use super::super::civil::days_in_month;
use super::lexer::{is_digits, py_int};
use super::{Fail, P};

/// A value `_ymd.append` takes: a token (string) or a number.
pub(super) enum YVal<'a> {
    Str(&'a [u32]),
    Num(f64),
}

#[derive(Default)]
pub(super) struct Ymd {
    pub(super) v: Vec<i64>,
    pub(super) century_specified: bool,
    pub(super) mstridx: Option<usize>,
    pub(super) ystridx: Option<usize>,
}

#[derive(PartialEq, Clone, Copy)]
pub(super) enum Label {
    None,
    M,
    Y,
}

impl Ymd {
    pub(super) fn append(&mut self, val: YVal, mut label: Label) -> P<()> {
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

    pub(super) fn could_be_day(&self, value: f64) -> bool {
        let max = match (self.mstridx, self.ystridx) {
            (None, _) => 31,
            (Some(m), None) => days_in_month(2000, self.v[m]),
            (Some(m), Some(y)) => days_in_month(self.v[y], self.v[m]),
        };
        (1.0..=max as f64).contains(&value)
    }

    /// `resolve_ymd(yearfirst=False, dayfirst=False)`: (year, month, day).
    pub(super) fn resolve(&self) -> P<(Option<i64>, Option<i64>, Option<i64>)> {
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

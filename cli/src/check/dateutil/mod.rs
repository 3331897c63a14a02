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
use info::utczone;
use lexer::split;
use parser::Parser;

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
        // `localtime_r`'s own argument type, whatever the C library calls it (the libc crate
        // marks musl's `time_t` alias deprecated while it moves to 64 bits); the same type as
        // `t` on most systems.
        #[allow(clippy::useless_conversion)]
        let t = match t.try_into() {
            Ok(t) => t,
            Err(_) => return None,
        };
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

mod info;
mod lexer;
mod parser;
mod ymd;

/// Any failure inside `_parse` (an `IndexError` or `ValueError`): "Unknown string format".
#[derive(Debug)]
struct Fail;
type P<T> = Result<T, Fail>;

impl From<()> for Fail {
    fn from(_: ()) -> Fail {
        Fail
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

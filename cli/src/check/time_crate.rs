//! The `time` crate's RFC 3339 reader (`OffsetDateTime::parse(s, &Rfc3339)`, time 0.3.55
//! `src/parsing/parsable.rs`, `impl sealed::Sealed for Rfc3339`, `parse_offset_date_time`),
//! which aws-sdk-rust's credential_process provider applies to the Expiration.
//!
//! `YYYY-MM-DD`, then ANY one byte, `hh:mm:ss`, an optional `.` and one or more digits, then `Z`
//! or `z` or `±hh:mm` (hour ≤ 23, minute ≤ 59), nothing after. A second of 60 is a leap second,
//! kept only as the last second of a month in UTC (read as the preceding nanosecond).

use processcreds::time::UnixTime;

use super::civil::{days_from_civil, days_in_month};

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let part = b.get(at..at + n)?;
    part.iter()
        .all(u8::is_ascii_digit)
        .then(|| part.iter().fold(0, |a, c| a * 10 + i64::from(c - b'0')))
}

fn lit(b: &[u8], at: usize, c: u8) -> Result<(), &'static str> {
    if b.get(at) == Some(&c) {
        Ok(())
    } else {
        Err("a literal is missing")
    }
}

/// The instant, or why the time crate refuses the text.
pub fn parse(s: &str) -> Result<UnixTime, &'static str> {
    let b = s.as_bytes();
    let year = digits(b, 0, 4).ok_or("invalid year")?;
    lit(b, 4, b'-')?;
    let month = digits(b, 5, 2).ok_or("invalid month")?;
    lit(b, 7, b'-')?;
    let day = digits(b, 8, 2).ok_or("invalid day")?;
    if b.len() < 11 {
        return Err("no separator");
    }
    // Any one byte separates date and time (10).
    let hour = digits(b, 11, 2).ok_or("invalid hour")?;
    lit(b, 13, b':')?;
    let minute = digits(b, 14, 2).ok_or("invalid minute")?;
    lit(b, 16, b':')?;
    let mut second = digits(b, 17, 2).ok_or("invalid second")?;
    let mut i = 19;
    let mut nanos = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return Err("invalid subsecond");
        }
        let mut mult = 100_000_000;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            nanos += i64::from(c - b'0') * mult;
            mult /= 10;
            i += 1;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') => {
            i += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, i + 1, 2)
                .filter(|h| *h <= 23)
                .ok_or("invalid offset hour")?;
            lit(b, i + 3, b':')?;
            let om = digits(b, i + 4, 2).ok_or("invalid offset minute")?;
            if om > 59 {
                return Err("offset minute out of range");
            }
            i += 6;
            let o = oh * 3600 + om * 60;
            if sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return Err("invalid offset"),
    };
    if i != b.len() {
        return Err("unexpected trailing characters");
    }
    let leap = second == 60;
    if leap {
        second = 59;
        nanos = 999_999_999;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err("date out of range");
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("time out of range");
    }
    let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    let utc = local - offset;
    if leap {
        // The stand-in must be 23:59:59.999999999 on the last day of a month, in UTC.
        let days = utc.div_euclid(86_400);
        let (y, m, d) = super::civil::civil_from_days(days);
        if utc.rem_euclid(86_400) != 86_399 || d != days_in_month(y, m) {
            return Err("second out of range (not a leap second)");
        }
    }
    Ok(UnixTime::from_nanos(
        i128::from(utc) * 1_000_000_000 + i128::from(nanos),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        for ok in [
            "2030-01-02T03:04:05Z",
            "2030-01-02t03:04:05z",
            "2030-01-02 03:04:05Z",
            "2030-01-02_03:04:05Z",
            "2030-01-02T03:04:05.123456789012+01:00",
            "2098-12-31T23:59:60Z",
            "2099-01-01T00:59:60+01:00",
            "0000-01-01T00:00:00Z",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2030-01-02T3:04:05Z",
            "2030-01-02T03:04:05,5Z",
            "2030-01-02T03:04:05+24:00",
            "2030-01-02T03:04:05+00:60",
            "2030-01-02T03:04:05",
            "2030-02-30T03:04:05Z",
            "2030-01-02T03:04:05+0100",
            "2030-01-02T23:59:60Z",
            "2030-01-02T03:04:05.Z",
            "2030-01-02T24:00:00Z",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse("2098-12-31T23:59:60Z").unwrap(),
            UnixTime::from_nanos(parse("2099-01-01T00:00:00Z").unwrap().as_nanos() - 1)
        );
    }
}

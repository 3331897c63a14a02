//! Wall-clock instants ([`UnixTime`]) as nanoseconds since the Unix epoch, and (internal) the
//! RFC 3339 reader that matches Go's `time.Time.UnmarshalJSON` (Go ≥ 1.20:
//! `time.Parse(time.RFC3339)` plus the strict checks).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An instant on the wall clock, in nanoseconds since 1970-01-01T00:00:00Z (may be negative):
/// an expiry, as Go's `time.Time` holds it. Converts to and from [`SystemTime`].
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use processcreds::UnixTime;
///
/// let t = UnixTime::from_nanos(1_893_456_000_000_000_000); // 2030-01-01T00:00:00Z
/// assert_eq!(t.as_millis(), 1_893_456_000_000);
/// assert_eq!(SystemTime::from(t), UNIX_EPOCH + Duration::from_secs(1_893_456_000));
/// assert_eq!(UnixTime::from(SystemTime::from(t)), t);
/// assert!(t.minus(Duration::from_secs(60)) < t);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i128);

impl UnixTime {
    /// The instant `n` nanoseconds after (before, when negative) the Unix epoch.
    pub const fn from_nanos(n: i128) -> UnixTime {
        UnixTime(n)
    }

    /// Nanoseconds since the Unix epoch (negative before it).
    pub const fn as_nanos(self) -> i128 {
        self.0
    }

    /// Milliseconds since the epoch, rounded toward negative infinity, saturated to `i64`.
    pub fn as_millis(self) -> i64 {
        let ms = self.0.div_euclid(1_000_000);
        ms.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    /// The current time of the system clock.
    pub fn now() -> UnixTime {
        UnixTime::from(SystemTime::now())
    }

    /// `d` later, saturating at the end of the range.
    pub fn plus(self, d: Duration) -> UnixTime {
        UnixTime(self.0.saturating_add(d.as_nanos() as i128))
    }

    /// `d` earlier, saturating at the start of the range.
    pub fn minus(self, d: Duration) -> UnixTime {
        UnixTime(self.0.saturating_sub(d.as_nanos() as i128))
    }
}

/// True when the wall clock is certainly not past `t` now, read from the coarse clock (a few
/// nanoseconds, where reading the precise clock costs four times that). False means "maybe":
/// the caller reads the precise clock. Exact either way: the coarse clock lags the precise one
/// by less than its resolution (one tick), and a margin of several ticks is kept, so a `true`
/// never comes within milliseconds of `t`. Used by the cached-retrieve path, whose expiries are
/// usually minutes away.
#[cfg(target_os = "linux")]
pub(crate) fn surely_not_after(t: UnixTime) -> bool {
    use std::sync::atomic::{AtomicI64, Ordering};
    // Margin in nanoseconds: max(4 ticks, 20 ms); 0 until measured, -1 without a coarse clock.
    static MARGIN: AtomicI64 = AtomicI64::new(0);
    let mut margin = MARGIN.load(Ordering::Relaxed);
    if margin == 0 {
        let mut res = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_getres writes one timespec.
        margin = if unsafe { libc::clock_getres(libc::CLOCK_REALTIME_COARSE, &mut res) } == 0 {
            let tick = i128::from(res.tv_sec) * 1_000_000_000 + i128::from(res.tv_nsec);
            (tick * 4).clamp(20_000_000, i64::MAX as i128) as i64
        } else {
            -1
        };
        MARGIN.store(margin, Ordering::Relaxed);
    }
    if margin < 0 {
        return false;
    }
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec.
    if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) } != 0 {
        return false;
    }
    let coarse = i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec);
    coarse + margin as i128 <= t.0
}

/// Elsewhere: always "maybe" (the precise clock decides).
#[cfg(not(target_os = "linux"))]
pub(crate) fn surely_not_after(_t: UnixTime) -> bool {
    false
}

impl From<SystemTime> for UnixTime {
    fn from(t: SystemTime) -> UnixTime {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => UnixTime(d.as_nanos() as i128),
            Err(e) => UnixTime(-(e.duration().as_nanos() as i128)),
        }
    }
}

/// Saturates to the range `SystemTime` holds on the platform (so a far-future expiry stays in the
/// future).
impl From<UnixTime> for SystemTime {
    fn from(t: UnixTime) -> SystemTime {
        let abs = t.0.unsigned_abs();
        let d = Duration::new(
            u64::try_from(abs / 1_000_000_000).unwrap_or(u64::MAX),
            (abs % 1_000_000_000) as u32,
        );
        if t.0 >= 0 {
            // Halve the step until it fits: the largest representable time.
            UNIX_EPOCH
                .checked_add(d)
                .unwrap_or_else(|| saturate(UNIX_EPOCH, d, true))
        } else {
            UNIX_EPOCH
                .checked_sub(d)
                .unwrap_or_else(|| saturate(UNIX_EPOCH, d, false))
        }
    }
}

/// The furthest time from `base` toward `d` that `SystemTime` holds (within a few microseconds;
/// steps stay above Windows' 100 ns resolution, so each one moves).
fn saturate(base: SystemTime, d: Duration, forward: bool) -> SystemTime {
    let mut t = base;
    let mut step = d;
    while step >= Duration::from_micros(1) {
        let next = if forward {
            t.checked_add(step)
        } else {
            t.checked_sub(step)
        };
        match next {
            Some(n) => t = n,
            None => step /= 2,
        }
    }
    t
}

fn is_digit(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(u8::is_ascii_digit)
}

fn num(b: &[u8]) -> i64 {
    b.iter().fold(0i64, |acc, c| acc * 10 + i64::from(c - b'0'))
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Days in month `month` (1–12) of year `year` (proleptic Gregorian).
#[doc(hidden)]
pub fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the civil date `y-m-d` (proleptic Gregorian; negative before).
#[doc(hidden)]
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (days since 1970-01-01): (year, month, day).
#[doc(hidden)]
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Parses the text between the quotes of a JSON string as Go's `time.Time.UnmarshalJSON` does
/// (the raw bytes: escapes are not decoded, as in Go). Returns a short reason on failure.
///
/// Go's strict RFC 3339 checks are disabled in every released Go, so this is
/// `time.Parse(time.RFC3339, s)`: `YYYY-MM-DDThh:mm:ss[(.|,)digits](Z|±hh:mm)` with uppercase `T`
/// and `Z`; a four-digit year; two-digit month (1–12), day (valid for its month), minute and
/// second (≤ 59); an hour of one or two digits (≤ 23); a zone of two-digit hour (≤ 24) and
/// minute (≤ 60); fraction digits past the ninth are dropped; nothing after the zone.
#[doc(hidden)]
pub fn parse_rfc3339(b: &[u8]) -> Result<UnixTime, &'static str> {
    let mut i = 0;
    let lit = |i: &mut usize, c: u8, what: &'static str| -> Result<(), &'static str> {
        if b.get(*i) != Some(&c) {
            return Err(what);
        }
        *i += 1;
        Ok(())
    };
    let fixed = |i: &mut usize, n: usize, what: &'static str| -> Result<i64, &'static str> {
        if *i + n > b.len() || !(*i..*i + n).all(|k| is_digit(b, k)) {
            return Err(what);
        }
        let v = num(&b[*i..*i + n]);
        *i += n;
        Ok(v)
    };
    let year = fixed(&mut i, 4, "bad year")?;
    lit(&mut i, b'-', "bad date")?;
    let month = fixed(&mut i, 2, "bad month")?;
    if !(1..=12).contains(&month) {
        return Err("month out of range");
    }
    lit(&mut i, b'-', "bad date")?;
    let day = fixed(&mut i, 2, "bad day")?;
    lit(&mut i, b'T', "missing 'T' between date and time")?;
    // The hour has one or two digits (Go's stdHour).
    let hour = if is_digit(b, i) && is_digit(b, i + 1) {
        fixed(&mut i, 2, "bad hour")?
    } else {
        fixed(&mut i, 1, "bad hour")?
    };
    if hour > 23 {
        return Err("hour out of range");
    }
    lit(&mut i, b':', "bad time of day")?;
    let min = fixed(&mut i, 2, "bad minute")?;
    if min > 59 {
        return Err("minute out of range");
    }
    lit(&mut i, b':', "bad time of day")?;
    let sec = fixed(&mut i, 2, "bad second")?;
    if sec > 59 {
        return Err("second out of range");
    }
    let mut rest = &b[i..];

    // Fraction: '.' or ',' and at least one digit; digits past the ninth are dropped.
    let mut nanos: i128 = 0;
    if rest.len() >= 2 && (rest[0] == b'.' || rest[0] == b',') && is_digit(rest, 1) {
        let mut n = 1;
        while is_digit(rest, n) {
            n += 1;
        }
        let mut scale = 100_000_000i128;
        for &c in rest[1..n].iter().take(9) {
            nanos += i128::from(c - b'0') * scale;
            scale /= 10;
        }
        rest = &rest[n..];
    }

    // Zone.
    let offset_secs: i64 = match rest {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]
            if [*h1, *h2, *m1, *m2].iter().all(u8::is_ascii_digit) =>
        {
            let zh = num(&[*h1, *h2]);
            let zm = num(&[*m1, *m2]);
            if zh > 24 || zm > 60 {
                return Err("time zone offset out of range");
            }
            let off = zh * 3600 + zm * 60;
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        [] => return Err("missing time zone"),
        _ => return Err("bad time zone or extra text"),
    };
    // Go checks the day last.
    if day < 1 || day > days_in_month(year, month) {
        return Err("day out of range");
    }

    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset_secs;
    Ok(UnixTime(i128::from(secs) * 1_000_000_000 + nanos))
}

/// Formats an instant as RFC 3339 in UTC with whole seconds (`2006-01-02T15:04:05Z`).
#[doc(hidden)]
pub fn format_rfc3339(t: UnixTime) -> String {
    let secs = t.0.div_euclid(1_000_000_000) as i64;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for d in [-800_000, -1, 0, 1, 10_957, 47_482, 2_932_896] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2001, 4), 30);
    }

    #[test]
    fn coarse_check_agrees_with_the_precise_clock() {
        let now = UnixTime::now();
        // Never "surely not after" an instant already passed or just ahead.
        assert!(!surely_not_after(now));
        assert!(!surely_not_after(now.minus(Duration::from_secs(1))));
        assert!(!surely_not_after(now.plus(Duration::from_millis(5))));
        #[cfg(target_os = "linux")]
        assert!(surely_not_after(now.plus(Duration::from_secs(60))));
    }

    #[test]
    fn system_time_round_trips_and_saturates() {
        // Multiples of 100 ns: Windows' SystemTime counts in 100 ns steps, from 1601 to 30828
        // (the bounds below hold there too).
        for n in [
            0,
            100,
            -100,
            1_500_000_000,
            -1_500_000_000,
            4_102_444_800_123_456_700,
        ] {
            let t = UnixTime::from_nanos(n);
            assert_eq!(UnixTime::from(SystemTime::from(t)), t, "{n}");
        }
        assert_eq!(
            SystemTime::from(UnixTime::from_nanos(-1_500_000_000)),
            UNIX_EPOCH - Duration::new(1, 500_000_000)
        );
        // Beyond what SystemTime holds: the furthest time it holds, to the second, in the right
        // direction.
        let max = SystemTime::from(UnixTime::from_nanos(i128::MAX));
        assert!(max > UNIX_EPOCH + Duration::from_secs(5_000 * 365 * 86_400));
        assert!(max.checked_add(Duration::from_secs(1)).is_none());
        let min = SystemTime::from(UnixTime::from_nanos(i128::MIN + 1));
        assert!(min < UNIX_EPOCH - Duration::from_secs(300 * 365 * 86_400));
        assert!(min.checked_sub(Duration::from_secs(1)).is_none());
    }

    fn ok(s: &str) -> i128 {
        parse_rfc3339(s.as_bytes()).unwrap().as_nanos()
    }

    #[test]
    fn accepts_go_forms() {
        assert_eq!(ok("1970-01-01T00:00:00Z"), 0);
        assert_eq!(ok("1970-01-01T00:00:01.5Z"), 1_500_000_000);
        assert_eq!(ok("1970-01-01T00:00:01,25Z"), 1_250_000_000);
        assert_eq!(ok("1970-01-01T01:00:00+01:00"), 0);
        assert_eq!(ok("1969-12-31T23:00:00-01:00"), 0);
        assert_eq!(ok("2000-02-29T00:00:00Z"), 951_782_400 * 1_000_000_000);
        assert_eq!(ok("1970-01-01T00:00:00.1234567891Z"), 123_456_789);
        assert_eq!(ok("0000-01-01T00:00:00Z") / 1_000_000_000, -62_167_219_200);
        assert_eq!(ok("1970-01-01T1:00:00Z"), 3_600_000_000_000);
        assert_eq!(ok("1970-01-02T00:00:00+24:00"), 0);
        assert_eq!(ok("1970-01-01T01:00:00+00:60"), 0);
    }

    #[test]
    fn rejects_what_go_rejects() {
        for s in [
            "",
            "2020-01-01",
            "2020-01-01 00:00:00Z",
            "2020-01-01t00:00:00Z",
            "2020-01-01T00:00:00z",
            "2020-01-01T00:00:00",
            "2020-01-01T00:00:00+0100",
            "2020-01-01T00:00:00+25:00",
            "2020-01-01T00:00:00+01:61",
            "2020-01-01T00:00:00+1:00",
            "2020-01-01T24:00:00Z",
            "2020-01-01T00:60:00Z",
            "2020-01-01T00:00:60Z",
            "2020-13-01T00:00:00Z",
            "2020-00-01T00:00:00Z",
            "2019-02-29T00:00:00Z",
            "2020-04-31T00:00:00Z",
            "2020-01-01T00:00:00.Z",
            "2020-01-01T00:00:00Z ",
            "2020-1-01T00:00:00Z",
            "+2020-01-01T00:00:00Z",
        ] {
            assert!(
                parse_rfc3339(s.as_bytes()).is_err(),
                "{s:?} should be rejected"
            );
        }
    }

    #[test]
    fn formats() {
        assert_eq!(format_rfc3339(UnixTime(0)), "1970-01-01T00:00:00Z");
        let t = ok("2031-07-09T13:14:15Z");
        assert_eq!(format_rfc3339(UnixTime(t)), "2031-07-09T13:14:15Z");
    }
}

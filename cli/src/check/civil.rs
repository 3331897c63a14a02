//! Proleptic Gregorian dates as days since 1970-01-01, for the SDKs' date readers: the
//! library's arithmetic (`processcreds::time`), and the weekday Python's readers need.

pub use processcreds::time::{civil_from_days, days_from_civil, days_in_month};

/// Monday 0 … Sunday 6 (Python's `weekday()`).
pub fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays() {
        assert_eq!(weekday(0), 3); // 1970-01-01 was a Thursday
        assert_eq!(weekday(days_from_civil(2024, 1, 1)), 0); // a Monday
        assert_eq!(weekday(-1), 2);
    }
}

//! dateutil's `parserinfo` (`dateutil/parser/_parser.py:241-392`): the words it knows.

use super::lexer::lower;

pub(super) const JUMP: [&str; 18] = [
    " ", ".", ",", ";", "-", "/", "'", "at", "on", "and", "ad", "m", "t", "of", "st", "nd", "rd",
    "th",
];
pub(super) const WEEKDAYS: [&str; 14] = [
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
pub(super) const MONTHS: [(&str, i64); 25] = [
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

pub(super) fn jump(t: &[u32]) -> bool {
    JUMP.contains(&lower(t).as_str())
}

pub(super) fn weekday_of(t: &[u32]) -> Option<i64> {
    let l = lower(t);
    WEEKDAYS.iter().position(|w| *w == l).map(|i| i as i64 / 2)
}

pub(super) fn month_of(t: &[u32]) -> Option<i64> {
    let l = lower(t);
    MONTHS
        .iter()
        .find(|(n, m)| *m > 0 && *n == l)
        .map(|(_, m)| *m)
}

pub(super) fn hms_of(t: &[u32]) -> Option<i64> {
    match lower(t).as_str() {
        "h" | "hour" | "hours" => Some(0),
        "m" | "minute" | "minutes" => Some(1),
        "s" | "second" | "seconds" => Some(2),
        _ => None,
    }
}

pub(super) fn ampm_of(t: &[u32]) -> Option<i64> {
    match lower(t).as_str() {
        "am" | "a" => Some(0),
        "pm" | "p" => Some(1),
        _ => None,
    }
}

pub(super) fn utczone(name: &str) -> bool {
    matches!(name.to_lowercase().as_str(), "utc" | "gmt" | "z")
}

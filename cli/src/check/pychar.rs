//! Python's `str.isalpha`, `str.isdigit` and `str.isspace` for one character, and the value of
//! a decimal digit, as Python 3.11 (Unicode 14) has them: what dateutil's lexer and Python's
//! `int()`/`float()` see in an Expiration.

/// The zero of every run of ten decimal digits (general category Nd) in Unicode 14.
const DIGIT_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
    0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
    0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
    0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// The value of a decimal digit of any script (what `int()` reads), `None` for anything else.
/// (Python's `isdigit` also takes superscripts and the like, which `int()` refuses: they are not
/// digits here.)
pub fn digit(c: u32) -> Option<u32> {
    DIGIT_ZEROS
        .iter()
        .find(|&&z| (z..z + 10).contains(&c))
        .map(|&z| c - z)
}

pub fn is_digit(c: u32) -> bool {
    digit(c).is_some()
}

/// `str.isalpha` (approximated by Unicode's Alphabetic property; a lone surrogate is not).
pub fn is_alpha(c: u32) -> bool {
    char::from_u32(c).is_some_and(char::is_alphabetic)
}

/// `str.isspace`: Unicode White_Space and the four ASCII separators (U+001C–U+001F).
pub fn is_space(c: u32) -> bool {
    (0x1c..=0x1f).contains(&c) || char::from_u32(c).is_some_and(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(digit('7' as u32), Some(7));
        assert_eq!(digit(0xff15), Some(5)); // FULLWIDTH DIGIT FIVE
        assert_eq!(digit(0x665), Some(5)); // ARABIC-INDIC DIGIT FIVE
        assert_eq!(digit('a' as u32), None);
        assert!(is_alpha('é' as u32) && !is_alpha('1' as u32) && !is_alpha(0xd800));
        assert!(is_space(0xa0) && is_space(0x1f) && is_space(0x3000) && !is_space(0x200b));
    }
}

//! The key of a shared-cache entry: SHA-256 over what decides which credentials a helper gives.
//!
//! Hashed, each field framed by a tag and its length so that no two inputs collide by
//! concatenation: a format name; the program (a command string, or each element of an argv);
//! the values at fetch time of `AWS_PROFILE`, `AWS_DEFAULT_PROFILE`, `AWS_CONFIG_FILE` and
//! `AWS_SHARED_CREDENTIALS_FILE` (unset and empty are different values); the caller's key text,
//! if any. A profile provider is keyed on its resolved `credential_process`, so it shares entries
//! with a provider (or `processcreds cache --command`) running the same command string.
//!
//! The key is a file name: 64 lowercase hex digits, which reveal nothing of the command line.

use std::ffi::OsString;

use super::sha256::{hex, Sha256};
use crate::runner::Program;

/// The environment variables whose values are part of the key.
pub const KEY_VARIABLES: [&str; 4] = [
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
];

const FORMAT: &[u8] = b"processcreds shared cache key v1";

/// A key: 64 lowercase hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Key(String);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Key").field(&self.0).finish()
    }
}

impl Key {
    /// The key for `program` and `key_text` with the variables of the process environment now.
    pub fn new(program: &Program, key_text: Option<&str>) -> Key {
        Key::with_env(program, key_text, &|k| std::env::var_os(k))
    }

    /// The same with an explicit environment lookup.
    pub fn with_env(
        program: &Program,
        key_text: Option<&str>,
        env: &dyn Fn(&str) -> Option<OsString>,
    ) -> Key {
        let mut h = Sha256::default();
        field(&mut h, b'F', FORMAT);
        match program {
            Program::Shell(cmd) => field(&mut h, b'S', cmd.as_bytes()),
            Program::Argv(argv) => {
                h.update(b"A");
                h.update(&(argv.len() as u64).to_le_bytes());
                for a in argv {
                    field(&mut h, b'a', a.as_bytes());
                }
            }
        }
        for name in KEY_VARIABLES {
            field(&mut h, b'E', name.as_bytes());
            match env(name) {
                Some(v) => field(&mut h, b'v', v.as_encoded_bytes()),
                None => h.update(b"u"),
            }
        }
        match key_text {
            Some(t) => field(&mut h, b'K', t.as_bytes()),
            None => h.update(b"k"),
        }
        Key(hex(&h.finish()))
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn field(h: &mut Sha256, tag: u8, bytes: &[u8]) {
    h.update(&[tag]);
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: &Program, text: Option<&str>, vars: &[(&str, &str)]) -> String {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        Key::with_env(p, text, &|k| {
            vars.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| OsString::from(v))
        })
        .0
    }

    #[test]
    fn what_changes_the_key() {
        let sh = |s: &str| Program::Shell(s.into());
        let argv = |v: &[&str]| Program::Argv(v.iter().map(|s| s.to_string()).collect());
        let base = key(&sh("helper --a"), None, &[]);
        assert_eq!(base.len(), 64);
        assert!(base
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(base, key(&sh("helper --a"), None, &[]), "stable");
        let others = [
            key(&sh("helper --b"), None, &[]),
            key(&argv(&["helper", "--a"]), None, &[]),
            key(&argv(&["helper --a"]), None, &[]),
            key(&argv(&["helper", "", "--a"]), None, &[]),
            key(&sh("helper --a"), Some(""), &[]),
            key(&sh("helper --a"), Some("x"), &[]),
            key(&sh("helper --a"), None, &[("AWS_PROFILE", "")]),
            key(&sh("helper --a"), None, &[("AWS_PROFILE", "p")]),
            key(&sh("helper --a"), None, &[("AWS_DEFAULT_PROFILE", "p")]),
            key(&sh("helper --a"), None, &[("AWS_CONFIG_FILE", "p")]),
            key(
                &sh("helper --a"),
                None,
                &[("AWS_SHARED_CREDENTIALS_FILE", "p")],
            ),
        ];
        for (i, o) in others.iter().enumerate() {
            assert_ne!(&base, o, "variant {i}");
            for (j, p) in others.iter().enumerate().skip(i + 1) {
                assert_ne!(o, p, "variants {i} and {j}");
            }
        }
        // Variables outside the list do not matter.
        assert_eq!(base, key(&sh("helper --a"), None, &[("AWS_REGION", "x")]));
        // Framing: moving bytes between argv elements changes the key.
        assert_ne!(
            key(&argv(&["ab", "c"]), None, &[]),
            key(&argv(&["a", "bc"]), None, &[])
        );
    }
}

//! Property tests of the shared config INI reader: whatever the bytes, it never panics, its
//! errors never quote the file, and what it returns respects the reader's trimming rules.
// Needs proptest/cbindgen, which the Windows test build leaves out (Cargo.toml); runs on POSIX.
#![cfg(not(windows))]

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;

use processcreds::config::{parse_ini_for_fuzz, resolve_with, ProfileSource};
use proptest::prelude::*;

/// Pieces that exercise every token and state of the reader.
const PIECES: &[&str] = &[
    "[",
    "]",
    "=",
    ":",
    "#",
    ";",
    ",",
    " ",
    "  ",
    "\t",
    "\n",
    "\n",
    "\r\n",
    "\r",
    "\"",
    "'",
    "\\",
    "a",
    "key",
    "credential_process",
    "default",
    "profile x",
    "\u{a0}",
    "\u{2028}",
    "\u{feff}",
    "\u{85}",
    "é",
    "\x0b",
    "\0",
    "[default]\n",
    "[profile x]\n",
    "key = v\n",
    "k: v # c\n",
    "  sub = 1\n",
    "k =\n",
    "# c\n",
    "; c\n",
    "a = b c\n",
    "[ x ]\n",
];

fn pieces() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|v| v.concat())
}

fn is_ini_space(c: char) -> bool {
    c.is_whitespace() && c != '\n' && c != '\r'
}

fn check_shape(bytes: &[u8]) {
    match parse_ini_for_fuzz(bytes) {
        Ok(sections) => {
            for (name, kv) in sections {
                assert!(!name.starts_with(is_ini_space) && !name.ends_with(is_ini_space));
                for (k, v) in kv {
                    assert!(!k.is_empty(), "empty key");
                    assert!(!k.ends_with(is_ini_space) && !k.starts_with(is_ini_space));
                    assert!(!k.contains('\n') && !v.contains('\n'));
                    assert!(!v.is_empty(), "empty value for {k:?}");
                    assert!(!v.starts_with(' ') && !v.ends_with(' '));
                }
            }
        }
        Err(e) => assert!(e.starts_with("line "), "{e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check_shape(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        check_shape(s.as_bytes());
    }

    #[test]
    fn token_soup_never_panics(s in pieces()) {
        check_shape(s.as_bytes());
    }

    #[test]
    fn token_soup_with_invalid_bytes(s in pieces(), at in any::<prop::sample::Index>(), b in 0x80u8..=0xff) {
        let mut bytes = s.into_bytes();
        let i = at.index(bytes.len() + 1);
        bytes.insert(i, b);
        check_shape(&bytes);
    }

    #[test]
    fn errors_never_quote_the_file(s in pieces(), at in any::<prop::sample::Index>()) {
        let marker = "Zq9SECRETmarker";
        let i = at.index(s.len() + 1);
        let i = (0..=i).rev().find(|&j| s.is_char_boundary(j)).unwrap_or(0);
        let text = format!("{}{marker}{}", &s[..i], &s[i..]);
        if let Err(e) = parse_ini_for_fuzz(text.as_bytes()) {
            prop_assert!(!e.contains("SECRET"), "{}", e);
        }
    }
}

/// Simple well-formed profiles read back as written.
fn word() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_./-][a-zA-Z0-9_./\\-]{0,12}"
}

fn value() -> impl Strategy<Value = String> {
    // Any text without newlines, comment starts after spaces, or a token-start comma, and
    // without leading separators: read back trimmed of spaces.
    "[a-zA-Z0-9_./\\-][a-zA-Z0-9_./\\-=:'\"{}$ ]{0,30}"
        .prop_filter("no ' ,'", |v| !v.contains(" ,"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn well_formed_profiles_read_back(
        entries in prop::collection::vec((word(), word(), value()), 1..8),
        crlf in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        let mut want: HashMap<(String, String), String> = HashMap::new();
        let mut seen_sections = std::collections::HashSet::new();
        for (section, key, value) in &entries {
            if !seen_sections.insert(section.clone()) {
                // A repeated header resets the section.
                want.retain(|(s, _), _| s != section);
            }
            text.push_str(&format!("[ {section} ]{nl}  {key} = {value}   {nl}# note{nl}"));
            want.insert((section.clone(), key.clone()), value.trim_matches(' ').to_owned());
        }
        let got = parse_ini_for_fuzz(text.as_bytes()).map_err(TestCaseError::fail)?;
        let mut got_map = HashMap::new();
        for (s, kv) in got {
            for (k, v) in kv {
                got_map.insert((s.clone(), k), v);
            }
        }
        prop_assert_eq!(got_map, want);
    }
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn resolve_never_panics_on_any_file(
        cfg in prop::collection::vec(any::<u8>(), 0..200),
        creds in pieces(),
        profile in prop::option::of("[a-z ]{0,6}"),
        shared in 0u32..3,
    ) {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = Dir(std::env::temp_dir().join(format!(
            "processcreds-props-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        )));
        std::fs::create_dir_all(dir.0.join(".aws")).unwrap();
        std::fs::write(dir.0.join(".aws/config"), &cfg).unwrap();
        std::fs::write(dir.0.join(".aws/credentials"), creds.as_bytes()).unwrap();
        let home = OsString::from(dir.0.as_os_str());
        let env = move |k: &str| if k == "HOME" { Some(home.clone()) } else { None };
        let shared = processcreds::capi::shared_config(shared).unwrap();
        match resolve_with(profile.as_deref(), shared, &env) {
            Ok(ProfileSource::Process { command }) => prop_assert!(!command.is_empty()),
            Ok(ProfileSource::Static(c)) => {
                prop_assert!(!c.access_key_id().is_empty() && !c.secret_access_key().is_empty());
            }
            Err(e) => prop_assert_eq!(e.status(), processcreds::Status::Config),
        }
    }
}

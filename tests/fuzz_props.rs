//! The stable counterpart of the cargo-fuzz targets in `fuzz/`: property tests that feed the
//! output parser and the INI reader arbitrary bytes, token soups, mutations of the committed seed
//! corpus (`fuzz/corpus/`) and generated valid documents, checking the invariants of
//! `fuzz/checks.rs` on every input, plus a differential check of the JSON grammar against
//! serde_json.
//!
//! Each property runs `PC_FUZZ_CASES` cases (default: a few thousand, a few seconds for the whole
//! file; the generated-documents property runs a fifth of it, three inputs a case). Without
//! cargo-fuzz, `make fuzz` runs it in a release build with `PC_FUZZ_CASES=1000000`: 3,000,000
//! inputs for each parser, and 600,000 more for the output parser from generated documents. Each
//! property prints how many cases it ran and how long it took.
// Needs proptest/cbindgen, which the Windows test build leaves out (Cargo.toml); runs on POSIX.
#![cfg(not(windows))]

#[path = "../fuzz/checks.rs"]
mod checks;

use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Runs `check` on `cases` inputs of `strategy` (no regression files: failures print the
/// minimal input).
fn fuzz<S: Strategy>(name: &str, default_cases: u32, strategy: S, check: impl Fn(S::Value))
where
    S::Value: std::fmt::Debug,
{
    fuzz_weighted(name, default_cases, 1, strategy, check)
}

/// As [`fuzz`], running `PC_FUZZ_CASES / divisor` cases when that variable is set (for a property
/// whose cases cost several inputs each).
fn fuzz_weighted<S: Strategy>(
    name: &str,
    default_cases: u32,
    divisor: u32,
    strategy: S,
    check: impl Fn(S::Value),
) where
    S::Value: std::fmt::Debug,
{
    let cases = std::env::var("PC_FUZZ_CASES")
        .ok()
        .and_then(|s| s.replace('_', "").parse::<u32>().ok())
        .map_or(default_cases, |n| (n / divisor).max(1));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    });
    let start = Instant::now();
    if let Err(e) = runner.run(&strategy, |v| {
        check(v);
        Ok(())
    }) {
        panic!("{name}: {e}");
    }
    println!("{name}: {cases} cases in {:.2?}", start.elapsed());
}

fn corpus(kind: &str) -> Vec<Vec<u8>> {
    let dir = format!("{}/fuzz/corpus/{kind}", env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .flatten()
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    v.sort();
    assert!(v.len() > 50, "seed corpus {dir} is missing");
    v
}

/// A seed of the corpus with up to 8 edits: flip, insert, delete, duplicate a run, truncate.
fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(seeds),
        prop::collection::vec((0u8..5, any::<prop::sample::Index>(), any::<u8>()), 0..8),
    )
        .prop_map(|(mut b, edits)| {
            for (op, at, byte) in edits {
                let i = at.index(b.len() + 1);
                match op {
                    0 if i < b.len() => b[i] ^= byte | 1,
                    1 => b.insert(i, byte),
                    2 if i < b.len() => {
                        b.remove(i);
                    }
                    3 if i < b.len() => {
                        let end = (i + 1 + byte as usize % 16).min(b.len());
                        let run = b[i..end].to_vec();
                        b.splice(i..i, run);
                    }
                    4 => b.truncate(i),
                    _ => {}
                }
            }
            b
        })
}

fn soup(pieces: &'static [&'static [u8]], max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(pieces), 0..max).prop_map(|v| v.concat())
}

// ---------------------------------------------------------------------------------------------
// Arbitrary bytes, into each parser

/// Runs `check` on arbitrary bytes, up to 512 of them.
fn arbitrary_bytes(name: &str, check: fn(&[u8])) {
    fuzz(
        name,
        6000,
        prop::collection::vec(any::<u8>(), 0..512),
        |b| check(&b),
    );
}

#[test]
fn output_arbitrary_bytes() {
    arbitrary_bytes("output: arbitrary bytes", checks::check_output);
}

#[test]
fn ini_arbitrary_bytes() {
    arbitrary_bytes("ini: arbitrary bytes", checks::check_ini);
}

// ---------------------------------------------------------------------------------------------
// The output parser

const JSON_PIECES: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\"",
    b"\\",
    b" ",
    b"\n",
    b"\r\n",
    b"\t",
    b"\"Version\"",
    b"\"version\"",
    b"\"AccessKeyId\"",
    b"\"ACCESSKEYID\"",
    b"\"SecretAccessKey\"",
    b"\"\xc5\xbfecretAccessKey\"",
    b"\"SessionToken\"",
    b"\"Expiration\"",
    b"\"AccountId\"",
    b"\"Access\xe2\x84\xaaeyId\"",
    b"\"Unknown\"",
    b"\"\"",
    b"\"x\"",
    b"\"2030-01-01T00:00:00Z\"",
    b"\"2030-01-01T00:00:00.123+01:00\"",
    b"\"2019-02-29T00:00:00Z\"",
    b"1",
    b"0",
    b"-0",
    b"-",
    b"1.5e3",
    b"1e999",
    b"9223372036854775808",
    b".",
    b"e",
    b"null",
    b"true",
    b"false",
    b"nul",
    b"\"\\u0000\"",
    b"\"\\ud800\"",
    b"\"\\ud83d\\ude00\"",
    b"\"\\u00e9\\/\\n\"",
    b"\"\\q\"",
    b"\\u",
    b"\xef\xbb\xbf",
    b"\xc3\xa9",
    b"\xff",
    b"\xc0\x80",
    b"\x00",
    b"\x01",
    b"{\"Version\":1,\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"S\"}",
];

/// The parser's error for a grammar problem (as opposed to a type, range or D8 problem).
fn is_syntax_error(cause: &str) -> bool {
    cause.starts_with("invalid character")
        || cause.starts_with("invalid control character")
        || cause == "unexpected end of JSON input"
}

/// Ours accepts only documents serde_json reads too, and rejects for grammar only what serde_json
/// rejects (serde_json's own limits aside: number range and 128 levels).
fn differential(data: &[u8]) {
    let ours = processcreds::output::parse(data);
    let theirs = serde_json::from_slice::<serde_json::Value>(data);
    let their_limit = |e: &serde_json::Error| {
        let t = e.to_string();
        t.contains("number out of range") || t.contains("recursion limit exceeded")
    };
    match (&ours, &theirs) {
        (Ok(_), Err(e)) => assert!(their_limit(e), "accepted what serde_json rejects"),
        (Err(e), Ok(_)) => assert!(
            !is_syntax_error(e.cause().unwrap_or("")),
            "grammar error on JSON that serde_json reads"
        ),
        _ => {}
    }
}

#[test]
fn the_checks_see_a_quoted_input() {
    // The D4 check would notice a cause that quotes the output.
    assert_eq!(
        checks::foreign_word("invalid character after top-level value at offset 12"),
        None
    );
    assert_eq!(
        checks::foreign_word("invalid character 'Zq9w1xSECRET' at offset 1"),
        Some("Zq9w1xSECRET")
    );
    assert_eq!(checks::foreign_word("line 3: ']' without '['"), None);
}

#[test]
fn output_token_soup() {
    fuzz("output: token soup", 6000, soup(JSON_PIECES, 48), |b| {
        checks::check_output(&b);
        differential(&b);
    });
}

#[test]
fn output_mutated_corpus() {
    fuzz(
        "output: mutated seed corpus",
        6000,
        mutated(corpus("output")),
        |b| {
            checks::check_output(&b);
            differential(&b);
        },
    );
}

/// A credentials document as a helper may print it: every field, key case and escape form.
fn documents() -> impl Strategy<Value = (Vec<u8>, [String; 3], Option<String>)> {
    let text = "\\PC{1,40}";
    (
        (text, text, "\\PC{0,40}"),
        prop::option::of("[0-9]{12}"),
        prop::option::of(prop::sample::select(vec![
            "2030-01-01T00:00:00Z",
            "2020-01-01T00:00:00.5Z",
            "2031-12-31T23:59:59+05:30",
        ])),
        any::<[bool; 4]>(),
        prop::collection::vec(("[a-z]{1,8}", "\\PC{0,20}"), 0..3),
    )
        .prop_map(|((akid, secret, token), account, exp, flags, extra)| {
            let key = |k: &str| {
                if flags[0] {
                    k.to_ascii_lowercase()
                } else {
                    k.to_string()
                }
            };
            let mut m = serde_json::Map::new();
            for (k, v) in &extra {
                m.insert(format!("x{k}"), serde_json::json!({ "v": [v, 1.5, null] }));
            }
            m.insert(key("Version"), 1.into());
            m.insert(key("AccessKeyId"), akid.clone().into());
            m.insert(key("SecretAccessKey"), secret.clone().into());
            if flags[1] || !token.is_empty() {
                m.insert(key("SessionToken"), token.clone().into());
            }
            if let Some(a) = &account {
                m.insert(key("AccountId"), a.clone().into());
            }
            if let Some(e) = exp {
                m.insert(key("Expiration"), e.into());
            }
            let mut text = if flags[2] {
                serde_json::to_string_pretty(&m).unwrap()
            } else {
                serde_json::to_string(&m).unwrap()
            };
            if flags[3] {
                // Escape every '/' as some encoders do.
                text = text.replace('/', "\\/");
            }
            (text.into_bytes(), [akid, secret, token], account)
        })
}

#[test]
fn output_generated_documents_read_back() {
    // Each case parses three inputs (the document, cut short, one byte changed).
    fuzz_weighted(
        "output: generated documents",
        2000,
        5,
        (documents(), any::<prop::sample::Index>(), any::<u8>()),
        |((doc, [akid, secret, token], account), at, byte)| {
            let out = processcreds::output::parse(&doc).expect("a valid document must parse");
            assert_eq!(out.version, 1);
            assert!(*out.access_key_id == akid, "AccessKeyId read back altered");
            assert!(
                *out.secret_access_key == secret,
                "SecretAccessKey read back altered"
            );
            assert!(
                *out.session_token == token,
                "SessionToken read back altered"
            );
            assert_eq!(out.account_id, account);
            checks::check_output(&doc);
            // The same document cut short or with one byte changed: still no panic, and no error
            // text shows the secret.
            let mut broken = doc.clone();
            broken.truncate(at.index(doc.len()));
            let mut changed = doc.clone();
            let i = at.index(doc.len());
            changed[i] ^= byte | 1;
            for b in [broken, changed] {
                checks::check_output(&b);
                if let Err(e) = processcreds::output::parse(&b) {
                    let text = e.to_string();
                    for s in [&secret, &token] {
                        assert!(
                            s.len() < 8 || !text.contains(s.as_str()),
                            "error text shows a secret"
                        );
                    }
                }
            }
        },
    );
}

// ---------------------------------------------------------------------------------------------
// The INI reader

const INI_PIECES: &[&[u8]] = &[
    b"[",
    b"]",
    b"=",
    b":",
    b"#",
    b";",
    b",",
    b" ",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b"\"",
    b"'",
    b"\\",
    b"a",
    b"key",
    b"default",
    b"profile x",
    b"credential_process",
    b"aws_secret_access_key",
    b"\xc2\xa0",
    b"\xe2\x80\xa8",
    b"\xef\xbb\xbf",
    b"\xc2\x85",
    b"\x0b",
    b"\x00",
    b"\xff",
    b"[default]\n",
    b"[profile x]\n",
    b"key = v\n",
    b"k: v # c\n",
    b"  sub = 1\n",
    b"k =\n",
    b"# c\n",
    b"; c\n",
    b"a = b c\n",
    b"[ x ]\n",
    b"k = #x\n",
];

#[test]
fn ini_token_soup() {
    fuzz("ini: token soup", 6000, soup(INI_PIECES, 60), |b| {
        checks::check_ini(&b)
    });
}

#[test]
fn ini_mutated_corpus() {
    fuzz(
        "ini: mutated seed corpus",
        6000,
        mutated(corpus("ini")),
        |b| checks::check_ini(&b),
    );
}

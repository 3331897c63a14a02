//! Runs every conformance case in `tests/vectors/*.json` (format: tests/vectors/README.md)
//! through the Rust API, with real helper processes.
//!
//! On Windows (under Wine in `make test-windows`): the cases of `windows*.json` (command strings
//! for cmd.exe), and the `stdout`/`stdout_b64` cases of the other files, printed by cmd.exe's
//! `type` (by the helper program tests/windows/helper.rs when the bytes hold a NUL, where Wine's
//! `type` stops); the other files' command and argv cases are POSIX shell commands and scripts.
//! Elsewhere `windows*.json` is left out.

#[path = "windows/helper_path.rs"]
mod helper_path;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use processcreds::time::{format_rfc3339, parse_rfc3339, UnixTime};
use processcreds::{ProcessProvider, StderrMode, StdinMode};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    if cfg!(windows) {
        // The manifest path is the build machine's (a Unix path when cross-compiled): the
        // system's own form of it (Z:\… under Wine), without the \\?\ prefix, is what cmd.exe
        // and the helpers understand.
        let full = std::fs::canonicalize(&dir).expect("tests/vectors");
        let text = full.display().to_string();
        return PathBuf::from(text.strip_prefix(r"\\?\").unwrap_or(&text));
    }
    dir
}

/// Whether a vector file holds the Windows cases.
fn is_windows_file(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("windows"))
}

/// Whether a case runs on this platform (see the file's comment).
fn runs_here(case: &Value, windows_file: bool) -> bool {
    if cfg!(windows) {
        windows_file || (case.get("command").is_none() && case.get("argv").is_none())
    } else {
        !windows_file
    }
}

fn load_cases() -> Vec<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .expect("tests/vectors")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let v: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: invalid JSON: {e}", f.display()));
        let arr = v
            .as_array()
            .unwrap_or_else(|| panic!("{}: not an array", f.display()));
        let windows_file = is_windows_file(&f);
        cases.extend(arr.iter().filter(|c| runs_here(c, windows_file)).cloned());
    }
    cases
}

/// `{data}` and `{now±N}` substitutions.
fn subst(s: &str, now: UnixTime) -> String {
    let data = vectors_dir().join("data");
    let mut out = s.replace("{data}", data.to_str().unwrap());
    while let Some(start) = out.find("{now") {
        let end = start + out[start..].find('}').expect("unterminated {now");
        let spec = &out[start + 4..end];
        let secs: i64 = spec.trim_start_matches('+').parse().expect("bad {now±N}");
        let t = UnixTime::from_nanos(now.as_nanos() + i128::from(secs) * 1_000_000_000);
        out.replace_range(start..=end, &format_rfc3339(t));
    }
    out
}

fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => panic!("bad base64"),
        }
    };
    let clean: Vec<u8> = s
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::new();
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    out
}

/// The command string that prints the file's bytes: `cat '<file>'`; on Windows `type "<file>"`,
/// or, for bytes holding a NUL (where Wine's `type` stops), the helper program's `cat` mode.
fn print_file(path: &Path, bytes: &[u8]) -> String {
    if cfg!(windows) && !bytes.contains(&0) {
        return format!("type \"{}\"", path.display());
    }
    if cfg!(windows) {
        let helper = helper_path::helper();
        return format!("\"{}\" cat \"{}\"", helper.display(), path.display());
    }
    format!(
        "cat '{}'",
        path.display().to_string().replace('\'', "'\\''")
    )
}

/// Runs one case; returns a description of each mismatch (never a secret value).
fn run_case(case: &Value, tmp: &Path) -> Vec<String> {
    let name = case["name"].as_str().expect("name");
    let now = UnixTime::now();
    let provider = if let Some(cmd) = case.get("command").and_then(Value::as_str) {
        ProcessProvider::new(subst(cmd, now))
    } else if let Some(argv) = case.get("argv").and_then(Value::as_array) {
        let argv = argv
            .iter()
            .map(|a| subst(a.as_str().unwrap(), now))
            .collect();
        ProcessProvider::from_argv(argv).expect("argv")
    } else {
        let bytes = if let Some(s) = case.get("stdout").and_then(Value::as_str) {
            subst(s, now).into_bytes()
        } else if let Some(s) = case.get("stdout_b64").and_then(Value::as_str) {
            b64(s)
        } else {
            panic!("{name}: no helper");
        };
        let file = tmp.join(format!("{name}.out"));
        std::fs::write(&file, &bytes).unwrap();
        ProcessProvider::new(print_file(&file, &bytes))
    };
    if let Some(o) = case.get("options") {
        provider.update_options(|opts| {
            if let Some(v) = o.get("timeout_ms").and_then(Value::as_u64) {
                opts.timeout = Duration::from_millis(v);
            }
            if let Some(v) = o.get("max_buf_size").and_then(Value::as_u64) {
                opts.max_buf_size = v as usize;
            }
            if let Some(v) = o.get("expiry_window_ms").and_then(Value::as_u64) {
                opts.expiry_window = Duration::from_millis(v);
            }
            if let Some(v) = o.get("duration_ms").and_then(Value::as_u64) {
                opts.duration = (v > 0).then(|| Duration::from_millis(v));
            }
            match o.get("stderr").and_then(Value::as_str) {
                Some("capture") => opts.stderr = StderrMode::Capture,
                Some("discard") => opts.stderr = StderrMode::Discard,
                Some("inherit") | None => {}
                Some(other) => panic!("{name}: unknown stderr mode {other}"),
            }
            match o.get("stdin").and_then(Value::as_str) {
                Some("null") => opts.stdin = StdinMode::Null,
                Some("inherit") | None => {}
                Some(other) => panic!("{name}: unknown stdin mode {other}"),
            }
        });
    }
    let retrieves = case.get("retrieves").and_then(Value::as_u64).unwrap_or(1);
    let expect = &case["expect"];
    let mut problems = Vec::new();
    for round in 1..=retrieves {
        let got = provider.retrieve();
        let tag = format!("{name} (retrieve {round})");
        match (expect.get("ok"), expect.get("error"), got) {
            (Some(ok), _, Ok(c)) => {
                let field = |k: &str| ok.get(k).and_then(Value::as_str);
                let mut check = |what: &str, want: Option<&str>, got: &str, secret: bool| {
                    if let Some(want) = want {
                        if want != got {
                            problems.push(if secret {
                                format!("{tag}: {what} differs")
                            } else {
                                format!("{tag}: {what}: want {want:?}, got {got:?}")
                            });
                        }
                    }
                };
                check(
                    "access_key_id",
                    field("access_key_id"),
                    c.access_key_id(),
                    false,
                );
                check(
                    "secret_access_key",
                    field("secret_access_key"),
                    c.secret_access_key(),
                    true,
                );
                check(
                    "session_token",
                    field("session_token"),
                    c.session_token(),
                    true,
                );
                check(
                    "provider_name",
                    field("provider_name"),
                    c.provider_name(),
                    false,
                );
                if let Some(acct) = ok.get("account_id") {
                    if acct.as_str() != c.account_id() {
                        problems.push(format!(
                            "{tag}: account_id: want {acct}, got {:?}",
                            c.account_id()
                        ));
                    }
                }
                if let Some(exp) = ok.get("expiration") {
                    let want = exp.as_str().map(|s| {
                        parse_rfc3339(subst(s, now).as_bytes())
                            .expect("expectation is RFC 3339")
                            .as_millis()
                    });
                    let got = c.expiration().map(UnixTime::as_millis);
                    let tol = ok
                        .get("expiration_tolerance_ms")
                        .and_then(Value::as_i64)
                        .unwrap_or(0);
                    let same = match (want, got) {
                        (Some(w), Some(g)) => (w - g).abs() <= tol,
                        (None, None) => true,
                        _ => false,
                    };
                    if !same {
                        problems.push(format!("{tag}: expiration: want {want:?}, got {got:?}"));
                    }
                }
                if let Some(exp) = ok.get("expired").and_then(Value::as_bool) {
                    if provider.is_expired() != exp {
                        problems.push(format!("{tag}: expired: want {exp}"));
                    }
                }
            }
            (_, Some(err), Err(e)) => {
                let status = err.get("status").and_then(Value::as_str);
                if status.is_some_and(|s| s != e.status().name()) {
                    problems.push(format!(
                        "{tag}: status: want {status:?}, got {}",
                        e.status().name()
                    ));
                }
                if let Some(code) = err.get("code").and_then(Value::as_str) {
                    if code != e.code() {
                        problems.push(format!("{tag}: code: want {code}, got {}", e.code()));
                    }
                }
                let text = e.to_string();
                if let Some(m) = err.get("message").and_then(Value::as_str) {
                    if m != text && !exec_failure_hidden_by_emulator(m, &text) {
                        problems.push(format!("{tag}: message: want {m:?}, got {text:?}"));
                    }
                }
                if let Some(m) = err.get("message_prefix").and_then(Value::as_str) {
                    if !text.starts_with(m) && !exec_failure_hidden_by_emulator(m, &text) {
                        problems.push(format!("{tag}: message: want prefix {m:?}, got {text:?}"));
                    }
                }
            }
            (Some(_), _, Err(e)) => problems.push(format!("{tag}: want success, got {e}")),
            (_, Some(_), Ok(_)) => problems.push(format!("{tag}: want an error, got credentials")),
            (None, None, _) => problems.push(format!("{tag}: case has no expectation")),
        }
    }
    problems
}

/// Under qemu-user (`PC_TEST_UNDER_QEMU` set, docs/PLATFORMS.md) glibc's `posix_spawn`, a
/// vfork-style clone, runs as a plain fork: an exec failure cannot reach the parent and shows as
/// the child's exit status 127. Only that substitution is accepted there; the exact texts are
/// checked natively.
fn exec_failure_hidden_by_emulator(want: &str, got: &str) -> bool {
    const EXEC: &str = "ProcessProviderExecutionError: error in credential_process\ncaused by: ";
    std::env::var_os("PC_TEST_UNDER_QEMU").is_some()
        && want
            .strip_prefix(EXEC)
            .is_some_and(|w| w.starts_with("fork/exec "))
        && got.strip_prefix(EXEC) == Some("exit status 127")
}

#[test]
fn conformance_vectors() {
    let cases = load_cases();
    assert!(!cases.is_empty(), "no vectors found");
    let mut names = std::collections::HashSet::new();
    for c in &cases {
        assert!(
            names.insert(c["name"].as_str().unwrap().to_string()),
            "duplicate case name {}",
            c["name"]
        );
    }
    let tmp = std::env::temp_dir().join(format!("pc-vectors-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let next = AtomicUsize::new(0);
    let problems = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let p = run_case(case, &tmp);
                problems.lock().unwrap().extend(p);
            });
        }
    });
    let _ = std::fs::remove_dir_all(&tmp);
    let problems = problems.into_inner().unwrap();
    assert!(
        problems.is_empty(),
        "{} of {} cases' checks failed:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
    eprintln!("{} conformance cases passed", cases.len());
}

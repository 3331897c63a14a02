//! Secrets: no text the library produces carries a secret a helper printed, and freed
//! credentials leave no copy of their secrets in freed memory.
//!
//! - `no_text_carries_a_secret` runs every error kind and the success paths, through the Rust API,
//!   the C ABI and the shared-config resolver, with helpers whose output holds a secret key and a
//!   session token, and scans every error text (`Display`, `Debug`, code, message, cause),
//!   every `Debug` print (`Credentials`, `Error`, `ProcessProvider`, `Output`, `ProfileSource`),
//!   `pc_error_message` and `pc_error_code`, every event given to a logger at debug (every provider
//!   of the scan has one, Rust and C; every event of the table must be seen:
//!   runs that succeed, fail, time out and are cancelled (asynchronous requests), the cache, the shared cache's writes, hits, lock waits
//!   and bypasses, refreshes ahead that fail and succeed, command lines and arguments holding the
//!   secrets), and everything written to this process's stdout and stderr meanwhile (log lines),
//!   for any 8 consecutive bytes of either secret.
//! - The `freed_*` tests run with this binary's global allocator, which (when armed) scans every
//!   block before it goes back to the system allocator, and count the freed blocks that still hold
//!   15 or more consecutive bytes of the secret (every aligned 12-byte window of it is searched).
//!   A positive control proves the scanner sees an unwiped copy.
//!
//! Each test runs in a fresh copy of this binary (`PC_SECRETS_CHILD`), alone, so that its stdout
//! and stderr can be redirected and no other test's memory traffic reaches the scanner. Failure
//! messages name the case and the field, never a secret.
// POSIX helpers and system calls; the Windows runner has its own tests (windows_*.rs).
#![cfg(unix)]

mod c_abi;
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{CStr, CString, OsString};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use c_abi::*;
use common::*;
use processcreds::config::{resolve_with, SharedConfig};
use processcreds::observe::{Level, EVENTS};
use processcreds::{output, ProcessProvider, SharedCacheMode, StderrMode};
use zeroize::{Zeroize, Zeroizing};

// ---------------------------------------------------------------------------------------------
// Each test in its own process

const CHILD_ENV: &str = "PC_SECRETS_CHILD";
const DONE: &str = "PC-SECRETS-CASE-CHECKED";

fn isolated(name: &str, body: fn()) {
    if let Ok(wanted) = std::env::var(CHILD_ENV) {
        if wanted == name {
            body();
            println!("{DONE}");
        }
        return;
    }
    let dir = TempDir::new("secrets-log");
    let log = dir.join("log");
    let file = std::fs::File::create(&log).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--include-ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(CHILD_ENV, name)
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name}: not finished within 60 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        status.success() && text.contains(DONE),
        "{name} failed in its own process ({status}):\n{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// The scanning allocator

/// Scans freed blocks for the secrets below while armed.
struct Scanner;

static ARMED: AtomicBool = AtomicBool::new(false);
static HITS: AtomicUsize = AtomicUsize::new(0);
static SCANNED_BLOCKS: AtomicUsize = AtomicUsize::new(0);
static SCANNED_BYTES: AtomicUsize = AtomicUsize::new(0);

/// The secrets the freed-memory tests use; made-up values of the usual shape.
const WIPE_SECRET: &str = "pcWIPEsecret7Hq2Lm9Xv4Rt8Kd1Nz6Bw3Pj5Yc0Fs";
const WIPE_TOKEN: &str = "pcWIPEtokenAb3Cd5Ef7Gh9Ij1Kl2Mn4Op6Qr8St0Uv";
const WINDOW: usize = 12;

fn holds_a_secret(block: &[u8]) -> bool {
    if block.len() < WINDOW {
        return false;
    }
    [WIPE_SECRET.as_bytes(), WIPE_TOKEN.as_bytes()]
        .iter()
        .any(|s| {
            (0..=s.len() - WINDOW)
                .step_by(4)
                .any(|w| block.windows(WINDOW).any(|b| b == &s[w..w + WINDOW]))
        })
}

unsafe impl GlobalAlloc for Scanner {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::Relaxed) {
            // SAFETY: the block is still ours, `layout.size()` bytes long.
            let block = std::slice::from_raw_parts(ptr, layout.size());
            SCANNED_BLOCKS.fetch_add(1, Ordering::Relaxed);
            SCANNED_BYTES.fetch_add(block.len(), Ordering::Relaxed);
            if holds_a_secret(block) {
                HITS.fetch_add(1, Ordering::Relaxed);
                if std::env::var_os("PC_SECRETS_TRACE").is_some() {
                    // Shows where the unwiped block is freed (the capture allocates: disarm).
                    ARMED.store(false, Ordering::Relaxed);
                    eprintln!(
                        "unwiped block of {} bytes freed at:\n{}",
                        block.len(),
                        std::backtrace::Backtrace::force_capture()
                    );
                    ARMED.store(true, Ordering::Relaxed);
                }
            }
        }
        System.dealloc(ptr, layout)
    }
    // `realloc` is left to the default (alloc, copy, dealloc), so a block that a reallocation
    // leaves behind is scanned too.
}

#[global_allocator]
static GLOBAL: Scanner = Scanner;

/// Runs `f` with the scanner armed; the number of freed blocks that still held a secret.
fn scanned(f: impl FnOnce()) -> usize {
    HITS.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    f();
    ARMED.store(false, Ordering::SeqCst);
    HITS.load(Ordering::SeqCst)
}

/// Writes `parts` (concatenated) to a file without leaving an unwiped copy on the heap.
fn write_wiped(path: &Path, parts: &[&str]) {
    let len = parts.iter().map(|p| p.len()).sum();
    let mut buf = Zeroizing::new(Vec::with_capacity(len));
    for p in parts {
        buf.extend_from_slice(p.as_bytes());
    }
    std::fs::write(path, &*buf).unwrap();
}

fn cat_provider(file: &Path) -> ProcessProvider {
    let p = ProcessProvider::from_argv(vec!["cat".into(), file.display().to_string()]).unwrap();
    p.update_options(|o| o.stderr = StderrMode::Discard);
    p
}

fn c_cat_provider(file: &Path) -> *mut pc_provider {
    let args = [
        CString::new("cat").unwrap(),
        CString::new(file.display().to_string()).unwrap(),
    ];
    let ptrs: Vec<*const std::ffi::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    let mut p = std::ptr::null_mut();
    assert_eq!(pc_provider_new_argv(ptrs.as_ptr(), 2, &mut p), PC_STATUS_OK);
    p
}

fn credentials_file(dir: &TempDir) -> std::path::PathBuf {
    let f = dir.join("out.json");
    write_wiped(
        &f,
        &[
            r#"{"Version":1,"AccessKeyId":"AKWIPE","SecretAccessKey":""#,
            WIPE_SECRET,
            r#"","SessionToken":""#,
            WIPE_TOKEN,
            r#"","Expiration":"2099-01-01T00:00:00Z"}"#,
        ],
    );
    f
}

fn report(case: &str, hits: usize) {
    println!(
        "{case}: {hits} unwiped blocks; {} blocks ({} bytes) scanned so far",
        SCANNED_BLOCKS.load(Ordering::Relaxed),
        SCANNED_BYTES.load(Ordering::Relaxed)
    );
}

#[test]
fn freed_credentials_leave_no_secret_in_freed_memory() {
    isolated("freed_credentials_leave_no_secret_in_freed_memory", || {
        let dir = TempDir::new("wipe");
        let file = credentials_file(&dir);

        // Positive control: an unwiped copy is seen, a wiped one is not.
        let hits = scanned(|| drop(WIPE_SECRET.as_bytes().to_vec()));
        assert_eq!(hits, 1, "the scanner missed an unwiped copy");
        let hits = scanned(|| {
            let mut v = WIPE_TOKEN.as_bytes().to_vec();
            v.zeroize();
        });
        assert_eq!(hits, 0, "the scanner flagged a wiped copy");

        // Rust API: retrieve, share, cache from another thread, drop, expire, drop the provider.
        let hits = scanned(|| {
            let p = cat_provider(&file);
            let c = p.retrieve().unwrap();
            assert!(c.secret_access_key().as_bytes() == WIPE_SECRET.as_bytes());
            assert!(c.session_token().as_bytes() == WIPE_TOKEN.as_bytes());
            let shared = c.clone();
            drop(c);
            std::thread::scope(|s| {
                s.spawn(|| {
                    // A cached retrieve on another thread fills that thread's cache shard.
                    let c = p.retrieve().unwrap();
                    assert!(c.secret_access_key().as_bytes() == WIPE_SECRET.as_bytes());
                });
            });
            drop(shared);
            p.expire();
            let again = p.retrieve().unwrap();
            drop(p);
            // The caller's reference outlives the provider.
            assert!(again.secret_access_key().as_bytes() == WIPE_SECRET.as_bytes());
            drop(again);
        });
        report("Rust API", hits);
        assert_eq!(
            hits, 0,
            "Rust API: freed blocks still held the secret or token"
        );

        // C ABI: credentials freed before and after their provider.
        let hits = scanned(|| {
            for credentials_last in [false, true] {
                let p = c_cat_provider(&file);
                let mut c = std::ptr::null_mut();
                assert_eq!(pc_retrieve(p, &mut c, std::ptr::null_mut()), PC_STATUS_OK);
                // SAFETY: a valid handle; the string is borrowed until the free.
                let secret = unsafe { CStr::from_ptr(pc_credentials_secret_access_key(c)) };
                assert!(secret.to_bytes() == WIPE_SECRET.as_bytes());
                let mut c2 = std::ptr::null_mut();
                assert_eq!(pc_retrieve(p, &mut c2, std::ptr::null_mut()), PC_STATUS_OK);
                pc_credentials_free(c2);
                if credentials_last {
                    pc_free(p);
                    pc_credentials_free(c);
                } else {
                    pc_credentials_free(c);
                    pc_expire(p);
                    pc_free(p);
                }
            }
        });
        report("C ABI", hits);
        assert_eq!(
            hits, 0,
            "C ABI: freed blocks still held the secret or token"
        );

        // Failed runs after the secret was read and parsed: version, required, trailing data,
        // over MaxBufSize, non-zero exit, timeout.
        let failing: [(&str, &[&str]); 4] = [
            (
                "version",
                &[
                    r#"{"Version":2,"AccessKeyId":"AK","SecretAccessKey":""#,
                    WIPE_SECRET,
                    r#""}"#,
                ],
            ),
            (
                "required",
                &[r#"{"Version":1,"SecretAccessKey":""#, WIPE_SECRET, r#""}"#],
            ),
            (
                "trailing data",
                &[
                    r#"{"Version":1,"AccessKeyId":"AK","SecretAccessKey":""#,
                    WIPE_SECRET,
                    r#""} x"#,
                ],
            ),
            (
                "bad expiration",
                &[
                    r#"{"Version":1,"AccessKeyId":"AK","SessionToken":""#,
                    WIPE_TOKEN,
                    r#"","Expiration":"soon"}"#,
                ],
            ),
        ];
        for (case, parts) in failing {
            let f = dir.join("fail.json");
            write_wiped(&f, parts);
            let hits = scanned(|| {
                assert!(cat_provider(&f).retrieve().is_err());
            });
            report(case, hits);
            assert_eq!(
                hits, 0,
                "{case}: freed blocks still held the secret or token"
            );
        }
        let f = file.display().to_string();
        for (case, cmd, max_buf, timeout_ms) in [
            (
                "over MaxBufSize",
                format!("cat '{f}'; cat '{f}'"),
                100,
                5000,
            ),
            ("exit status", format!("cat '{f}'; exit 3"), 8192, 5000),
            ("timeout", format!("cat '{f}'; sleep 5"), 8192, 300),
        ] {
            let hits = scanned(|| {
                let p = ProcessProvider::new(cmd);
                p.update_options(|o| {
                    o.max_buf_size = max_buf;
                    o.timeout = Duration::from_millis(timeout_ms);
                    o.stderr = StderrMode::Discard;
                });
                assert!(p.retrieve().is_err());
            });
            report(case, hits);
            assert_eq!(
                hits, 0,
                "{case}: freed blocks still held the secret or token"
            );
        }
    });
}

/// A secret with JSON escapes (some encoders write `\/` for every '/') is decoded piece by piece:
/// no intermediate buffer may be freed unwiped.
#[test]
fn freed_escaped_secret_leaves_no_copy() {
    isolated("freed_escaped_secret_leaves_no_copy", || {
        let dir = TempDir::new("wipe-esc");
        let f = dir.join("esc.json");
        let (a, b) = WIPE_SECRET.split_at(20);
        // The secret with a "\/" in the middle: it decodes to the same text with a '/'.
        write_wiped(
            &f,
            &[
                r#"{"Version":1,"AccessKeyId":"AK","SecretAccessKey":""#,
                a,
                "\\/",
                b,
                r#""}"#,
            ],
        );
        let hits = scanned(|| {
            let p = cat_provider(&f);
            let c = p.retrieve().unwrap();
            assert_eq!(c.secret_access_key().len(), WIPE_SECRET.len() + 1);
            drop(c);
            drop(p);
        });
        report("escaped secret", hits);
        assert_eq!(
            hits, 0,
            "freed blocks still held a part of the escaped secret"
        );
    });
}

/// Static keys of a shared-config profile: the file's bytes, the INI reader's values and the
/// merged profile's strings are wiped too.
#[test]
fn freed_profile_keys_leave_no_copy() {
    isolated("freed_profile_keys_leave_no_copy", || {
        let dir = TempDir::new("wipe-profile");
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        write_wiped(
            &dir.join(".aws/credentials"),
            &[
                "[default]\naws_access_key_id = AKPROFILE\naws_secret_access_key = ",
                WIPE_SECRET,
                "\naws_session_token = ",
                WIPE_TOKEN,
                "\n",
            ],
        );
        let home = OsString::from(dir.path().as_os_str());
        let hits = scanned(|| {
            let env = |k: &str| (k == "HOME").then(|| home.clone());
            let source = resolve_with(None, SharedConfig::Disable, &env).unwrap();
            drop(source);
        });
        report("profile keys", hits);
        assert_eq!(
            hits, 0,
            "freed blocks still held the profile's secret or token"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Texts

/// The secrets the text scan uses; made-up values of the usual shape.
const TXT_SECRET: &str = "pcTXTsecretQ8w7E6r5T4y3U2i1O0pAzSxDcFvGbHn";
const TXT_TOKEN: &str = "pcTXTtokenZ1x2C3v4B5n6M7k8J9hG0fDsAqWeRtYu";
const TXT_NUMBER: &str = "98765432109876543210987654321";

/// Which secret (if any) has 8 consecutive bytes in `text`.
fn leaked(text: &str) -> Option<&'static str> {
    [
        ("SecretAccessKey", TXT_SECRET),
        ("SessionToken", TXT_TOKEN),
        ("numeric secret", TXT_NUMBER),
    ]
    .into_iter()
    .find(|(_, s)| {
        s.as_bytes()
            .windows(8)
            .any(|w| text.as_bytes().windows(8).any(|t| t == w))
    })
    .map(|(name, _)| name)
}

#[derive(Default)]
struct Texts(Vec<(String, String)>);

impl Texts {
    fn add(&mut self, case: &str, what: &str, text: impl Into<String>) {
        self.0.push((format!("{case}: {what}"), text.into()));
    }

    fn error(&mut self, case: &str, e: &processcreds::Error) {
        self.add(case, "Display", e.to_string());
        self.add(case, "Debug", format!("{e:?}"));
        self.add(case, "Debug (alternate)", format!("{e:#?}"));
        self.add(case, "code", e.code());
        self.add(case, "message", e.message());
        self.add(case, "cause", e.cause().unwrap_or_default());
    }

    fn c_error(&mut self, case: &str, status: u32, e: *mut pc_error) {
        assert_ne!(status, PC_STATUS_OK, "{case}: expected a failure");
        assert!(!e.is_null(), "{case}: no error object");
        // SAFETY: a valid error object, freed below.
        unsafe {
            self.add(
                case,
                "pc_error_message",
                CStr::from_ptr(pc_error_message(e)).to_string_lossy(),
            );
            self.add(
                case,
                "pc_error_code",
                CStr::from_ptr(pc_error_code(e)).to_string_lossy(),
            );
        }
        pc_error_free(e);
    }
}

/// Outputs a helper may print, each holding a secret, most of them invalid.
fn outputs() -> Vec<(&'static str, Vec<u8>)> {
    let (s, t, n) = (TXT_SECRET, TXT_TOKEN, TXT_NUMBER);
    let valid = format!(
        r#"{{"Version":1,"AccessKeyId":"AKTXT","SecretAccessKey":"{s}","SessionToken":"{t}","Expiration":"2099-01-01T00:00:00Z"}}"#
    );
    let mut v: Vec<(&'static str, Vec<u8>)> = vec![
        ("valid", valid.clone().into_bytes()),
        ("trailing data", format!("{valid} {s}").into_bytes()),
        ("second object", format!("{valid}{valid}").into_bytes()),
        (
            "log line after",
            format!("{valid}\nINFO token={t}\n").into_bytes(),
        ),
        ("BOM", format!("\u{feff}{valid}").into_bytes()),
        ("truncated in the secret", valid.as_bytes()[..60].to_vec()),
        (
            "truncated after the secret",
            format!(r#"{{"Version":1,"SecretAccessKey":"{s}""#).into_bytes(),
        ),
        (
            "bad escape",
            format!(r#"{{"Version":1,"SecretAccessKey":"{s}\q"}}"#).into_bytes(),
        ),
        (
            "control character",
            format!("{{\"Version\":1,\"SecretAccessKey\":\"{s}\u{1}\"}}").into_bytes(),
        ),
        (
            "NUL escape",
            format!(r#"{{"Version":1,"SecretAccessKey":"{s}\u0000"}}"#).into_bytes(),
        ),
        (
            "lone surrogate",
            format!(r#"{{"Version":1,"SessionToken":"{t}\ud800"}}"#).into_bytes(),
        ),
        (
            "secret as a number",
            format!(r#"{{"Version":1,"AccessKeyId":"AK","SecretAccessKey":{n}}}"#).into_bytes(),
        ),
        (
            "bad number",
            format!(r#"{{"Version":1,"SecretAccessKey":"{s}","X":{n}e}}"#).into_bytes(),
        ),
        (
            "version as the secret",
            format!(r#"{{"Version":"{s}"}}"#).into_bytes(),
        ),
        (
            "version as a number",
            format!(r#"{{"Version":{n}}}"#).into_bytes(),
        ),
        (
            "expiration as the secret",
            format!(r#"{{"Version":1,"Expiration":"{s}"}}"#).into_bytes(),
        ),
        (
            "expiration after the token",
            format!(
                r#"{{"Version":1,"SessionToken":"{t}","Expiration":"2030-01-01T00:00:00{s}"}}"#
            )
            .into_bytes(),
        ),
        (
            "secret as a key",
            format!(r#"{{"{s}":1,"Version":1,"AccessKeyId":"AK","SecretAccessKey":"x"}}"#)
                .into_bytes(),
        ),
        (
            "secret as a bad key",
            format!(r#"{{"{s}" 1}}"#).into_bytes(),
        ),
        (
            "secret unquoted",
            format!(r#"{{"Version":1,"SecretAccessKey":{s}}}"#).into_bytes(),
        ),
        (
            "secret in an array",
            format!(r#"["{s}","{t}"]"#).into_bytes(),
        ),
        ("secret as a string", format!(r#""{s}""#).into_bytes()),
        (
            "object as the key id",
            format!(r#"{{"Version":1,"AccessKeyId":{{"k":"{s}"}}}}"#).into_bytes(),
        ),
        (
            "deep after the secret",
            format!(
                r#"{{"Version":1,"SecretAccessKey":"{s}","D":{}}}"#,
                "[".repeat(10_001)
            )
            .into_bytes(),
        ),
        (
            "version error",
            format!(
                r#"{{"Version":2,"AccessKeyId":"AK","SecretAccessKey":"{s}","SessionToken":"{t}"}}"#
            )
            .into_bytes(),
        ),
        (
            "missing key id",
            format!(r#"{{"Version":1,"SecretAccessKey":"{s}","SessionToken":"{t}"}}"#).into_bytes(),
        ),
        (
            "missing secret",
            format!(r#"{{"Version":1,"AccessKeyId":"AK","SessionToken":"{t}"}}"#).into_bytes(),
        ),
        ("bare secret", s.as_bytes().to_vec()),
    ];
    let mut bad_utf8 = format!(r#"{{"Version":1,"SecretAccessKey":"{s}"#).into_bytes();
    bad_utf8.extend_from_slice(b"\xff\"}");
    v.push(("invalid UTF-8", bad_utf8));
    v
}

fn no_text_body() {
    // Everything written to stdout and stderr meanwhile goes to files, scanned at the end.
    let dir = TempDir::new("texts");
    let out_log = std::fs::File::create(dir.join("stdout")).unwrap();
    let err_log = std::fs::File::create(dir.join("stderr")).unwrap();
    // SAFETY: redirecting this process's own standard descriptors (one test runs here).
    let saved = unsafe { (libc::dup(1), libc::dup(2)) };
    unsafe {
        libc::dup2(out_log.as_raw_fd(), 1);
        libc::dup2(err_log.as_raw_fd(), 2);
    }
    let mut texts = Texts::default();
    run_text_cases(&dir, &mut texts);
    run_event_cases(&dir, &mut texts);
    // SAFETY: restoring the saved descriptors.
    unsafe {
        libc::dup2(saved.0, 1);
        libc::dup2(saved.1, 2);
        libc::close(saved.0);
        libc::close(saved.1);
    }
    for name in ["stdout", "stderr"] {
        let text = String::from_utf8_lossy(&std::fs::read(dir.join(name)).unwrap()).into_owned();
        texts.add("process output", name, text);
    }
    let events = std::mem::take(&mut *EVENT_TEXTS.lock().unwrap());
    for want in EVENTS {
        assert!(
            events.iter().any(|(e, _)| e == want.name),
            "the scan saw no {} event",
            want.name
        );
    }
    println!("scanned {} events", events.len());
    for (event, text) in events {
        texts.add("event", &event, text);
    }
    let mut leaks = Vec::new();
    for (what, text) in &texts.0 {
        if let Some(secret) = leaked(text) {
            leaks.push(format!("{what} shows part of the {secret}"));
        }
    }
    println!("scanned {} texts", texts.0.len());
    assert!(texts.0.len() > 300, "too few texts: {}", texts.0.len());
    assert!(leaks.is_empty(), "secrets leaked: {leaks:#?}");
}

/// Every event the scan's loggers were given: (event, `level event: message`).
static EVENT_TEXTS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

/// `p` with a logger at debug that keeps every event for the scan.
fn logged(p: ProcessProvider) -> ProcessProvider {
    p.set_logger(Level::Debug, |level, event, message| {
        EVENT_TEXTS
            .lock()
            .unwrap()
            .push((event.to_owned(), format!("{level} {event}: {message}")));
    });
    p
}

extern "C" fn c_logger(
    _: *mut std::ffi::c_void,
    level: u32,
    event: *const std::ffi::c_char,
    message: *const std::ffi::c_char,
) {
    // SAFETY: NUL-terminated strings valid for the call (the header's contract).
    let (event, message) = unsafe {
        (
            CStr::from_ptr(event).to_string_lossy().into_owned(),
            CStr::from_ptr(message).to_string_lossy().into_owned(),
        )
    };
    let text = format!("{level} {event}: {message}");
    EVENT_TEXTS.lock().unwrap().push((event, text));
}

/// `p` (a C provider) with `c_logger` at debug.
fn c_logged(p: *mut pc_provider) -> *mut pc_provider {
    assert_eq!(
        pc_set_logger(p, Some(c_logger), std::ptr::null_mut(), PC_LOG_DEBUG),
        PC_STATUS_OK
    );
    p
}

/// The paths of every event: a helper printing the secrets (and given them as arguments, in an
/// assignment and in a command line), through the shared cache (written, served, waited for,
/// bypassed), refreshed ahead (failing, then succeeding), timing out.
fn run_event_cases(dir: &TempDir, texts: &mut Texts) {
    let (s, t) = (TXT_SECRET, TXT_TOKEN);
    let d = quote(dir.path());
    let exp = processcreds::time::format_rfc3339(
        processcreds::UnixTime::now().plus(Duration::from_secs(60)),
    );
    std::fs::write(
        dir.join("ev-out"),
        format!(r#"{{"Version":1,"AccessKeyId":"AKEV","SecretAccessKey":"{s}","SessionToken":"{t}","Expiration":"{exp}"}}"#),
    )
    .unwrap();
    let helper = dir.script(
        "ev-helper",
        &format!(
            r#"d={d}
[ -f "$d/ev-sleep" ] && sleep "$(cat "$d/ev-sleep")"
[ -f "$d/ev-fail" ] && {{ echo "no: {s} {t}" >&2; exit 3; }}
cat "$d/ev-out""#
        ),
    );
    let h = quote(&helper);
    let cache = dir.join("ev-cache");
    std::env::set_var("PROCESSCREDS_CACHE_DIR", &cache);
    let commands = [
        format!("{h} --secret {s} --token {t}"),
        format!("TOKEN={s} {h}"),
        format!(
            r#"printf '%s' '{{"Version":1,"AccessKeyId":"AKP","SecretAccessKey":"{s}","SessionToken":"{t}"}}'"#
        ),
    ];
    for cmd in &commands {
        let p = logged(ProcessProvider::new(cmd.clone()));
        p.update_options(|o| o.shared_cache = SharedCacheMode::User);
        p.retrieve().unwrap();
        p.retrieve().unwrap();
        texts.add("events", "ProcessProvider Debug", format!("{p:?}"));
        let c_cmd = CString::new(cmd.clone()).unwrap();
        let mut cp = std::ptr::null_mut();
        assert_eq!(pc_provider_new(c_cmd.as_ptr(), &mut cp), PC_STATUS_OK);
        c_logged(cp);
        pc_set_shared_cache(cp, PC_SHARED_CACHE_USER);
        let mut c = std::ptr::null_mut();
        assert_eq!(pc_retrieve(cp, &mut c, std::ptr::null_mut()), PC_STATUS_OK);
        pc_credentials_free(c);
        pc_free(cp);
    }
    let argv = logged(
        ProcessProvider::from_argv(vec![helper.display().to_string(), s.into(), t.into()]).unwrap(),
    );
    argv.retrieve().unwrap();
    // A lock wait: two providers at once, the helper slow.
    std::fs::remove_dir_all(&cache).unwrap();
    std::fs::write(dir.join("ev-sleep"), "0.4").unwrap();
    let (a, b) = (
        logged(ProcessProvider::new(commands[0].clone())),
        logged(ProcessProvider::new(commands[0].clone())),
    );
    for p in [&a, &b] {
        p.update_options(|o| o.shared_cache = SharedCacheMode::User);
    }
    std::thread::scope(|sc| {
        sc.spawn(|| a.retrieve().unwrap());
        std::thread::sleep(Duration::from_millis(100));
        b.retrieve().unwrap();
    });
    // Asynchronous requests (runs driven by the library's reactor): one answered, one cancelled
    // while its run goes on (request.cancel, the run's helper.exit status=canceled).
    let asy = logged(ProcessProvider::new(commands[0].clone()));
    asy.update_options(|o| o.stderr = StderrMode::Capture);
    let (tx, rx) = std::sync::mpsc::channel();
    let answered = tx.clone();
    let _ = asy.retrieve_with(move |r| {
        let _ = answered.send(r.map(|_| ()));
    });
    rx.recv_timeout(Duration::from_secs(20)).unwrap().unwrap();
    asy.expire();
    let req = asy.retrieve_with(move |r| {
        let _ = tx.send(r.map(|_| ()));
    });
    std::thread::sleep(Duration::from_millis(100));
    req.cancel();
    let cancelled = rx
        .recv_timeout(Duration::from_secs(20))
        .unwrap()
        .unwrap_err();
    texts.error("events: cancelled request", &cancelled);
    // A timeout, the helper's stderr captured.
    let slow = logged(ProcessProvider::new(commands[0].clone()));
    slow.update_options(|o| {
        o.timeout = Duration::from_millis(150);
        o.stderr = StderrMode::Capture;
    });
    texts.error("events: timeout", &slow.retrieve().unwrap_err());
    std::fs::remove_file(dir.join("ev-sleep")).unwrap();
    // A bypass: a directory others may write.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    a.expire();
    a.retrieve().unwrap();
    // Refresh ahead: a failure (the helper says the secret on stderr), then a success.
    let r = logged(ProcessProvider::new(commands[0].clone()));
    r.update_options(|o| {
        o.refresh_window = Duration::from_secs(100);
        o.stderr = StderrMode::Capture;
    });
    r.retrieve().unwrap();
    std::fs::write(dir.join("ev-fail"), "").unwrap();
    let seen = |name: &str| EVENT_TEXTS.lock().unwrap().iter().any(|(e, _)| e == name);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen("refresh.fail") && Instant::now() < deadline {
        r.retrieve().unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    // A failed run (the helper's stderr, which says the secrets, discarded: a captured one
    // would be in the error's text by design; the events never hold it, see the refresh above).
    let failing = logged(ProcessProvider::new(commands[0].clone()));
    failing.update_options(|o| o.stderr = StderrMode::Discard);
    texts.error("events: failed run", &failing.retrieve().unwrap_err());
    std::fs::remove_file(dir.join("ev-fail")).unwrap();
    while !seen("refresh.ok") && Instant::now() < deadline {
        r.retrieve().unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    std::env::remove_var("PROCESSCREDS_CACHE_DIR");
}

fn run_text_cases(dir: &TempDir, texts: &mut Texts) {
    let outputs = outputs();
    for (i, (case, bytes)) in outputs.iter().enumerate() {
        // The parser alone.
        match output::parse(bytes) {
            Ok(o) => texts.add(case, "Output Debug", format!("{o:?} {o:#?}")),
            Err(e) => texts.error(case, &e),
        }
        // Run by a helper, with each stderr mode and a small MaxBufSize too.
        let f = dir.join(&format!("out{i}"));
        std::fs::write(&f, bytes).unwrap();
        for (mode, max_buf) in [
            (StderrMode::Capture, 8192),
            (StderrMode::Discard, 8192),
            (StderrMode::Inherit, 40),
        ] {
            let p = logged(ProcessProvider::new(format!("cat {}", quote(&f))));
            p.update_options(|o| {
                o.stderr = mode;
                o.max_buf_size = max_buf;
            });
            match p.retrieve() {
                Ok(c) => {
                    texts.add(case, "Credentials Debug", format!("{c:?} {c:#?}"));
                    texts.add(
                        case,
                        "Arc Debug",
                        format!("{:?}", std::sync::Arc::clone(&c)),
                    );
                }
                Err(e) => texts.error(case, &e),
            }
            texts.add(case, "ProcessProvider Debug", format!("{p:?} {p:#?}"));
        }
        // The C ABI.
        let cmd = CString::new(format!("cat {}", quote(&f))).unwrap();
        let mut p = std::ptr::null_mut();
        assert_eq!(pc_provider_new(cmd.as_ptr(), &mut p), PC_STATUS_OK);
        c_logged(p);
        pc_set_stderr(p, PC_STDERR_CAPTURE);
        let mut c = std::ptr::null_mut();
        let mut e = std::ptr::null_mut();
        match pc_retrieve(p, &mut c, &mut e) {
            PC_STATUS_OK => pc_credentials_free(c),
            status => texts.c_error(case, status, e),
        }
        pc_free(p);
    }

    // Failed runs after the helper printed valid credentials.
    let valid = dir.join("out0");
    let v = quote(&valid);
    for (case, cmd, timeout_ms) in [
        (
            "exit status",
            format!("cat {v}; echo 'helper failed' >&2; exit 1"),
            5000,
        ),
        // (TERM's disposition reset first: the test may be started with it ignored.)
        (
            "signal",
            format!("cat {v}; exec env --default-signal sh -c 'kill -TERM $$'"),
            5000,
        ),
        (
            "timeout",
            format!("cat {v}; echo waiting >&2; sleep 5"),
            300,
        ),
        ("flood", format!("cat {v}; exec yes"), 5000),
        ("empty command", "  ".to_string(), 5000),
        ("timeout zero", format!("cat {v}"), 0),
    ] {
        let p = logged(ProcessProvider::new(cmd.clone()));
        p.update_options(|o| {
            o.stderr = StderrMode::Capture;
            o.timeout = Duration::from_millis(timeout_ms);
        });
        let e = p.retrieve().unwrap_err();
        texts.error(case, &e);
        texts.add(case, "ProcessProvider Debug", format!("{p:?}"));
        let c_cmd = CString::new(cmd).unwrap();
        let mut cp = std::ptr::null_mut();
        assert_eq!(pc_provider_new(c_cmd.as_ptr(), &mut cp), PC_STATUS_OK);
        c_logged(cp);
        pc_set_stderr(cp, PC_STDERR_CAPTURE);
        pc_set_timeout(cp, timeout_ms);
        let mut c = std::ptr::null_mut();
        let mut e = std::ptr::null_mut();
        let status = pc_retrieve(cp, &mut c, &mut e);
        texts.c_error(case, status, e);
        pc_free(cp);
    }
    // Spawn failures (argv).
    for argv0 in ["/nonexistent/helper", "/", "no-such-helper-anywhere"] {
        let p = logged(
            ProcessProvider::from_argv(vec![argv0.into(), valid.display().to_string()]).unwrap(),
        );
        let e = p.retrieve().unwrap_err();
        texts.error("argv spawn failure", &e);
    }
    // A profile name that is not UTF-8, through the C ABI.
    let mut name = TXT_SECRET.as_bytes().to_vec();
    name.push(0xff);
    let name = CString::new(name).unwrap();
    let mut p = std::ptr::null_mut();
    let mut e = std::ptr::null_mut();
    let status = pc_provider_from_profile(name.as_ptr(), PC_SHARED_CONFIG_DISABLE, &mut p, &mut e);
    texts.c_error("profile name not UTF-8", status, e);

    // Shared config files holding static secrets, valid and broken.
    let (s, t) = (TXT_SECRET, TXT_TOKEN);
    let files: Vec<(&str, String)> = vec![
        ("static keys", format!("[default]\naws_access_key_id = AKCFG\naws_secret_access_key = {s}\naws_session_token = {t}\n")),
        ("secret without key id", format!("[default]\naws_secret_access_key = {s}\n")),
        ("collision", format!("[default]\naws_secret_access_key = {s}\ncredential_process = cat x\nsource_profile = p\n")),
        ("source without arn", format!("[default]\naws_secret_access_key = {s}\nsource_profile = p\n")),
        ("role_arn", format!("[default]\naws_secret_access_key = {s}\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Ec2InstanceMetadata\n")),
        ("sso", format!("[default]\naws_secret_access_key = {s}\nsso_start_url = https://x\nsso_role_name = r\n")),
        ("broken header", format!("[default\naws_secret_access_key = {s}\n")),
        ("comment value", format!("[default]\naws_secret_access_key = #{s}\n")),
        ("bare line", format!("[default]\n{s}\n")),
        ("secret in a section name", format!("[{s}]\nx = 1\n")),
        ("continuation", format!("[default]\naws_secret_access_key =\n  {s}\n")),
        ("not UTF-8", format!("[default]\naws_secret_access_key = {s}\u{1}\n")),
        ("missing profile", format!("[other]\naws_secret_access_key = {s}\n")),
    ];
    let home = dir.join("home");
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    for (case, text) in &files {
        let mut bytes = text.clone().into_bytes();
        if *case == "not UTF-8" {
            bytes.push(0xfe);
        }
        for file in [".aws/credentials", ".aws/config"] {
            let _ = std::fs::remove_file(home.join(".aws/credentials"));
            let _ = std::fs::remove_file(home.join(".aws/config"));
            std::fs::write(home.join(file), &bytes).unwrap();
            let h = OsString::from(home.as_os_str());
            let env = move |k: &str| (k == "HOME").then(|| h.clone());
            for shared in [SharedConfig::Enable, SharedConfig::Disable] {
                match resolve_with(None, shared, &env) {
                    Ok(src) => texts.add(case, "ProfileSource Debug", format!("{src:?} {src:#?}")),
                    Err(e) => texts.error(case, &e),
                }
            }
            if let Ok(bytes) = std::fs::read(home.join(file)) {
                if let Err(e) = processcreds::config::parse_ini_for_fuzz(&bytes) {
                    texts.add(case, "INI error", e);
                }
            }
        }
    }
}

#[test]
fn no_text_carries_a_secret() {
    isolated("no_text_carries_a_secret", no_text_body);
}

/// A command line may carry the secret it prints (a `credential_process` such as
/// `printf '{"Version":1,...}'`): `ProcessProvider`'s `Debug` must not show it.
#[test]
fn provider_debug_hides_the_command() {
    let cmd = format!(
        r#"printf '%s' '{{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"{TXT_SECRET}"}}'"#
    );
    let p = ProcessProvider::new(cmd);
    let shown = format!("{p:?}");
    assert!(
        leaked(&shown).is_none(),
        "ProcessProvider's Debug shows the secret its command prints"
    );
}

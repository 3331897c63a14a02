//! Soak: many fresh and cached retrieves, then the process must look as it did before: the same
//! descriptors, the same threads, no zombie, the same live heap, and resident memory within a
//! small slack. Ignored by default (minutes at full size); `make soak` runs the full counts and
//! `make test` (target `test-reliability`) reduced ones.
//!
//! - `soak_rust`: `PC_SOAK_FRESH` fresh retrieves (default 10,000; each after `expire()`, a new
//!   run of the helper), one failing run for every ten of them, and `PC_SOAK_CACHED` cached
//!   retrieves (default 1,000,000).
//! - `soak_c_abi_under_valgrind`: the same through the C ABI (`pc_*`), under valgrind with
//!   `--leak-check=full --track-fds=yes`, `PC_SOAK_VG_FRESH` fresh (default 1,000) and
//!   `PC_SOAK_VG_CACHED` cached (default 100,000) retrieves; valgrind must report no error and
//!   no definitely or indirectly lost block.
//!
//! Each runs in a fresh copy of this test binary (`common::run_alone`, `PC_SOAK_CHILD`), alone,
//! so that nothing else allocates, opens descriptors or starts threads meanwhile. The figures are
//! printed.
//!
//! Resident memory: the live heap must come back to the very byte (counted by this binary's
//! allocator), but RSS also counts pages the allocator keeps for reuse and pages first touched
//! during the run (stack depth, the allocator's free lists), which are not leaks. The slack
//! (`RSS_SLACK_KIB`) is small enough that a leak of 26 bytes per fresh retrieve would exceed it.
// POSIX helpers and system calls; the Windows runner has its own tests (windows_*.rs).
#![cfg(unix)]

mod c_abi;
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{CStr, CString};
use std::process::Command;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use c_abi::*;
use common::*;
use processcreds::{ProcessProvider, StderrMode};

// ---------------------------------------------------------------------------------------------
// A counting allocator: live bytes and blocks.

struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static LIVE_BLOCKS: AtomicIsize = AtomicIsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
            LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        LIVE_BLOCKS.fetch_sub(1, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE_BYTES.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ---------------------------------------------------------------------------------------------
// Each soak in its own process

const CHILD_ENV: &str = "PC_SOAK_CHILD";

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------
// Measures

#[derive(Debug, PartialEq)]
struct State {
    fds: Vec<(String, String)>,
    threads: usize,
    zombies: usize,
    /// `None` under valgrind, where resident memory is mostly valgrind's own.
    rss_kib: Option<u64>,
    live_bytes: isize,
    live_blocks: isize,
}

fn state() -> State {
    State {
        fds: fds(),
        threads: threads(),
        zombies: zombies(),
        rss_kib: Some(status_kib("VmRSS:")),
        live_bytes: 0,
        live_blocks: 0,
    }
}

/// The state, with the live heap counted while the snapshot `before` (if any) is alive and the
/// new one not yet built, so that the snapshots' own allocations count the same on both sides.
fn snapshot(before: Option<&State>) -> State {
    match before {
        None => {
            let mut s = state();
            s.live_bytes = LIVE_BYTES.load(Ordering::SeqCst);
            s.live_blocks = LIVE_BLOCKS.load(Ordering::SeqCst);
            s
        }
        Some(_) => {
            let (bytes, blocks) = (
                LIVE_BYTES.load(Ordering::SeqCst),
                LIVE_BLOCKS.load(Ordering::SeqCst),
            );
            State {
                live_bytes: bytes,
                live_blocks: blocks,
                ..state()
            }
        }
    }
}

/// Resident memory a soak may end with above where it started (see the file's comment).
const RSS_SLACK_KIB: u64 = 256;

fn compare(before: &State, after: &State, check_heap: bool) {
    let rss = |s: &State| match s.rss_kib {
        Some(kib) => format!("VmRSS {kib} KiB"),
        None => "VmRSS not compared (valgrind's own)".to_string(),
    };
    println!(
        "before: {} fds, {} threads, {} zombies, {}, live heap {} bytes in {} blocks",
        before.fds.len(),
        before.threads,
        before.zombies,
        rss(before),
        before.live_bytes,
        before.live_blocks
    );
    println!(
        "after:  {} fds, {} threads, {} zombies, {}, live heap {} bytes in {} blocks",
        after.fds.len(),
        after.threads,
        after.zombies,
        rss(after),
        after.live_bytes,
        after.live_blocks
    );
    assert_eq!(after.fds, before.fds, "descriptors leaked");
    assert_eq!(after.threads, before.threads, "threads left running");
    assert_eq!(after.zombies, 0, "zombies left");
    if check_heap {
        assert_eq!(after.live_bytes, before.live_bytes, "heap bytes leaked");
        assert_eq!(after.live_blocks, before.live_blocks, "heap blocks leaked");
    }
    if let (Some(b), Some(a)) = (before.rss_kib, after.rss_kib) {
        assert!(
            a <= b + RSS_SLACK_KIB,
            "VmRSS grew by {} KiB",
            a.saturating_sub(b)
        );
    }
}

const JSON: &str = r#"{"Version":1,"AccessKeyId":"AKSOAK","SecretAccessKey":"soak-secret","SessionToken":"soak-token","Expiration":"2099-01-01T00:00:00Z"}"#;

fn cat() -> &'static str {
    ["/bin/cat", "/usr/bin/cat"]
        .into_iter()
        .find(|c| std::path::Path::new(c).exists())
        .expect("cat")
}

// ---------------------------------------------------------------------------------------------
// Rust API

fn soak_rust_body() {
    let fresh = env_count("PC_SOAK_FRESH", 10_000);
    let cached = env_count("PC_SOAK_CACHED", 1_000_000);
    let dir = TempDir::new("soak");
    let file = dir.join("out.json");
    std::fs::write(&file, JSON).unwrap();
    let p = ProcessProvider::from_argv(vec![cat().into(), file.display().to_string()]).unwrap();
    let failing = ProcessProvider::new(format!("cat {}; exit 1", quote(&file)));
    failing.update_options(|o| o.stderr = StderrMode::Capture);
    let bad = ProcessProvider::from_argv(vec![cat().into(), "/dev/zero".into()]).unwrap();

    let round = |fresh: usize, cached: usize| {
        let mut failures = 0;
        for i in 0..fresh {
            p.expire();
            let c = p.retrieve().unwrap();
            assert_eq!(c.access_key_id(), "AKSOAK");
            if i % 10 == 0 {
                assert!(failing.retrieve().is_err());
                assert!(bad.retrieve().is_err());
                failures += 2;
            }
        }
        for _ in 0..cached {
            let c = p.retrieve().unwrap();
            assert_eq!(c.access_key_id().len(), 6);
        }
        failures
    };
    // Warm up: lazily initialised state (thread-locals, the allocator's arenas, the cache shard).
    round(200, 10_000);
    p.expire();
    let before = snapshot(None);
    let start = Instant::now();
    let failures = round(fresh, 0);
    let fresh_took = start.elapsed();
    let start = Instant::now();
    round(0, cached);
    let cached_took = start.elapsed();
    p.expire();
    let after = snapshot(Some(&before));
    println!(
        "Rust API: {fresh} fresh retrieves and {failures} failing runs in {fresh_took:.2?} \
         ({:.0} us each); {cached} cached retrieves in {cached_took:.2?} ({:.0} ns each); \
         {} allocations; VmHWM {} KiB",
        fresh_took.as_micros() as f64 / (fresh + failures).max(1) as f64,
        cached_took.as_nanos() as f64 / cached.max(1) as f64,
        ALLOCATIONS.load(Ordering::Relaxed),
        status_kib("VmHWM:")
    );
    compare(&before, &after, true);
}

#[test]
#[ignore = "soak: minutes at full size; run by `make soak` and `make test-reliability`"]
fn soak_rust() {
    if in_copy(CHILD_ENV, "soak_rust", soak_rust_body) {
        return;
    }
    let (status, out) = run_alone(CHILD_ENV, "soak_rust", &[], &[], Duration::from_secs(1800));
    for key in ["Rust API:", "before:", "after:"] {
        for line in out.lines().filter_map(|l| l.find(key).map(|i| &l[i..])) {
            println!("{line}");
        }
    }
    assert!(passed(&status, &out), "soak failed ({status}):\n{out}");
}

// ---------------------------------------------------------------------------------------------
// C ABI under valgrind

fn c_retrieve(p: *const pc_provider) -> Result<(), String> {
    let mut c: *mut pc_credentials = std::ptr::null_mut();
    let mut e: *mut pc_error = std::ptr::null_mut();
    if pc_retrieve(p, &mut c, &mut e) == PC_STATUS_OK {
        // SAFETY: a valid handle; borrowed strings read before the free.
        let ok = unsafe {
            CStr::from_ptr(pc_credentials_access_key_id(c)).to_bytes() == b"AKSOAK"
                && CStr::from_ptr(pc_credentials_secret_access_key(c)).to_bytes() == b"soak-secret"
        };
        let mut ms = 0;
        assert!(pc_credentials_expiration(c, &mut ms));
        pc_credentials_free(c);
        ok.then_some(()).ok_or_else(|| "other credentials".into())
    } else {
        // SAFETY: a valid error object.
        let m = unsafe { CStr::from_ptr(pc_error_message(e)) }
            .to_string_lossy()
            .into_owned();
        pc_error_free(e);
        Err(m)
    }
}

fn soak_c_body() {
    let fresh = env_count("PC_SOAK_VG_FRESH", 1_000);
    let cached = env_count("PC_SOAK_VG_CACHED", 100_000);
    let dir = TempDir::new("soak-c");
    let file = dir.join("out.json");
    std::fs::write(&file, JSON).unwrap();
    let argv = [
        CString::new(cat()).unwrap(),
        CString::new(file.display().to_string()).unwrap(),
    ];
    let ptrs: Vec<*const std::ffi::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    let cmd = CString::new(format!("cat {}; exit 1", quote(&file))).unwrap();
    let new_providers = || {
        let mut p = std::ptr::null_mut();
        assert_eq!(pc_provider_new_argv(ptrs.as_ptr(), 2, &mut p), PC_STATUS_OK);
        let mut failing = std::ptr::null_mut();
        assert_eq!(pc_provider_new(cmd.as_ptr(), &mut failing), PC_STATUS_OK);
        assert_eq!(pc_set_stderr(failing, PC_STDERR_CAPTURE), PC_STATUS_OK);
        (p, failing)
    };
    // Warm up (lazily initialised state), then measure from before the providers exist to after
    // they are freed.
    let (p, failing) = new_providers();
    c_retrieve(p).unwrap();
    c_retrieve(failing).unwrap_err();
    pc_free(p);
    pc_free(failing);

    let before = snapshot(None);
    let (p, failing) = new_providers();
    let start = Instant::now();
    let mut failures = 0;
    for i in 0..fresh {
        pc_expire(p);
        c_retrieve(p).unwrap();
        if i % 10 == 0 {
            assert!(c_retrieve(failing).is_err());
            failures += 1;
        }
    }
    let fresh_took = start.elapsed();
    let start = Instant::now();
    for _ in 0..cached {
        c_retrieve(p).unwrap();
    }
    let cached_took = start.elapsed();
    let mut at = 0;
    assert!(pc_expires_at(p, &mut at) && !pc_is_expired(p));
    pc_free(p);
    pc_free(failing);
    let after = snapshot(Some(&before));
    println!(
        "C ABI: {fresh} fresh retrieves and {failures} failing runs in {fresh_took:.2?}; \
         {cached} cached retrieves in {cached_took:.2?}"
    );
    // Under valgrind, RSS is mostly valgrind's own: not compared.
    compare(
        &State {
            rss_kib: None,
            ..before
        },
        &State {
            rss_kib: None,
            ..after
        },
        true,
    );
}

#[test]
#[ignore = "soak: needs valgrind; run by `make soak` and `make test-reliability`"]
fn soak_c_abi_under_valgrind() {
    if in_copy(CHILD_ENV, "soak_c_abi_under_valgrind", soak_c_body) {
        return;
    }
    if Command::new("valgrind").arg("--version").output().is_err() {
        panic!("valgrind is needed for this test (apt-get install valgrind; .ci/run installs it)");
    }
    let wrapper = [
        "valgrind",
        "--error-exitcode=99",
        "--leak-check=full",
        "--show-leak-kinds=definite,indirect",
        "--errors-for-leak-kinds=definite,indirect",
        "--track-fds=yes",
    ];
    let (status, out) = run_alone(
        CHILD_ENV,
        "soak_c_abi_under_valgrind",
        &wrapper,
        &[],
        Duration::from_secs(1800),
    );
    let summary: Vec<&str> = out
        .lines()
        .filter_map(|l| {
            ["C ABI:", "before:", "after:"]
                .iter()
                .find_map(|k| l.find(k).map(|i| &l[i..]))
                .or(Some(l))
        })
        .filter(|l| {
            l.starts_with("C ABI:")
                || l.starts_with("before:")
                || l.starts_with("after:")
                || l.contains("ERROR SUMMARY")
                || l.contains("definitely lost")
                || l.contains("indirectly lost")
                || l.contains("possibly lost")
                || l.contains("FILE DESCRIPTORS")
                || l.contains("in use at exit")
        })
        .collect();
    for l in &summary {
        println!("{l}");
    }
    assert!(
        passed(&status, &out),
        "valgrind run failed ({status}):\n{out}"
    );
    assert!(
        out.contains("ERROR SUMMARY: 0 errors"),
        "valgrind found errors:\n{out}"
    );
}

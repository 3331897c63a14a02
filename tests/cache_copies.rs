//! The cache keeps one heap copy of each credential set, whatever the number of threads that
//! retrieve it, and no copy of a replaced set once nobody holds it: every live heap block is
//! tracked by this binary's allocator and scanned for the secret.
//!
//! One test in this binary, so no other test allocates meanwhile.
// POSIX helpers and system calls; the Windows runner has its own tests (windows_*.rs).
#![cfg(unix)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::*;
use processcreds::ProcessProvider;

const SLOTS: usize = 1 << 17;
const EMPTY: usize = 0;
const GONE: usize = 1;

/// Every live block of the process: address and size, in an open-addressing table.
struct Tracker;

static LOCK: AtomicBool = AtomicBool::new(false);
static PTRS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(EMPTY) }; SLOTS];
static SIZES: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static FULL: AtomicBool = AtomicBool::new(false);

fn locked<R>(f: impl FnOnce() -> R) -> R {
    while LOCK
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        std::hint::spin_loop();
    }
    let r = f();
    LOCK.store(false, Ordering::Release);
    r
}

fn slot_of(p: usize) -> usize {
    (p >> 4).wrapping_mul(0x9E37_79B9_7F4A_7C15) % SLOTS
}

fn insert(p: usize, size: usize) {
    locked(|| {
        let mut i = slot_of(p);
        for _ in 0..SLOTS {
            let cur = PTRS[i].load(Ordering::Relaxed);
            if cur == EMPTY || cur == GONE {
                PTRS[i].store(p, Ordering::Relaxed);
                SIZES[i].store(size, Ordering::Relaxed);
                return;
            }
            i = (i + 1) % SLOTS;
        }
        FULL.store(true, Ordering::Relaxed);
    })
}

fn remove(p: usize) {
    locked(|| {
        let mut i = slot_of(p);
        for _ in 0..SLOTS {
            match PTRS[i].load(Ordering::Relaxed) {
                EMPTY => return,
                cur if cur == p => {
                    PTRS[i].store(GONE, Ordering::Relaxed);
                    return;
                }
                _ => i = (i + 1) % SLOTS,
            }
        }
    })
}

unsafe impl GlobalAlloc for Tracker {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            insert(p as usize, layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        remove(ptr as usize);
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Tracker = Tracker;

/// How many live heap blocks hold `needle`. The other threads of the test are idle meanwhile.
fn live_blocks_holding(needle: &[u8]) -> usize {
    assert!(!FULL.load(Ordering::Relaxed), "allocation table full");
    locked(|| {
        (0..SLOTS)
            .filter(|&i| {
                let p = PTRS[i].load(Ordering::Relaxed);
                let size = SIZES[i].load(Ordering::Relaxed);
                if p == EMPTY || p == GONE || size < needle.len() {
                    return false;
                }
                // SAFETY: a live block of `size` bytes; nobody writes to it meanwhile.
                let block = unsafe { std::slice::from_raw_parts(p as *const u8, size) };
                block.windows(needle.len()).any(|w| w == needle)
            })
            .count()
    })
}

const FIRST: &str = "pcCOPYfirst9Tq4Wm2Zx7Lb5Nc8Vd3Hs6Jg1Kf0";
const SECOND: &str = "pcCOPYsecond3Rp8Yw1Qe6Ut4Io9Pa2Sd5Fg7Hj";

fn write_secret(file: &std::path::Path, secret: &str) {
    std::fs::write(
        file,
        format!(r#"{{"Version":1,"AccessKeyId":"AKCOPY","SecretAccessKey":"{secret}"}}"#),
    )
    .unwrap();
}

/// Retrieves from `threads` threads at once (each fills its own shard) and returns what each got.
fn retrieve_on_threads(p: &Arc<ProcessProvider>, threads: usize) -> Vec<String> {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (p, b) = (p.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                let c = p.retrieve().unwrap();
                c.access_key_id().to_string()
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn one_copy_of_each_secret_and_none_of_a_replaced_one() {
    let dir = TempDir::new("copies");
    let file = dir.join("out.json");
    write_secret(&file, FIRST);
    let counter = dir.join("runs");
    let p = Arc::new(ProcessProvider::new(format!(
        "echo run >> {}; cat {}",
        quote(&counter),
        quote(&file)
    )));
    // Credentials without Expiration live 2 s, so that they expire on their own.
    p.update_options(|o| o.duration = Some(Duration::from_secs(2)));

    let held = p.retrieve().unwrap();
    assert_eq!(held.secret_access_key(), FIRST);
    // 32 threads: every shard of the cache holds a reference to the credentials.
    assert!(retrieve_on_threads(&p, 32).iter().all(|k| k == "AKCOPY"));
    assert_eq!(runs(&counter), 1, "expired before the threads were done");
    assert_eq!(
        live_blocks_holding(FIRST.as_bytes()),
        1,
        "copies of the secret"
    );

    // The caller's reference keeps the one copy alive, and nothing else does.
    write_secret(&file, SECOND);
    while !p.is_expired() {
        std::thread::sleep(Duration::from_millis(10));
    }
    let fresh = p.retrieve().unwrap();
    assert_eq!(fresh.secret_access_key(), SECOND);
    assert_eq!(runs(&counter), 2);
    assert_eq!(live_blocks_holding(FIRST.as_bytes()), 1);
    drop(held);
    assert_eq!(
        live_blocks_holding(FIRST.as_bytes()),
        0,
        "an idle shard keeps the replaced secret"
    );
    assert!(retrieve_on_threads(&p, 32).iter().all(|k| k == "AKCOPY"));
    assert_eq!(live_blocks_holding(SECOND.as_bytes()), 1);
    drop(fresh);

    // expire() drops every reference the cache holds.
    p.expire();
    assert_eq!(live_blocks_holding(SECOND.as_bytes()), 0);

    // Positive control: the scan sees a second copy.
    let copy = SECOND.to_string();
    assert_eq!(live_blocks_holding(SECOND.as_bytes()), 1);
    drop(copy);
}

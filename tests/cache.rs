//! The cache and single flight (SEMANTICS.md, "Expiry and the cache") with real helpers that count their runs.
// POSIX helpers and system calls; the Windows runner has its own tests (windows_*.rs).
#![cfg(unix)]

mod common;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::*;
use processcreds::time::{format_rfc3339, UnixTime};
use processcreds::{ProcessProvider, Status};

/// A helper that appends a line to `counter` on each run, waits `delay`, then prints `body`.
fn counting(dir: &TempDir, body: &str, delay: &str) -> (ProcessProvider, std::path::PathBuf) {
    let counter = dir.join("runs");
    let out = dir.join("out");
    std::fs::write(&out, body).unwrap();
    let cmd = format!(
        "echo run >> {c}; sleep {delay}; cat {o}",
        c = quote(&counter),
        o = quote(&out)
    );
    (ProcessProvider::new(cmd), counter)
}

fn in_secs(s: i64) -> String {
    format_rfc3339(UnixTime::from_nanos(
        UnixTime::now().as_nanos() + i128::from(s) * 1_000_000_000,
    ))
}

#[test]
fn sixty_four_threads_on_an_expired_provider_run_the_helper_once() {
    let dir = TempDir::new("sf");
    let (p, counter) = counting(&dir, &creds_json("AKSF", Some(&in_secs(3600))), "0.3");
    let p = Arc::new(p);
    let barrier = Arc::new(Barrier::new(64));
    let handles: Vec<_> = (0..64)
        .map(|_| {
            let (p, b) = (p.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                p.retrieve().map(|c| c.access_key_id().to_string())
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), "AKSF");
    }
    assert_eq!(runs(&counter), 1);
    // Cached now: more retrieves run nothing.
    for _ in 0..1000 {
        p.retrieve().unwrap();
    }
    assert_eq!(runs(&counter), 1);
}

#[test]
fn concurrent_callers_share_one_failure() {
    let dir = TempDir::new("sferr");
    let counter = dir.join("runs");
    let p = Arc::new(ProcessProvider::new(format!(
        "echo run >> {}; sleep 0.3; exit 7",
        quote(&counter)
    )));
    let barrier = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let (p, b) = (p.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                p.retrieve().unwrap_err().to_string()
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap().ends_with("caused by: exit status 7"));
    }
    assert_eq!(runs(&counter), 1);
}

#[test]
fn errors_are_not_cached_and_stale_values_never_returned() {
    let dir = TempDir::new("nocache");
    let counter = dir.join("runs");
    let mode = dir.join("mode");
    // Succeeds with already-expired credentials while `mode` says ok, fails otherwise.
    std::fs::write(&mode, "ok").unwrap();
    let body = creds_json("AKOLD", Some(&in_secs(-10)));
    let p = ProcessProvider::new(format!(
        "echo run >> {c}; [ \"$(cat {m})\" = ok ] || exit 3; printf '%s' '{body}'",
        c = quote(&counter),
        m = quote(&mode)
    ));
    // An Expiration in the past is returned, and the provider reports itself expired.
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AKOLD");
    assert!(p.is_expired());
    std::fs::write(&mode, "fail").unwrap();
    // A failed refresh returns the error, never the stale value; and is not cached.
    for n in 2..=3 {
        let e = p.retrieve().unwrap_err();
        assert_eq!(e.status(), Status::Execution);
        assert_eq!(runs(&counter), n);
    }
}

#[test]
fn expiry_window_is_subtracted() {
    let dir = TempDir::new("window");
    let exp = in_secs(60);
    let (p, counter) = counting(&dir, &creds_json("AKW", Some(&exp)), "0");
    p.update_options(|o| o.expiry_window = Duration::from_secs(120));
    let c = p.retrieve().unwrap();
    // The credentials carry the helper's own Expiration; the cache uses it less the window.
    assert_eq!(format_rfc3339(c.expiration().unwrap()), exp);
    assert_eq!(
        p.expires_at().unwrap().as_millis(),
        c.expiration().unwrap().as_millis() - 120_000
    );
    assert!(p.is_expired());
    p.retrieve().unwrap();
    assert_eq!(runs(&counter), 2);

    let dir = TempDir::new("window2");
    let (p, counter) = counting(&dir, &creds_json("AKW", Some(&in_secs(60))), "0");
    p.update_options(|o| o.expiry_window = Duration::from_secs(10));
    p.retrieve().unwrap();
    assert!(!p.is_expired());
    p.retrieve().unwrap();
    assert_eq!(runs(&counter), 1);
}

#[test]
fn duration_gives_a_lifetime_to_credentials_without_expiration() {
    // Duration counts from the end of the helper's run: between the two instants read around the
    // retrieve. Whether the credentials are expired is checked only against instants read
    // around the check, so a slow machine changes which branch is asserted, never the verdict.
    const LIFETIME: Duration = Duration::from_millis(1500);
    let dir = TempDir::new("duration");
    let (p, counter) = counting(&dir, &creds_json("AKDUR", None), "0");
    p.update_options(|o| o.duration = Some(LIFETIME));
    let before = UnixTime::now();
    let c = p.retrieve().unwrap();
    let after = UnixTime::now();
    let exp = c.expiration().expect("Duration-derived expiration");
    assert!(
        before.plus(LIFETIME) <= exp && exp <= after.plus(LIFETIME),
        "expiration not {LIFETIME:?} after the run"
    );
    assert_eq!(p.expires_at(), Some(exp));
    assert_eq!(runs(&counter), 1);

    // Before the expiry: not expired, and a retrieve runs nothing (asserted when both calls fell
    // before it, as they do unless the machine stalls for the whole lifetime).
    let t0 = UnixTime::now();
    let expired = p.is_expired();
    let again = p.retrieve().unwrap();
    let t1 = UnixTime::now();
    if t1 <= exp {
        assert!(!expired);
        assert_eq!(runs(&counter), 1);
        assert_eq!(again.expiration(), Some(exp));
    } else {
        assert!(
            t0 <= exp,
            "the machine took the whole {LIFETIME:?} for two calls"
        );
    }

    // After it: expired, and a retrieve runs the helper again.
    while UnixTime::now() <= exp {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(p.is_expired());
    let runs_before = runs(&counter);
    let fresh = p.retrieve().unwrap();
    assert_eq!(runs(&counter), runs_before + 1);
    assert!(fresh.expiration().unwrap() > exp);

    // Without Duration (and without Expiration) they never expire.
    let dir = TempDir::new("noduration");
    let (p, _) = counting(&dir, &creds_json("AKDUR", None), "0");
    let c = p.retrieve().unwrap();
    assert!(c.expiration().is_none() && p.expires_at().is_none() && !p.is_expired());
}

#[test]
fn expire_clears_the_cache() {
    let dir = TempDir::new("expire");
    let (p, counter) = counting(&dir, &creds_json("AKE", Some(&in_secs(3600))), "0");
    assert!(p.is_expired(), "expired before the first success");
    assert!(p.expires_at().is_none());
    p.retrieve().unwrap();
    assert!(!p.is_expired());
    assert!(p.expires_at().is_some());
    p.expire();
    assert!(p.is_expired());
    assert!(p.expires_at().is_none());
    p.retrieve().unwrap();
    assert_eq!(runs(&counter), 2);
}

#[test]
fn setters_take_effect_on_the_next_run() {
    let dir = TempDir::new("setters");
    let (p, _) = counting(&dir, &creds_json("AKS", Some(&in_secs(3600))), "0");
    p.retrieve().unwrap();
    p.update_options(|o| o.max_buf_size = 10);
    // Cached: nothing runs, so nothing fails.
    p.retrieve().unwrap();
    p.expire();
    assert_eq!(p.retrieve().unwrap_err().status(), Status::Parse);
}

#[test]
fn credentials_outlive_their_provider() {
    let dir = TempDir::new("outlive");
    let (p, _) = counting(&dir, &creds_json("AKO", None), "0");
    let c = p.retrieve().unwrap();
    drop(p);
    assert_eq!(c.access_key_id(), "AKO");
    assert_eq!(c.secret_access_key(), "test-secret");
}

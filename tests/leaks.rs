//! No descriptor, zombie or thread is left behind by many retrieves, failed ones and timeouts
//! included, nor by background refreshes (refresh ahead), finished or cancelled by freeing their
//! provider. One test in this binary, so nothing else opens descriptors meanwhile.
// POSIX helpers and system calls; the Windows runner has its own tests (windows_*.rs).
#![cfg(unix)]

mod common;

use std::time::Duration;

use common::*;
use processcreds::{ProcessProvider, StderrMode};

/// A refresh window that holds every credential of these tests.
const ALWAYS: Duration = Duration::from_secs(2000 * 365 * 24 * 3600);

#[test]
fn nothing_is_left_behind() {
    let ok = ProcessProvider::new(format!("printf '%s' '{}'", creds_json("AKL", None)));
    let fail = ProcessProvider::new("echo oops >&2; exit 1");
    fail.update_options(|o| o.stderr = StderrMode::Capture);
    let slow = ProcessProvider::new("sleep 5 & sleep 5");
    slow.update_options(|o| o.timeout = Duration::from_millis(50));
    let flood = ProcessProvider::new("yes");

    // Warm up (thread-locals, lazily opened descriptors).
    ok.retrieve().unwrap();
    ok.expire();
    let open = fds().len();
    let running = threads();

    for i in 0..300 {
        ok.expire();
        assert_eq!(ok.retrieve().unwrap().access_key_id(), "AKL");
        assert!(fail.retrieve().is_err());
        if i % 30 == 0 {
            assert!(slow.retrieve().is_err());
            assert!(flood.retrieve().is_err());
        }
    }
    assert_eq!(fds().len(), open, "descriptors leaked");
    assert_eq!(threads(), running, "threads left running");
    assert_eq!(zombies(), 0, "zombie children left");

    // Refresh ahead: credentials (expiring in 2999) always inside their window (2000 years), so retrieves keep starting
    // background refreshes (one a second at most), each on a thread of its own.
    let in_window = format!(
        "printf '%s' '{}'",
        creds_json("AKAHEAD", Some("2999-01-01T00:00:00Z"))
    );
    let dir = TempDir::new("leaks-ahead");
    let ahead_runs = dir.join("ahead");
    let ahead = ProcessProvider::new(format!("echo x >> {}; {in_window}", quote(&ahead_runs)));
    ahead.update_options(|o| o.refresh_window = ALWAYS);
    let deadline = std::time::Instant::now() + Duration::from_millis(2500);
    while std::time::Instant::now() < deadline {
        assert_eq!(ahead.retrieve().unwrap().access_key_id(), "AKAHEAD");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(runs(&ahead_runs) >= 2, "no background refresh ran");
    drop(ahead);
    // Providers freed while their background refresh runs a helper (and its child) that would
    // take 5 s: the refresh is cancelled, the helper's tree killed and reaped.
    for i in 0..20 {
        let runs_file = dir.join(&format!("runs{i}"));
        let p = ProcessProvider::new(format!(
            "n=$(cat {r} 2>/dev/null | wc -l); echo x >> {r}; \
             if [ $n -ge 1 ]; then sleep 5 & sleep 5; fi; {in_window}",
            r = quote(&runs_file)
        ));
        p.update_options(|o| o.refresh_window = ALWAYS);
        p.retrieve().unwrap(); // run 1, at once
        p.retrieve().unwrap(); // in the window: starts run 2 in the background
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while runs(&runs_file) < 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "no background refresh"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        drop(p);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while (threads() != running || !descendants().is_empty())
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(fds().len(), open, "descriptors leaked by refresh ahead");
    assert_eq!(threads(), running, "refresh threads left running");
    assert_eq!(zombies(), 0, "zombie children left by refresh ahead");
    assert!(
        descendants().is_empty(),
        "helpers left running: {:?}",
        descendants()
    );
}

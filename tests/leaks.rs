//! No descriptor, zombie or thread is left behind by many retrieves, failed ones and timeouts
//! included. One test in this binary, so nothing else opens descriptors meanwhile.
// POSIX helpers and system calls; the Windows runner has its own tests (windows_*.rs).
#![cfg(unix)]

mod common;

use std::time::Duration;

use common::*;
use processcreds::{ProcessProvider, StderrMode};

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
}

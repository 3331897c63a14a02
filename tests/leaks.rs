//! No descriptor, zombie or thread is left behind by many retrieves, failed ones and timeouts
//! included. One test in this binary, so nothing else opens descriptors meanwhile.

mod common;

use std::time::Duration;

use common::*;
use processcreds::{ProcessProvider, StderrMode};

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

fn zombies() -> usize {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            let mut f = rest.split_whitespace();
            let state = f.next();
            let ppid = f.next();
            state == Some("Z") && ppid == Some(me.as_str())
        })
        .count()
}

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
    let fds = count("/proc/self/fd");
    let threads = count("/proc/self/task");

    for i in 0..300 {
        ok.expire();
        assert_eq!(ok.retrieve().unwrap().access_key_id(), "AKL");
        assert!(fail.retrieve().is_err());
        if i % 30 == 0 {
            assert!(slow.retrieve().is_err());
            assert!(flood.retrieve().is_err());
        }
    }
    assert_eq!(count("/proc/self/fd"), fds, "descriptors leaked");
    assert_eq!(count("/proc/self/task"), threads, "threads left running");
    assert_eq!(zombies(), 0, "zombie children left");
}

//! Helpers shared by the integration tests: temp dirs and helper scripts written by the tests,
//! process checks, what a test can count in its own process (`counters`), and running a test in
//! a fresh copy of its test binary (`isolated`).

#![allow(dead_code)]

pub mod counters;
#[path = "../executable/mod.rs"]
pub mod executable;
pub use executable::write_executable;
pub mod isolated;

// Each test binary uses some of these; the rest would be unused imports in it.
#[allow(unused_imports)]
pub use counters::*;
#[allow(unused_imports)]
pub use isolated::*;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A unique temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "pc-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes an executable `#!/bin/sh` script and returns its path.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        let p = self.join(name);
        write_executable(&p, format!("#!/bin/sh\n{body}\n"));
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// JSON credentials text as a helper prints it.
pub fn creds_json(akid: &str, expiration: Option<&str>) -> String {
    match expiration {
        Some(e) => format!(
            r#"{{"Version":1,"AccessKeyId":"{akid}","SecretAccessKey":"test-secret","Expiration":"{e}"}}"#
        ),
        None => {
            format!(r#"{{"Version":1,"AccessKeyId":"{akid}","SecretAccessKey":"test-secret"}}"#)
        }
    }
}

/// How many lines a counter file holds (one per helper run).
pub fn runs(counter: &Path) -> usize {
    std::fs::read_to_string(counter)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// Whether `pid` is a live (not zombie) process.
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .unwrap_or("");
            state != "Z" && state != "X"
        }
        Err(_) => false,
    }
}

/// Waits up to `bound` for `pid` to be gone (dead or a zombie); whether it is.
pub fn gone_within(pid: i32, bound: Duration) -> bool {
    let deadline = Instant::now() + bound;
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    !alive(pid)
}

/// Reads a pid written by a helper, waiting up to 2 s for the file.
pub fn read_pid(p: &Path) -> i32 {
    for _ in 0..200 {
        if let Ok(s) = std::fs::read_to_string(p) {
            if let Ok(pid) = s.trim().parse() {
                return pid;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("no pid in {}", p.display());
}

pub fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

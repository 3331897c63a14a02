//! Running one test in a fresh copy of its test binary: the copy is this binary re-executed with
//! an environment variable (each binary names its own) set to the test's name, running that one
//! test alone on one test thread, and the parent kills it if it overruns a bound.
//!
//! [`isolated`] adds a clean slate and a leak check: the copy resets every signal to its default
//! disposition (a test runner may start us with SIGINT, SIGQUIT, SIGHUP or SIGPIPE ignored, and a
//! shell cannot undo an inherited "ignore"), refuses core files, leaves the controlling terminal
//! (a session of its own) and becomes a child subreaper, so that a descendant a helper orphans is
//! re-parented to it and stays visible to the check that no process, descriptor or thread is
//! left behind.

use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::counters::{descendants, fds, threads};
use super::TempDir;

/// The line a copy prints once its test has passed.
pub const DONE: &str = "PC-CASE-CHECKED";

/// In a copy (`var` set): runs `body` if the copy was started for `name`, then prints [`DONE`].
/// Returns whether this process is a copy, in which case the caller has nothing more to do.
pub fn in_copy(var: &str, name: &str, body: impl FnOnce()) -> bool {
    let Ok(wanted) = std::env::var(var) else {
        return false;
    };
    if wanted == name {
        body();
        println!("{DONE}");
    }
    true
}

/// Runs this binary's test `name` alone in a new process with `var` set to `name` and `env`
/// added (under `wrapper`, a command and its arguments, when given), killing it if it overruns
/// `bound`; returns its exit status and output (stdout and stderr).
pub fn run_alone(
    var: &str,
    name: &str,
    wrapper: &[&str],
    env: &[(&str, &str)],
    bound: Duration,
) -> (ExitStatus, String) {
    let dir = TempDir::new("copy-log");
    let log = dir.join("log");
    let file = std::fs::File::create(&log).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut cmd = match wrapper.split_first() {
        Some((prog, args)) => {
            let mut c = Command::new(prog);
            c.args(args).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    cmd.args([name, "--exact", "--include-ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(var, name)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file);
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > bound {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{name}: not finished within {bound:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    (status, std::fs::read_to_string(&log).unwrap_or_default())
}

/// Whether a copy's run (as [`run_alone`] returns it) passed.
pub fn passed(status: &ExitStatus, out: &str) -> bool {
    status.success() && out.contains(DONE)
}

/// Runs `body` as the test `name` in a fresh copy of this binary (see the module's comment) with
/// `env` added, failing unless it passes, leak check included, within `bound`.
pub fn isolated(var: &str, name: &str, bound: Duration, env: &[(&str, &str)], body: fn()) {
    if in_copy(var, name, || checked(body)) {
        return;
    }
    let (status, text) = run_alone(var, name, &[], env, bound);
    assert!(
        passed(&status, &text),
        "{name} failed in its own process ({status}):\n{text}"
    );
}

/// State of the process that a case must leave as it found it.
struct Snapshot {
    fds: Vec<(String, String)>,
    threads: usize,
}

/// Runs `body` from a clean slate, then checks that it left nothing behind.
fn checked(body: fn()) {
    // SAFETY: plain system calls; this process runs this one test.
    unsafe {
        for sig in 1..=libc::SIGRTMAX() {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        let mut lim: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_CORE, &mut lim);
        lim.rlim_cur = 0;
        libc::setrlimit(libc::RLIMIT_CORE, &lim);
        assert_eq!(libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
        // No controlling terminal (as a service): the helper leads a process group of its own.
        // The terminal case is tests/terminal.rs.
        libc::setsid();
    }
    let before = Snapshot {
        fds: fds(),
        threads: threads(),
    };
    body();
    check_nothing_left(&before);
}

fn check_nothing_left(before: &Snapshot) {
    // Killed processes take a moment to die; orphans come to us (subreaper) and are reaped here.
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        // SAFETY: reaping our own (adopted) children; no retrieve is running any more.
        while unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) } > 0 {}
        let left: Vec<_> = descendants()
            .into_iter()
            .filter(|(_, state, _)| state != "Z" && state != "X")
            .collect();
        if left.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            panic!("processes left behind: {left:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let deadline = Instant::now() + Duration::from_secs(1);
    while threads() > before.threads && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(threads(), before.threads, "threads left running");
    assert_eq!(fds(), before.fds, "descriptors left open");
}

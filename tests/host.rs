//! The host process: the library used with SIGCHLD ignored, with SIGPIPE at its default, from a
//! process that forks after using it or during a retrieve, under a storm of signals interrupting
//! every system call (EINTR), with a SIGCHLD handler reaping every child, and from 64 threads
//! mixing every call on one provider. (`bindings/c/tests/test_host.c` covers the same through the
//! C ABI, with `pthread_cancel`.)
//!
//! Each case runs in a fresh copy of this test binary (`common::isolated`: re-executed with
//! `PC_HOST_CHILD` set to the case's name), so that changing signal dispositions or forking does
//! not disturb other tests. The copy starts from default signal dispositions, with no core files,
//! in a session of its own (no controlling terminal), as a child subreaper (orphaned descendants
//! of helpers come back to it); after the case it checks that no process, descriptor or thread is
//! left behind.
// POSIX helpers and system calls; the Windows runner has its own tests (windows_*.rs).
#![cfg(unix)]

mod c_abi;
mod common;

use std::ffi::{CStr, CString};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use c_abi::*;
use common::*;
use processcreds::runner::{self, Cancel, Program, RunOptions};
use processcreds::{ProcessProvider, Status, StderrMode, StdinMode};

const CHILD_ENV: &str = "PC_HOST_CHILD";

// ---------------------------------------------------------------------------------------------
// Helpers

macro_rules! host_case {
    ($(#[$m:meta])* $name:ident, bound_s = $bound:expr, $body:block) => {
        $(#[$m])*
        #[test]
        fn $name() {
            let bound = Duration::from_secs($bound);
            isolated(CHILD_ENV, stringify!($name), bound, &[], || $body);
        }
    };
}

const TIMEOUT: &str = "ProcessProviderExecutionError: credential process timed out";
const OK_JSON: &str = r#"{"Version":1,"AccessKeyId":"AKHOST","SecretAccessKey":"host-secret"}"#;

fn exec_error(cause: &str) -> String {
    format!("ProcessProviderExecutionError: error in credential_process\ncaused by: {cause}")
}

fn sh(cmd: impl Into<String>, timeout_ms: u64) -> ProcessProvider {
    let p = ProcessProvider::new(cmd.into());
    p.update_options(|o| {
        o.timeout = Duration::from_millis(timeout_ms);
        o.stderr = StderrMode::Discard;
    });
    p
}

fn ok_helper() -> String {
    format!("printf '%s' '{OK_JSON}'")
}

/// Retrieves through the C ABI: `Ok(access key id)` or `Err((status, Go text))`.
fn c_retrieve(p: *const pc_provider) -> Result<String, (u32, String)> {
    let mut c: *mut pc_credentials = std::ptr::null_mut();
    let mut e: *mut pc_error = std::ptr::null_mut();
    let status = pc_retrieve(p, &mut c, &mut e);
    if status == PC_STATUS_OK {
        // SAFETY: a valid credentials handle; the string lives until it is freed.
        let akid = unsafe { CStr::from_ptr(pc_credentials_access_key_id(c)) }
            .to_string_lossy()
            .into_owned();
        pc_credentials_free(c);
        Ok(akid)
    } else {
        // SAFETY: a valid error object.
        let text = unsafe { CStr::from_ptr(pc_error_message(e)) }
            .to_string_lossy()
            .into_owned();
        pc_error_free(e);
        Err((status, text))
    }
}

fn c_provider(cmd: &str, timeout_ms: u64) -> *mut pc_provider {
    let cmd = CString::new(cmd).unwrap();
    let mut p: *mut pc_provider = std::ptr::null_mut();
    assert_eq!(pc_provider_new(cmd.as_ptr(), &mut p), PC_STATUS_OK);
    assert_eq!(pc_set_timeout(p, timeout_ms), PC_STATUS_OK);
    assert_eq!(pc_set_stderr(p, PC_STDERR_DISCARD), PC_STATUS_OK);
    p
}

fn wait_dead(pid: i32) {
    assert!(
        gone_within(pid, Duration::from_secs(3)),
        "process {pid} still running"
    );
}

/// Waits for a forked child, at most `bound`; its exit code (killed and -1 on overrun).
fn wait_child(pid: libc::pid_t, bound: Duration) -> i32 {
    let start = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: waiting for the child this test forked.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                -2
            };
        }
        if start.elapsed() > bound {
            // SAFETY: our child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return -1;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `f` in a forked child of this process and returns its exit code (`f`'s value; 99 if it
/// panicked; -1 if it overran `bound`). The child leaves with `_exit`, running no destructor.
fn in_fork(bound: Duration, f: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child only runs `f` and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(99);
        // SAFETY: leaving the forked child at once.
        unsafe { libc::_exit(code) };
    }
    wait_child(pid, bound)
}

// ---------------------------------------------------------------------------------------------
// SIGCHLD ignored

host_case!(sigchld_ignored, bound_s = 30, {
    // With SIGCHLD ignored the kernel reaps the helper itself and its exit status is lost: every
    // run that reaches its end fails with Go's text for that case (`waitid: no child processes`),
    // at once, without hanging or crashing. A timeout is still a timeout.
    // SAFETY: this process runs this one test.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    let lost = exec_error("waitid: no child processes");
    for _ in 0..20 {
        let start = Instant::now();
        let e = sh(ok_helper(), 5000).retrieve().unwrap_err();
        assert_eq!(e.to_string(), lost);
        assert_eq!(e.status(), Status::Execution);
        assert!(start.elapsed() < Duration::from_secs(2));
    }
    // A failing helper: the same (its status is lost too).
    assert_eq!(sh("exit 3", 5000).retrieve().unwrap_err().to_string(), lost);
    let start = Instant::now();
    let e = sh("sleep 30 & sleep 30", 300).retrieve().unwrap_err();
    assert_eq!(e.to_string(), TIMEOUT);
    assert!(start.elapsed() < Duration::from_secs(2));
    // D3 still cuts a flood.
    let e = sh("exec yes", 5000).retrieve().unwrap_err();
    assert_eq!(e.status(), Status::Parse);
    // The C ABI says the same.
    let p = c_provider(&ok_helper(), 5000);
    assert_eq!(c_retrieve(p), Err((PC_STATUS_EXECUTION, lost.clone())));
    // Back to the default: the same provider works again.
    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
    assert_eq!(c_retrieve(p), Ok("AKHOST".to_string()));
    pc_free(p);
});

// ---------------------------------------------------------------------------------------------
// SIGPIPE at its default

host_case!(sigpipe_default, bound_s = 30, {
    // A C host keeps SIGPIPE at its default (Rust and Python ignore it). The library never writes
    // to a pipe, so nothing a helper does can kill the host with SIGPIPE: not a flood cut short,
    // not descendants writing to stdout or to captured stderr after the library closed its ends.
    // SAFETY: this process runs this one test.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let dir = TempDir::new("sigpipe");
    assert_eq!(
        sh(ok_helper(), 5000).retrieve().unwrap().access_key_id(),
        "AKHOST"
    );
    for _ in 0..5 {
        let e = sh("exec yes", 5000).retrieve().unwrap_err();
        assert_eq!(e.status(), Status::Parse);
    }
    // D2: the helper exits, a descendant keeps stdout and writes to it after the library closed
    // its end; the same with captured stderr.
    for (i, target) in ["", ">&2"].iter().enumerate() {
        let pidfile = dir.join(&format!("writer{i}"));
        let cmd = format!(
            "{ok}; (echo $$ > /dev/null; sh -c 'echo $$ > {pf}; sleep 0.3; exec yes {target}' &)",
            ok = ok_helper(),
            pf = quote(&pidfile),
        );
        let p = sh(cmd, 5000);
        p.update_options(|o| o.stderr = StderrMode::Capture);
        let start = Instant::now();
        assert_eq!(p.retrieve().unwrap().access_key_id(), "AKHOST");
        assert!(start.elapsed() < Duration::from_secs(2));
        // The writer dies of SIGPIPE; we do not.
        wait_dead(read_pid(&pidfile));
    }
    let p = c_provider("exec yes", 5000);
    assert_eq!(c_retrieve(p).unwrap_err().0, PC_STATUS_PARSE);
    pc_free(p);
});

// ---------------------------------------------------------------------------------------------
// Fork

host_case!(forked_child_can_retrieve, bound_s = 30, {
    let dir = TempDir::new("fork");
    let counter = dir.join("runs");
    let cmd = format!(
        "echo run >> {c}; {ok}",
        c = quote(&counter),
        ok = ok_helper()
    );
    let p = sh(cmd.clone(), 5000);
    let cp = c_provider(&cmd, 5000);
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AKHOST");
    assert_eq!(c_retrieve(cp), Ok("AKHOST".to_string()));
    assert_eq!(runs(&counter), 2);

    let code = in_fork(Duration::from_secs(10), || {
        // Cached values are there without a run.
        if p.retrieve().map(|c| c.access_key_id() == "AKHOST") != Ok(true) {
            return 2;
        }
        if c_retrieve(cp).as_deref() != Ok("AKHOST") {
            return 3;
        }
        if runs(&counter) != 2 {
            return 4;
        }
        // Fresh runs, a timeout and a flood, from the child.
        p.expire();
        pc_expire(cp);
        if p.retrieve().is_err() || c_retrieve(cp).is_err() || runs(&counter) != 4 {
            return 5;
        }
        if sh("sleep 30", 200).retrieve().map_err(|e| e.status()).err() != Some(Status::Timeout) {
            return 6;
        }
        if sh("exec yes", 5000)
            .retrieve()
            .map_err(|e| e.status())
            .err()
            != Some(Status::Parse)
        {
            return 7;
        }
        0
    });
    assert_eq!(
        code, 0,
        "the forked child failed (see the codes in the test)"
    );
    // The parent's cache is its own: still cached, and the parent can refresh.
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AKHOST");
    assert_eq!(runs(&counter), 4);
    p.expire();
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AKHOST");
    assert_eq!(runs(&counter), 5);
    pc_free(cp);
});

host_case!(forked_child_during_a_refresh_can_retrieve, bound_s = 60, {
    // The parent forks while another thread's retrieve is in flight: its helper has signalled
    // that it started (a file) and is held on a FIFO until the child is done. In the child that
    // thread does not exist, so the flight it owns never ends there: the child's retrieve must
    // run a helper of its own (which does not wait on the FIFO) rather than wait for it.
    let dir = TempDir::new("forkflight");
    let gate = dir.join("gate");
    let c = std::ffi::CString::new(gate.to_str().unwrap()).unwrap();
    // SAFETY: a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let cmd = format!(
        "echo run >> {runs}; if mkdir {first} 2>/dev/null; then : > {started}; read x < {gate}; fi; {ok}",
        runs = quote(&dir.join("runs")),
        first = quote(&dir.join("first")),
        started = quote(&dir.join("started")),
        gate = quote(&gate),
        ok = ok_helper()
    );
    let p = Arc::new(sh(cmd, 30_000));
    let p2 = p.clone();
    let t = std::thread::spawn(move || p2.retrieve().map(|c| c.access_key_id().to_string()));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !dir.join("started").exists() {
        assert!(Instant::now() < deadline, "the first helper never started");
        std::thread::sleep(Duration::from_millis(1));
    }
    // The flight is in progress now, and stays so until the gate opens.
    let code = in_fork(Duration::from_secs(20), || match p.retrieve() {
        Ok(c) if c.access_key_id() == "AKHOST" => 0,
        _ => 1,
    });
    assert_eq!(
        code, 0,
        "the forked child's retrieve did not finish (-1: hung) or failed"
    );
    // Two runs: the parent's (still held) and the child's own.
    assert_eq!(runs(&dir.join("runs")), 2);
    assert!(
        !t.is_finished(),
        "the parent's retrieve ended before its helper was released"
    );
    std::fs::OpenOptions::new()
        .write(true)
        .open(&gate)
        .unwrap()
        .write_all(b"go\n")
        .unwrap();
    assert_eq!(t.join().unwrap().as_deref(), Ok("AKHOST"));
    assert_eq!(runs(&dir.join("runs")), 2);
});

// ---------------------------------------------------------------------------------------------
// Signals interrupting every call, and a host reaping every child

static ALARMS: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_alarm(_: libc::c_int) {
    ALARMS.fetch_add(1, Ordering::Relaxed);
}

/// SIGALRM every millisecond, its handler installed without SA_RESTART (so that every blocking
/// system call is interrupted); or the timer stopped and SIGALRM ignored (not back to its
/// default: a signal already on its way to another thread may still land).
fn storm(on: bool) {
    // SAFETY: installing a handler that only bumps an atomic, and arming a timer.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = if on {
            on_alarm as extern "C" fn(libc::c_int) as libc::sighandler_t
        } else {
            libc::SIG_IGN
        };
        libc::sigemptyset(&mut sa.sa_mask);
        sa.sa_flags = 0;
        let ms = libc::timeval {
            tv_sec: 0,
            tv_usec: if on { 1000 } else { 0 },
        };
        let it = libc::itimerval {
            it_interval: ms,
            it_value: ms,
        };
        if on {
            assert_eq!(libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut()), 0);
        }
        assert_eq!(
            libc::setitimer(libc::ITIMER_REAL, &it, std::ptr::null_mut()),
            0
        );
        if !on {
            assert_eq!(libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut()), 0);
        }
    }
}

host_case!(eintr_storm, bound_s = 60, {
    // Every blocking call the library makes (poll, read, waitpid, the spawn) is interrupted
    // again and again: fresh retrieves, slow ones, a timeout, a flood, a spawn failure and a
    // cancelled run all give their exact results, and nothing is left behind.
    let dir = TempDir::new("eintr");
    let ok = sh(ok_helper(), 30_000);
    let slow = sh(format!("sleep 0.2; {}", ok_helper()), 30_000);
    let before = ALARMS.load(Ordering::Relaxed);
    storm(true);
    for _ in 0..20 {
        ok.expire();
        assert_eq!(ok.retrieve().unwrap().access_key_id(), "AKHOST");
    }
    for _ in 0..3 {
        slow.expire();
        assert_eq!(slow.retrieve().unwrap().access_key_id(), "AKHOST");
    }
    let start = Instant::now();
    let e = sh("exec sleep 30", 300).retrieve().unwrap_err();
    assert_eq!(e.to_string(), TIMEOUT);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    let e = sh("exec yes", 30_000).retrieve().unwrap_err();
    assert_eq!(e.status(), Status::Parse);
    let p = ProcessProvider::from_argv(vec!["/nonexistent/eintr-helper".into()]).unwrap();
    assert_eq!(
        p.retrieve().unwrap_err().to_string(),
        exec_error("fork/exec /nonexistent/eintr-helper: no such file or directory")
    );
    // A cancellation from another thread while the helper sleeps.
    let me = dir.join("me");
    let cmd = format!("echo $$ > {}; exec sleep 30", quote(&me));
    let cancel = Arc::new(Cancel::new());
    let c2 = cancel.clone();
    let run = std::thread::spawn(move || {
        let opts = RunOptions {
            timeout: Duration::from_secs(30),
            max_buf_size: 8192,
            stderr: StderrMode::Discard,
            stdin: StdinMode::Null,
        };
        runner::run_cancellable(&Program::Shell(cmd), &opts, &c2)
            .err()
            .map(|e| e.to_string())
    });
    read_pid(&me);
    cancel.cancel();
    assert_eq!(
        run.join().unwrap().as_deref(),
        Some("InternalError: credential process run cancelled")
    );
    storm(false);
    let alarms = ALARMS.load(Ordering::Relaxed) - before;
    assert!(alarms > 300, "only {alarms} signals landed");
});

static REAPED_BY_HOST: AtomicU64 = AtomicU64::new(0);

extern "C" fn reap_every_child(_: libc::c_int) {
    // SAFETY: waitpid is async-signal-safe; errno is saved and restored.
    unsafe {
        let errno = *libc::__errno_location();
        while libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) > 0 {
            REAPED_BY_HOST.fetch_add(1, Ordering::Relaxed);
        }
        *libc::__errno_location() = errno;
    }
}

host_case!(host_reaping_every_child, bound_s = 60, {
    // The host's SIGCHLD handler reaps every child (waitpid(-1, WNOHANG) in a loop), racing the
    // library for the helper's exit status. Documented result (SEMANTICS.md): a retrieve either
    // succeeds (the library reaped its helper first) or fails with Go's text for a lost status,
    // `waitid: no child processes`; it never hangs and never returns anything else. Timeouts,
    // floods and cancellations keep their results, and nothing is left behind.
    // SAFETY: installing a handler that only reaps.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = reap_every_child as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut sa.sa_mask);
        sa.sa_flags = libc::SA_RESTART;
        assert_eq!(libc::sigaction(libc::SIGCHLD, &sa, std::ptr::null_mut()), 0);
    }
    let lost = exec_error("waitid: no child processes");
    let p = sh(ok_helper(), 30_000);
    let (mut ok, mut lost_n) = (0, 0);
    for _ in 0..40 {
        p.expire();
        let start = Instant::now();
        match p.retrieve() {
            Ok(c) => {
                assert_eq!(c.access_key_id(), "AKHOST");
                ok += 1;
            }
            Err(e) => {
                assert_eq!(e.to_string(), lost);
                lost_n += 1;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(5));
    }
    println!(
        "40 retrieves: {ok} succeeded, {lost_n} lost the status; the host reaped {}",
        REAPED_BY_HOST.load(Ordering::Relaxed)
    );
    assert!(REAPED_BY_HOST.load(Ordering::Relaxed) >= lost_n);
    let start = Instant::now();
    assert_eq!(
        sh("exec sleep 30", 300).retrieve().unwrap_err().to_string(),
        TIMEOUT
    );
    assert!(start.elapsed() < Duration::from_secs(3));
    assert_eq!(
        sh("exec yes", 30_000).retrieve().unwrap_err().status(),
        Status::Parse
    );
    // SAFETY: back to the default.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
});

// ---------------------------------------------------------------------------------------------
// 64 threads on one provider

host_case!(sixty_four_threads_mixing_every_call, bound_s = 60, {
    // For a few seconds, 64 threads retrieve, expire, change every option, and ask is_expired and
    // expires_at on one provider through the C ABI. The helper refuses to run while another copy
    // of it runs (a lock directory), so an overlap would show as an error: single flight holds
    // under churn. No call may fail, hang or return other credentials.
    let dir = TempDir::new("threads");
    let counter = dir.join("runs");
    let lock = dir.join("lock");
    let cmd = format!(
        "mkdir {l} 2>/dev/null || exit 9; echo run >> {c}; {ok}; rmdir {l}",
        l = quote(&lock),
        c = quote(&counter),
        ok = ok_helper()
    );
    let p = c_provider(&cmd, 20_000) as usize;
    let run_for = Duration::from_millis(
        std::env::var("PC_HOST_THREADS_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3000),
    );
    let ops = Arc::new([(); 6].map(|_| AtomicU64::new(0)));
    let deadline = Instant::now() + run_for;
    let workers: Vec<_> = (0..64u64)
        .map(|i| {
            let ops = ops.clone();
            std::thread::spawn(move || -> Vec<String> {
                let p = p as *mut pc_provider;
                let mut rng =
                    0x9E37_79B9_7F4A_7C15u64 ^ (i + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
                let mut next = move || {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    rng
                };
                let mut errors = Vec::new();
                while Instant::now() < deadline {
                    let r = next();
                    let kind = match r % 100 {
                        0..=54 => {
                            let mut c: *mut pc_credentials = std::ptr::null_mut();
                            let mut e: *mut pc_error = std::ptr::null_mut();
                            if pc_retrieve(p, &mut c, &mut e) == PC_STATUS_OK {
                                // SAFETY: a valid handle; strings borrowed until the free.
                                let (akid, secret) = unsafe {
                                    (
                                        CStr::from_ptr(pc_credentials_access_key_id(c)),
                                        CStr::from_ptr(pc_credentials_secret_access_key(c)),
                                    )
                                };
                                if akid.to_bytes() != b"AKHOST"
                                    || secret.to_bytes() != b"host-secret"
                                {
                                    errors.push("other credentials returned".to_string());
                                }
                                let mut ms = 0i64;
                                pc_credentials_expiration(c, &mut ms);
                                pc_credentials_free(c);
                            } else {
                                // SAFETY: a valid error object.
                                errors.push(
                                    unsafe { CStr::from_ptr(pc_error_message(e)) }
                                        .to_string_lossy()
                                        .into_owned(),
                                );
                                pc_error_free(e);
                            }
                            0
                        }
                        55..=59 => {
                            pc_expire(p);
                            1
                        }
                        60..=69 => {
                            let v = next();
                            let rc = match v % 6 {
                                0 => pc_set_timeout(p, 10_000 + v % 10_000),
                                1 => pc_set_max_buf_size(p, 4096 + (v % 4096) as usize),
                                2 => pc_set_expiry_window(p, v % 20),
                                3 => pc_set_duration(p, [0, 30, 100][(v % 3) as usize]),
                                4 => pc_set_stderr(
                                    p,
                                    [PC_STDERR_CAPTURE, PC_STDERR_DISCARD][(v % 2) as usize],
                                ),
                                _ => pc_set_stdin(
                                    p,
                                    [PC_STDIN_NULL, PC_STDIN_INHERIT][(v % 2) as usize],
                                ),
                            };
                            if rc != PC_STATUS_OK {
                                errors.push(format!("setter returned {rc}"));
                            }
                            2
                        }
                        70..=84 => {
                            pc_is_expired(p);
                            3
                        }
                        _ => {
                            let mut ms = 0i64;
                            pc_expires_at(p, &mut ms);
                            4
                        }
                    };
                    ops[kind].fetch_add(1, Ordering::Relaxed);
                }
                errors
            })
        })
        .collect();
    let mut errors = Vec::new();
    for w in workers {
        errors.extend(w.join().expect("a worker panicked"));
    }
    let p = p as *mut pc_provider;
    let runs = runs(&counter);
    let counts: Vec<u64> = ops.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    println!(
        "64 threads for {run_for:?}: retrieve {} expire {} setters {} is_expired {} expires_at {}; helper runs {runs}",
        counts[0], counts[1], counts[2], counts[3], counts[4]
    );
    errors.sort();
    errors.dedup();
    assert!(errors.is_empty(), "errors under churn: {errors:?}");
    assert!(runs >= 1 && runs as u64 <= counts[0]);
    assert!(!lock.exists(), "a helper run was cut short");
    // Still usable afterwards.
    pc_expire(p);
    assert_eq!(c_retrieve(p), Ok("AKHOST".to_string()));
    pc_free(p);
});

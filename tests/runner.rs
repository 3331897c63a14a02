//! Timing and process behaviour with real helper processes: timeouts kill the helper's tree (D1),
//! descendants holding stdout are not waited for (D2), floods are cut (D3), descriptors do not
//! leak into the helper, process groups, cancellation.
// POSIX helpers and system calls; the Windows runner has its own tests (windows_*.rs).
#![cfg(unix)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use processcreds::runner::{self, Cancel, Program, RunOptions};
use processcreds::{ProcessProvider, Status, StderrMode, StdinMode};

const CHILD_ENV: &str = "PC_RUNNER_CHILD";

/// Runs the test body alone in a fresh copy of this binary, with the leak check (no process,
/// descriptor or thread left behind).
macro_rules! isolated_case {
    ($name:ident, bound_s = $bound:expr, $body:block) => {
        #[test]
        fn $name() {
            isolated(
                CHILD_ENV,
                stringify!($name),
                Duration::from_secs($bound),
                &[],
                || $body,
            );
        }
    };
}

fn provider(cmd: String, timeout_ms: u64) -> ProcessProvider {
    let p = ProcessProvider::new(cmd);
    p.update_options(|o| {
        o.timeout = Duration::from_millis(timeout_ms);
        o.stderr = StderrMode::Capture;
    });
    p
}

#[test]
fn timeout_kills_the_helper_and_its_descendants() {
    let dir = TempDir::new("tree");
    // A background child, a grandchild in a session of its own (escapes the process group), and
    // the helper itself, all sleeping far past the timeout.
    let cmd = format!(
        "sleep 30 & echo $! > {bg}; setsid sh -c 'echo $$ > {ss}; exec sleep 30' & echo $$ > {me}; sleep 30",
        bg = quote(&dir.join("bg")),
        ss = quote(&dir.join("ss")),
        me = quote(&dir.join("me")),
    );
    let p = provider(cmd, 500);
    let start = Instant::now();
    let err = p.retrieve().unwrap_err();
    let took = start.elapsed();
    assert_eq!(err.status(), Status::Timeout);
    assert_eq!(
        err.to_string(),
        "ProcessProviderExecutionError: credential process timed out"
    );
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    for name in ["bg", "ss", "me"] {
        let pid = read_pid(&dir.join(name));
        // Killed processes may linger as zombies of init for a moment.
        let deadline = Instant::now() + Duration::from_secs(2);
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            !alive(pid),
            "{name} ({pid}) still running after the timeout"
        );
    }
}

#[test]
fn helper_ignoring_sigterm_is_killed() {
    let dir = TempDir::new("term");
    let cmd = format!(
        "trap '' TERM HUP INT; echo $$ > {me}; while :; do sleep 1; done",
        me = quote(&dir.join("me"))
    );
    let p = provider(cmd, 300);
    assert_eq!(p.retrieve().unwrap_err().status(), Status::Timeout);
    let pid = read_pid(&dir.join("me"));
    assert!(!alive(pid));
}

#[test]
fn descendant_holding_stdout_is_neither_waited_for_nor_killed() {
    let dir = TempDir::new("d2");
    let cmd = format!(
        "printf '%s' '{json}'; sleep 5 & echo $! > {bg}",
        json = creds_json("AKD2", None),
        bg = quote(&dir.join("bg"))
    );
    let p = provider(cmd, 3000);
    let start = Instant::now();
    let c = p.retrieve().expect("D2: success after the helper exits");
    let took = start.elapsed();
    assert_eq!(c.access_key_id(), "AKD2");
    assert!(took < Duration::from_millis(1000), "took {took:?}");
    let pid = read_pid(&dir.join("bg"));
    assert!(alive(pid), "the descendant must not be killed");
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

#[test]
fn flood_of_garbage_fails_at_once_and_kills_the_helper() {
    let dir = TempDir::new("flood");
    let cmd = format!("echo $$ > {me}; exec yes", me = quote(&dir.join("me")));
    let p = provider(cmd, 10_000);
    let start = Instant::now();
    let err = p.retrieve().unwrap_err();
    assert_eq!(err.status(), Status::Parse);
    assert_eq!(
        err.to_string(),
        "ProcessProviderParseError: parse failed of credential_process output\ncaused by: output exceeds MaxBufSize (8192 bytes)"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
    let pid = read_pid(&dir.join("me"));
    assert!(!alive(pid));
}

#[test]
fn flood_of_trailing_whitespace_is_read_and_ignored() {
    let cmd = format!(
        "printf '%s' '{json}'; head -c 30000000 /dev/zero | tr '\\000' ' '",
        json = creds_json("AKWS", None)
    );
    let p = provider(cmd, 20_000);
    let c = p
        .retrieve()
        .expect("trailing whitespace beyond MaxBufSize is fine");
    assert_eq!(c.access_key_id(), "AKWS");
}

#[test]
fn slow_helper_writing_byte_by_byte_succeeds() {
    let json = creds_json("AKSLOW", None);
    let script: String = json
        .chars()
        .map(|c| format!("printf '%s' '{c}'; sleep 0.002; "))
        .collect();
    let p = provider(script, 10_000);
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AKSLOW");
}

#[test]
fn helper_closing_stdout_early_is_waited_for_until_it_exits() {
    // Go waits for the exit status: a helper that closes stdout and then fails is an error.
    let cmd = format!(
        "printf '%s' '{}'; exec >&-; sleep 0.3; exit 4",
        creds_json("AK", None)
    );
    let p = provider(cmd, 3000);
    let err = p.retrieve().unwrap_err();
    assert_eq!(
        err.to_string(),
        "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 4"
    );
}

#[test]
fn no_descriptor_leaks_into_the_helper() {
    let dir = TempDir::new("fds");
    // A descriptor the host opened without close-on-exec.
    let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY) };
    assert!(fd >= 0);
    let list = dir.join("fds");
    let cmd = format!(
        "ls /proc/self/fd > {list}; printf '%s' '{json}'",
        list = quote(&list),
        json = creds_json("AKFD", None)
    );
    let p = provider(cmd, 5000);
    p.retrieve().unwrap();
    unsafe { libc::close(fd) };
    let fds: Vec<String> = std::fs::read_to_string(&list)
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    // stdin, stdout (the file), stderr (the capture pipe) and the directory `ls` reads.
    assert_eq!(fds.len(), 4, "helper saw descriptors {fds:?}");
}

/// The helper's pid and process group, as it reads them from `/proc/$$/stat`.
fn helper_pid_and_group() -> (i32, i32) {
    let cmd = r#"read pid comm state ppid pgrp rest < /proc/$$/stat; printf '{"Version":1,"AccessKeyId":"%s-%s","SecretAccessKey":"x"}' "$pid" "$pgrp""#;
    let p = provider(cmd.to_string(), 20_000);
    let c = p.retrieve().unwrap();
    let (pid, pgrp) = c.access_key_id().split_once('-').unwrap();
    (pid.parse().unwrap(), pgrp.parse().unwrap())
}

isolated_case!(
    helper_leads_its_own_process_group_without_a_terminal,
    bound_s = 60,
    {
        // The copy runs in a session of its own: it has no controlling terminal.
        // SAFETY: a plain open; closed at once if it succeeds.
        let tty = unsafe { libc::open(c"/dev/tty".as_ptr(), libc::O_RDONLY | libc::O_NOCTTY) };
        if tty >= 0 {
            unsafe { libc::close(tty) };
        }
        assert!(tty < 0, "the copy has a controlling terminal");
        let (pid, pgrp) = helper_pid_and_group();
        assert_eq!(
            pid, pgrp,
            "the helper should lead a process group of its own"
        );
        // SAFETY: getpgrp has no preconditions.
        assert_ne!(pgrp, unsafe { libc::getpgrp() });
    }
);

isolated_case!(
    helper_stays_in_the_callers_group_on_its_terminal,
    bound_s = 60,
    {
        // The copy (a session leader without a terminal) takes a new pseudo-terminal as its
        // controlling terminal, so it is the terminal's foreground process group: the helper must
        // stay in the copy's group (D1: a prompt on the terminal would otherwise stop it). A run
        // made before, without the terminal, must not keep the copy from being seen on it (a
        // leader may take a terminal at any time).
        let (pid, pgrp) = helper_pid_and_group();
        assert_eq!(pid, pgrp, "without a terminal, a group of its own");
        let (master, slave) = take_a_terminal().unwrap_or_else(|what| panic!("{what}"));
        let slave_fd = std::os::fd::AsRawFd::as_raw_fd(&slave);
        // SAFETY: plain calls on our own descriptor and process.
        unsafe {
            assert_eq!(
                libc::tcgetpgrp(slave_fd),
                libc::getpgrp(),
                "not the foreground group"
            );
        }
        let (pid, pgrp) = helper_pid_and_group();
        // SAFETY: as above. Giving the terminal up hangs up the foreground group (this process):
        // SIGHUP is ignored meanwhile.
        let me = unsafe { libc::getpgrp() };
        unsafe {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            libc::ioctl(slave_fd, libc::TIOCNOTTY, 0);
        }
        drop(slave);
        drop(master);
        // SAFETY: SIGHUP back to its default.
        unsafe { libc::signal(libc::SIGHUP, libc::SIG_DFL) };
        assert_eq!(
            pgrp, me,
            "the helper should stay in the caller's process group"
        );
        assert_ne!(pid, pgrp);
    }
);

isolated_case!(
    a_process_that_moves_to_a_session_with_a_terminal_is_seen_on_it,
    bound_s = 60,
    {
        // A process that is not its session's leader and found no controlling terminal does not
        // look for one again while it stays in that session (only the session's leader could
        // give it one, and leaders take theirs before starting the session's other processes):
        // once it starts a session of its own and takes a terminal there, the next run must see
        // that it is the terminal's foreground group. Checked in a child of the copy (the copy
        // leads its session, the child does not).
        // SAFETY: the child runs the closure and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = std::panic::catch_unwind(|| {
                let (pid, pgrp) = helper_pid_and_group();
                if pid != pgrp {
                    return 1; // no terminal yet: a group of its own
                }
                // SAFETY: this child becomes the leader of a new session.
                if unsafe { libc::setsid() } < 0 {
                    return 2;
                }
                let Ok(terminal) = take_a_terminal() else {
                    return 3;
                };
                let (_, pgrp) = helper_pid_and_group();
                // SAFETY: getpgrp has no preconditions. Closing the terminal hangs up its
                // foreground group (this child): SIGHUP is ignored first.
                let seen = pgrp == unsafe { libc::getpgrp() };
                // SAFETY: this child ignores SIGHUP from now on.
                unsafe { libc::signal(libc::SIGHUP, libc::SIG_IGN) };
                drop(terminal);
                if !seen {
                    return 4; // the terminal was not seen
                }
                0
            })
            .unwrap_or(99);
            // SAFETY: leaving the forked child at once.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: waiting for our own child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "the child failed at step {} (wait status {status})",
            libc::WEXITSTATUS(status)
        );
    }
);

/// Opens a new pseudo-terminal and makes it the controlling terminal of this process (a session
/// leader without one), which is then its foreground process group: (master, slave). `Err`
/// names the call that failed.
fn take_a_terminal() -> Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd), &'static str> {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty fills two descriptors; the other arguments may be NULL.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if r != 0 {
        return Err("openpty failed");
    }
    // SAFETY: openpty just opened both; they are ours.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // SAFETY: TIOCSCTTY on our own new terminal.
    let ok = unsafe { libc::ioctl(std::os::fd::AsRawFd::as_raw_fd(&slave), libc::TIOCSCTTY, 0) };
    if ok != 0 {
        return Err("TIOCSCTTY failed");
    }
    Ok((master, slave))
}

#[test]
fn argv_runs_without_a_shell() {
    let dir = TempDir::new("argv");
    let helper = dir.script(
        "helper",
        r#"printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"x"}' "$1""#,
    );
    let p = ProcessProvider::from_argv(vec![
        helper.display().to_string(),
        "with space; $(not expanded)".into(),
    ])
    .unwrap();
    assert_eq!(
        p.retrieve().unwrap().access_key_id(),
        "with space; $(not expanded)"
    );
}

#[test]
fn signals_are_named_as_go_names_them() {
    for (sig, name) in [
        ("KILL", "killed"),
        ("TERM", "terminated"),
        ("SEGV", "segmentation fault"),
        ("HUP", "hangup"),
        ("ABRT", "aborted"),
    ] {
        // The helper resets the signals' dispositions first: the test may be started with the
        // signal ignored (nohup, a background job, `trap ''`), which the helper inherits as under
        // Go, and a shell cannot undo an ignore it inherited.
        let cmd = format!("ulimit -c 0; exec env --default-signal sh -c 'kill -{sig} $$'");
        let p = provider(cmd, 5000);
        assert_eq!(
            p.retrieve().unwrap_err().to_string(),
            format!("ProcessProviderExecutionError: error in credential_process\ncaused by: signal: {name}")
        );
    }
}

#[test]
fn captured_stderr_is_appended_to_errors_only() {
    let p = provider("echo 'token expired' >&2; exit 2".into(), 5000);
    assert_eq!(
        p.retrieve().unwrap_err().to_string(),
        "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 2\nstderr: token expired"
    );
    let p = provider(
        format!("echo note >&2; printf '%s' '{}'", creds_json("AK", None)),
        5000,
    );
    assert!(p.retrieve().is_ok());
    // The last 4 KiB only.
    let p = provider(
        "head -c 100000 /dev/zero | tr '\\000' a >&2; echo END >&2; exit 1".into(),
        5000,
    );
    let text = p.retrieve().unwrap_err().to_string();
    let tail = text.split("\nstderr: ").nth(1).unwrap();
    // 4096 bytes, less the trailing newline.
    assert!(
        tail.ends_with("aEND") && tail.len() == 4095,
        "tail of {} bytes",
        tail.len()
    );
}

#[test]
fn argv_spawn_errors_read_as_go_os_exec() {
    let cases = [
        ("/", "exec: \"/\": is a directory"),
        ("/etc", "fork/exec /etc: permission denied"),
        (
            "/nonexistent/helper",
            "fork/exec /nonexistent/helper: no such file or directory",
        ),
        (
            "no-such-helper-here",
            "exec: \"no-such-helper-here\": executable file not found in $PATH",
        ),
    ];
    for (argv0, cause) in cases {
        let p = ProcessProvider::from_argv(vec![argv0.to_string()]).unwrap();
        assert_eq!(
            p.retrieve().unwrap_err().to_string(),
            format!(
                "ProcessProviderExecutionError: error in credential_process\ncaused by: {cause}"
            )
        );
    }
}

#[test]
fn descendant_holding_captured_stderr_does_not_hang_a_failed_run() {
    let dir = TempDir::new("errhold");
    // A silent descendant keeps stderr open; another floods it without end.
    for body in ["sleep 5 &", "yes >&2 &"] {
        let cmd = format!(
            "{body} echo $! > {bg}; echo failing >&2; exit 1",
            bg = quote(&dir.join("bg"))
        );
        let p = provider(cmd, 3000);
        let start = Instant::now();
        let e = p.retrieve().unwrap_err().to_string();
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{body}: took {:?}",
            start.elapsed()
        );
        assert!(e.starts_with("ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 1\nstderr: "), "{body}: {e}");
        unsafe { libc::kill(read_pid(&dir.join("bg")), libc::SIGKILL) };
        let _ = std::fs::remove_file(dir.join("bg"));
    }
}

// ---------------------------------------------------------------------------------------------
// Cancellation

const CANCELLED: &str = "InternalError: credential process run cancelled";

fn run_options(timeout: Duration) -> RunOptions {
    RunOptions {
        timeout,
        max_buf_size: 8192,
        stderr: StderrMode::Discard,
        stdin: StdinMode::Null,
    }
}

/// Waits for a pid file written by a helper (bounded generously: the machine may be loaded).
fn wait_pid(p: &Path) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(s) = std::fs::read_to_string(p) {
            if let Ok(pid) = s.trim().parse() {
                return pid;
            }
        }
        assert!(Instant::now() < deadline, "no pid in {}", p.display());
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Whether the process exists at all (running or a zombie).
fn exists(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

isolated_case!(cancel_from_another_thread_kills_the_tree, bound_s = 60, {
    // The helper starts a child, writes both pids (in that order), then sleeps; once both files
    // exist, another thread cancels. The run returns the cancelled error; the helper is reaped
    // (no zombie) and its child is gone; the isolated copy then checks that no process,
    // descriptor or thread is left.
    let dir = TempDir::new("cancel");
    let (bg, me) = (dir.join("bg"), dir.join("me"));
    let cmd = format!(
        "sleep 30 & echo $! > {bg}; echo $$ > {me}; sleep 30",
        bg = quote(&bg),
        me = quote(&me)
    );
    let cancel = Arc::new(Cancel::new());
    let c2 = cancel.clone();
    let run = std::thread::spawn(move || {
        let r = runner::run_cancellable(
            &Program::Shell(cmd),
            &run_options(Duration::from_secs(60)),
            &c2,
        );
        (r.map(|_| ()).map_err(|e| e.to_string()), Instant::now())
    });
    let (me, bg) = (wait_pid(&me), wait_pid(&bg));
    assert!(alive(me) && alive(bg), "the helper is running");
    let asked = Instant::now();
    cancel.cancel();
    cancel.cancel(); // idempotent
    let (result, returned) = run.join().unwrap();
    let took = returned.saturating_duration_since(asked);
    println!("cancel to return: {took:?}");
    assert_eq!(result, Err(CANCELLED.to_string()));
    assert!(cancel.is_cancelled());
    // Well under the helper's 30 s: the 50 ms the refresh needs, with room for a loaded machine.
    assert!(took < Duration::from_millis(500), "took {took:?}");
    // The helper is reaped by the run or, if it has not died within the grace, by the reaper.
    let deadline = Instant::now() + Duration::from_secs(5);
    while exists(me) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!exists(me), "the helper ({me}) was not reaped");
    // The child, orphaned, comes to this process (a subreaper), which reaps it after the case.
    assert!(
        gone_within(bg, Duration::from_secs(5)),
        "the helper's child ({bg}) survived"
    );
});

isolated_case!(cancel_before_or_after_a_run, bound_s = 60, {
    let dir = TempDir::new("cancel-early");
    let counter = dir.join("runs");
    let cmd = format!(
        "echo run >> {c}; printf '%s' '{json}'",
        c = quote(&counter),
        json = creds_json("AKC", None)
    );
    let program = Program::Shell(cmd);
    let opts = run_options(Duration::from_secs(30));
    // Not cancelled: runs.
    let cancel = Cancel::new();
    let out = runner::run_cancellable(&program, &opts, &cancel).unwrap();
    assert!(out.stdout.starts_with(b"{\"Version\":1"));
    assert_eq!(runs(&counter), 1);
    // Cancelled after the run: the next run with the token spawns nothing.
    cancel.cancel();
    let e = runner::run_cancellable(&program, &opts, &cancel)
        .err()
        .expect("a cancelled token fails");
    assert_eq!(e.to_string(), CANCELLED);
    assert_eq!(e.status(), Status::Internal);
    assert_eq!(runs(&counter), 1, "a cancelled token spawned a helper");
    // The checks made before anything runs keep their order (D5, D7).
    let blank = runner::run_cancellable(&Program::Shell(" ".into()), &opts, &cancel);
    assert_eq!(
        blank.err().map(|e| e.to_string()).as_deref(),
        Some("ProcessProviderExecutionError: failed to prepare command: command must not be empty")
    );
});

isolated_case!(
    output_in_the_pipe_is_read_after_a_long_pause,
    bound_s = 60,
    {
        // The helper stops this process, writes 20 KB of credentials (more than one read), leaves a
        // descendant holding stdout (D2), has this process continued 300 ms later and exits. When
        // the run resumes, the helper's exit is older than D2's 100 ms: the run must not wait for
        // the descendant, but must still read what the helper wrote, which is in the pipe.
        let dir = TempDir::new("pause");
        let pad = "x".repeat(20_000);
        let json = format!(
            r#"{{"Version":1,"AccessKeyId":"AKPAUSE","SecretAccessKey":"s","Pad":"{pad}"}}"#
        );
        let file = dir.join("out.json");
        std::fs::write(&file, &json).unwrap();
        let bg = dir.join("bg");
        let cmd = format!(
        "kill -STOP $PPID; cat {file}; sleep 5 & echo $! > {bg}; (sleep 0.3; kill -CONT $PPID) & exit 0",
        file = quote(&file),
        bg = quote(&bg)
    );
        let p = provider(cmd, 20_000);
        p.update_options(|o| o.max_buf_size = 64 * 1024);
        let c = p.retrieve().expect("the whole output is read");
        assert_eq!(c.access_key_id(), "AKPAUSE");
        // SAFETY: ending the descendant this case started (D2: not killed by the run).
        unsafe { libc::kill(read_pid(&bg), libc::SIGKILL) };
    }
);

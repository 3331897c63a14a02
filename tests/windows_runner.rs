//! The Windows runner with real processes (cmd.exe and the helper program
//! tests/windows/helper.rs, built as the example `windows_helper`): verbatim command strings,
//! MSVCRT argv quoting, exit codes, the timeout killing the whole tree (D1), output over
//! MaxBufSize killing the helper (D3), the drain rule (D2), the stdio modes, the handles the
//! helper inherits, and cancellation. Run under Wine by `make test-windows`.
#![cfg(windows)]

#[path = "windows/helper_path.rs"]
mod helper_path;
#[path = "windows/process.rs"]
mod process;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::sync::Arc;

use helper_path::helper;
use process::alive;
use processcreds::runner::{self, Cancel, Program, RunOptions};
use processcreds::{Error, ProcessProvider, StderrMode, StdinMode};
use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, ERROR_BROKEN_PIPE, HANDLE, WAIT_OBJECT_0,
};
use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
use windows_sys::Win32::System::Pipes::{CreatePipe, PeekNamedPipe};
use windows_sys::Win32::System::Threading::{
    OpenProcess, TerminateProcess, WaitForSingleObject, PROCESS_SYNCHRONIZE, PROCESS_TERMINATE,
};

/// A copy of the helper at `dest` (with the DLLs next to it, if any: under Wine 8 the test
/// programs need a bcryptprimitives.dll that mk/windows.mk puts beside them).
fn copy_helper(dest: &Path) {
    let h = helper();
    std::fs::copy(&h, dest).unwrap();
    for e in std::fs::read_dir(h.parent().unwrap()).unwrap().flatten() {
        if e.path()
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("dll"))
        {
            std::fs::copy(e.path(), dest.parent().unwrap().join(e.file_name())).unwrap();
        }
    }
}

/// A new empty directory for one test (its name may hold spaces).
fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pc-winrun-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn argv(args: &[&str]) -> ProcessProvider {
    let mut v = vec![helper().display().to_string()];
    v.extend(args.iter().map(|s| s.to_string()));
    ProcessProvider::from_argv(v).unwrap()
}

fn text(e: &Error) -> String {
    e.to_string()
}

/// Waits (at most 20 s) for the process `pid` to end; true when it did (or was already gone).
fn dies(pid: u32) -> bool {
    // SAFETY: plain calls on a handle we open and close here.
    unsafe {
        let h = OpenProcess(PROCESS_SYNCHRONIZE, 0, pid);
        if h.is_null() {
            return true; // no such process any more
        }
        let r = WaitForSingleObject(h, 20_000);
        CloseHandle(h);
        r == WAIT_OBJECT_0
    }
}

fn kill(pid: u32) {
    // SAFETY: as above.
    unsafe {
        let h = OpenProcess(PROCESS_TERMINATE, 0, pid);
        if !h.is_null() {
            TerminateProcess(h, 1);
            CloseHandle(h);
        }
    }
}

fn read_pid(file: &Path) -> Option<u32> {
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

#[test]
fn command_string_reaches_cmd_verbatim() {
    // A quoted program path with spaces, quoted arguments and an escaped quote: cmd.exe gets the
    // string as written and the helper's C runtime splits its command line.
    let dir = tmpdir("verbatim dir");
    let exe = dir.join("helper with space.exe");
    copy_helper(&exe);
    let cmd = format!("\"{}\" args \"a b\" \"c\\\"d\" e", exe.display());
    let c = ProcessProvider::new(cmd).retrieve().unwrap();
    assert_eq!(c.access_key_id(), "ARGS");
    assert_eq!(c.account_id(), Some(r#"["a b","c\"d","e"]"#));
}

#[test]
fn argv_is_quoted_by_msvcrt_rules() {
    let dir = tmpdir("argv dir");
    let exe = dir.join("helper with space.exe");
    copy_helper(&exe);
    let args = [
        "args",
        "a b",
        "",
        "c\"d",
        "e\\",
        "f\\ g\\",
        "\\\\server\\share\\x",
        "tab\there",
        "100%",
        "x&y|z^<>",
    ];
    let mut v = vec![exe.display().to_string()];
    v.extend(args.iter().map(|s| s.to_string()));
    let c = ProcessProvider::from_argv(v).unwrap().retrieve().unwrap();
    let want: Vec<String> = args[1..]
        .iter()
        .map(|a| {
            // the helper's JSON quoting
            let mut q = String::from("\"");
            for ch in a.chars() {
                match ch {
                    '"' => q.push_str("\\\""),
                    '\\' => q.push_str("\\\\"),
                    '\t' => q.push_str("\\u0009"),
                    c => q.push(c),
                }
            }
            q.push('"');
            q
        })
        .collect();
    assert_eq!(
        c.account_id(),
        Some(format!("[{}]", want.join(",")).as_str())
    );
}

#[test]
fn exit_codes_in_go_words() {
    let e = ProcessProvider::new("exit 3").retrieve().unwrap_err();
    assert_eq!(
        text(&e),
        "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 3"
    );
    // Codes from 65536 on are printed in hex, as Go prints them on Windows.
    let e = ProcessProvider::new("exit -1073741819")
        .retrieve()
        .unwrap_err();
    assert_eq!(
        text(&e),
        "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 0xc0000005"
    );
    let e = argv(&["stderr", "", "70000"]).retrieve().unwrap_err();
    assert!(text(&e).ends_with("caused by: exit status 0x11170"), "{e}");
}

#[test]
fn timeout_kills_the_whole_tree() {
    let dir = tmpdir("tree");
    // The grandchild's pid must be written before the deadline; a slow start gets a longer one.
    for timeout_ms in [2_000u64, 5_000, 15_000] {
        let pid_file = dir.join(format!("pid-{timeout_ms}"));
        let p = argv(&["tree", pid_file.to_str().unwrap()]);
        p.update_options(|o| o.timeout = Duration::from_millis(timeout_ms));
        let start = Instant::now();
        let e = p.retrieve().unwrap_err();
        assert_eq!(
            text(&e),
            "ProcessProviderExecutionError: credential process timed out"
        );
        assert!(start.elapsed() >= Duration::from_millis(timeout_ms));
        let Some(pid) = read_pid(&pid_file) else {
            continue; // the helper had not started its child yet
        };
        assert!(
            dies(pid),
            "the helper's child {pid} survived the timeout (job object)"
        );
        return;
    }
    panic!("the helper never started its child before the deadline");
}

#[test]
fn output_over_max_buf_size_fails_at_once_and_kills() {
    let dir = tmpdir("flood");
    let pid_file = dir.join("pid");
    let p = argv(&["flood", pid_file.to_str().unwrap()]);
    p.update_options(|o| {
        o.max_buf_size = 8192;
        o.timeout = Duration::from_secs(60);
    });
    let start = Instant::now();
    let e = p.retrieve().unwrap_err();
    assert_eq!(
        text(&e),
        "ProcessProviderParseError: parse failed of credential_process output\ncaused by: output exceeds MaxBufSize (8192 bytes)"
    );
    // Well before the 60 s timeout: the flood was cut off, not waited for.
    assert!(start.elapsed() < Duration::from_secs(30));
    let pid = read_pid(&pid_file).expect("the helper wrote its pid before its output");
    assert!(dies(pid), "the flooding helper {pid} was not killed");
}

#[test]
fn exited_helper_descendants_holding_stdout_are_not_waited_for() {
    // D2: the helper exits at once, its child keeps stdout open for 30 s: the retrieve returns
    // with the helper's output, and the child is left running (not killed).
    let dir = tmpdir("linger");
    let pid_file = dir.join("pid");
    let p = argv(&["linger", pid_file.to_str().unwrap()]);
    p.update_options(|o| o.timeout = Duration::from_secs(60));
    let c = p.retrieve().unwrap();
    assert_eq!(c.access_key_id(), "LINGER");
    let pid = read_pid(&pid_file).expect("pid written before the helper printed");
    assert!(alive(pid), "the lingering child was killed or waited for");
    kill(pid);
}

#[test]
fn stdin_null_reads_end_of_file() {
    let p = argv(&["stdin"]);
    p.update_options(|o| o.stdin = StdinMode::Null);
    let c = p.retrieve().unwrap();
    assert_eq!(c.account_id(), Some(""));
}

#[test]
fn stderr_capture_and_discard() {
    let p = argv(&["stderr", "first line\nboom\n", "2"]);
    p.update_options(|o| o.stderr = StderrMode::Capture);
    let e = p.retrieve().unwrap_err();
    assert_eq!(
        text(&e),
        "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 2\nstderr: first line\nboom"
    );
    p.update_options(|o| o.stderr = StderrMode::Discard);
    let e = p.retrieve().unwrap_err();
    assert_eq!(
        text(&e),
        "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 2"
    );
    // Captured stderr of a successful run is not an error.
    let p = ProcessProvider::new(
        "echo warning 1>&2 & echo {\"Version\":1,\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"S\"}",
    );
    p.update_options(|o| o.stderr = StderrMode::Capture);
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AK");
}

#[test]
fn no_handle_leaks_into_the_helper() {
    // An inheritable pipe of the caller: if the helper (or cmd.exe, or anything it starts)
    // inherited the write end, closing ours would not break the pipe.
    let dir = tmpdir("handles");
    let (started, release) = (dir.join("started"), dir.join("release"));
    let sa = SECURITY_ATTRIBUTES {
        nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: std::ptr::null_mut(),
        bInheritHandle: 1,
    };
    let (mut r, mut w): (HANDLE, HANDLE) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: plain call; both handles are closed below.
    assert_ne!(unsafe { CreatePipe(&mut r, &mut w, &sa, 0) }, 0);
    let cmd = format!(
        "\"{}\" wait \"{}\" \"{}\"",
        helper().display(),
        started.display(),
        release.display()
    );
    let worker = std::thread::spawn(move || ProcessProvider::new(cmd).retrieve());
    while !started.exists() {
        assert!(!worker.is_finished(), "the helper ended before it started");
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: closing our write end, then peeking at the read end.
    let broken = unsafe {
        CloseHandle(w);
        let ok = PeekNamedPipe(
            r,
            std::ptr::null_mut(),
            0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        ok == 0 && GetLastError() == ERROR_BROKEN_PIPE
    };
    std::fs::write(&release, b"").unwrap();
    let c = worker.join().unwrap().unwrap();
    // SAFETY: our read end.
    unsafe { CloseHandle(r) };
    assert_eq!(c.access_key_id(), "WAITED");
    assert!(
        broken,
        "the helper's process tree holds an inheritable handle of the caller"
    );
}

#[test]
fn cancel_from_another_thread_kills_the_tree() {
    // The helper starts a child, writes its pid, then sleeps 60 s; once the pid is there another
    // thread cancels: the run returns the cancelled error at once and the child dies with the
    // helper (the job is terminated).
    let dir = tmpdir("cancel");
    let pid_file = dir.join("pid");
    let program = Program::Argv(vec![
        helper().display().to_string(),
        "tree".into(),
        pid_file.display().to_string(),
    ]);
    let opts = RunOptions {
        timeout: Duration::from_secs(120),
        max_buf_size: 8192,
        stderr: StderrMode::Discard,
        stdin: StdinMode::Null,
    };
    let cancel = Arc::new(Cancel::new());
    let c2 = cancel.clone();
    let run = std::thread::spawn(move || {
        let r = runner::run_cancellable(&program, &opts, &c2);
        (r.map(|_| ()).map_err(|e| e.to_string()), Instant::now())
    });
    let pid = loop {
        if let Some(pid) = read_pid(&pid_file) {
            break pid;
        }
        assert!(
            !run.is_finished(),
            "the run ended before the helper started its child"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let asked = Instant::now();
    cancel.cancel();
    cancel.cancel(); // idempotent
    let (result, returned) = run.join().unwrap();
    println!(
        "cancel to return: {:?}",
        returned.saturating_duration_since(asked)
    );
    assert_eq!(
        result,
        Err("InternalError: credential process run cancelled".to_string())
    );
    assert!(
        dies(pid),
        "the helper's child {pid} survived the cancellation"
    );

    // A token cancelled before the run: nothing is spawned.
    let counter = dir.join("runs");
    let program = Program::Shell(format!("echo x>>\"{}\"", counter.display()));
    let e = runner::run_cancellable(&program, &opts, &cancel)
        .err()
        .expect("a cancelled token fails");
    assert_eq!(
        e.to_string(),
        "InternalError: credential process run cancelled"
    );
    assert!(!counter.exists(), "a cancelled token spawned a helper");
}

//! The POSIX runner: `sh -c <command>` (`sh` looked up on `PATH` as `os/exec` does) or a program
//! with its arguments, spawned with `posix_spawn` (or its fallback, [`fallback`]), stdout read
//! with `poll` under one deadline, the helper's exit seen through its pidfd where the kernel has
//! pidfds.
//!
//! Process groups (D1): when the caller is the foreground process group of its controlling
//! terminal, the helper stays in the caller's group so that it may read the terminal (an MFA
//! prompt) without SIGTTIN; its descendants are then found through `/proc` on timeout. Otherwise
//! the helper leads a process group of its own, killed as a whole.
//!
//! Every descriptor this module opens is close-on-exec, and the child closes every descriptor
//! above 2 before it starts, so nothing leaks into the helper. Every child is reaped: by the run,
//! or, when a killed helper has not died within a short grace (it may not be signalled, or sleeps
//! uninterruptibly), by the process's [`reaper`] thread, so that a timeout or a cancellation
//! always returns in bounded time.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Instant;

use super::{
    go_quote, Cancel, Program, RunOptions, RunOutput, StderrTail, DRAIN_AFTER_EXIT, MAX_TIMEOUT,
};
use crate::error::Error;

mod child;
mod fallback;
mod fd;
mod output;
mod reaper;
mod spawn;
mod status;
mod sys;
mod tree;

use fd::{last_errno, set_nonblocking, Fd};
use output::{drain_stderr, millis_until, read_stderr, Scratch, StderrRead, StdoutBuf};
use spawn::{spawn, Spawned};
use status::describe_status;
pub(crate) use status::errno_text;
pub(crate) use sys::Waker;

/// Runs `program` (already checked non-blank, with a non-zero timeout).
pub(super) fn run(
    program: &Program,
    opts: &RunOptions,
    cancel: Option<&Cancel>,
) -> Result<RunOutput, Error> {
    let (name, args): (&str, Vec<&str>) = match program {
        Program::Shell(cmd) => ("sh", vec!["sh", "-c", cmd]),
        Program::Argv(argv) => (&argv[0], argv.iter().map(String::as_str).collect()),
    };
    let path = resolve(name).map_err(Error::execution)?;
    let c_path = cstring(path.as_os_str().as_bytes(), &path)?;
    let c_args = args
        .iter()
        .map(|a| cstring(a.as_bytes(), &path))
        .collect::<Result<Vec<_>, _>>()?;
    spawn_and_read(&path, &c_path, &c_args, opts, cancel)
}

fn cstring(bytes: &[u8], path: &Path) -> Result<CString, Error> {
    // Go refuses NUL bytes in arguments with EINVAL at fork/exec.
    CString::new(bytes).map_err(|_| {
        Error::execution(format!(
            "fork/exec {}: {}",
            path.display(),
            errno_text(libc::EINVAL)
        ))
    })
}

/// `os/exec.Command`'s lookup: a name with a `/` is used as is; otherwise `exec.LookPath` on the
/// current `PATH` (empty entries mean `.`, a result relative to the working directory is refused).
fn resolve(name: &str) -> Result<std::path::PathBuf, String> {
    if name == "/" {
        // Go runs LookPath for names equal to their base name, and "/" is one.
        return Err(format!(
            "exec: {}: {}",
            go_quote(name),
            errno_text(libc::EISDIR)
        ));
    }
    if name.contains('/') {
        return Ok(name.into());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    if !path.is_empty() {
        for dir in path.as_bytes().split(|&b| b == b':') {
            let dir: &OsStr = if dir.is_empty() {
                OsStr::new(".")
            } else {
                OsStr::from_bytes(dir)
            };
            let candidate = Path::new(dir).join(name);
            if is_executable(&candidate) {
                if !candidate.is_absolute() {
                    return Err(format!(
                        "exec: {}: cannot run executable found relative to current directory",
                        go_quote(name)
                    ));
                }
                return Ok(candidate);
            }
        }
    }
    Err(format!(
        "exec: {}: executable file not found in $PATH",
        go_quote(name)
    ))
}

fn is_executable(p: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    if meta.is_dir() {
        return false;
    }
    let Ok(c) = CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path.
    unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::X_OK, libc::AT_EACCESS) == 0 }
}

/// The poll slots.
const STDOUT: usize = 0;
const STDERR: usize = 1;
const PIDFD: usize = 2;
const CANCEL: usize = 3;

fn spawn_and_read(
    path: &Path,
    c_path: &CString,
    c_args: &[CString],
    opts: &RunOptions,
    cancel: Option<&Cancel>,
) -> Result<RunOutput, Error> {
    let mut argv: Vec<*mut libc::c_char> = c_args.iter().map(|a| a.as_ptr() as *mut _).collect();
    argv.push(std::ptr::null_mut());
    let deadline = Instant::now() + opts.timeout.min(MAX_TIMEOUT);
    let Spawned {
        mut child,
        stdout,
        stderr,
    } = spawn(path, c_path, &argv, opts)?;
    // Stdout is read only when poll says it is readable, so it may stay blocking; stderr is
    // also drained without poll.
    if let Some(e) = &stderr {
        set_nonblocking(e);
    }
    let waker = cancel.and_then(Cancel::waker);

    let mut out = StdoutBuf::new(opts.max_buf_size);
    let mut tail = StderrTail { buf: Vec::new() };
    let mut scratch = Scratch::default();
    let mut stdout_open = true;
    let mut stderr_open = stderr.is_some();
    let mut exit: Option<Result<i32, i32>> = None;
    let mut drain_until = deadline;
    // Whether to look for the exit before the next poll: always without a pidfd.
    let mut look_for_exit = false;

    let with_stderr = |e: Error, tail: &StderrTail| e.with_stderr(tail.report());

    loop {
        if exit.is_none() && (look_for_exit || child.pidfd.is_none()) {
            if let Some(st) = child.try_reap() {
                exit = Some(st);
                drain_until = (Instant::now() + DRAIN_AFTER_EXIT).min(deadline);
            }
        }
        // An unclean exit is reported at once, as Go does.
        if let Some(st) = exit {
            let failure = match st {
                Ok(status) => describe_status(status),
                Err(e) => Some(format!("waitid: {}", errno_text(e))),
            };
            if let Some(cause) = failure {
                drain_stderr(stderr.as_ref(), stderr_open, &mut tail, &mut scratch);
                return Err(with_stderr(Error::execution(cause), &tail));
            }
            if !stdout_open {
                break;
            }
        }
        if cancel.is_some_and(Cancel::is_cancelled) {
            child.kill();
            return Err(super::cancelled());
        }
        let limit = if exit.is_some() {
            drain_until
        } else {
            deadline
        };
        let now = Instant::now();
        if now >= limit {
            if exit.is_some() {
                break; // D2: descendants holding stdout are not waited for
            }
            child.kill();
            drain_stderr(stderr.as_ref(), stderr_open, &mut tail, &mut scratch);
            return Err(with_stderr(Error::timeout(), &tail));
        }

        let mut fds = [libc::pollfd {
            fd: -1,
            events: libc::POLLIN,
            revents: 0,
        }; 4];
        if stdout_open {
            fds[STDOUT].fd = stdout.raw();
        }
        if stderr_open {
            fds[STDERR].fd = stderr.as_ref().map_or(-1, Fd::raw);
        }
        let mut wait_ms = millis_until(limit);
        if exit.is_none() {
            match (&child.pidfd, look_for_exit) {
                (Some(p), false) => fds[PIDFD].fd = p.raw(),
                // No pidfd (old kernel), or one that said "exited" before the exit could be
                // reaped (a tracer holds it): look again soon, sooner once stdout has closed.
                _ => wait_ms = wait_ms.min(if stdout_open { 10 } else { 1 }),
            }
        }
        match waker {
            Some(w) => fds[CANCEL].fd = w.raw(),
            None if cancel.is_some() => wait_ms = wait_ms.min(10),
            None => {}
        }
        // SAFETY: fds is a valid array of four pollfd.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 4, wait_ms) };
        if r < 0 {
            let e = last_errno();
            if e == libc::EINTR {
                continue;
            }
            return Err(Error::internal(format!("poll: {}", errno_text(e))));
        }
        let ready = |i: usize| fds[i].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0;
        look_for_exit = ready(PIDFD) || (look_for_exit && child.pidfd.is_some() && r == 0);
        if stdout_open && ready(STDOUT) {
            match out.read_from(&stdout, &mut scratch) {
                Ok(true) => {}
                Ok(false) => stdout_open = false,
                Err(libc::EINTR | libc::EAGAIN) => {}
                Err(_) => stdout_open = false,
            }
            if out.exceeded {
                // D3: fail at once; kill the helper unless it has already exited.
                child.kill();
                drain_stderr(stderr.as_ref(), stderr_open, &mut tail, &mut scratch);
                return Err(with_stderr(
                    Error::parse(format!(
                        "output exceeds MaxBufSize ({} bytes)",
                        opts.max_buf_size
                    )),
                    &tail,
                ));
            }
        }
        if stderr_open && ready(STDERR) {
            if let Some(fd) = &stderr {
                stderr_open =
                    !matches!(read_stderr(fd, &mut tail, &mut scratch), StderrRead::Closed);
            }
        }
    }
    drop(child);
    drain_stderr(stderr.as_ref(), stderr_open, &mut tail, &mut scratch);
    Ok(RunOutput {
        stdout: std::mem::take(&mut out.buf),
        stderr: tail.report(),
    })
}

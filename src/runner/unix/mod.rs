//! The POSIX runner: `sh -c <command>` (`sh` looked up on `PATH` as `os/exec` does) or a program
//! with its arguments, spawned with `posix_spawn`, stdout read with `poll` under one deadline.
//!
//! Process groups (D1): when the caller is the foreground process group of its controlling
//! terminal, the helper stays in the caller's group so that it may read the terminal (an MFA
//! prompt) without SIGTTIN; its descendants are then found through `/proc` on timeout. Otherwise
//! the helper leads a process group of its own, killed as a whole.
//!
//! Every descriptor this module opens is close-on-exec, and the child closes every descriptor
//! above 2 before it starts, so nothing leaks into the helper; every child is reaped.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Instant;

use super::{go_quote, Program, RunOptions, RunOutput, StderrTail, DRAIN_AFTER_EXIT, MAX_TIMEOUT};
use crate::error::Error;

mod child;
mod fallback;
mod fd;
mod output;
mod spawn;
mod status;
mod sys;

use fd::{last_errno, set_nonblocking, Fd};
use output::{drain_stderr, millis_until, read_stderr, Scratch, StderrRead, StdoutBuf};
use spawn::{spawn, Spawned};
use status::describe_status;
pub(crate) use status::errno_text;

/// Runs `program` (already checked non-blank, with a non-zero timeout).
pub(super) fn run(program: &Program, opts: &RunOptions) -> Result<RunOutput, Error> {
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
    spawn_and_read(&path, &c_path, &c_args, opts)
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

fn spawn_and_read(
    path: &Path,
    c_path: &CString,
    c_args: &[CString],
    opts: &RunOptions,
) -> Result<RunOutput, Error> {
    let mut argv: Vec<*mut libc::c_char> = c_args.iter().map(|a| a.as_ptr() as *mut _).collect();
    argv.push(std::ptr::null_mut());
    let timeout = opts.timeout.min(MAX_TIMEOUT);
    let start = Instant::now();
    let deadline = start + timeout;
    let Spawned {
        mut child,
        stdout,
        stderr,
    } = spawn(path, c_path, &argv, opts)?;
    let pidfd = sys::pidfd_open(child.pid);
    set_nonblocking(&stdout);
    if let Some(e) = &stderr {
        set_nonblocking(e);
    }

    let mut out = StdoutBuf::new(opts.max_buf_size);
    let mut tail = StderrTail { buf: Vec::new() };
    let mut scratch = Scratch::default();
    let mut stdout_open = true;
    let mut stderr_open = stderr.is_some();
    let mut exit: Option<Result<i32, i32>> = None;
    let mut drain_until = deadline;

    let with_stderr = |e: Error, tail: &StderrTail| e.with_stderr(tail.report());

    loop {
        if exit.is_none() {
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
        let now = Instant::now();
        let limit = if exit.is_some() {
            drain_until
        } else {
            deadline
        };
        if now >= limit {
            if exit.is_some() {
                break; // D2: descendants holding stdout are not waited for
            }
            child.kill_tree();
            drain_stderr(stderr.as_ref(), stderr_open, &mut tail, &mut scratch);
            return Err(with_stderr(Error::timeout(), &tail));
        }

        let mut fds: [libc::pollfd; 3] = [libc::pollfd {
            fd: -1,
            events: libc::POLLIN,
            revents: 0,
        }; 3];
        if stdout_open {
            fds[0].fd = stdout.raw();
        }
        if stderr_open {
            fds[1].fd = stderr.as_ref().map_or(-1, Fd::raw);
        }
        let mut wait_ms = millis_until(limit);
        match (&pidfd, exit.is_none()) {
            (Some(p), true) => fds[2].fd = p.raw(),
            // No pidfd (old kernel): check for exit every 10 ms.
            (None, true) => wait_ms = wait_ms.min(10),
            _ => {}
        }
        // SAFETY: fds is a valid array of three pollfd.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 3, wait_ms) };
        if r < 0 {
            let e = last_errno();
            if e == libc::EINTR {
                continue;
            }
            return Err(Error::internal(format!("poll: {}", errno_text(e))));
        }
        let ready = |i: usize| fds[i].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0;
        if stdout_open && ready(0) {
            match out.read_from(&stdout, &mut scratch) {
                Ok(true) => {}
                Ok(false) => stdout_open = false,
                Err(libc::EINTR | libc::EAGAIN) => {}
                Err(_) => stdout_open = false,
            }
            if out.exceeded {
                // D3: fail at once; kill the helper unless it has already exited.
                child.kill_tree();
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
        if stderr_open && ready(1) {
            if let Some(fd) = &stderr {
                stderr_open =
                    !matches!(read_stderr(fd, &mut tail, &mut scratch), StderrRead::Closed);
            }
        }
    }
    drop(pidfd);
    drain_stderr(stderr.as_ref(), stderr_open, &mut tail, &mut scratch);
    Ok(RunOutput {
        stdout: std::mem::take(&mut out.buf),
        stderr: tail.report(),
    })
}

//! Starting the helper: stdout (and captured stderr) piped, stdin and stderr as the options say,
//! every other descriptor closed, signal dispositions and mask as a child of a Go program has
//! them, and a process group of its own unless the caller owns the terminal (D1).
//!
//! How "every other descriptor closed" is done is the system's part ([`super::os::spawn`]): on
//! Linux, `posix_spawn` with the closefrom file action where the C library has it, else a
//! fallback child of its own; on macOS, `posix_spawn` with `POSIX_SPAWN_CLOEXEC_DEFAULT`. Both
//! build on [`super::plan::posix_spawn`].

use std::ffi::{c_char, CStr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};

use super::child::Child;
use super::fd::take;
use super::os;
use super::plan::{Plan, Stderr};
use super::status::errno_text;
use crate::error::Error;
use crate::runner::{RunOptions, StderrMode, StdinMode};

/// A close-on-exec pipe whose ends are both above 2 ([`os::cloexec_pipe`]).
fn pipe() -> Result<(OwnedFd, OwnedFd), Error> {
    os::cloexec_pipe().map_err(|e| Error::execution(format!("pipe: {}", errno_text(e))))
}

/// A session known to have no controlling terminal, or 0. A session gets a controlling terminal
/// only when its leader opens one (or takes one with `TIOCSCTTY`); a leader acquires it before it
/// starts the members of its session, so a member that found none need not look again (about 7
/// µs an `open` on some systems) until it moves to another session (`setsid`). A leader looks
/// every time: it may acquire one later.
static NO_TERMINAL: AtomicI32 = AtomicI32::new(0);

/// Whether the caller is the foreground process group of its controlling terminal.
fn caller_is_foreground() -> bool {
    // SAFETY: getsid(0) has no preconditions.
    let sid = unsafe { libc::getsid(0) };
    if sid > 0 && NO_TERMINAL.load(Ordering::Relaxed) == sid {
        return false;
    }
    // SAFETY: opening a path with flags; `take` owns the new descriptor (closed when dropped).
    let tty = unsafe {
        take(libc::open(
            c"/dev/tty".as_ptr(),
            libc::O_RDONLY | libc::O_NOCTTY | libc::O_CLOEXEC | libc::O_NONBLOCK,
        ))
    };
    match tty {
        Ok(tty) => {
            // SAFETY: tcgetpgrp on an open descriptor; getpgrp has no preconditions.
            let (fg, own) = unsafe { (libc::tcgetpgrp(tty.as_raw_fd()), libc::getpgrp()) };
            fg > 0 && fg == own
        }
        Err(libc::ENXIO) => {
            // No controlling terminal: remembered unless this process leads its session.
            // SAFETY: getpid has no preconditions.
            if sid > 0 && sid != unsafe { libc::getpid() } {
                NO_TERMINAL.store(sid, Ordering::Relaxed);
            }
            false
        }
        Err(_) => false,
    }
}

pub(super) struct Spawned {
    pub(super) child: Child,
    pub(super) stdout: OwnedFd,
    pub(super) stderr: Option<OwnedFd>,
}

/// Spawns the program at `path` with `argv` (NULL-terminated).
pub(super) fn spawn(
    path: &Path,
    c_path: &CStr,
    argv: &[*mut c_char],
    opts: &RunOptions,
) -> Result<Spawned, Error> {
    let (out_r, out_w) = pipe()?;
    let err_pipe = match opts.stderr {
        StderrMode::Capture => Some(pipe()?),
        _ => None,
    };
    let plan = Plan {
        path: c_path,
        argv: argv.as_ptr(),
        // SAFETY: reading the process's environment pointer, as posix_spawn's callers do.
        envp: unsafe { os::environ() },
        stdout: out_w.as_raw_fd(),
        stdin_null: opts.stdin == StdinMode::Null,
        stderr: match (&err_pipe, opts.stderr) {
            (Some((_, w)), _) => Stderr::Fd(w.as_raw_fd()),
            (None, StderrMode::Discard) => Stderr::Null,
            _ => Stderr::Inherit,
        },
        own_group: !caller_is_foreground(),
    };
    let pid = os::spawn(&plan).map_err(|e| {
        Error::execution(format!("fork/exec {}: {}", path.display(), errno_text(e)))
    })?;
    drop(out_w);
    let stderr = err_pipe.map(|(r, w)| {
        drop(w);
        r
    });
    Ok(Spawned {
        child: Child::new(pid, plan.own_group),
        stdout: out_r,
        stderr,
    })
}

//! Starting the helper: stdout (and captured stderr) piped, stdin and stderr as the options say,
//! every other descriptor closed, signal dispositions and mask as a child of a Go program has
//! them, and a process group of its own unless the caller owns the terminal (D1).
//!
//! How "every other descriptor closed" is done is the system's part ([`super::os::spawn`]): on
//! Linux, `posix_spawn` with the closefrom file action where the C library has it, else a
//! fallback child of its own; on macOS, `posix_spawn` with `POSIX_SPAWN_CLOEXEC_DEFAULT`. Both
//! build on [`posix_spawn`] here.

use std::ffi::{c_char, c_int, CStr};
use std::path::Path;

use super::child::Child;
use super::fd::{pipe, Fd};
use super::os;
use super::status::errno_text;
use crate::error::Error;
use crate::runner::{RunOptions, StderrMode, StdinMode};

/// Where the helper's stderr goes.
#[derive(Clone, Copy)]
pub(super) enum Stderr {
    Inherit,
    Fd(c_int),
    Null,
}

/// What the child must be given; on Linux's fallback path, read by the child while the parent
/// is suspended.
pub(super) struct Plan<'a> {
    pub(super) path: &'a CStr,
    pub(super) argv: *const *mut c_char,
    pub(super) envp: *const *mut c_char,
    /// Dup'ed onto 1.
    pub(super) stdout: c_int,
    pub(super) stdin_null: bool,
    pub(super) stderr: Stderr,
    pub(super) own_group: bool,
}

/// Whether the caller is the foreground process group of its controlling terminal.
fn caller_is_foreground() -> bool {
    // SAFETY: plain system calls on a descriptor we open and close here.
    unsafe {
        let fd = libc::open(
            c"/dev/tty".as_ptr(),
            libc::O_RDONLY | libc::O_NOCTTY | libc::O_CLOEXEC | libc::O_NONBLOCK,
        );
        if fd < 0 {
            return false;
        }
        let fg = libc::tcgetpgrp(fd);
        libc::close(fd);
        fg > 0 && fg == libc::getpgrp()
    }
}

pub(super) struct Actions(pub(super) libc::posix_spawn_file_actions_t);

impl Drop for Actions {
    fn drop(&mut self) {
        // SAFETY: initialised in `posix_spawn`.
        unsafe { libc::posix_spawn_file_actions_destroy(&mut self.0) };
    }
}

struct Attr(libc::posix_spawnattr_t);

impl Drop for Attr {
    fn drop(&mut self) {
        // SAFETY: initialised in `posix_spawn`.
        unsafe { libc::posix_spawnattr_destroy(&mut self.0) };
    }
}

pub(super) struct Spawned {
    pub(super) child: Child,
    pub(super) stdout: Fd,
    pub(super) stderr: Option<Fd>,
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
        stdout: out_w.raw(),
        stdin_null: opts.stdin == StdinMode::Null,
        stderr: match (&err_pipe, opts.stderr) {
            (Some((_, w)), _) => Stderr::Fd(w.raw()),
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

/// The system's part of the file actions or flags could not be had: the caller starts the
/// helper another way.
pub(super) struct Unavailable;

/// `posix_spawn` of `plan`: the standard descriptors, signal mask and dispositions, process
/// group. `close_others` then adds what closes every other descriptor: a file action, or a flag
/// of `posix_spawnattr_setflags` (the flags are set after it). The pid or the errno, or
/// `Unavailable` when `close_others` says so (nothing is spawned then).
pub(super) fn posix_spawn(
    plan: &Plan,
    close_others: impl FnOnce(&mut Actions, &mut libc::c_int) -> Result<(), Unavailable>,
) -> Result<Result<libc::pid_t, i32>, Unavailable> {
    // SAFETY: the posix_spawn objects are initialised before use and destroyed by their guards;
    // all pointers passed stay alive for the call.
    unsafe {
        let mut fa = Actions(std::mem::zeroed());
        libc::posix_spawn_file_actions_init(&mut fa.0);
        libc::posix_spawn_file_actions_adddup2(&mut fa.0, plan.stdout, 1);
        if plan.stdin_null {
            libc::posix_spawn_file_actions_addopen(
                &mut fa.0,
                0,
                c"/dev/null".as_ptr(),
                libc::O_RDONLY,
                0,
            );
        }
        match plan.stderr {
            Stderr::Fd(w) => {
                libc::posix_spawn_file_actions_adddup2(&mut fa.0, w, 2);
            }
            Stderr::Null => {
                libc::posix_spawn_file_actions_addopen(
                    &mut fa.0,
                    2,
                    c"/dev/null".as_ptr(),
                    libc::O_WRONLY,
                    0,
                );
            }
            Stderr::Inherit => {}
        }
        let mut flags = libc::POSIX_SPAWN_SETSIGMASK | libc::POSIX_SPAWN_SETSIGDEF;
        close_others(&mut fa, &mut flags)?;

        let mut attr = Attr(std::mem::zeroed());
        libc::posix_spawnattr_init(&mut attr.0);
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::posix_spawnattr_setsigmask(&mut attr.0, &empty);
        // Signals a host commonly ignores (Python ignores SIGPIPE) are default again in the
        // helper, as in a child of a Go program.
        let mut def: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut def);
        libc::sigaddset(&mut def, libc::SIGPIPE);
        libc::sigaddset(&mut def, libc::SIGXFSZ);
        libc::posix_spawnattr_setsigdefault(&mut attr.0, &def);
        if plan.own_group {
            flags |= libc::POSIX_SPAWN_SETPGROUP;
            libc::posix_spawnattr_setpgroup(&mut attr.0, 0);
        }
        libc::posix_spawnattr_setflags(&mut attr.0, flags as libc::c_short);

        let mut pid: libc::pid_t = 0;
        let rc = libc::posix_spawn(
            &mut pid,
            plan.path.as_ptr(),
            &fa.0,
            &attr.0,
            plan.argv,
            plan.envp,
        );
        Ok(if rc == 0 { Ok(pid) } else { Err(rc) })
    }
}

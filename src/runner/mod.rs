//! Runs the helper: a command string through the platform's shell or a program with its
//! arguments, with stdout piped and read under one deadline from spawn.
//!
//! Go v1 semantics kept: the shell (or a bare program name) is looked up on `PATH` at each run
//! with `os/exec`'s rules and messages; the child inherits the environment, the working
//! directory, stdin and stderr; a non-zero exit or a signal is an error named as Go names it.
//! Divergences: D1 (timeout kills the helper and its descendants), D2 (at most 100 ms of draining
//! after exit), D3 (output over `MaxBufSize` fails at once unless it is trailing JSON whitespace),
//! D7 (timeout 0 fails without spawning).
//!
//! This module holds what every platform shares: the program, the options, the checks made before
//! anything runs and the [`Cancel`] token; `rules` is the run's state machine (the drain after
//! exit, the output bound, the deadline, cancellation, an unclean exit, the stderr tail) and
//! `capture` the buffers it keeps the output in; `drive` is the interface of a platform's run and
//! the blocking loop over it (how an event loop drives runs is described there); `end` is how a
//! run ends (cancelled, abandoned, over), written once over the platform's primitives. `unix`
//! spawns, reads, reaps and kills on POSIX systems, `windows` on Windows: each provides a `Run`
//! (see `drive` and `end`), `wait`, and a `Waker` (`new() -> Option<Waker>`, `wake(&self)`,
//! callable from any thread) that wakes a run waiting for its helper.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use zeroize::Zeroizing;

use crate::error::Error;
pub(crate) use quote::go_quote;

mod capture;
mod drive;
/// (Windows' reactor advances every run at each wake: it needs no source.)
#[cfg(unix)]
pub(crate) use drive::Source;
/// For a reactor that drives runs itself (`drive` describes how).
pub(crate) use drive::{Driven, Interest, Ready, WaitObject};
/// Wakes a thread waiting in the platform's wait (an eventfd or a pipe on POSIX, an event on
/// Windows).
pub(crate) use sys::Waker;
mod end;
mod quote;
mod rules;
#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as sys;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as sys;

/// The POSIX runner's tree primitives, for the `processcreds` command's worker (which kills
/// what it started when the command is killed): the children of a set of processes, and the
/// freeze of a process's descendants that the runner's tree kill makes (D1).
#[cfg(unix)]
#[doc(hidden)]
pub use unix::{children_of, freeze_descendants};

/// The process's environment block, as the POSIX runner passes it to `posix_spawn` (the shared
/// cache's key reads its `AWS_*` variables from it).
#[cfg(unix)]
pub(crate) use unix::environ;

/// Defers the calling thread's cancellation (`pthread_cancel`) while alive; see
/// `unix::NoCancel`. Where threads are not cancelled that way, it does nothing.
#[cfg(unix)]
pub(crate) use unix::NoCancel;

/// Nothing to defer where threads are not cancelled with `pthread_cancel`.
#[cfg(not(unix))]
pub(crate) struct NoCancel;

#[cfg(not(unix))]
impl NoCancel {
    pub(crate) fn new() -> NoCancel {
        NoCancel
    }
}

/// What to run.
#[derive(Clone, PartialEq, Eq)]
pub enum Program {
    /// A command string, run as `sh -c <string>` (on Windows `cmd.exe /d /s /c "<string>"`, the
    /// string verbatim).
    Shell(String),
    /// A program and its arguments, run directly (`argv[0]` looked up on `PATH` when it has no
    /// `/`).
    Argv(Vec<String>),
}

/// Shows the program's shape, never its text: a command line may carry a secret.
impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Program::Shell(s) => f
                .debug_struct("Shell")
                .field("chars", &s.chars().count())
                .finish(),
            Program::Argv(v) => f.debug_struct("Argv").field("args", &v.len()).finish(),
        }
    }
}

/// Where the helper's stderr goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StderrMode {
    /// The caller's stderr (Go's behaviour).
    #[default]
    Inherit,
    /// Read by the library (at most 64 KiB kept); its end is appended to the error of a failed
    /// run.
    Capture,
    /// `/dev/null`.
    Discard,
}

/// Where the helper's stdin comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StdinMode {
    /// The caller's stdin (Go's behaviour).
    #[default]
    Inherit,
    /// `/dev/null`.
    Null,
}

/// Options of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunOptions {
    pub timeout: Duration,
    pub max_buf_size: usize,
    pub stderr: StderrMode,
    pub stdin: StdinMode,
}

/// Timeouts beyond this are treated as this (about 100 years), so deadlines never overflow.
const MAX_TIMEOUT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Go's `strings.TrimSpace(s) == ""`.
fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// What a successful run produced.
pub struct RunOutput {
    /// Stdout: at most `max_buf_size` bytes (trailing whitespace beyond it dropped), wiped when
    /// dropped.
    pub stdout: Zeroizing<Vec<u8>>,
    /// The end of the captured stderr (capture mode), for the errors that may follow the run.
    pub stderr: Option<String>,
}

/// The message of the internal error a cancelled run returns.
pub const CANCELLED: &str = "credential process run cancelled";

/// Stops a run from another thread (a background refresh stopped when its provider is freed).
///
/// [`Cancel::cancel`] may be called from any thread, any number of times. A run in progress
/// kills the helper's whole tree (as a timeout does, D1), reaps it or hands it to the process's
/// reaper, and returns at once with an internal error whose message is [`CANCELLED`]; a run
/// started with a token already cancelled spawns nothing.
pub struct Cancel {
    cancelled: AtomicBool,
    /// Wakes a run waiting for the helper; `None` if the system refused the resource, in which
    /// case runs look at the flag every 10 ms.
    waker: Option<sys::Waker>,
}

impl Cancel {
    /// A token not cancelled yet.
    pub fn new() -> Cancel {
        Cancel {
            cancelled: AtomicBool::new(false),
            waker: sys::Waker::new(),
        }
    }

    /// Cancels the runs using this token, now and later.
    pub fn cancel(&self) {
        if !self.cancelled.swap(true, Ordering::SeqCst) {
            if let Some(w) = &self.waker {
                w.wake();
            }
        }
    }

    /// Whether [`Cancel::cancel`] has been called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    pub(crate) fn waker(&self) -> Option<&sys::Waker> {
        self.waker.as_ref()
    }
}

impl Default for Cancel {
    fn default() -> Cancel {
        Cancel::new()
    }
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// The error of a cancelled run.
pub(crate) fn cancelled() -> Error {
    Error::internal(CANCELLED)
}

/// Runs the helper to completion. The empty-command check (D5) comes first, then the zero
/// timeout (D7); nothing is spawned when either fails.
pub fn run(program: &Program, opts: &RunOptions) -> Result<RunOutput, Error> {
    check(program, opts)?;
    drive::run(program, opts, None)
}

/// [`run`], stopped by `cancel` (see [`Cancel`]).
pub fn run_cancellable(
    program: &Program,
    opts: &RunOptions,
    cancel: &Cancel,
) -> Result<RunOutput, Error> {
    check(program, opts)?;
    if cancel.is_cancelled() {
        return Err(cancelled());
    }
    drive::run(program, opts, Some(cancel))
}

/// The file a run would start for the program name `name` (an argv's first element, or the
/// first word of a command string), with the current `PATH`: the runner's own lookup (`os/exec`'s
/// rules on each platform), unchanged. `Err` holds the run's error text. The path may be
/// relative (a name with a separator); it is not canonicalised.
pub(crate) fn resolve_program(name: &str) -> Result<std::path::PathBuf, String> {
    #[cfg(unix)]
    return unix::resolve(name);
    #[cfg(windows)]
    return windows::lookpath::resolve(name).map(Into::into);
}

/// The file `cmd.exe` starts for `name`, the first word of a command string (quotes removed),
/// with the current `PATH`: the current directory first (unless
/// `NoDefaultCurrentDirectoryInExePath` is set), then `%PATH%`, with `%PATHEXT%`. `None` when
/// there is none. Not canonicalised.
#[cfg(windows)]
pub(crate) fn resolve_shell_word(name: &str) -> Option<std::path::PathBuf> {
    windows::lookpath::resolve_in_cmd(name).map(Into::into)
}

/// The checks made before anything runs.
fn check(program: &Program, opts: &RunOptions) -> Result<(), Error> {
    let blank = match program {
        Program::Shell(cmd) => is_blank(cmd),
        Program::Argv(argv) => argv.first().is_none_or(|first| is_blank(first)),
    };
    if blank {
        return Err(Error::empty_command());
    }
    if opts.timeout.is_zero() {
        return Err(Error::timeout());
    }
    Ok(())
}

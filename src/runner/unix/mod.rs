//! The POSIX runner: `sh -c <command>` (`sh` looked up on `PATH` as `os/exec` does) or a program
//! with its arguments, spawned with `posix_spawn`, stdout read with `poll` under one deadline,
//! the helper's exit looked for with `waitpid` when stdout closes, and through its pidfd when it
//! runs longer, where the kernel has pidfds (elsewhere every few milliseconds). [`run`] is the
//! driver of the run's rules (`super::rules`) on these systems.
//!
//! Process groups (D1): when the caller is the foreground process group of its controlling
//! terminal, the helper stays in the caller's group so that it may read the terminal (an MFA
//! prompt) without SIGTTIN; its descendants are then found through the process table on timeout.
//! Otherwise the helper leads a process group of its own, killed as a whole.
//!
//! Every descriptor this module opens is close-on-exec, and the child closes every descriptor
//! above 2 before it starts, so nothing leaks into the helper. Every child is reaped: by the run,
//! or, when a killed helper has not died within a short grace (it may not be signalled, or sleeps
//! uninterruptibly), by the process's [`reaper`] thread, so that a timeout or a cancellation
//! always returns in bounded time.
//!
//! What differs between systems is in one module per system, `os` (`linux`, `macos`), chosen
//! here and nowhere else. Each provides the same items:
//!
//! - `spawn(&Plan) -> Result<pid_t, errno>`: starts the helper with every descriptor above 2
//!   closed (built on [`plan::posix_spawn`]);
//! - `cloexec_pipe() -> Result<(OwnedFd, OwnedFd), errno>`: a pipe whose ends are close-on-exec
//!   and above 2;
//! - `Waker`: a descriptor that `poll` sees readable once woken (cancellation, the reaper);
//! - `pidfd_open`, `pidfd_send_signal`: a descriptor readable at the helper's exit, where the
//!   system has one (`None` otherwise: the exit is polled for);
//! - `children_of(&[pid]) -> Vec<pid>`: the processes whose parent is one of those;
//! - `environ()`, `PTHREAD_CANCEL_DISABLE`, and Go's texts for the system's signals
//!   (`signal_text`) and its own errno values (`errno_text`).

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::{go_quote, Program};
use crate::error::Error;

mod cancel_state;
mod child;
mod fd;
mod plan;
mod reaper;
mod run;
mod signal;
mod spawn;
mod status;
mod tree;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as os;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
use macos as os;
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
compile_error!("the POSIX runner has a system part for Linux and macOS only (src/runner/unix/)");

pub use os::children_of;
pub use tree::freeze_descendants;

pub(crate) use cancel_state::NoCancel;
pub(crate) use os::{environ, Waker};
pub(crate) use run::{wait, Run};
pub(crate) use status::errno_text;

/// What `program` runs: the path found, and it and the arguments as C strings.
fn command(program: &Program) -> Result<(PathBuf, CString, Vec<CString>), Error> {
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
    Ok((path, c_path, c_args))
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
pub(super) fn resolve(name: &str) -> Result<PathBuf, String> {
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

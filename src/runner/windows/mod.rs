//! The Windows runner: a command string runs as `cmd.exe /d /s /c "<command>"`, verbatim (D10),
//! an argv directly with MSVCRT quoting; `cmd.exe` and argv programs are found as Go's `os/exec`
//! finds them on Windows, and failures are worded as Go words them there.
//!
//! How a run goes: stdout (and stderr in capture mode) are named pipes read with overlapped
//! I/O; the helper is created suspended with exactly its three standard handles
//! (`PROC_THREAD_ATTRIBUTE_HANDLE_LIST`, so no other inheritable handle of the caller leaks
//! into it), put in a new job object (kill on close) and resumed. One wait covers the pipes, the
//! process and the [`Cancel`] token's event under the deadline taken before the spawn. On
//! timeout, on output over `MaxBufSize` (D3), or when the run is cancelled, the job is
//! terminated: the helper and all its descendants die (D1). Once the helper has exited, stdout may stay open at most 100 ms more
//! (D2); descendants still running then are left alone (the job lets them live on when it is
//! closed), as on POSIX.
//!
//! Differences from POSIX that come from Windows itself: there are no signals (a helper killed
//! by another program exits with the code that program chose, `exit status N`), exit codes from
//! 65536 on read as Go prints them (`exit status 0xc0000005`), and the stdio modes use the
//! `NUL` device.

mod cmdline;
pub(super) mod lookpath;
mod os;
mod read;

use std::time::Instant;

use windows_sys::Win32::Foundation::{HANDLE, WAIT_FAILED};
use windows_sys::Win32::System::Console::{STD_ERROR_HANDLE, STD_INPUT_HANDLE};
use windows_sys::Win32::System::Threading::WaitForMultipleObjects;
use zeroize::Zeroizing;

pub(crate) use self::os::Waker;
use self::os::{error_text, Child, Handle, Stdio};
use self::read::{Read, Reader};
use super::{
    Cancel, Program, RunOptions, RunOutput, StderrMode, StderrTail, StdinMode, CHUNK,
    DRAIN_AFTER_EXIT, MAX_TIMEOUT,
};
use crate::error::Error;

/// How often a run looks at a [`Cancel`] token that has no event.
const POLL_CANCEL_MS: u32 = 10;

/// Runs `program` (already checked non-blank, with a non-zero timeout).
pub(super) fn run(
    program: &Program,
    opts: &RunOptions,
    cancel: Option<&Cancel>,
) -> Result<RunOutput, Error> {
    let (path, line) = match program {
        Program::Shell(cmd) => (
            lookpath::resolve("cmd.exe").map_err(Error::execution)?,
            cmdline::shell(cmd),
        ),
        Program::Argv(argv) => (
            lookpath::resolve(&argv[0]).map_err(Error::execution)?,
            cmdline::argv(argv),
        ),
    };
    // Go refuses a NUL in the program's path or its command line with EINVAL.
    let Some(application) = os::wide(&path).filter(|_| !line.contains('\0')) else {
        return Err(fork_exec(&path, os::EINVAL_TEXT));
    };
    spawn_and_read(&path, &application, &line, opts, cancel)
}

/// A failed start, in Go's words (`os.StartProcess` fails with a `*PathError`).
fn fork_exec(path: &str, text: &str) -> Error {
    Error::execution(format!("fork/exec {path}: {text}"))
}

/// A failure to set up the pipes, as the POSIX runner words it.
fn pipe_error(code: u32) -> Error {
    Error::execution(format!("pipe: {}", error_text(code)))
}

/// Go's `os.ProcessState.String()` on Windows for a non-zero exit code.
fn exit_text(code: u32) -> String {
    if code >= 1 << 16 {
        format!("exit status 0x{code:x}")
    } else {
        format!("exit status {code}")
    }
}

/// Stdout bounded by `MaxBufSize` (D3): bytes past the limit may only be JSON whitespace.
struct StdoutBuf {
    buf: Zeroizing<Vec<u8>>,
    limit: usize,
    exceeded: bool,
}

impl StdoutBuf {
    fn push(&mut self, data: &[u8]) {
        let room = self.limit - self.buf.len();
        let (kept, extra) = data.split_at(data.len().min(room));
        if self.buf.capacity() - self.buf.len() < kept.len() {
            // Grown by copying into a new allocation; the old one is wiped when dropped.
            let want = (self.buf.len() + kept.len())
                .max(self.buf.capacity() * 2)
                .min(self.limit);
            let mut grown = Vec::with_capacity(want);
            grown.extend_from_slice(&self.buf);
            self.buf = Zeroizing::new(grown);
        }
        self.buf.extend_from_slice(kept);
        if !extra
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.exceeded = true;
        }
    }
}

/// Takes what a reader holds now, at most 16 chunks (a descendant may write forever).
fn drain(reader: &mut Option<Reader>, tail: &mut StderrTail) {
    if let Some(r) = reader {
        for _ in 0..16 {
            match r.poll() {
                Read::Data(d) => tail.push(d),
                _ => break,
            }
        }
    }
}

fn millis_until(deadline: Instant) -> u32 {
    let left = deadline.saturating_duration_since(Instant::now());
    // Rounded up so that the wait never ends before the deadline; INFINITE (u32::MAX) avoided.
    left.as_nanos()
        .div_ceil(1_000_000)
        .min(u128::from(u32::MAX - 1)) as u32
}

fn spawn_and_read(
    path: &str,
    application: &[u16],
    line: &str,
    opts: &RunOptions,
    cancel: Option<&Cancel>,
) -> Result<RunOutput, Error> {
    let timeout = opts.timeout.min(MAX_TIMEOUT);
    let deadline = Instant::now() + timeout;

    let (out_r, out_w) = os::pipe().map_err(pipe_error)?;
    let (err_r, err_w): (Option<Handle>, Option<Handle>) = match opts.stderr {
        StderrMode::Capture => {
            let (r, w) = os::pipe().map_err(pipe_error)?;
            (Some(r), Some(w))
        }
        StderrMode::Discard => (None, Some(os::null_device(true).map_err(pipe_error)?)),
        StderrMode::Inherit => (
            None,
            os::inherit_std(STD_ERROR_HANDLE).map_err(|c| fork_exec(path, &error_text(c)))?,
        ),
    };
    let stdin: Option<Handle> = match opts.stdin {
        StdinMode::Inherit => {
            os::inherit_std(STD_INPUT_HANDLE).map_err(|c| fork_exec(path, &error_text(c)))?
        }
        StdinMode::Null => Some(os::null_device(false).map_err(pipe_error)?),
    };
    let mut child = os::spawn(
        application,
        line,
        Stdio {
            input: stdin.as_ref(),
            output: &out_w,
            error: err_w.as_ref(),
        },
    )
    .map_err(|c| fork_exec(path, &error_text(c)))?;
    // The helper holds its own copies now: ours would keep the pipes open.
    drop((out_w, err_w, stdin));

    let event_error = |c: u32| Error::internal(format!("CreateEvent: {}", error_text(c)));
    let mut stdout = Reader::new(out_r, CHUNK).map_err(event_error)?;
    let mut stderr = match err_r {
        Some(r) => Some(Reader::new(r, CHUNK).map_err(event_error)?),
        None => None,
    };
    read_until_done(&mut child, &mut stdout, &mut stderr, opts, deadline, cancel)
}

fn read_until_done(
    child: &mut Child,
    stdout: &mut Reader,
    stderr: &mut Option<Reader>,
    opts: &RunOptions,
    deadline: Instant,
    cancel: Option<&Cancel>,
) -> Result<RunOutput, Error> {
    let waker = cancel.and_then(Cancel::waker);
    let mut out = StdoutBuf {
        buf: Zeroizing::new(Vec::with_capacity(opts.max_buf_size.min(8192))),
        limit: opts.max_buf_size,
        exceeded: false,
    };
    let mut tail = StderrTail { buf: Vec::new() };
    let mut exited = false;
    let mut drain_until = deadline;

    loop {
        // Take what the pipes hold (a bounded amount per turn, so the deadline is checked
        // even against a helper that writes without end).
        for _ in 0..16 {
            match stdout.poll() {
                Read::Data(d) => out.push(d),
                _ => break,
            }
            if out.exceeded {
                // D3: fail at once; kill the helper unless it has already exited.
                child.kill_tree();
                drain(stderr, &mut tail);
                return Err(Error::parse(format!(
                    "output exceeds MaxBufSize ({} bytes)",
                    opts.max_buf_size
                ))
                .with_stderr(tail.report()));
            }
        }
        drain(stderr, &mut tail);

        if !exited {
            if let Some(code) = child.try_wait() {
                exited = true;
                drain_until = (Instant::now() + DRAIN_AFTER_EXIT).min(deadline);
                // An unclean exit is reported at once, as Go does.
                if code != 0 {
                    drain(stderr, &mut tail);
                    return Err(Error::execution(exit_text(code)).with_stderr(tail.report()));
                }
            }
        }
        if exited && stdout.is_closed() {
            break;
        }
        if cancel.is_some_and(Cancel::is_cancelled) {
            child.kill_tree();
            return Err(super::cancelled());
        }
        let limit = if exited { drain_until } else { deadline };
        if Instant::now() >= limit {
            if exited {
                break; // D2: descendants holding stdout are not waited for
            }
            child.kill_tree();
            drain(stderr, &mut tail);
            return Err(Error::timeout().with_stderr(tail.report()));
        }

        let mut handles: Vec<HANDLE> = Vec::with_capacity(3);
        if !stdout.is_closed() {
            handles.push(stdout.event());
        }
        if let Some(r) = stderr.as_ref().filter(|r| !r.is_closed()) {
            handles.push(r.event());
        }
        if !exited {
            handles.push(child.process().raw());
        }
        let mut wait_ms = millis_until(limit);
        match waker {
            Some(w) => handles.push(w.raw()),
            None if cancel.is_some() => wait_ms = wait_ms.min(POLL_CANCEL_MS),
            None => {}
        }
        // SAFETY: every handle in the list is valid for the length of the wait.
        let r =
            unsafe { WaitForMultipleObjects(handles.len() as u32, handles.as_ptr(), 0, wait_ms) };
        if r == WAIT_FAILED {
            child.kill_tree();
            return Err(Error::internal(format!(
                "WaitForMultipleObjects: {}",
                error_text(os::last_error())
            )));
        }
    }
    stdout.cancel();
    drain(stderr, &mut tail);
    Ok(RunOutput {
        stdout: std::mem::take(&mut out.buf),
        stderr: tail.report(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_texts_like_go() {
        assert_eq!(exit_text(1), "exit status 1");
        assert_eq!(exit_text(65535), "exit status 65535");
        assert_eq!(exit_text(65536), "exit status 0x10000");
        assert_eq!(exit_text(0xC000_0005), "exit status 0xc0000005");
    }

    #[test]
    fn stdout_bound() {
        let mut b = StdoutBuf {
            buf: Zeroizing::new(Vec::new()),
            limit: 4,
            exceeded: false,
        };
        b.push(b"ab");
        b.push(b"cd \r\n\t");
        assert!(!b.exceeded);
        assert_eq!(&b.buf[..], b"abcd");
        b.push(b" x");
        assert!(b.exceeded);
    }
}

//! The Windows driver of a run ([`super::super::drive`] describes the interface): the helper
//! created with its pipes, the overlapped reads of stdout and the captured stderr taken as they
//! complete, the process handle looked at, and what happens fed to the [`Rules`].

use std::time::Instant;

use windows_sys::Win32::Foundation::{HANDLE, WAIT_FAILED, WAIT_OBJECT_0};
use windows_sys::Win32::System::Console::{STD_ERROR_HANDLE, STD_INPUT_HANDLE};
use windows_sys::Win32::System::Threading::{Sleep, WaitForMultipleObjects};

use super::os::{self, error_text, Child, Handle, Stdio};
use super::read::{Read, Reader};
use super::{cmdline, exit_text, lookpath};
use crate::error::Error;
use crate::runner::capture::CHUNK;
use crate::runner::drive::{Interest, Ready, Source};
use crate::runner::rules::Rules;
use crate::runner::{Cancel, Program, RunOptions, RunOutput, StderrMode, StdinMode, MAX_TIMEOUT};

/// How often a run looks at a [`Cancel`] token that has no event.
const POLL_CANCEL_MS: u32 = 10;
/// How many completed reads of one pipe are taken per step, so that the clock is looked at even
/// against a helper that writes without end.
const READS_PER_STEP: usize = 16;

/// A run on Windows.
pub(crate) struct Run {
    pub(in crate::runner) rules: Rules,
    child: Child,
    stdout: Reader,
    stderr: Option<Reader>,
}

/// A failed start, in Go's words (`os.StartProcess` fails with a `*PathError`).
fn fork_exec(path: &str, text: &str) -> Error {
    Error::execution(format!("fork/exec {path}: {text}"))
}

/// A failure to set up the pipes, as the POSIX runner words it.
fn pipe_error(code: u32) -> Error {
    Error::execution(format!("pipe: {}", error_text(code)))
}

impl Run {
    /// Finds the program (already checked non-blank, with a non-zero timeout) and creates the
    /// helper; the deadline is taken first (D1).
    pub(crate) fn start(program: &Program, opts: &RunOptions) -> Result<Run, Error> {
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
        let deadline = Instant::now() + opts.timeout.min(MAX_TIMEOUT);

        let (out_r, out_w) = os::pipe().map_err(pipe_error)?;
        let (err_r, err_w): (Option<Handle>, Option<Handle>) = match opts.stderr {
            StderrMode::Capture => {
                let (r, w) = os::pipe().map_err(pipe_error)?;
                (Some(r), Some(w))
            }
            StderrMode::Discard => (None, Some(os::null_device(true).map_err(pipe_error)?)),
            StderrMode::Inherit => (
                None,
                os::inherit_std(STD_ERROR_HANDLE).map_err(|c| fork_exec(&path, &error_text(c)))?,
            ),
        };
        let stdin: Option<Handle> = match opts.stdin {
            StdinMode::Inherit => {
                os::inherit_std(STD_INPUT_HANDLE).map_err(|c| fork_exec(&path, &error_text(c)))?
            }
            StdinMode::Null => Some(os::null_device(false).map_err(pipe_error)?),
        };
        let child = os::spawn(
            &application,
            &line,
            Stdio {
                input: stdin.as_ref(),
                output: &out_w,
                error: err_w.as_ref(),
            },
        )
        .map_err(|c| fork_exec(&path, &error_text(c)))?;
        // The helper holds its own copies now: ours would keep the pipes open.
        drop((out_w, err_w, stdin));

        let event_error = |c: u32| Error::internal(format!("CreateEvent: {}", error_text(c)));
        let stdout = Reader::new(out_r, CHUNK).map_err(event_error)?;
        let stderr = match err_r {
            Some(r) => Some(Reader::new(r, CHUNK).map_err(event_error)?),
            None => None,
        };
        let mut run = Run {
            rules: Rules::new(deadline, opts.max_buf_size, stderr.is_some()),
            child,
            stdout,
            stderr,
        };
        // The first reads are started (their events are what the run waits on).
        run.read_stdout();
        run.read_stderr();
        Ok(run)
    }

    /// What the run waits for now: the events of the reads in flight on stdout and the captured
    /// stderr while they are open (a read is in flight on each from the start, and after each
    /// step unless the step stopped at [`READS_PER_STEP`] completed reads, whose event is then
    /// still set), the process while it runs, until the deadline or the end of
    /// the drain.
    pub(crate) fn interest(&self) -> Interest<HANDLE> {
        Interest {
            waits: [
                self.rules.wants_stdout().then(|| self.stdout.event()),
                self.stderr
                    .as_ref()
                    .filter(|_| self.rules.wants_stderr())
                    .map(Reader::event),
                self.rules.wants_exit().then(|| self.child.process().raw()),
            ],
            until: self.rules.until(),
        }
    }

    /// Takes what the reads completed, looks at the process and the clock; the result once the
    /// run is over. Every look is made whatever `_ready` says: none of them waits.
    pub(crate) fn advance(&mut self, _ready: Ready) -> Option<Result<RunOutput, Error>> {
        self.read_stdout();
        self.read_stderr();
        if self.rules.wants_exit() {
            if let Some(code) = self.child.try_wait() {
                let failure = (code != 0).then(|| exit_text(code));
                self.rules.exited(failure, Instant::now());
            }
        }
        self.tick()
    }

    /// Takes the completed reads of stdout (a bounded number).
    fn read_stdout(&mut self) {
        for _ in 0..READS_PER_STEP {
            if !(self.rules.wants_stdout() || self.rules.wants_last_read()) {
                return;
            }
            match self.stdout.poll() {
                Read::Data(d) => self.rules.stdout_data(d),
                Read::Closed => self.rules.stdout_closed(),
                Read::Pending => return,
            }
        }
    }

    /// Takes the completed reads of the captured stderr (a bounded number).
    fn read_stderr(&mut self) {
        let Some(reader) = &mut self.stderr else {
            return;
        };
        for _ in 0..READS_PER_STEP {
            if !self.rules.wants_stderr() {
                return;
            }
            match reader.poll() {
                Read::Data(d) => self.rules.stderr_data(d),
                Read::Closed => self.rules.stderr_closed(),
                Read::Pending => return,
            }
        }
    }

    /// Kills the helper's tree (the end of a run, `runner::end`).
    pub(in crate::runner) fn kill_tree(&mut self) {
        self.child.kill_tree();
    }

    /// Takes what stdout's completed reads hold now.
    pub(in crate::runner) fn read_last(&mut self) {
        self.read_stdout();
    }

    /// Cancels the read of stdout in flight.
    pub(in crate::runner) fn stop_stdout(&mut self) {
        self.stdout.cancel();
    }

    /// Takes what the captured stderr's completed reads hold now.
    pub(in crate::runner) fn read_stderr_last(&mut self) {
        self.read_stderr();
    }
}

/// Blocks until something of `interest` (or the cancellation's event) is signalled, or its time
/// limit comes (without an event, a cancellable run looks at its token every 10 ms).
pub(crate) fn wait(interest: &Interest<HANDLE>, cancel: Option<&Cancel>) -> Result<Ready, String> {
    let mut handles: Vec<HANDLE> = Vec::with_capacity(4);
    let mut sources: Vec<Source> = Vec::with_capacity(3);
    for (source, handle) in Source::ALL.into_iter().zip(&interest.waits) {
        if let Some(h) = handle {
            handles.push(*h);
            sources.push(source);
        }
    }
    let mut wait_ms = interest.until.map_or(u32::MAX - 1, millis_until);
    match cancel.map(Cancel::waker) {
        Some(Some(w)) => handles.push(w.raw()),
        Some(None) => wait_ms = wait_ms.min(POLL_CANCEL_MS),
        None => {}
    }
    if handles.is_empty() {
        // SAFETY: Sleep has no preconditions.
        unsafe { Sleep(wait_ms) };
        return Ok(Ready::NONE);
    }
    // SAFETY: every handle in the list is valid for the length of the wait (they belong to the
    // run and the token, both borrowed for it).
    let r = unsafe { WaitForMultipleObjects(handles.len() as u32, handles.as_ptr(), 0, wait_ms) };
    if r == WAIT_FAILED {
        return Err(format!(
            "WaitForMultipleObjects: {}",
            error_text(os::last_error())
        ));
    }
    // The first signalled object (the driver looks at every source at each step anyway).
    let woke = r.wrapping_sub(WAIT_OBJECT_0) as usize;
    Ok(sources
        .get(woke)
        .map_or(Ready::NONE, |&source| Ready::NONE.with(source)))
}

/// Milliseconds until `deadline`, rounded up so that the wait never ends before it; INFINITE
/// (`u32::MAX`) avoided.
fn millis_until(deadline: Instant) -> u32 {
    let left = deadline.saturating_duration_since(Instant::now());
    left.as_nanos()
        .div_ceil(1_000_000)
        .min(u128::from(u32::MAX - 1)) as u32
}

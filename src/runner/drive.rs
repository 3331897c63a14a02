//! Driving a run: the platform's `Run` (a spawned helper with its pipes and the [`Rules`] state
//! machine) says what it waits for and is advanced with what became ready, without ever
//! blocking; [`run`] is the blocking loop over it that `runner::run` uses.
//!
//! # The interface of a platform's run
//!
//! The platform module (`unix`, `windows`) provides:
//!
//! - `Run::start(&Program, &RunOptions) -> Result<Run, Error>`: looks the program up, takes the
//!   deadline (D1) and spawns the helper;
//! - `Run::interest(&self) -> Interest<H>`: what the run waits for now, where `H` is what the
//!   system waits on: a descriptor to poll for readability (`BorrowedFd`, POSIX) or a handle to
//!   wait on (`HANDLE`, Windows), for stdout, the captured stderr and the helper's exit (a
//!   pidfd where the system has one; elsewhere the exit is looked for at the time limit), and
//!   the time limit itself;
//! - `Run::advance(&mut self, Ready) -> Option<Result<RunOutput, Error>>`: reads what is ready,
//!   reaps the helper if it has exited, looks at the clock, feeds all of it to the rules, and
//!   returns the result once the run is over (its tree killed first where the rules say so);
//! - `Run::cancel(&mut self)` and `Run::abandon(&mut self, what)`: end the run now (cancelled,
//!   or because waiting failed), killing the helper's tree; they return the run's error;
//! - `wait(&Interest<H>, Option<&Cancel>) -> Result<Ready, String>`: blocks until something of
//!   the interest (or the [`Cancel`] token's waker) is ready or the time limit comes.
//!
//! # Driving runs from a reactor
//!
//! A reactor that drives many runs from a few threads uses the same calls, with its own wait in
//! place of `wait`: after `start`, and after each `advance` that returned `None`, it asks the
//! run for its `interest` (the descriptors or handles change as the run goes: a pidfd is opened,
//! stdout closes) and registers them (`epoll`/`kqueue` for readability, a wait on the handles, a
//! timer at `until`); when any of them is ready, or the time limit has come, it calls `advance`
//! with what it saw ([`Ready::NONE`] for the timer: the run then looks at the clock and,
//! without a pidfd, for the helper's exit); `Some(result)` means the run is over and may be
//! dropped. When no caller waits for a run any more, `cancel` kills its tree. Nothing in
//! `advance` waits for the helper: a read is made only where readiness was reported (POSIX) or
//! completes at once (Windows overlapped reads). The calls that may take a moment are bounded:
//! `start` (the system's spawn), a helper that has closed stdout being waited for with a few
//! scheduler yields (at most 200 µs, POSIX) before its exit is watched, and a kill (the killed
//! helper is waited for at most 20 ms, then left to the process's reaper).
//! A run is `Send`: a reactor may move it between its threads, but drives each run from one
//! thread at a time.
//!
//! [`Rules`]: super::rules::Rules

use std::time::Instant;

use super::{sys, Cancel, Program, RunOptions, RunOutput};
use crate::error::Error;

/// What a run may wait on, in the order of [`Interest::waits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// The helper's stdout: readable (data or end of file).
    Stdout = 0,
    /// The helper's captured stderr: readable.
    Stderr = 1,
    /// The helper's exit (a pidfd on Linux, the process handle on Windows).
    Exit = 2,
}

impl Source {
    pub(crate) const ALL: [Source; 3] = [Source::Stdout, Source::Stderr, Source::Exit];
}

/// The sources found ready by a wait.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ready(u8);

impl Ready {
    /// Nothing ready: the time limit came (or the wait was interrupted).
    pub(crate) const NONE: Ready = Ready(0);

    /// This set and `source`.
    #[must_use]
    pub(crate) fn with(self, source: Source) -> Ready {
        Ready(self.0 | 1 << source as u8)
    }

    // (The Windows driver looks at every source at each step: a wait reports one of them only.)
    #[cfg_attr(windows, allow(dead_code))]
    pub(crate) fn has(self, source: Source) -> bool {
        self.0 & 1 << source as u8 != 0
    }
}

/// What a run waits for: at most one object per [`Source`] (indexed by it), and the time by
/// which it must be advanced even if none is ready (`None`: no time limit).
#[derive(Debug)]
pub(crate) struct Interest<H> {
    pub(crate) waits: [Option<H>; 3],
    pub(crate) until: Option<Instant>,
}

/// Runs the helper to its end: the blocking loop over the platform's run. A cancellation is
/// seen before each wait, and wakes the wait (through the token's waker, or every 10 ms when the
/// system gave it none).
pub(super) fn run(
    program: &Program,
    opts: &RunOptions,
    cancel: Option<&Cancel>,
) -> Result<RunOutput, Error> {
    let mut run = sys::Run::start(program, opts)?;
    loop {
        if cancel.is_some_and(Cancel::is_cancelled) {
            return run.cancel();
        }
        let ready = match sys::wait(&run.interest(), cancel) {
            Ok(ready) => ready,
            Err(what) => return run.abandon(what),
        };
        if let Some(result) = run.advance(ready) {
            return result;
        }
    }
}

/// What a run's [`Interest`] holds on this platform: a descriptor polled for readability.
#[cfg(unix)]
pub(crate) type WaitObject<'a> = std::os::fd::BorrowedFd<'a>;
/// What a run's [`Interest`] holds on this platform: a handle waited on.
#[cfg(windows)]
pub(crate) type WaitObject<'a> = windows_sys::Win32::Foundation::HANDLE;

/// A run driven by a reactor (see the module docs): the platform's run, started after the checks
/// that [`super::run`] makes first (an empty command and a zero timeout fail without spawning).
pub(crate) struct Driven(sys::Run);

impl Driven {
    /// Checks and spawns the helper.
    pub(crate) fn start(program: &Program, opts: &RunOptions) -> Result<Driven, Error> {
        super::check(program, opts)?;
        sys::Run::start(program, opts).map(Driven)
    }

    /// What the run waits for now.
    pub(crate) fn interest(&self) -> Interest<WaitObject<'_>> {
        self.0.interest()
    }

    /// Advances the run with what became ready; the result once it is over.
    pub(crate) fn advance(&mut self, ready: Ready) -> Option<Result<RunOutput, Error>> {
        self.0.advance(ready)
    }

    /// Ends the run now, killing the helper's tree.
    pub(crate) fn cancel(&mut self) -> Result<RunOutput, Error> {
        self.0.cancel()
    }
}

/// A reactor may move a run between its threads.
const _: () = {
    const fn send<T: Send>() {}
    send::<sys::Run>()
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_sets() {
        assert!(Source::ALL.iter().all(|&s| !Ready::NONE.has(s)));
        let r = Ready::NONE.with(Source::Stdout).with(Source::Exit);
        assert!(r.has(Source::Stdout) && r.has(Source::Exit) && !r.has(Source::Stderr));
    }
}

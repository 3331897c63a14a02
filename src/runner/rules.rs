//! The rules of a run, once for every platform: a state machine fed with what happened to the
//! helper (its stdout, its captured stderr, its exit, the clock, a cancellation) that says what
//! the run waits for next and how it ends. The platform drivers (`unix::run`, `windows::run`)
//! only spawn, read, reap and kill; every decision below is taken here.
//!
//! ```text
//!                 stdout data / stderr data / stdout EOF
//!                 ┌────┐
//!                 ▼    │        clean exit, stdout open
//!   spawn ──▶ Running ─┴──────────────────────────────▶ Draining { until }
//!               │  │                                      │     │
//!               │  │ clean exit, stdout closed            │     │ stdout EOF, or `until` reached
//!               │  └────────────────────────▶ Done(Ok) ◀──┘─────┘ (D2)
//!               │
//!               ├─ unclean exit ──────────────▶ Done(Failed)     reported at once, as Go does
//!               ├─ deadline reached ──────────▶ Done(Timeout)    D1: the tree is killed
//!               ├─ non-blank byte past the limit ▶ Done(Overflow) D3: the tree is killed
//!               └─ cancelled ─────────────────▶ Done(Cancelled)  the tree is killed
//! ```
//!
//! (Overflow and cancellation apply while draining too.) The one deadline is taken before the
//! spawn (D1); after a clean exit, stdout may stay open at most [`DRAIN_AFTER_EXIT`] more, never
//! past the deadline (D2); a byte other than JSON whitespace beyond `MaxBufSize` ends the run at
//! once (D3); the captured stderr's tail is appended to every error but a cancellation's.

use std::time::{Duration, Instant};

use super::capture::{Scratch, StderrTail, StdoutBuf};
use super::{cancelled, RunOutput};
use crate::error::Error;

/// How long stdout may stay open after the helper exits (D2).
pub(crate) const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(100);

/// Where a run is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The helper has not been seen exiting: its output is read under the deadline.
    Running,
    /// The helper exited cleanly while stdout stayed open (a descendant may hold it): stdout is
    /// read until it closes or until `until` (D2).
    Draining { until: Instant },
    /// The run is over.
    Done(End),
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The helper exited cleanly and its output is complete.
    Ok,
    /// The helper exited otherwise: Go's text for it (`exit status 2`, `signal: killed`).
    Failed(String),
    /// The deadline passed first (D1).
    Timeout,
    /// Output beyond `MaxBufSize` that is not JSON whitespace (D3).
    Overflow,
    /// The run was cancelled.
    Cancelled,
    /// The run could not go on (a wait failed): the internal error's text.
    Broken(String),
}

impl End {
    /// Whether the helper's tree must be killed before the result is returned (a helper that
    /// has exited is not: its descendants are left alone, D2).
    pub(crate) fn kills(&self) -> bool {
        matches!(
            self,
            End::Timeout | End::Overflow | End::Cancelled | End::Broken(_)
        )
    }
}

/// The state of one run: its phase and what it has kept of the helper's output.
pub(crate) struct Rules {
    phase: Phase,
    /// One deadline from spawn (D1).
    deadline: Instant,
    max_buf_size: usize,
    stdout: StdoutBuf,
    stdout_open: bool,
    stderr: StderrTail,
    stderr_open: bool,
    /// Where stdout past the limit and the captured stderr are read (POSIX).
    #[cfg_attr(windows, allow(dead_code))]
    scratch: Scratch,
}

impl Rules {
    /// A run whose helper was spawned with `deadline` taken before; `stderr_piped` when its
    /// stderr is captured.
    pub(crate) fn new(deadline: Instant, max_buf_size: usize, stderr_piped: bool) -> Rules {
        Rules {
            phase: Phase::Running,
            deadline,
            max_buf_size,
            stdout: StdoutBuf::new(max_buf_size),
            stdout_open: true,
            stderr: StderrTail::default(),
            stderr_open: stderr_piped,
            scratch: Scratch::default(),
        }
    }

    pub(crate) fn phase(&self) -> &Phase {
        &self.phase
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done(_))
    }

    /// Whether stdout is to be read: it is open and the run is not over (at the end of a
    /// successful run, the driver still reads what stdout holds, see [`Rules::wants_last_read`]).
    pub(crate) fn wants_stdout(&self) -> bool {
        self.stdout_open && !self.is_done()
    }

    /// Whether the captured stderr is to be read (until it closes, also at the end of a run).
    pub(crate) fn wants_stderr(&self) -> bool {
        self.stderr_open
    }

    /// Whether the helper's exit is to be watched for.
    pub(crate) fn wants_exit(&self) -> bool {
        self.phase == Phase::Running
    }

    /// A run ended by the drain limit (D2) reads what the helper wrote before it exited: it is
    /// in the pipe already (the run may have been descheduled meanwhile).
    pub(crate) fn wants_last_read(&self) -> bool {
        self.stdout_open && self.phase == Phase::Done(End::Ok)
    }

    /// When the run must next look at the clock, the platform's own timers aside: the deadline
    /// while running, the end of the drain after a clean exit; `None` once done.
    pub(crate) fn until(&self) -> Option<Instant> {
        match self.phase {
            Phase::Running => Some(self.deadline),
            Phase::Draining { until } => Some(until),
            Phase::Done(_) => None,
        }
    }

    fn end(&mut self, end: End) {
        if !self.is_done() {
            self.phase = Phase::Done(end);
        }
    }

    fn check_overflow(&mut self) {
        if self.stdout.exceeded() {
            // D3, also when the drain was already over: what came is over the limit.
            self.phase = Phase::Done(End::Overflow);
        }
    }

    /// Event: stdout reached end of file.
    pub(crate) fn stdout_closed(&mut self) {
        self.stdout_open = false;
        if matches!(self.phase, Phase::Draining { .. }) {
            self.end(End::Ok);
        }
    }

    /// Event: the captured stderr reached end of file.
    pub(crate) fn stderr_closed(&mut self) {
        self.stderr_open = false;
    }

    /// Event: the helper exited, at `at` at the latest; `failure` is Go's text for an exit that
    /// is not clean. An unclean exit ends the run at once (as in Go); a clean one ends it once
    /// stdout has closed, at most [`DRAIN_AFTER_EXIT`] after `at` and never after the deadline.
    pub(crate) fn exited(&mut self, failure: Option<String>, at: Instant) {
        if self.phase != Phase::Running {
            return;
        }
        self.phase = match failure {
            Some(text) => Phase::Done(End::Failed(text)),
            None if !self.stdout_open => Phase::Done(End::Ok),
            None => Phase::Draining {
                until: (at + DRAIN_AFTER_EXIT).min(self.deadline),
            },
        };
    }

    /// Event: the clock says `now`: the deadline (D1) or the end of the drain (D2) may have
    /// come.
    pub(crate) fn tick(&mut self, now: Instant) {
        match self.phase {
            Phase::Running if now >= self.deadline => self.end(End::Timeout),
            Phase::Draining { until } if now >= until => self.end(End::Ok),
            _ => {}
        }
    }

    /// Event: the run was cancelled (nothing changes once it is over).
    pub(crate) fn cancel(&mut self) {
        self.end(End::Cancelled);
    }

    /// Event: the run cannot go on (`what` failed).
    pub(crate) fn broken(&mut self, what: String) {
        self.end(End::Broken(what));
    }

    /// The run's result, once [`Phase::Done`]: the output, or the error with the captured
    /// stderr's tail.
    pub(crate) fn finish(&mut self) -> Result<RunOutput, Error> {
        let error = match &self.phase {
            Phase::Done(End::Ok) => {
                return Ok(RunOutput {
                    stdout: self.stdout.take(),
                    stderr: self.stderr.report(),
                });
            }
            Phase::Done(End::Cancelled) => return Err(cancelled()),
            Phase::Done(End::Failed(text)) => Error::execution(text.clone()),
            Phase::Done(End::Timeout) => Error::timeout(),
            Phase::Done(End::Overflow) => Error::parse(format!(
                "output exceeds MaxBufSize ({} bytes)",
                self.max_buf_size
            )),
            Phase::Done(End::Broken(text)) => Error::internal(text.clone()),
            Phase::Running | Phase::Draining { .. } => {
                Error::internal("credential process run finished early")
            }
        };
        Err(error.with_stderr(self.stderr.report()))
    }
}

/// Reading into the rules' own buffers, with no copy (the POSIX driver: its reads are made when
/// `poll` says so, into memory that may move between them).
#[cfg_attr(windows, allow(dead_code))]
impl Rules {
    /// Whether stdout is still open.
    pub(crate) fn stdout_open(&self) -> bool {
        self.stdout_open
    }

    /// Where the next read of stdout goes (never empty).
    pub(crate) fn stdout_room(&mut self) -> &mut [u8] {
        self.stdout.room(&mut self.scratch)
    }

    /// Event: `n` bytes (`n > 0`) were read from stdout into [`Rules::stdout_room`].
    pub(crate) fn stdout_read(&mut self, n: usize) {
        self.stdout.filled(n, &self.scratch);
        self.check_overflow();
    }

    /// Where the next read of the captured stderr goes.
    pub(crate) fn stderr_room(&mut self) -> &mut [u8] {
        self.scratch.get()
    }

    /// Event: `n` bytes (`n > 0`) were read from stderr into [`Rules::stderr_room`].
    pub(crate) fn stderr_read(&mut self, n: usize) {
        self.stderr.push(self.scratch.peek(n));
    }
}

/// Copying from the driver's buffers (the Windows driver: a buffer of an overlapped read must
/// stay put while the read is in flight).
#[cfg_attr(not(windows), allow(dead_code))]
impl Rules {
    /// Event: `data` was read from stdout (a driver with buffers of its own).
    pub(crate) fn stdout_data(&mut self, data: &[u8]) {
        self.stdout.push(data);
        self.check_overflow();
    }

    /// Event: `data` was read from the captured stderr.
    pub(crate) fn stderr_data(&mut self, data: &[u8]) {
        self.stderr.push(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn rules(start: Instant) -> Rules {
        Rules::new(start + 1000 * MS, 8, true)
    }

    fn read(r: &mut Rules, data: &[u8]) {
        let room = r.stdout_room();
        let n = data.len().min(room.len());
        room[..n].copy_from_slice(&data[..n]);
        r.stdout_read(n);
    }

    fn text(r: &mut Rules) -> String {
        match r.finish() {
            Ok(out) => String::from_utf8(out.stdout.to_vec()).unwrap(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn clean_exit_after_stdout_closed() {
        let t0 = Instant::now();
        let mut r = rules(t0);
        read(&mut r, b"{}");
        assert!(r.wants_stdout() && r.wants_exit());
        r.stdout_closed();
        assert_eq!(r.phase(), &Phase::Running);
        assert!(!r.wants_stdout() && r.wants_exit());
        r.exited(None, t0 + 5 * MS);
        assert_eq!(r.phase(), &Phase::Done(End::Ok));
        assert!(!r.wants_last_read());
        assert_eq!(text(&mut r), "{}");
    }

    #[test]
    fn clean_exit_with_stdout_open_drains_100ms_at_most() {
        let t0 = Instant::now();
        let mut r = rules(t0);
        r.exited(None, t0 + 10 * MS);
        assert_eq!(
            r.phase(),
            &Phase::Draining {
                until: t0 + 110 * MS
            }
        );
        assert!(r.wants_stdout() && !r.wants_exit());
        assert_eq!(r.until(), Some(t0 + 110 * MS));
        r.tick(t0 + 109 * MS);
        assert!(!r.is_done());
        r.tick(t0 + 110 * MS);
        assert_eq!(r.phase(), &Phase::Done(End::Ok));
        // What the helper wrote is still read then.
        assert!(r.wants_last_read() && !r.wants_stdout());
        read(&mut r, b"[]");
        assert_eq!(text(&mut r), "[]");
    }

    #[test]
    fn drain_never_passes_the_deadline() {
        let t0 = Instant::now();
        let mut r = rules(t0);
        r.exited(None, t0 + 950 * MS);
        assert_eq!(r.until(), Some(t0 + 1000 * MS));
    }

    #[test]
    fn stdout_closing_ends_the_drain() {
        let t0 = Instant::now();
        let mut r = rules(t0);
        r.exited(None, t0);
        r.stdout_closed();
        assert_eq!(r.phase(), &Phase::Done(End::Ok));
    }

    #[test]
    fn unclean_exit_fails_at_once_with_the_stderr_tail() {
        let t0 = Instant::now();
        let mut r = rules(t0);
        r.stderr_data(b"token expired\n");
        r.exited(Some("exit status 2".into()), t0);
        assert_eq!(r.phase(), &Phase::Done(End::Failed("exit status 2".into())));
        assert!(!End::Failed(String::new()).kills());
        assert_eq!(
            text(&mut r),
            "error: ProcessProviderExecutionError: error in credential_process\ncaused by: exit \
             status 2\nstderr: token expired"
        );
    }

    #[test]
    fn deadline_times_out_and_kills() {
        let t0 = Instant::now();
        let mut r = rules(t0);
        r.tick(t0 + 999 * MS);
        assert!(!r.is_done());
        r.tick(t0 + 1000 * MS);
        assert_eq!(r.phase(), &Phase::Done(End::Timeout));
        assert!(End::Timeout.kills());
        assert_eq!(r.until(), None);
        // Later events change nothing.
        r.exited(None, t0);
        r.cancel();
        assert_eq!(r.phase(), &Phase::Done(End::Timeout));
    }

    #[test]
    fn overflow_fails_at_once_unless_trailing_whitespace() {
        let t0 = Instant::now();
        let mut r = rules(t0);
        read(&mut r, b"12345678");
        read(&mut r, b" \n\t\r");
        assert_eq!(r.phase(), &Phase::Running);
        read(&mut r, b"  x");
        assert_eq!(r.phase(), &Phase::Done(End::Overflow));
        assert!(End::Overflow.kills());
        assert_eq!(
            text(&mut r),
            "error: ProcessProviderParseError: parse failed of credential_process output\ncaused \
             by: output exceeds MaxBufSize (8 bytes)"
        );
    }

    #[test]
    fn overflow_while_draining_and_at_the_last_read() {
        let t0 = Instant::now();
        let mut r = rules(t0);
        r.exited(None, t0);
        r.stdout_data(b"123456789");
        assert_eq!(r.phase(), &Phase::Done(End::Overflow));
        let mut r = rules(t0);
        r.exited(None, t0);
        r.tick(t0 + 100 * MS);
        r.stdout_data(b"123456789");
        assert_eq!(r.phase(), &Phase::Done(End::Overflow));
    }

    #[test]
    fn cancel_ends_a_run_without_the_stderr_tail() {
        let t0 = Instant::now();
        let mut r = rules(t0);
        r.stderr_data(b"note");
        r.cancel();
        assert_eq!(r.phase(), &Phase::Done(End::Cancelled));
        assert!(End::Cancelled.kills());
        assert_eq!(text(&mut r), format!("error: {}", cancelled()));
    }

    #[test]
    fn stderr_is_read_until_it_closes() {
        let t0 = Instant::now();
        let r = Rules::new(t0 + MS, 8, false);
        assert!(!r.wants_stderr());
        let mut r = rules(t0);
        assert!(r.wants_stderr());
        let room = r.stderr_room();
        room[..2].copy_from_slice(b"hi");
        r.stderr_read(2);
        r.stderr_closed();
        assert!(!r.wants_stderr());
        r.exited(Some("exit status 1".into()), t0);
        assert!(text(&mut r).ends_with("\nstderr: hi"));
    }
}

//! How a run ends, once for every platform: the driver's calls that feed the end to the rules
//! ([`Run::cancel`], [`Run::abandon`], and the look at the clock that closes each step) and the
//! order of what is done once the rules say the run is over. The platform's `Run` (`unix::run`,
//! `windows::run`) gives its [`Rules`] and four primitives:
//!
//! - `kill_tree()`: kills the helper's tree (D1);
//! - `read_last()`: reads what stdout holds now, without waiting;
//! - `stop_stdout()`: stops reading stdout (Windows cancels the read in flight; POSIX has
//!   nothing to stop);
//! - `read_stderr_last()`: reads what the captured stderr holds now, without waiting.
//!
//! [`Rules`]: super::rules::Rules

use std::time::Instant;

use super::rules::{End, Phase};
use super::sys::Run;
use super::RunOutput;
use crate::error::Error;

impl Run {
    /// Cancels the run: kills the helper's tree; the cancellation error.
    pub(crate) fn cancel(&mut self) -> Result<RunOutput, Error> {
        self.rules.cancel();
        self.conclude()
    }

    /// Ends the run because waiting failed (`what`): kills the helper's tree; the error.
    pub(crate) fn abandon(&mut self, what: String) -> Result<RunOutput, Error> {
        self.rules.broken(what);
        self.conclude()
    }

    /// The end of a step: the clock looked at (the deadline, the end of the drain); the result
    /// once the run is over.
    pub(super) fn tick(&mut self) -> Option<Result<RunOutput, Error>> {
        self.rules.tick(Instant::now());
        self.rules.is_done().then(|| self.conclude())
    }

    /// The end: the tree killed if the rules say so, what stdout still holds read after a clean
    /// exit (D2), the captured stderr's tail read unless the run was cancelled; the result.
    fn conclude(&mut self) -> Result<RunOutput, Error> {
        let Phase::Done(end) = self.rules.phase() else {
            return self.rules.finish();
        };
        let (cancelled, kills) = (*end == End::Cancelled, end.kills());
        if kills {
            self.kill_tree();
        }
        if self.rules.wants_last_read() {
            self.read_last();
        }
        self.stop_stdout();
        if !cancelled {
            self.read_stderr_last();
        }
        self.rules.finish()
    }
}

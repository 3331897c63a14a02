//! The reactor's wait on Windows: one `WaitForMultipleObjects` over the waker's event and the
//! jobs' handles, until the earliest of their time limits.
//!
//! One wait takes at most 64 handles (`MAXIMUM_WAIT_OBJECTS`): the waker and up to
//! [`PER_WAIT`] handles of the jobs. A run waits on at most three (stdout, the captured stderr,
//! the process), so up to 21 runs fit in one wait. With more, each wait takes the next
//! [`PER_WAIT`] handles in turn (the first job's taken last time is the first this time), and
//! lasts at most [`ROTATE`]: every job is looked at within `ROTATE` times the number of turns.
//! After any wait, every job that waits on handles is advanced (a run looks at all its pipes and
//! its process at each step without waiting, whichever handle was signalled), and every job
//! whose time limit has come.

use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::System::Threading::{Sleep, WaitForMultipleObjects};

use super::Entry;
use crate::runner::{Ready, Waker};

/// The jobs' handles in one wait (the waker's event takes the 64th place).
const PER_WAIT: usize = 63;
/// The longest wait while some jobs' handles are left out of it.
const ROTATE: Duration = Duration::from_millis(10);

/// The buffers of the wait and where the next turn starts.
#[derive(Default)]
pub(super) struct Waits {
    handles: Vec<HANDLE>,
    all: Vec<HANDLE>,
    untils: Vec<Option<Instant>>,
    waits_on_handles: Vec<bool>,
    next: usize,
}

impl Waits {
    /// Waits for the waker, a job's handle, or the earliest time limit; then says, per job,
    /// with what it is to be advanced (`None`: not now).
    pub(super) fn wait(&mut self, jobs: &[Entry], waker: &Waker) -> Vec<Option<Ready>> {
        self.all.clear();
        self.untils.clear();
        self.waits_on_handles.clear();
        let mut until: Option<Instant> = None;
        for e in jobs {
            let interest = e.job.interest();
            let mut any = false;
            for h in interest.waits.iter().flatten() {
                self.all.push(*h);
                any = true;
            }
            self.waits_on_handles.push(any);
            until = match (until, interest.until) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.untils.push(interest.until);
        }
        self.handles.clear();
        self.handles.push(waker.raw());
        let mut wait_ms = until.map_or(u32::MAX - 1, millis_until);
        if self.all.len() <= PER_WAIT {
            self.handles.extend_from_slice(&self.all);
            self.next = 0;
        } else {
            let start = self.next % self.all.len();
            self.handles
                .extend(self.all.iter().cycle().skip(start).take(PER_WAIT));
            self.next = start + PER_WAIT;
            wait_ms = wait_ms.min(ROTATE.as_millis() as u32);
        }
        // SAFETY: every handle is valid for the length of the wait (the jobs own theirs and are
        // not changed meanwhile; the waker is the reactor's).
        let r = unsafe {
            WaitForMultipleObjects(self.handles.len() as u32, self.handles.as_ptr(), 0, wait_ms)
        };
        if r == windows_sys::Win32::Foundation::WAIT_FAILED {
            // Should not happen (the handles are valid); do not spin.
            // SAFETY: no preconditions.
            unsafe { Sleep(1) };
        }
        let now = Instant::now();
        self.untils
            .iter()
            .zip(&self.waits_on_handles)
            .map(|(u, &handles)| (handles || u.is_some_and(|u| u <= now)).then_some(Ready::NONE))
            .collect()
    }
}

/// Milliseconds until `deadline`, rounded up; INFINITE (`u32::MAX`) avoided.
fn millis_until(deadline: Instant) -> u32 {
    let left = deadline.saturating_duration_since(Instant::now());
    left.as_nanos()
        .div_ceil(1_000_000)
        .min(u128::from(u32::MAX - 1)) as u32
}

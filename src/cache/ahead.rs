//! Refresh ahead (SEMANTICS.md, "Refresh ahead"): the background refresh's thread, its cancellation and its back-off.
//!
//! A background refresh runs on a thread of its own, started for it and ending with it (no
//! thread lives while no refresh runs). The cache keeps at most one per provider. When the
//! provider is freed, the running refresh is cancelled (its helper is killed with its tree) and
//! its thread joined if it ends within [`STOP_WAIT`], else left to end on its own (it owns what it
//! uses). A child forked during a refresh has no such thread: it neither cancels nor joins the
//! parent's.

use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::flight::Flight;
use crate::runner::Cancel;
use crate::time::UnixTime;

/// The first back-off after a failed background refresh; it doubles with each failure.
pub(super) const BACKOFF_FIRST: Duration = Duration::from_secs(1);
/// The longest back-off.
pub(super) const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// How long freeing the provider waits for a cancelled refresh's thread to end.
const STOP_WAIT: Duration = Duration::from_millis(40);

/// What the provider gives the cache to start a background refresh; it runs on the refresh
/// thread and lands its result with [`super::Cache::run_ahead`].
pub type AheadJob = Box<dyn FnOnce(AheadRun) + Send + 'static>;

/// A background refresh in progress, handed to its job on the refresh thread.
pub struct AheadRun {
    pub(super) flight: Arc<Flight>,
    cancel: Arc<Cancel>,
    done: Arc<Done>,
}

impl AheadRun {
    /// Cancelled when the provider is freed.
    pub fn cancel(&self) -> &Cancel {
        &self.cancel
    }
}

impl Drop for AheadRun {
    fn drop(&mut self) {
        self.done.set();
    }
}

#[derive(Default)]
struct Done {
    flag: Mutex<bool>,
    cv: Condvar,
}

impl Done {
    fn set(&self) {
        *self.flag.lock() = true;
        self.cv.notify_all();
    }

    fn is_set(&self) -> bool {
        *self.flag.lock()
    }

    fn wait(&self, bound: Duration) -> bool {
        let deadline = Instant::now() + bound;
        let mut flag = self.flag.lock();
        while !*flag {
            if self.cv.wait_until(&mut flag, deadline).timed_out() {
                break;
            }
        }
        *flag
    }
}

/// A background refresh about to start: made under the cache's lock, its thread started
/// outside it, so that no retrieve ever waits for a thread to be created.
pub(super) struct Starting {
    previous: Option<Worker>,
    weak: Weak<Cancel>,
    run: AheadRun,
    done: Arc<Done>,
}

impl Starting {
    /// Starts `job` on a new thread; `Err` gives back the flight when no thread can be started.
    pub(super) fn spawn(self, job: AheadJob) -> Result<Worker, Arc<Flight>> {
        if let Some(old) = self.previous {
            old.release();
        }
        let flight = self.run.flight.clone();
        let run = self.run;
        match std::thread::Builder::new()
            .name("pc-refresh".into())
            .spawn(move || job(run))
        {
            Ok(handle) => Ok(Worker {
                owner: std::process::id(),
                cancel: self.weak,
                done: self.done,
                handle,
            }),
            Err(_) => Err(flight),
        }
    }
}

/// The thread of a background refresh.
pub(super) struct Worker {
    owner: u32,
    /// Held by the run only, so that its resources go when it ends.
    cancel: Weak<Cancel>,
    done: Arc<Done>,
    handle: JoinHandle<()>,
}

impl Worker {
    /// Forgets a finished worker (joined) or one of the parent process (never touched).
    fn release(self) {
        if self.owner != std::process::id() {
            // Inherited through fork(): the thread does not exist here.
            std::mem::forget(self.handle);
        } else if self.done.is_set() {
            let _ = self.handle.join();
        }
        // Otherwise still running: dropping the handle detaches it.
    }

    /// Cancels the refresh and waits a little for its thread to end.
    fn stop(self) {
        if self.owner != std::process::id() {
            std::mem::forget(self.handle);
            return;
        }
        if let Some(c) = self.cancel.upgrade() {
            c.cancel();
        }
        if self.done.wait(STOP_WAIT) {
            let _ = self.handle.join();
        }
    }
}

/// The background refresh state of one cache (kept under its lock).
#[derive(Default)]
pub(super) struct Ahead {
    /// Consecutive failed background refreshes.
    failures: u32,
    /// No background refresh starts before this (the back-off); `None`: any time.
    pub(super) not_before: Option<UnixTime>,
    worker: Option<Worker>,
    /// Set when the provider is freed: nothing starts any more.
    closed: bool,
}

impl Ahead {
    /// Whether the provider was freed.
    pub(super) fn closed(&self) -> bool {
        self.closed
    }

    /// Consecutive failed background refreshes.
    pub(super) fn failures(&self) -> u32 {
        self.failures
    }

    pub(super) fn may_start(&self, now: UnixTime) -> bool {
        !self.closed && self.not_before.is_none_or(|t| t <= now)
    }

    /// Prepares the start of a background refresh for `flight` (under the cache's lock): the
    /// previous worker is taken out, to be released with the thread started by
    /// [`Starting::spawn`], which runs outside the lock.
    pub(super) fn prepare(&mut self, flight: Arc<Flight>) -> Starting {
        let cancel = Arc::new(Cancel::new());
        let done = Arc::new(Done::default());
        Starting {
            previous: self.worker.take(),
            weak: Arc::downgrade(&cancel),
            run: AheadRun {
                flight,
                cancel,
                done: done.clone(),
            },
            done,
        }
    }

    /// Keeps the worker started by [`Starting::spawn`] (under the cache's lock again).
    pub(super) fn install(&mut self, worker: Worker) {
        if let Some(old) = self.worker.replace(worker) {
            old.release();
        }
    }

    /// Records the end of a background refresh at `now`: the next one starts no sooner than
    /// the back-off (1 s after a success, so that credentials landing inside their own window
    /// are not refreshed in a loop; after failures 1 s, doubling, at most 1 min, and never
    /// later than `expires_at`, from which on retrieves refresh in the foreground).
    pub(super) fn finished(&mut self, ok: bool, now: UnixTime, expires_at: Option<UnixTime>) {
        let delay = if ok {
            self.failures = 0;
            BACKOFF_FIRST
        } else {
            let d = BACKOFF_FIRST
                .saturating_mul(1u32 << self.failures.min(6))
                .min(BACKOFF_MAX);
            self.failures = self.failures.saturating_add(1);
            d
        };
        let next = now.plus(delay);
        self.not_before = Some(match expires_at {
            Some(e) if e < next && !ok => e,
            _ => next,
        });
    }

    /// Forgets the back-off (a foreground refresh landed, or the cache was cleared).
    pub(super) fn reset(&mut self) {
        self.failures = 0;
        self.not_before = None;
    }

    /// Closes: nothing starts any more; the running refresh, if any, is returned to be stopped
    /// (outside the cache's lock).
    pub(super) fn close(&mut self) -> Option<impl FnOnce()> {
        self.closed = true;
        self.worker.take().map(|w| move || w.stop())
    }
}

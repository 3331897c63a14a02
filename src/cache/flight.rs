//! One run of the helper that every concurrent caller waits for (single flight): blocking
//! callers wait on it, asynchronous requests listen to it, and both count as interested.
//!
//! Who drives the run ([`Driver`]): a blocking caller that started the flight runs it on its own
//! thread (it always waits, so it is never cancelled); a background refresh runs on its thread
//! until it ends or the provider is freed; a flight started by an asynchronous request runs on
//! the reactor, and is abandoned when its last interested caller leaves (every listener
//! cancelled, no blocking caller waiting): its job is cancelled (the helper's tree killed, the
//! shared cache's lock let go) and the next retrieve starts a new flight.

use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use crate::credentials::Credentials;
use crate::error::Error;
use crate::reactor::JobCtl;

/// The result every caller of a flight gets.
pub type Outcome = Result<Arc<Credentials>, Error>;

/// An asynchronous caller of a flight: told the result once (from the thread that lands it).
pub trait Listener: Send + Sync {
    /// The flight's result, or its cancellation (the provider was freed). Must not block.
    fn complete(&self, result: Outcome);
}

/// Who runs a flight's helper.
pub(super) enum Driver {
    /// The blocking caller that started it.
    Caller,
    /// A background refresh (refresh ahead).
    Ahead,
    /// A job of the reactor, cancelled through this when the flight is abandoned.
    Reactor(JobCtl),
}

struct Inner {
    result: Option<Outcome>,
    listeners: Vec<Arc<dyn Listener>>,
    /// Blocking callers waiting, plus listeners.
    interested: usize,
    /// The flight lost its last interested caller before its end: nobody gets its result.
    abandoned: bool,
}

pub(super) struct Flight {
    /// The process running the helper: a child forked during the run inherits this flight but
    /// not the thread that would complete it.
    pub(super) owner: u32,
    driver: Driver,
    inner: Mutex<Inner>,
    done: Condvar,
}

impl Flight {
    pub(super) fn new(driver: Driver) -> Flight {
        Flight {
            owner: std::process::id(),
            driver,
            inner: Mutex::new(Inner {
                result: None,
                listeners: Vec::new(),
                interested: 0,
                abandoned: false,
            }),
            done: Condvar::new(),
        }
    }

    /// Whether this process runs the flight (false in a child forked during it) and it was not
    /// abandoned.
    pub(super) fn live(&self) -> bool {
        self.owner == std::process::id() && !self.inner.lock().abandoned
    }

    /// The control of the reactor's job, for a flight it drives.
    pub(super) fn job(&self) -> Option<&JobCtl> {
        match &self.driver {
            Driver::Reactor(ctl) => Some(ctl),
            Driver::Caller | Driver::Ahead => None,
        }
    }

    /// Waits for the result as an interested caller; `None` (at once) when the flight was
    /// abandoned meanwhile: the caller starts a new one.
    pub(super) fn wait(&self) -> Option<Outcome> {
        let mut inner = self.inner.lock();
        if inner.abandoned {
            return None;
        }
        inner.interested += 1;
        loop {
            if let Some(r) = inner.result.as_ref() {
                let r = r.clone();
                inner.interested -= 1;
                return Some(r);
            }
            self.done.wait(&mut inner);
        }
    }

    /// Adds `l` as an interested listener; false when the flight was abandoned (the caller
    /// starts a new one) or is over (the caller looks at the cache again).
    pub(super) fn listen(&self, l: Arc<dyn Listener>) -> bool {
        let mut inner = self.inner.lock();
        if inner.abandoned || inner.result.is_some() {
            return false;
        }
        inner.interested += 1;
        inner.listeners.push(l);
        true
    }

    /// Removes the listener `l` (a cancelled request). When it was the last interested caller of
    /// a flight the reactor drives, the flight is abandoned: the job to cancel is returned (the
    /// caller cancels it, outside any lock).
    pub(crate) fn leave(&self, l: &Arc<dyn Listener>) -> Option<JobCtl> {
        let mut inner = self.inner.lock();
        let i = inner
            .listeners
            .iter()
            .position(|x| std::ptr::addr_eq(Arc::as_ptr(x), Arc::as_ptr(l)))?;
        inner.listeners.swap_remove(i);
        inner.interested -= 1;
        if inner.interested > 0 || inner.result.is_some() {
            return None;
        }
        let ctl = self.job()?.clone();
        inner.abandoned = true;
        Some(ctl)
    }

    /// Takes every listener out (the provider is being freed: each is told it was cancelled);
    /// a flight the reactor drives is abandoned if nobody else waits, its job returned to be
    /// cancelled.
    pub(super) fn drop_listeners(&self) -> (Vec<Arc<dyn Listener>>, Option<JobCtl>) {
        let mut inner = self.inner.lock();
        let listeners = std::mem::take(&mut inner.listeners);
        inner.interested -= listeners.len();
        let mut cancel = None;
        if inner.interested == 0 && inner.result.is_none() {
            if let Some(ctl) = self.job() {
                inner.abandoned = true;
                cancel = Some(ctl.clone());
            }
        }
        (listeners, cancel)
    }

    /// Ends the flight: every blocking caller wakes with `result`, and every listener is told.
    pub(super) fn complete(&self, result: Outcome) {
        let listeners = {
            let mut inner = self.inner.lock();
            inner.result = Some(result.clone());
            std::mem::take(&mut inner.listeners)
        };
        self.done.notify_all();
        for l in listeners {
            l.complete(result.clone());
        }
    }
}

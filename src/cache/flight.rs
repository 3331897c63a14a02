//! One run of the helper that every concurrent caller waits for (single flight).

use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use crate::credentials::Credentials;
use crate::error::Error;

pub(super) struct Flight {
    /// The process running the helper: a child forked during the run inherits this flight but
    /// not the thread that would complete it.
    pub(super) owner: u32,
    result: Mutex<Option<Result<Arc<Credentials>, Error>>>,
    done: Condvar,
}

impl Flight {
    pub(super) fn new() -> Flight {
        Flight {
            owner: std::process::id(),
            result: Mutex::new(None),
            done: Condvar::new(),
        }
    }

    /// Whether this process runs the flight (false in a child forked during it).
    pub(super) fn ours(&self) -> bool {
        self.owner == std::process::id()
    }

    pub(super) fn wait(&self) -> Result<Arc<Credentials>, Error> {
        let mut r = self.result.lock();
        loop {
            if let Some(r) = r.as_ref() {
                return r.clone();
            }
            self.done.wait(&mut r);
        }
    }

    pub(super) fn complete(&self, result: Result<Arc<Credentials>, Error>) {
        *self.result.lock() = Some(result);
        self.done.notify_all();
    }
}

//! The shared cache's fetch as steps: look, lock (without waiting), look again, run, write.
//!
//! [`Fetch::step`] never waits: when another process holds the key's lock it says when to come
//! back ([`Step::Wait`]), and when the helper is to run it says so ([`Step::Run`]) and the
//! caller runs it and hands the result to [`Fetch::ran`] (which writes the entry and lets the
//! lock go). The blocking fetch (`super::fetch`) loops over these steps, sleeping through the
//! waits and running the helper itself; a reactor drives the same steps with a timer and a run
//! it drives. A fetch dropped at any point (a cancelled request) lets its lock go and writes
//! nothing.

use std::time::{Duration, Instant};

use super::{entry, is_expired, look, open_dir, remaining, sys, worth_writing, Look, Request};
use super::{Fingerprint, Key, Warning, POLL_MAX};
use crate::credentials::Credentials;
use crate::error::{Error, Result};

/// What the caller of [`Fetch::step`] does next.
pub(crate) enum Step {
    /// Run the helper with this timeout (what is left of the caller's), then call
    /// [`Fetch::ran`].
    Run(Duration),
    /// Another process holds the lock: call [`Fetch::step`] again at this moment.
    Wait(Instant),
    /// The fetch is over: credentials from an entry, or the error (the timeout ran out while
    /// waiting for the lock).
    Done(Result<Credentials>),
}

/// A request's fields that the steps keep (owned: a fetch may outlive its caller's frame).
struct Wanted {
    key: Key,
    timeout: Duration,
    expiry_window: Duration,
    ahead: Duration,
    reject: Option<Fingerprint>,
}

impl Wanted {
    fn serves(&self, c: &Credentials) -> bool {
        Request {
            key: &self.key,
            timeout: self.timeout,
            expiry_window: self.expiry_window,
            ahead: self.ahead,
            reject: self.reject,
            cancelled: &|| false,
        }
        .serves(c)
    }
}

enum State {
    /// Nothing done yet.
    Start,
    /// Waiting for another process's lock.
    Waiting(sys::Dir),
    /// The helper runs (under the key's lock when there is one; `replaceable`: its result may
    /// replace the entry).
    Running {
        held: Option<(sys::Dir, sys::Lock, bool)>,
    },
    /// Over.
    Done,
}

/// One fetch through the shared cache (see the module docs).
pub(crate) struct Fetch {
    wanted: Wanted,
    /// The caller's timeout counts from the start: waiting for the lock uses it up.
    deadline: Option<Instant>,
    /// The next wait for the lock (1 ms, doubling, at most [`POLL_MAX`]).
    pause: Duration,
    state: State,
}

impl Fetch {
    /// A fetch for `req` (its `cancelled` is the caller's to look at between steps).
    pub(crate) fn new(req: &Request<'_>) -> Fetch {
        Fetch {
            wanted: Wanted {
                key: req.key.clone(),
                timeout: req.timeout,
                expiry_window: req.expiry_window,
                ahead: req.ahead,
                reject: req.reject,
            },
            deadline: Instant::now().checked_add(req.timeout),
            pause: Duration::from_millis(1),
            state: State::Start,
        }
    }

    /// The next step: at the start, or when the wait a [`Step::Wait`] gave is over.
    pub(crate) fn step(&mut self, warn: &mut dyn FnMut(Warning)) -> Step {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Start => {
                let Some(dir) = open_dir(warn) else {
                    return self.run_unlocked(self.wanted.timeout);
                };
                match look(&dir, &self.wanted.key) {
                    Look::Hit(c) if self.wanted.serves(&c) => Step::Done(Ok(c)),
                    Look::Untrusted(w) => {
                        warn(w);
                        self.run_unlocked(self.wanted.timeout)
                    }
                    _ => self.try_lock(dir, warn),
                }
            }
            State::Waiting(dir) => self.try_lock(dir, warn),
            State::Running { .. } | State::Done => Step::Done(Err(Error::internal(
                "shared cache: a fetch was stepped out of turn",
            ))),
        }
    }

    /// The helper's result: written for the other processes when the key's lock is held and it
    /// is worth writing; the lock goes.
    pub(crate) fn ran(
        &mut self,
        result: Result<Credentials>,
        warn: &mut dyn FnMut(Warning),
    ) -> Result<Credentials> {
        if let State::Running {
            held: Some((dir, lock, replaceable)),
        } = std::mem::replace(&mut self.state, State::Done)
        {
            if let Ok(c) = &result {
                if replaceable && worth_writing(c) {
                    match dir.write(&self.wanted.key, &entry::encode(&self.wanted.key, c)) {
                        Ok(()) => dir.sweep(&self.wanted.key),
                        Err(w) => warn(w),
                    }
                }
            }
            drop(lock);
        }
        result
    }

    /// The helper runs without the lock (the cache is bypassed).
    fn run_unlocked(&mut self, timeout: Duration) -> Step {
        self.state = State::Running { held: None };
        Step::Run(timeout)
    }

    /// Single flight: the key's lock, or an entry written meanwhile, or a wait.
    fn try_lock(&mut self, dir: sys::Dir, warn: &mut dyn FnMut(Warning)) -> Step {
        let key = &self.wanted.key;
        match dir.try_lock(key) {
            Ok(Some(lock)) => return self.locked(dir, lock, warn),
            Ok(None) => {}
            Err(w) => {
                warn(w);
                return self.run_unlocked(remaining(self.deadline));
            }
        }
        if let Look::Hit(c) = look(&dir, key) {
            if self.wanted.serves(&c) {
                return Step::Done(Ok(c));
            }
        }
        let left = remaining(self.deadline);
        if left.is_zero() {
            return Step::Done(Err(Error::timeout()));
        }
        let wait = self.pause.min(left);
        self.pause = (self.pause * 2).min(POLL_MAX);
        self.state = State::Waiting(dir);
        Step::Wait(Instant::now() + wait)
    }

    /// Locked: another process may have written the entry just before we got the lock.
    fn locked(&mut self, dir: sys::Dir, lock: sys::Lock, warn: &mut dyn FnMut(Warning)) -> Step {
        let replaceable = match look(&dir, &self.wanted.key) {
            Look::Hit(c) if self.wanted.serves(&c) => return Step::Done(Ok(c)),
            Look::Hit(c) => {
                if is_expired(&c) {
                    // Expired for everyone: it goes now, whatever the run gives.
                    dir.remove_entry(&self.wanted.key, &lock);
                }
                true
            }
            Look::Untrusted(w) => {
                warn(w);
                false
            }
            Look::Miss => true,
        };
        self.state = State::Running {
            held: Some((dir, lock, replaceable)),
        };
        Step::Run(remaining(self.deadline))
    }
}

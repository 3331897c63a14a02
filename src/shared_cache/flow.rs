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

use super::{entry, is_expired, look, open_dir, remaining, served, sys, worth_writing, Look};
use super::{Fingerprint, Key, Note, Request, WaitOutcome, POLL_MAX};
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
    /// Since when this fetch waits for another's lock (told in [`Note::LockWait`]).
    waiting: Option<Instant>,
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
            waiting: None,
            state: State::Start,
        }
    }

    /// The next step: at the start, or when the wait a [`Step::Wait`] gave is over.
    pub(crate) fn step(&mut self, note: &mut dyn FnMut(Note<'_>)) -> Step {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Start => {
                let Some(dir) = open_dir(note) else {
                    return self.run_unlocked(self.wanted.timeout);
                };
                match look(&dir, &self.wanted.key) {
                    Look::Hit(c) if self.wanted.serves(&c) => {
                        Step::Done(Ok(served(&dir, &self.wanted.key, c, note)))
                    }
                    Look::Untrusted(w) => {
                        note(Note::Bypass(w));
                        self.run_unlocked(self.wanted.timeout)
                    }
                    _ => self.try_lock(dir, note),
                }
            }
            State::Waiting(dir) => self.try_lock(dir, note),
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
        note: &mut dyn FnMut(Note<'_>),
    ) -> Result<Credentials> {
        if let State::Running {
            held: Some((dir, lock, replaceable)),
        } = std::mem::replace(&mut self.state, State::Done)
        {
            if let Ok(c) = &result {
                if replaceable && worth_writing(c) {
                    match dir.write(&self.wanted.key, &entry::encode(&self.wanted.key, c)) {
                        Ok(()) => {
                            note(Note::Written {
                                path: &dir.entry_path(&self.wanted.key),
                            });
                            dir.sweep(&self.wanted.key);
                        }
                        Err(w) => note(Note::Bypass(w)),
                    }
                }
            }
            drop(lock);
        }
        result
    }

    /// The caller gave up while waiting for the lock (its request was cancelled): the wait is
    /// told to `note`, and the error to return is given.
    pub(crate) fn cancelled(&mut self, note: &mut dyn FnMut(Note<'_>)) -> Error {
        if let State::Waiting(dir) = std::mem::replace(&mut self.state, State::Done) {
            self.waited(&dir, WaitOutcome::Cancelled, note);
        }
        Error::internal(crate::runner::CANCELLED)
    }

    /// Tells `note` how a wait for the lock ended, if this fetch waited.
    fn waited(&mut self, dir: &sys::Dir, outcome: WaitOutcome, note: &mut dyn FnMut(Note<'_>)) {
        if let Some(since) = self.waiting.take() {
            note(Note::LockWait {
                path: &dir.lock_path(&self.wanted.key),
                waited: since.elapsed(),
                outcome,
            });
        }
    }

    /// The helper runs without the lock (the cache is bypassed).
    fn run_unlocked(&mut self, timeout: Duration) -> Step {
        self.state = State::Running { held: None };
        Step::Run(timeout)
    }

    /// Single flight: the key's lock, or an entry written meanwhile, or a wait.
    fn try_lock(&mut self, dir: sys::Dir, note: &mut dyn FnMut(Note<'_>)) -> Step {
        match dir.try_lock(&self.wanted.key) {
            Ok(Some(lock)) => {
                self.waited(&dir, WaitOutcome::Locked, note);
                return self.locked(dir, lock, note);
            }
            Ok(None) => {}
            Err(w) => {
                note(Note::Bypass(w));
                return self.run_unlocked(remaining(self.deadline));
            }
        }
        self.waiting.get_or_insert_with(Instant::now);
        if let Look::Hit(c) = look(&dir, &self.wanted.key) {
            if self.wanted.serves(&c) {
                self.waited(&dir, WaitOutcome::Entry, note);
                return Step::Done(Ok(served(&dir, &self.wanted.key, c, note)));
            }
        }
        let left = remaining(self.deadline);
        if left.is_zero() {
            self.waited(&dir, WaitOutcome::Timeout, note);
            return Step::Done(Err(Error::timeout()));
        }
        let wait = self.pause.min(left);
        self.pause = (self.pause * 2).min(POLL_MAX);
        self.state = State::Waiting(dir);
        Step::Wait(Instant::now() + wait)
    }

    /// Locked: another process may have written the entry just before we got the lock.
    fn locked(&mut self, dir: sys::Dir, lock: sys::Lock, note: &mut dyn FnMut(Note<'_>)) -> Step {
        let replaceable = match look(&dir, &self.wanted.key) {
            Look::Hit(c) if self.wanted.serves(&c) => {
                return Step::Done(Ok(served(&dir, &self.wanted.key, c, note)))
            }
            Look::Hit(c) => {
                if is_expired(&c) {
                    // Expired for everyone: it goes now, whatever the run gives.
                    dir.remove_entry(&self.wanted.key, &lock);
                }
                true
            }
            Look::Untrusted(w) => {
                note(Note::Bypass(w));
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

//! The library's two threads for asynchronous work, whatever the number of pending requests:
//!
//! - `pc-async` (this module): one reactor thread that drives every [`Job`] (a helper's run
//!   through the runner's state machine, the shared cache's steps, their timers). A job never
//!   blocks: it says what it waits for ([`Job::interest`]: descriptors or handles, and a time
//!   limit), and the reactor advances it when one of them is ready or the time has come
//!   ([`Job::advance`]). Waiting is done here for all jobs at once (`unix`: one `poll`;
//!   `windows`: one `WaitForMultipleObjects` over at most 64 handles, see there). A job is
//!   cancelled through its [`JobCtl`] from any thread: the reactor wakes at once and ends it
//!   ([`Job::cancel`]: the helper's tree is killed, the shared cache's lock let go).
//! - `pc-callback` ([`callbacks`]): runs the callbacks of requests one at a time, in the order
//!   they were queued, so that a callback that blocks (it may call the blocking retrieve, or free
//!   its provider) never stalls the reactor.
//!
//! Both threads start on the first use and end as soon as they are idle (nothing to drive,
//! nothing queued), closing their descriptors, so a program done with its requests has no thread
//! and no descriptor of this module left. Signals are blocked in both (the host's handlers run
//! on its own threads). After a `fork`, the child starts with neither (the parent's jobs and
//! callbacks are not its own).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::Error;
use crate::runner::{Interest, Ready, WaitObject, Waker};

pub(crate) mod callbacks;
mod thread;
#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as sys;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as sys;

/// Asynchronous work the reactor drives. No method may block: what takes a moment is bounded
/// (see `runner::drive`).
pub(crate) trait Job: Send {
    /// What the job waits for now: its descriptors or handles and the time by which it is to be
    /// advanced even if none is ready.
    fn interest(&self) -> Interest<WaitObject<'_>>;
    /// Advances the job with what became ready ([`Ready::NONE`] at the start and when its time
    /// came); true once it is over (it has delivered its result).
    fn advance(&mut self, ready: Ready) -> bool;
    /// Ends the job now: cancelled (`failure` `None`), or failed with that error (a panic of
    /// one of its methods, no thread to run it). It delivers its end itself.
    fn cancel(&mut self, failure: Option<Error>);
}

/// Cancels a job from any thread (shared by whoever may cancel it and the reactor).
#[derive(Clone, Default)]
pub(crate) struct JobCtl(Arc<AtomicBool>);

impl JobCtl {
    pub(crate) fn new() -> JobCtl {
        JobCtl::default()
    }

    /// Asks the reactor to end the job; it does at its next look, at once (it is woken).
    pub(crate) fn cancel(&self) {
        if !self.0.swap(true, Ordering::SeqCst) {
            reactor().wake();
        }
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A job and its control, on its way to or in the reactor.
struct Entry {
    job: Box<dyn Job>,
    ctl: JobCtl,
    /// Advanced once already (a new job is advanced at once, with nothing ready).
    started: bool,
}

#[derive(Default)]
struct Inbox {
    jobs: Vec<Entry>,
    /// Set while the thread runs or is being started: wakes it.
    waker: Option<Arc<Waker>>,
    /// The last thread started: joined before the next one starts, so that one ending never
    /// runs beside its replacement.
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Reactor {
    /// The process this reactor belongs to.
    owner: u32,
    inbox: Mutex<Inbox>,
}

static REACTOR: AtomicPtr<Reactor> = AtomicPtr::new(std::ptr::null_mut());

/// This process's reactor (a new one after a fork; the parent's is left alone).
fn reactor() -> &'static Reactor {
    thread::per_process(&REACTOR, |owner| Reactor {
        owner,
        inbox: Mutex::new(Inbox::default()),
    })
}

impl thread::Owned for Reactor {
    fn owner(&self) -> u32 {
        self.owner
    }
}

impl Reactor {
    fn wake(&self) {
        if let Some(w) = &self.inbox.lock().waker {
            w.wake();
        }
    }
}

/// Hands `job` to the reactor, starting its thread if it is not running. When the system refuses
/// the thread or the descriptor that wakes it, the jobs waiting for it end at once with that
/// failure (each delivers it).
pub(crate) fn submit(job: Box<dyn Job>, ctl: JobCtl) {
    let r = reactor();
    let mut inbox = r.inbox.lock();
    inbox.jobs.push(Entry {
        job,
        ctl,
        started: false,
    });
    if let Some(w) = &inbox.waker {
        w.wake();
        return;
    }
    let Some(waker) = Waker::new().map(Arc::new) else {
        let jobs = std::mem::take(&mut inbox.jobs);
        drop(inbox);
        return fail(
            jobs,
            "cannot make the descriptor that wakes the library's thread",
        );
    };
    // This caller starts the thread; jobs submitted meanwhile wait for it (the waker is set).
    inbox.waker = Some(waker.clone());
    let ended = inbox.thread.take();
    drop(inbox);
    thread::join_ended(ended);
    let started = thread::spawn_quiet("pc-async", move || run(r, waker));
    let mut inbox = r.inbox.lock();
    match started {
        Ok(h) => inbox.thread = Some(h),
        Err(_) => {
            inbox.waker = None;
            let jobs = std::mem::take(&mut inbox.jobs);
            drop(inbox);
            fail(
                jobs,
                "cannot start the library's thread for asynchronous retrieves",
            );
        }
    }
}

/// Ends jobs that no thread will drive (outside the inbox's lock: they deliver their end).
fn fail(jobs: Vec<Entry>, why: &str) {
    for mut e in jobs {
        cancel(&mut e, Some(Error::internal(why)));
    }
}

/// The reactor's thread: takes new jobs, ends the cancelled ones, advances the new ones, waits
/// for all, advances those whose wait is over; ends when it has no job left.
fn run(r: &'static Reactor, waker: Arc<Waker>) {
    let mut jobs: Vec<Entry> = Vec::new();
    let mut waits = sys::Waits::default();
    loop {
        {
            let mut inbox = r.inbox.lock();
            waker.clear();
            jobs.append(&mut inbox.jobs);
            if jobs.is_empty() {
                // Ends here, under the lock: a job submitted from now on starts a new thread.
                inbox.waker = None;
                return;
            }
        }
        jobs.retain_mut(|e| {
            if e.ctl.is_cancelled() {
                cancel(e, None);
                return false;
            }
            if !e.started {
                e.started = true;
                return !advance(e, Ready::NONE);
            }
            true
        });
        if jobs.is_empty() {
            continue;
        }
        let due = waits.wait(&jobs, &waker);
        let mut i = 0;
        jobs.retain_mut(|e| {
            let ready = due.get(i).copied().flatten();
            i += 1;
            match ready {
                Some(ready) if !e.ctl.is_cancelled() => !advance(e, ready),
                _ => true,
            }
        });
    }
}

/// Advances a job, a panic ending it; true when it is over.
fn advance(e: &mut Entry, ready: Ready) -> bool {
    match catch_unwind(AssertUnwindSafe(|| e.job.advance(ready))) {
        Ok(done) => done,
        Err(_) => {
            cancel(e, Some(panicked()));
            true
        }
    }
}

fn cancel(e: &mut Entry, failure: Option<Error>) {
    let _ = catch_unwind(AssertUnwindSafe(|| e.job.cancel(failure)));
}

fn panicked() -> Error {
    Error::internal("internal error while retrieving credentials")
}

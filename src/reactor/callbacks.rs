//! The `pc-callback` thread: runs queued calls one at a time, first queued first run.
//!
//! A call may block (a callback may call the blocking retrieve, or free its provider, which
//! queues more calls): it delays the calls queued after it, never the reactor. The thread starts
//! when a call is queued and none runs, and ends when the queue is empty. A panicking call is
//! caught; the next one runs.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicPtr;

use parking_lot::Mutex;

use super::thread;

/// A queued call.
pub(crate) type Call = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Inner {
    calls: VecDeque<Call>,
    /// A thread runs, or is being started (it empties the queue before it ends).
    running: bool,
    /// The last thread started: joined before the next one starts, so that one ending never
    /// runs beside its replacement.
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Queue {
    owner: u32,
    inner: Mutex<Inner>,
}

impl thread::Owned for Queue {
    fn owner(&self) -> u32 {
        self.owner
    }
}

static QUEUE: AtomicPtr<Queue> = AtomicPtr::new(std::ptr::null_mut());

fn queue() -> &'static Queue {
    thread::per_process(&QUEUE, |owner| Queue {
        owner,
        inner: Mutex::new(Inner::default()),
    })
}

/// How many times starting the thread is tried before the calls run on the caller's thread.
const SPAWN_TRIES: usize = 3;

/// Queues `call` to run on the `pc-callback` thread, never on the caller's, unless the system
/// refuses to start a thread (after a few tries): then the queue is run here, as a last resort.
pub(crate) fn run_later(call: Call) {
    let q = queue();
    let mut inner = q.inner.lock();
    inner.calls.push_back(call);
    if inner.running {
        return;
    }
    // This caller starts the thread; the calls queued meanwhile wait for it.
    inner.running = true;
    let ended = inner.thread.take();
    drop(inner);
    thread::join_ended(ended);
    for _ in 0..SPAWN_TRIES {
        if let Ok(h) = thread::spawn_quiet("pc-callback", move || drain(q)) {
            q.inner.lock().thread = Some(h);
            return;
        }
    }
    drain(q);
}

/// Runs the queued calls until none is left.
fn drain(q: &'static Queue) {
    loop {
        let call = {
            let mut inner = q.inner.lock();
            match inner.calls.pop_front() {
                Some(c) => c,
                None => {
                    inner.running = false;
                    return;
                }
            }
        };
        let _ = catch_unwind(AssertUnwindSafe(call));
    }
}

//! What the reactor and the callback thread share: one state per process (a child forked from
//! this process starts afresh), and threads started with every signal blocked.

use std::sync::atomic::{AtomicPtr, Ordering};
use std::thread::JoinHandle;

/// A per-process state, which knows the process it belongs to.
pub(super) trait Owned {
    fn owner(&self) -> u32;
}

/// The state in `slot` if it belongs to this process; otherwise a new one made by `make`
/// (given this process's id). The states are leaked, never freed: a parent's may be locked by a
/// thread that does not exist in a forked child.
pub(super) fn per_process<T: Owned>(
    slot: &AtomicPtr<T>,
    make: impl FnOnce(u32) -> T,
) -> &'static T {
    let me = std::process::id();
    let cur = slot.load(Ordering::Acquire);
    // SAFETY: a non-null pointer is a leaked Box, never freed.
    if let Some(s) = unsafe { cur.as_ref() } {
        if s.owner() == me {
            return s;
        }
    }
    let new = Box::into_raw(Box::new(make(me)));
    match slot.compare_exchange(cur, new, Ordering::AcqRel, Ordering::Acquire) {
        // SAFETY: just stored, never freed.
        Ok(_) => unsafe { &*new },
        Err(winner) => {
            // SAFETY: ours was never shared; the winner is a leaked Box.
            unsafe {
                drop(Box::from_raw(new));
                &*winner
            }
        }
    }
}

/// Starts a thread named `name` with every signal blocked (it inherits the mask set around its
/// creation, so no signal can reach it before it runs), so that the host's signal handlers run on
/// the host's threads.
pub(super) fn spawn_quiet(
    name: &str,
    f: impl FnOnce() + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    let builder = std::thread::Builder::new().name(name.into());
    #[cfg(unix)]
    {
        // SAFETY: sigfillset fills a sigset_t; pthread_sigmask sets and restores this thread's
        // mask with valid sets.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
            let started = builder.spawn(f);
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
            started
        }
    }
    #[cfg(not(unix))]
    {
        builder.spawn(f)
    }
}

/// Waits for a thread of ours that has said it is ending (it ends at once: it holds nothing any
/// more), so that its replacement never runs beside it. A handle of the calling thread itself
/// (a thread-local destructor of that thread starting the replacement) is left alone.
pub(super) fn join_ended(ended: Option<JoinHandle<()>>) {
    if let Some(h) = ended {
        if h.thread().id() != std::thread::current().id() {
            let _ = h.join();
        }
    }
}

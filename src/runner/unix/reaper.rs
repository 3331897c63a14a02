//! The process's reaper: helpers that did not die within the grace after their kill (a setuid
//! program the caller may not signal, a process in an uninterruptible sleep) are handed to one
//! thread, which waits for all of them, kills them again every second (their tree too: a helper
//! that drops its privileges becomes killable) and reaps each as it exits. The thread exists only
//! while such helpers do: it ends, closing its descriptors, when the last one has been reaped. So
//! a run returns in bounded time whatever its helper does, no zombie is left for ever, and no
//! thread is left per stuck helper.
//!
//! After a `fork`, the child process starts with no reaper (the parent's list and thread are not
//! its own).

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::fd::last_errno;
use super::os;
use super::signal::signal;

/// How often the stuck helpers are killed again (and, without pidfds, looked at).
const RETRY: Duration = Duration::from_secs(1);
/// Without a pidfd, a helper handed over less than [`RECENT`] ago is looked at this often: most
/// die soon after their kill.
const RETRY_RECENT: Duration = Duration::from_millis(10);
const RECENT: Duration = Duration::from_secs(1);

struct Entry {
    pid: libc::pid_t,
    pidfd: Option<OwnedFd>,
    own_group: bool,
    since: Instant,
}

#[derive(Default)]
struct Inner {
    entries: Vec<Entry>,
    /// Set while the thread runs: wakes it when an entry is added.
    waker: Option<os::Waker>,
}

struct Reaper {
    /// The process this reaper belongs to.
    owner: libc::pid_t,
    inner: Mutex<Inner>,
}

static REAPER: AtomicPtr<Reaper> = AtomicPtr::new(std::ptr::null_mut());

/// This process's reaper (a new one after a fork; the parent's is left alone).
fn reaper() -> &'static Reaper {
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    let cur = REAPER.load(Ordering::Acquire);
    // SAFETY: a non-null pointer is a leaked Box, never freed.
    if let Some(r) = unsafe { cur.as_ref() } {
        if r.owner == me {
            return r;
        }
    }
    let new = Box::into_raw(Box::new(Reaper {
        owner: me,
        inner: Mutex::new(Inner::default()),
    }));
    match REAPER.compare_exchange(cur, new, Ordering::AcqRel, Ordering::Acquire) {
        // The parent's reaper (if any) is leaked: its lock may be held by a thread that does
        // not exist here.
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

/// Takes over a killed helper that has not exited yet.
pub(super) fn adopt(pid: libc::pid_t, pidfd: Option<OwnedFd>, own_group: bool) {
    let r = reaper();
    let mut inner = r.inner.lock().unwrap_or_else(|e| e.into_inner());
    inner.entries.push(Entry {
        pid,
        pidfd,
        own_group,
        since: Instant::now(),
    });
    if let Some(w) = &inner.waker {
        w.wake();
        return;
    }
    // No thread: start one. Without the resources for it, the entries wait for the next
    // adoption (each tries again) and are reaped then.
    let Some(waker) = os::Waker::new() else {
        sweep(&mut inner.entries);
        return;
    };
    // The thread polls this descriptor while `inner.waker` holds it: it clears `inner.waker`
    // (closing it) only as it ends.
    let wake_fd = waker.fd().as_raw_fd();
    inner.waker = Some(waker);
    let started = std::thread::Builder::new()
        .name("processcreds-reaper".into())
        .stack_size(64 * 1024)
        .spawn(move || run(r, wake_fd));
    if started.is_err() {
        inner.waker = None;
        sweep(&mut inner.entries);
    }
}

/// The thread: waits for any entry's exit (its pidfd) or a new entry, at most [`RETRY`].
fn run(r: &'static Reaper, wake_fd: RawFd) {
    let mut fds: Vec<libc::pollfd> = Vec::new();
    loop {
        let mut wait = RETRY;
        {
            let mut inner = r.inner.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(w) = &inner.waker {
                w.clear();
            }
            sweep(&mut inner.entries);
            if inner.entries.is_empty() {
                inner.waker = None; // closes its descriptors
                return;
            }
            fds.clear();
            fds.push(pollin(wake_fd));
            // Only this thread removes entries, so these descriptors stay open while polled.
            fds.extend(
                inner
                    .entries
                    .iter()
                    .filter_map(|e| e.pidfd.as_ref().map(|f| pollin(f.as_raw_fd()))),
            );
            if inner
                .entries
                .iter()
                .any(|e| e.pidfd.is_none() && e.since.elapsed() < RECENT)
            {
                wait = RETRY_RECENT;
            }
        }
        // SAFETY: a valid array of pollfd.
        unsafe {
            libc::poll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                wait.as_millis() as i32,
            )
        };
    }
}

fn pollin(fd: RawFd) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

/// Reaps the entries that have exited (or that are no longer ours to wait for) and kills the
/// others again.
fn sweep(entries: &mut Vec<Entry>) {
    entries.retain(|e| {
        let mut status = 0;
        // SAFETY: waiting for a child of this process.
        let r = unsafe { libc::waitpid(e.pid, &mut status, libc::WNOHANG) };
        if r > 0 || (r < 0 && last_errno() != libc::EINTR) {
            // Reaped, or ECHILD (the host reaped it, or ignores SIGCHLD).
            return false;
        }
        if e.own_group {
            // SAFETY: a negative pid names the helper's own process group.
            unsafe { libc::kill(-e.pid, libc::SIGKILL) };
        }
        let _ = signal(e.pid, e.pidfd.as_ref().map(AsFd::as_fd), libc::SIGKILL);
        true
    });
}

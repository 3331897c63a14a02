//! The spawned helper: its pidfd, reaping it, and killing its tree with a bounded wait.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use super::fd::last_errno;
use super::signal::signal;
use super::{os, reaper, tree};

/// How long a killed helper is waited for before it is handed to the reaper (a helper that
/// cannot be signalled, or is in an uninterruptible sleep, dies later or never).
const KILL_GRACE: Duration = Duration::from_millis(20);

/// A running (or exited but unreaped) helper. Dropping it kills the helper's tree and reaps it,
/// or hands it to the reaper.
pub(super) struct Child {
    pub(super) pid: libc::pid_t,
    pub(super) own_group: bool,
    /// Where the kernel has pidfds: readable once the helper has exited.
    pub(super) pidfd: Option<OwnedFd>,
    /// Reaped, or handed to the reaper: nothing more to do.
    done: bool,
}

impl Child {
    /// A helper just spawned; its pidfd is opened by [`Child::watch`] when it is needed.
    pub(super) fn new(pid: libc::pid_t, own_group: bool) -> Child {
        Child {
            pid,
            own_group,
            pidfd: None,
            done: false,
        }
    }

    /// Opens the helper's pidfd if it has none; whether it has one now.
    pub(super) fn watch(&mut self) -> bool {
        if self.pidfd.is_none() && !self.done {
            self.pidfd = os::pidfd_open(self.pid);
        }
        self.pidfd.is_some()
    }

    /// Non-blocking: `Some(status)` once the child has exited; `Some(Err(errno))` when it cannot
    /// be waited for (ECHILD: the host reaped it, or ignores SIGCHLD).
    pub(super) fn try_reap(&mut self) -> Option<Result<i32, i32>> {
        if self.done {
            return None;
        }
        let mut status = 0;
        // SAFETY: waiting for our own child.
        let r = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
        if r == self.pid {
            self.done = true;
            Some(Ok(status))
        } else if r == 0 {
            None
        } else {
            let e = last_errno();
            if e == libc::EINTR {
                return None;
            }
            self.done = true;
            Some(Err(e))
        }
    }

    /// Signals the helper, through its pidfd where one is open.
    fn signal(&self, sig: i32) -> Result<(), i32> {
        signal(self.pid, self.pidfd.as_ref().map(AsFd::as_fd), sig)
    }

    /// Kills the helper and every descendant (D1), then waits at most [`KILL_GRACE`] for the
    /// helper's exit; a helper still there goes to the reaper. Returns at once either way.
    pub(super) fn kill(&mut self) {
        if self.done {
            return;
        }
        self.watch();
        if tree::kill_tree(self.pid, self.own_group, |sig| self.signal(sig)) {
            self.wait_for_exit(Instant::now() + KILL_GRACE);
        }
        if !self.done {
            self.done = true;
            reaper::adopt(self.pid, self.pidfd.take(), self.own_group);
        }
    }

    /// Waits until `deadline` at most for the helper to exit, and reaps it.
    fn wait_for_exit(&mut self, deadline: Instant) {
        while self.try_reap().is_none() {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            let left = deadline - now;
            match &self.pidfd {
                Some(fd) => {
                    let mut p = libc::pollfd {
                        fd: fd.as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    let ms = left.as_millis().clamp(1, 1000) as i32;
                    // SAFETY: one valid pollfd.
                    unsafe { libc::poll(&mut p, 1, ms) };
                }
                None => std::thread::sleep(left.min(Duration::from_micros(500))),
            }
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill();
    }
}

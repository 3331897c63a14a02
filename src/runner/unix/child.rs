//! The spawned helper: reaping it, and killing its whole tree (D1).

use std::os::unix::ffi::OsStrExt;

use super::fd::last_errno;

/// A running (or exited but unreaped) helper. Dropping it kills the helper's tree and reaps it.
pub(super) struct Child {
    pub(super) pid: libc::pid_t,
    pub(super) own_group: bool,
    pub(super) reaped: bool,
}

impl Child {
    /// Waits for the child (blocking) and returns its wait status.
    pub(super) fn reap(&mut self) -> Result<i32, i32> {
        let mut status = 0;
        loop {
            // SAFETY: waiting for our own child.
            let r = unsafe { libc::waitpid(self.pid, &mut status, 0) };
            if r == self.pid {
                self.reaped = true;
                return Ok(status);
            }
            let e = last_errno();
            if e != libc::EINTR {
                self.reaped = true; // ECHILD: someone else reaped it (or SIGCHLD is ignored)
                return Err(e);
            }
        }
    }

    /// Non-blocking: `Some(status)` once the child has exited.
    pub(super) fn try_reap(&mut self) -> Option<Result<i32, i32>> {
        let mut status = 0;
        // SAFETY: waiting for our own child.
        let r = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
        if r == self.pid {
            self.reaped = true;
            Some(Ok(status))
        } else if r == 0 {
            None
        } else {
            let e = last_errno();
            if e == libc::EINTR {
                return None;
            }
            self.reaped = true;
            Some(Err(e))
        }
    }

    /// Kills the helper and every descendant (D1), then reaps the helper.
    pub(super) fn kill_tree(&mut self) {
        if self.reaped {
            return;
        }
        kill_tree(self.pid, self.own_group);
        let _ = self.reap();
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill_tree();
    }
}

/// Freezes the helper and its descendants (so none can fork away), then kills them all.
fn kill_tree(pid: libc::pid_t, own_group: bool) {
    let mut frozen: Vec<libc::pid_t> = vec![pid];
    // SAFETY: signalling our unreaped child (its pid cannot be reused before we reap it).
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    for _ in 0..64 {
        let found: Vec<libc::pid_t> = children_of(&frozen)
            .into_iter()
            .filter(|p| !frozen.contains(p))
            .collect();
        if found.is_empty() {
            break;
        }
        for &p in &found {
            // SAFETY: signalling a descendant found in /proc.
            unsafe { libc::kill(p, libc::SIGSTOP) };
        }
        frozen.extend(found);
    }
    // SAFETY: as above; a negative pid names the helper's own process group.
    unsafe {
        if own_group {
            libc::kill(-pid, libc::SIGKILL);
        }
        for &p in &frozen {
            libc::kill(p, libc::SIGKILL);
        }
    }
}

/// The processes whose parent is one of `parents`, from `/proc/*/stat`.
fn children_of(parents: &[libc::pid_t]) -> Vec<libc::pid_t> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = std::str::from_utf8(name.as_bytes())
            .ok()
            .and_then(|s| s.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold anything, so split after the last ')'.
        let Some(close) = stat.iter().rposition(|&b| b == b')') else {
            continue;
        };
        let ppid = std::str::from_utf8(&stat[close + 1..])
            .ok()
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|s| s.parse::<libc::pid_t>().ok());
        if ppid.is_some_and(|pp| parents.contains(&pp)) {
            out.push(pid);
        }
    }
    out
}

//! Signalling the helper (our unreaped child): through its pidfd where one is open, else with
//! `kill`. A leaf module: the run ([`super::child`]) and the reaper ([`super::reaper`]) both use
//! it.

use std::os::fd::BorrowedFd;

use super::fd::last_errno;
use super::os;

/// Signals `pid` (our unreaped child), through `pidfd` where one is open.
pub(super) fn signal(pid: libc::pid_t, pidfd: Option<BorrowedFd<'_>>, sig: i32) -> Result<(), i32> {
    if let Some(fd) = pidfd {
        match os::pidfd_send_signal(fd, sig) {
            Err(libc::ENOSYS) => {}
            r => return r,
        }
    }
    // SAFETY: signalling our unreaped child (its pid cannot be reused before it is reaped).
    if unsafe { libc::kill(pid, sig) } == 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

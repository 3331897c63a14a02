//! Descriptor helpers over std's [`OwnedFd`] / [`BorrowedFd`] (the one owned-descriptor type of
//! the crate): taking ownership of a descriptor a system call just made, moving one above the
//! standard descriptors, the non-blocking flag, and errno.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// The calling thread's errno.
pub(super) fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// Takes ownership of `raw`, the result of a system call that makes a descriptor: the
/// descriptor, or the errno when the call failed (`raw < 0`).
///
/// # Safety
/// `raw`, when not negative, must be a descriptor just opened by the caller, owned by nothing
/// else.
pub(super) unsafe fn take(raw: RawFd) -> Result<OwnedFd, i32> {
    if raw < 0 {
        return Err(last_errno());
    }
    // SAFETY: the caller guarantees that `raw` is a new descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// `fd` itself if it is above 2, else a close-on-exec duplicate above 2 (`fd` is then closed),
/// so that the child's `dup2`s onto 0–2 never clobber it even when the caller has closed its
/// standard descriptors.
pub(super) fn above_stdio(fd: OwnedFd) -> Result<OwnedFd, i32> {
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC on a descriptor we own makes a new one, which `take` then owns.
    unsafe { take(libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3)) }
}

/// Sets `O_NONBLOCK` on `fd` (best effort).
pub(super) fn set_nonblocking(fd: BorrowedFd<'_>) {
    let fd = fd.as_raw_fd();
    // SAFETY: fcntl reading and setting the status flags of an open descriptor.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
    }
}

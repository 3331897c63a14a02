//! Owned descriptors and the close-on-exec pipes the runner reads.

use super::os;
use super::status::errno_text;
use crate::error::Error;

pub(super) struct Fd(pub(super) i32);

impl Fd {
    pub(super) fn raw(&self) -> i32 {
        self.0
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        if self.0 >= 0 {
            // SAFETY: we own this descriptor.
            unsafe { libc::close(self.0) };
        }
    }
}

pub(super) fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// A close-on-exec pipe ([`os::cloexec_pipe`]) whose ends are both above 2, so that the child's
/// `dup2`s onto 0–2 never clobber them even when the caller has closed its standard descriptors.
pub(super) fn pipe() -> Result<(Fd, Fd), Error> {
    let (r, w) =
        os::cloexec_pipe().map_err(|e| Error::execution(format!("pipe: {}", errno_text(e))))?;
    Ok((above_stdio(r)?, above_stdio(w)?))
}

fn above_stdio(fd: Fd) -> Result<Fd, Error> {
    if fd.raw() > 2 {
        return Ok(fd);
    }
    // SAFETY: duplicating a descriptor we own.
    let new = unsafe { libc::fcntl(fd.raw(), libc::F_DUPFD_CLOEXEC, 3) };
    if new < 0 {
        return Err(Error::execution(format!(
            "fcntl: {}",
            errno_text(last_errno())
        )));
    }
    Ok(Fd(new))
}

pub(super) fn set_nonblocking(fd: &Fd) {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd.raw(), libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd.raw(), libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
    }
}

//! Reading the helper's stdout (bounded, wiped) and captured stderr (a bounded tail).

use std::time::Instant;

use zeroize::Zeroizing;

use super::super::{StderrTail, CHUNK};
use std::os::fd::{AsRawFd, BorrowedFd};

use super::fd::last_errno;

/// Stdout bounded by `MaxBufSize` (D3), growing in wiped steps so no copy of a secret is left
/// behind in freed memory.
pub(super) struct StdoutBuf {
    pub(super) buf: Zeroizing<Vec<u8>>,
    limit: usize,
    pub(super) exceeded: bool,
}

impl StdoutBuf {
    pub(super) fn new(limit: usize) -> StdoutBuf {
        StdoutBuf {
            buf: Zeroizing::new(Vec::with_capacity(limit.min(8192))),
            limit,
            exceeded: false,
        }
    }

    /// Room to read into directly: spare capacity up to the limit, grown by doubling.
    fn room(&mut self) -> usize {
        let want = self.limit - self.buf.len();
        if want == 0 {
            return 0;
        }
        if self.buf.capacity() == self.buf.len() {
            let new_cap = (self.buf.capacity() * 2).max(4096).min(self.limit);
            let mut grown = Vec::with_capacity(new_cap);
            grown.extend_from_slice(&self.buf);
            // Replacing wipes the old allocation (Zeroizing's drop).
            self.buf = Zeroizing::new(grown);
        }
        (self.buf.capacity() - self.buf.len()).min(want)
    }

    /// Reads once from `fd`. `Ok(false)` at end of file.
    pub(super) fn read_from(
        &mut self,
        fd: BorrowedFd<'_>,
        scratch: &mut Scratch,
    ) -> Result<bool, i32> {
        let room = self.room();
        if room > 0 {
            let len = self.buf.len();
            // SAFETY: reading into the vector's spare capacity, at most `room` bytes.
            let n = unsafe {
                libc::read(
                    fd.as_raw_fd(),
                    self.buf.as_mut_ptr().add(len) as *mut libc::c_void,
                    room,
                )
            };
            if n < 0 {
                return Err(last_errno());
            }
            // SAFETY: the kernel initialised n bytes.
            unsafe { self.buf.set_len(len + n as usize) };
            return Ok(n > 0);
        }
        // At the limit: only trailing JSON whitespace may follow.
        let extra = scratch.read(fd)?;
        if !extra
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.exceeded = true;
        }
        Ok(!extra.is_empty())
    }
}

/// A read buffer allocated on first use (most runs never need it), wiped when dropped.
#[derive(Default)]
pub(super) struct Scratch(Option<Zeroizing<Vec<u8>>>);

impl Scratch {
    /// Reads once from `fd`: the bytes read (empty at end of file), or the errno.
    fn read(&mut self, fd: BorrowedFd<'_>) -> Result<&[u8], i32> {
        let buf = self
            .0
            .get_or_insert_with(|| Zeroizing::new(vec![0u8; CHUNK]));
        // SAFETY: reading into a buffer of its own length.
        let n = unsafe {
            libc::read(
                fd.as_raw_fd(),
                buf.as_mut_ptr() as *mut libc::c_void,
                buf.len(),
            )
        };
        if n < 0 {
            return Err(last_errno());
        }
        Ok(&buf[..n as usize])
    }
}

pub(super) enum StderrRead {
    Data,
    Pending,
    Closed,
}

pub(super) fn read_stderr(
    fd: BorrowedFd<'_>,
    tail: &mut StderrTail,
    scratch: &mut Scratch,
) -> StderrRead {
    match scratch.read(fd) {
        Ok([]) => StderrRead::Closed,
        Ok(data) => {
            tail.push(data);
            StderrRead::Data
        }
        Err(libc::EINTR | libc::EAGAIN) => StderrRead::Pending,
        Err(_) => StderrRead::Closed,
    }
}

/// Reads what the helper's stderr holds now, without waiting, and at most 1 MiB of it (a
/// descendant may keep writing forever).
pub(super) fn drain_stderr(
    fd: Option<BorrowedFd<'_>>,
    open: bool,
    tail: &mut StderrTail,
    scratch: &mut Scratch,
) {
    if let (Some(fd), true) = (fd, open) {
        for _ in 0..16 {
            if !matches!(read_stderr(fd, tail, scratch), StderrRead::Data) {
                break;
            }
        }
    }
}

pub(super) fn millis_until(deadline: Instant) -> i32 {
    let left = deadline.saturating_duration_since(Instant::now());
    // Round up so that we never wake before the deadline and spin.
    let ms = left.as_nanos().div_ceil(1_000_000);
    ms.min(i32::MAX as u128) as i32
}

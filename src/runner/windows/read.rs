//! Overlapped reads from our end of a pipe: one read is kept in flight, its event is waited on
//! with the process handle under the deadline, and its data are taken without blocking.

use windows_sys::Win32::Foundation::{ERROR_IO_INCOMPLETE, ERROR_IO_PENDING, HANDLE};
use windows_sys::Win32::Storage::FileSystem::ReadFile;
use windows_sys::Win32::System::Threading::CreateEventW;
use windows_sys::Win32::System::IO::{CancelIoEx, GetOverlappedResult, OVERLAPPED};
use zeroize::Zeroizing;

use super::os::{last_error, Handle};

/// What a look at a reader found.
pub(super) enum Read<'a> {
    /// Bytes read (never empty).
    Data(&'a [u8]),
    /// A read is in flight: wait on [`Reader::event`].
    Pending,
    /// The writing ends are all closed (or the pipe failed).
    Closed,
}

/// One pipe being read. The buffer and the OVERLAPPED live on the heap, so their addresses
/// stay put while a read is in flight, and no read outlives them (dropping cancels and waits).
pub(super) struct Reader {
    pipe: Handle,
    event: Handle,
    ov: Box<OVERLAPPED>,
    buf: Zeroizing<Vec<u8>>,
    pending: bool,
    closed: bool,
}

// SAFETY: the OVERLAPPED's raw handle is the reader's own event; a read in flight keeps using the
// heap buffer and OVERLAPPED whichever thread owns the reader, and overlapped I/O on a pipe may
// be completed, cancelled and waited for from any thread.
unsafe impl Send for Reader {}

impl Reader {
    pub(super) fn new(pipe: Handle, size: usize) -> Result<Reader, u32> {
        // SAFETY: an anonymous manual-reset event, initially clear.
        let event = unsafe { CreateEventW(std::ptr::null(), 1, 0, std::ptr::null()) };
        let event = Handle::new(event).ok_or_else(last_error)?;
        // SAFETY: a zeroed OVERLAPPED is the documented initial state.
        let mut ov: Box<OVERLAPPED> = Box::new(unsafe { std::mem::zeroed() });
        ov.hEvent = event.raw();
        Ok(Reader {
            pipe,
            event,
            ov,
            buf: Zeroizing::new(vec![0u8; size]),
            pending: false,
            closed: false,
        })
    }

    /// The event that is set when the read in flight completes.
    pub(super) fn event(&self) -> HANDLE {
        self.event.raw()
    }

    /// Takes the result of the read in flight if it has completed, else starts a read; never
    /// blocks. After `Data`, the next call starts the next read.
    pub(super) fn poll(&mut self) -> Read<'_> {
        loop {
            if self.closed {
                return Read::Closed;
            }
            let mut n = 0u32;
            if self.pending {
                // SAFETY: the OVERLAPPED of the read in flight; bWait FALSE never blocks.
                let ok = unsafe { GetOverlappedResult(self.pipe.raw(), &*self.ov, &mut n, 0) };
                if ok == 0 {
                    if last_error() == ERROR_IO_INCOMPLETE {
                        return Read::Pending;
                    }
                    // ERROR_BROKEN_PIPE: every writer is gone; anything else ends the reading too.
                    self.pending = false;
                    self.closed = true;
                    continue;
                }
                self.pending = false;
            } else {
                // SAFETY: `buf` and `ov` stay valid and untouched until the read completes (it
                // is waited for before they are dropped).
                let ok = unsafe {
                    ReadFile(
                        self.pipe.raw(),
                        self.buf.as_mut_ptr(),
                        self.buf.len() as u32,
                        std::ptr::null_mut(),
                        &mut *self.ov,
                    )
                };
                if ok == 0 {
                    if last_error() == ERROR_IO_PENDING {
                        self.pending = true;
                        return Read::Pending;
                    }
                    self.closed = true;
                    continue;
                }
                // Completed at once: the count comes from the OVERLAPPED.
                // SAFETY: as above.
                if unsafe { GetOverlappedResult(self.pipe.raw(), &*self.ov, &mut n, 0) } == 0 {
                    self.closed = true;
                    continue;
                }
            }
            // A zero-byte write of the helper gives nothing to take: read again.
            if n > 0 {
                return Read::Data(&self.buf[..n as usize]);
            }
        }
    }

    /// Cancels the read in flight and waits until the system no longer uses the buffer.
    pub(super) fn cancel(&mut self) {
        if self.pending {
            let mut n = 0u32;
            // SAFETY: cancelling our own read, then waiting for it to finish (done, failed or
            // aborted) so that the buffer and the OVERLAPPED may be reused or freed.
            unsafe {
                CancelIoEx(self.pipe.raw(), &*self.ov);
                GetOverlappedResult(self.pipe.raw(), &*self.ov, &mut n, 1);
            }
            self.pending = false;
        }
        self.closed = true;
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.cancel();
    }
}

//! The per-key lock of the single flight on Windows: an exclusive `LockFileEx` byte-range lock
//! on `<key>.lock`, taken without waiting (the caller polls, as on POSIX).
//!
//! A `LockFileEx` lock belongs to the handle it was taken through: two threads of one process,
//! each with its own handle, exclude each other, and closing another handle of the file
//! releases nothing (POSIX record locks need a per-process table for both; this does not). The
//! system releases the lock when the handle is closed, also when its process dies (it is
//! released explicitly before the handle is closed, as Windows recommends). A handle is never
//! inherited by a helper.
//!
//! A lock file may be removed (by `processcreds clear`, or a sweep) only by a process holding
//! its lock, through the very handle it holds (so only the file it locked goes). A process that
//! then locks the removed file finds, by comparing the file it locked with the file the name
//! gives now (volume serial number and file index), that it is no longer the key's lock, lets it
//! go and tries again; so a removal never lets two helpers run for one key.

use std::os::windows::io::OwnedHandle;

use windows_sys::Win32::Foundation::{
    ERROR_INVALID_FUNCTION, ERROR_IO_PENDING, ERROR_LOCK_VIOLATION, ERROR_NOT_SUPPORTED,
    GENERIC_READ, GENERIC_WRITE,
};
use windows_sys::Win32::Storage::FileSystem::{
    LockFileEx, UnlockFileEx, DELETE, FILE_ATTRIBUTE_NORMAL, FILE_FLAG_OPEN_REPARSE_POINT,
    LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY, OPEN_ALWAYS, READ_CONTROL,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use super::{
    create_file, dispose, file_id, last_error, os_text, raw, retrying, security, Dir, FileId, LOCK,
    SHARE_ALL,
};
use crate::shared_cache::files::lock_not_used;
use crate::shared_cache::{Key, Reason, Warning};

/// A held lock: dropping it releases the lock and closes the handle.
pub(in crate::shared_cache) struct Lock {
    handle: OwnedHandle,
    id: FileId,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // SAFETY: a zeroed OVERLAPPED is offset 0; the range locked in `try_lock`.
        unsafe {
            let mut ov: OVERLAPPED = std::mem::zeroed();
            UnlockFileEx(raw(&self.handle), 0, 1, 0, &mut ov);
        }
    }
}

/// How many times a lock on a file removed meanwhile is let go and tried again at once.
const RETRIES: usize = 8;

impl Dir {
    /// Takes the lock of `key` if no other thread or process holds it (`Ok(None)` when one
    /// does); `Err` when the lock file cannot be used (the cache is then bypassed).
    pub(in crate::shared_cache) fn try_lock(&self, key: &Key) -> Result<Option<Lock>, Warning> {
        let path = self.file_path(key, LOCK);
        let bad = |reason: Reason, why: String| lock_not_used(&path, reason, why);
        let sd = security::PrivateSd::new(false).map_err(|why| bad(Reason::LockUnusable, why))?;
        for _ in 0..RETRIES {
            let handle = retrying(|| {
                create_file(
                    &path,
                    GENERIC_READ | GENERIC_WRITE | DELETE | READ_CONTROL,
                    SHARE_ALL,
                    OPEN_ALWAYS,
                    FILE_FLAG_OPEN_REPARSE_POINT | FILE_ATTRIBUTE_NORMAL,
                    Some(&sd),
                )
            })
            .map_err(|e| bad(Reason::LockUnusable, os_text(e)))?;
            let i = self
                .plain_file(&handle, &path)
                .map_err(|why| bad(Reason::LockUnusable, why))?;
            if let Some(why) = security::distrust(raw(&handle), true) {
                return Err(bad(Reason::LockUnusable, why));
            }
            // SAFETY: a zeroed OVERLAPPED is offset 0; one byte, exclusive, without waiting.
            let locked = unsafe {
                let mut ov: OVERLAPPED = std::mem::zeroed();
                LockFileEx(
                    raw(&handle),
                    LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
                    0,
                    1,
                    0,
                    &mut ov,
                ) != 0
            };
            if !locked {
                return match last_error() {
                    ERROR_LOCK_VIOLATION | ERROR_IO_PENDING => Ok(None),
                    e @ (ERROR_NOT_SUPPORTED | ERROR_INVALID_FUNCTION) => Err(bad(
                        Reason::LockUnsupported,
                        format!("cannot lock it: {}", os_text(e)),
                    )),
                    e => Err(bad(
                        Reason::LockUnusable,
                        format!("cannot lock it: {}", os_text(e)),
                    )),
                };
            }
            let lock = Lock {
                handle,
                id: file_id(&i),
            };
            // Still the key's lock file? A holder may have removed it since we opened it.
            if self.lock_file_id(key) == Some(lock.id) {
                return Ok(Some(lock));
            }
        }
        Ok(None)
    }

    /// The identity of the file the lock file's name gives now; `None` when there is none (or
    /// it is being removed).
    fn lock_file_id(&self, key: &Key) -> Option<FileId> {
        self.stat(&self.file_path(key, LOCK)).map(|i| file_id(&i))
    }

    /// Removes the lock file of `key`, whose lock the caller gives up here; true when removed.
    /// Only the file that lock is on is removed (through its own handle).
    pub(in crate::shared_cache) fn remove_lock_file(&self, key: &Key, lock: Lock) -> bool {
        let same = self.lock_file_id(key) == Some(lock.id);
        let removed = same && dispose(&lock.handle);
        drop(lock);
        removed
    }
}

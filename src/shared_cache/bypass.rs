//! The shared cache where it is not implemented yet (Windows): [`supported`] refuses, so every
//! fetch runs the helper as without a cache, and `clear` has nothing to do. The rest only gives
//! the platform-neutral code the same names as on POSIX systems.

use std::path::Path;

use zeroize::Zeroizing;

use super::location::Location;
use super::{Cleared, Key, Reason, Warning};

/// Why the cache is bypassed here.
pub(super) fn supported() -> Result<(), Warning> {
    Err(Warning::new(
        Reason::Unsupported,
        "shared cache: not supported on this platform yet",
    ))
}

pub(super) struct Dir;

#[allow(dead_code)]
pub(super) enum Read {
    Absent,
    Found(Zeroizing<Vec<u8>>),
    Untrusted(Warning),
}

pub(super) struct Lock;

// Never made here; dropping one (where the POSIX lock is released) releases nothing.
impl Drop for Lock {
    fn drop(&mut self) {}
}

#[allow(dead_code)]
impl Dir {
    pub(super) fn open(_loc: &Location) -> Result<Dir, Warning> {
        Err(supported().unwrap_err())
    }

    pub(super) fn open_existing(_path: &Path) -> Result<Dir, Warning> {
        Err(supported().unwrap_err())
    }

    pub(super) fn read(&self, _key: &Key) -> Read {
        Read::Absent
    }

    pub(super) fn try_lock(&self, _key: &Key) -> Result<Option<Lock>, Warning> {
        Err(supported().unwrap_err())
    }

    pub(super) fn write(&self, _key: &Key, _bytes: &[u8]) -> Result<(), Warning> {
        Err(supported().unwrap_err())
    }

    pub(super) fn remove_entry(&self, _key: &Key, _lock: &Lock) {}

    pub(super) fn sweep(&self, _own: &Key) {}

    pub(super) fn clear(&self, _keys: Option<&[Key]>) -> Result<Cleared, Warning> {
        Err(supported().unwrap_err())
    }
}

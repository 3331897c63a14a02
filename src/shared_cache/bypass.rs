//! The shared cache where it is not implemented yet (Windows): every directory is refused, so
//! every fetch runs the helper as without a cache, and `clear` has nothing to do.

use std::path::Path;

use zeroize::Zeroizing;

use super::{Cleared, Key, Warning};

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

fn unsupported() -> Warning {
    Warning::new("shared cache: not supported on this platform yet")
}

impl Dir {
    pub(super) fn open(_path: &Path) -> Result<Dir, Warning> {
        Err(unsupported())
    }

    pub(super) fn open_existing(_path: &Path) -> Result<Dir, Warning> {
        Err(unsupported())
    }

    pub(super) fn read(&self, _key: &Key) -> Read {
        Read::Absent
    }

    pub(super) fn try_lock(&self, _key: &Key) -> Result<Option<Lock>, Warning> {
        Err(unsupported())
    }

    pub(super) fn write(&self, _key: &Key, _bytes: &[u8]) -> Result<(), Warning> {
        Err(unsupported())
    }

    pub(super) fn clear(&self, _key: Option<&Key>) -> Result<Cleared, Warning> {
        Err(unsupported())
    }
}

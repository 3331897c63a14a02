//! The cache directory's files as every platform names them, and what is done with them on top
//! of the platform's primitives: `clear.rs` and `sweep.rs` are written once over these.
//!
//! Each platform's `Dir` (`unix/`, `windows/`) provides the system calls, each on one file of
//! the checked directory and never following a link:
//!
//! - `path()`: the directory's path; `names()`: the names it holds;
//! - `read(key)`: the entry of a key, if it is trusted ([`Read`]);
//! - `has(key, suffix)`: whether `<key><suffix>` exists (of any kind);
//! - `is_ours(key, suffix)`: whether it is a regular file owned by the effective uid (Windows:
//!   the current user); `remove_if_ours(key, suffix)`: removes it if so;
//! - `modified(key, suffix)`: when it was last written, in seconds since the Unix epoch;
//! - `try_lock(key)`: the key's lock, taken without waiting; `remove_lock_file(key, lock)`:
//!   removes the lock file through the lock held on it.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::sys::{Dir, Lock};
use super::{Key, Reason, Warning};

/// An entry: `<key>.entry`.
pub(super) const ENTRY: &str = ".entry";
/// A key's lock file: `<key>.lock`.
pub(super) const LOCK: &str = ".lock";
/// An entry being written: `<key>.tmp`.
pub(super) const TMP: &str = ".tmp";

/// Entries larger than this are not read (a miss).
const MAX_ENTRY: usize = 1 << 20;

/// What reading an entry found.
pub(super) enum Read {
    Absent,
    Found(Zeroizing<Vec<u8>>),
    Untrusted(Warning),
}

/// The entry at `path`, trusted and open as `file`, `size` bytes long when opened. One buffer,
/// sized once (one byte more, to see a file that grew), never reallocated, so no copy of the
/// secret is left unwiped. Larger than [`MAX_ENTRY`], or changed while being read (our writers
/// rename whole files): an empty entry, a miss that is replaced.
pub(super) fn read_entry(path: &Path, size: usize, mut file: impl std::io::Read) -> Read {
    if size > MAX_ENTRY {
        return Read::Found(Zeroizing::new(Vec::new()));
    }
    let mut buf = Zeroizing::new(vec![0u8; size + 1]);
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(r) => n += r,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return entry_not_used(path, format!("cannot read it: {e}")),
        }
    }
    if n > size {
        buf.clear();
    } else {
        buf.truncate(n);
    }
    Read::Found(buf)
}

/// The name of a key's file: `<key><suffix>`.
pub(super) fn file_name(key: &Key, suffix: &str) -> String {
    format!("{}{suffix}", key.as_str())
}

/// A name of the cache directory split into its key and suffix (`.entry`, `.lock`, `.tmp`).
pub(super) fn split_name(name: &str) -> Option<(Key, &str)> {
    let (stem, suffix) = name.split_at_checked(64)?;
    let key = Key::from_hex(stem)?;
    [ENTRY, LOCK, TMP]
        .contains(&suffix)
        .then_some((key, suffix))
}

impl Dir {
    /// The path of a key's file.
    pub(super) fn file_path(&self, key: &Key, suffix: &str) -> PathBuf {
        self.path().join(file_name(key, suffix))
    }

    /// The path of the entry of `key` (for what the cache tells its caller).
    pub(super) fn entry_path(&self, key: &Key) -> PathBuf {
        self.file_path(key, ENTRY)
    }

    /// The path of the lock file of `key`.
    pub(super) fn lock_path(&self, key: &Key) -> PathBuf {
        self.file_path(key, LOCK)
    }

    /// Removes the entry of `key` (the caller holds `_lock`, its lock), if it is one of ours.
    pub(super) fn remove_entry(&self, key: &Key, _lock: &Lock) {
        self.remove_if_ours(key, ENTRY);
    }
}

/// The directory at `path` is not used (`why`).
pub(super) fn directory_not_used(path: &Path, reason: Reason, why: String) -> Warning {
    Warning::new(
        reason,
        Some(path),
        format!(
            "shared cache: the directory {} is not used: {why}",
            path.display()
        ),
    )
}

/// The missing directory at `path` was not created (`why`).
pub(super) fn directory_not_created(path: &Path, why: String) -> Warning {
    Warning::new(
        Reason::DirectoryNotCreated,
        Some(path),
        format!(
            "shared cache: the directory {} was not created: {why}",
            path.display()
        ),
    )
}

/// The entry at `path` is not used (`why`).
pub(super) fn entry_not_used(path: &Path, why: String) -> Read {
    Read::Untrusted(Warning::new(
        Reason::EntryUntrusted,
        Some(path),
        format!(
            "shared cache: the entry {} is not used: {why}",
            path.display()
        ),
    ))
}

/// The entry at `path` was not written (`why`).
pub(super) fn entry_not_written(path: &Path, reason: Reason, why: String) -> Warning {
    Warning::new(
        reason,
        Some(path),
        format!(
            "shared cache: the entry {} was not written: {why}",
            path.display()
        ),
    )
}

/// The lock file at `path` is not used (`why`).
pub(super) fn lock_not_used(path: &Path, reason: Reason, why: String) -> Warning {
    Warning::new(
        reason,
        Some(path),
        format!(
            "shared cache: the lock file {} is not used: {why}",
            path.display()
        ),
    )
}

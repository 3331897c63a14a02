//! The sweep every writer makes once its entry is written (still holding its own key's lock), as
//! on POSIX: other keys' expired entries, temporary files older than a minute (left by a writer
//! that was killed), and lock files older than a minute whose key has no entry. Each goes under
//! its key's lock, taken without waiting: a key whose lock is held (a helper runs for it) is left
//! alone, and so is anything that is not a regular file owned by the current user. An entry of a
//! format this version does not read (a newer version's) is left too.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{split_name, Dir, Lock, Read, ENTRY, LOCK, TMP};
use crate::shared_cache::{entry, is_expired, Key};

/// How old a temporary file or an orphan lock file must be to be removed.
const STALE: Duration = Duration::from_secs(60);

/// Seconds between 1601-01-01 (a FILETIME's epoch) and 1970-01-01.
const FILETIME_TO_UNIX: u64 = 11_644_473_600;

impl Dir {
    /// Sweeps the directory (see the module's documentation); `own` is the caller's key, whose
    /// lock it holds.
    pub(in crate::shared_cache) fn sweep(&self, own: &Key) {
        let Ok(names) = self.names() else { return };
        let mut seen: Vec<Key> = Vec::new();
        for name in names {
            let Some((key, suffix)) = split_name(&name) else {
                continue;
            };
            if key == *own || seen.contains(&key) {
                continue;
            }
            let tmp = self.file_path(&key, TMP);
            let stale = match suffix {
                ENTRY => self.expired_entry(&key),
                TMP => self.is_ours(&key, TMP) && self.older(&tmp),
                LOCK => !self.has(&key, ENTRY) && self.older(&self.file_path(&key, LOCK)),
                _ => false,
            };
            if !stale {
                continue;
            }
            seen.push(key.clone());
            if let Ok(Some(lock)) = self.try_lock(&key) {
                self.clean(&key, lock);
            }
        }
    }

    /// Under `key`'s lock: removes an expired entry and a stale temporary file, then the lock
    /// file if nothing of the key is left.
    fn clean(&self, key: &Key, lock: Lock) {
        if self.expired_entry(key) {
            self.remove_entry(key, &lock);
        }
        let tmp = self.file_path(key, TMP);
        if self.older(&tmp) {
            self.remove_if_ours(key, TMP);
        }
        if !self.has(key, ENTRY) && !self.has(key, TMP) {
            self.remove_lock_file(key, lock);
        }
    }

    /// A trusted entry of `key`, in a format this version reads, whose credentials expired.
    fn expired_entry(&self, key: &Key) -> bool {
        match self.read(key) {
            Read::Found(bytes) => entry::decode(key, &bytes).is_some_and(|c| is_expired(&c)),
            _ => false,
        }
    }

    /// Last written more than [`STALE`] ago.
    fn older(&self, path: &Path) -> bool {
        let Some(i) = self.stat(path) else {
            return false;
        };
        let t = &i.ftLastWriteTime;
        let ticks = (u64::from(t.dwHighDateTime) << 32) | u64::from(t.dwLowDateTime);
        let written = (ticks / 10_000_000).saturating_sub(FILETIME_TO_UNIX);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        now.saturating_sub(written) > STALE.as_secs()
    }
}

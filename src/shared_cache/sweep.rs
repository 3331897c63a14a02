//! The sweep every writer makes once its entry is written (still holding its own key's lock):
//! other keys' expired entries, temporary files older than a minute (left by a writer that was
//! killed), and lock files older than a minute whose key has no entry. Each goes under its key's
//! lock, taken without waiting: a key whose lock is held (a helper runs for it) is left alone,
//! and so is anything that is not a regular file owned by the effective uid (Windows: the
//! current user). An entry of a format this version does not read (a newer version's) is left
//! too. Written over the platform's primitives (`files.rs`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::files::{split_name, Read, ENTRY, LOCK, TMP};
use super::sys::{Dir, Lock};
use super::{entry, is_expired, Key};

/// How old a temporary file or an orphan lock file must be to be removed.
const STALE: Duration = Duration::from_secs(60);

impl Dir {
    /// Sweeps the directory (see the module's documentation); `own` is the caller's key, whose
    /// lock it holds.
    pub(super) fn sweep(&self, own: &Key) {
        let Ok(names) = self.names() else { return };
        let mut seen: Vec<Key> = Vec::new();
        for name in names {
            let Some((key, suffix)) = split_name(&name) else {
                continue;
            };
            if key == *own || seen.contains(&key) {
                continue;
            }
            let stale = match suffix {
                ENTRY => self.expired_entry(&key),
                TMP => self.is_ours(&key, TMP) && self.older(&key, TMP),
                LOCK => !self.has(&key, ENTRY) && self.older(&key, LOCK),
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
        if self.older(key, TMP) {
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

    /// `<key><suffix>` was last written more than [`STALE`] ago.
    fn older(&self, key: &Key, suffix: &str) -> bool {
        let Some(modified) = self.modified(key, suffix) else {
            return false;
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        now.saturating_sub(modified) > STALE.as_secs() as i64
    }
}

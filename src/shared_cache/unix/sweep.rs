//! The sweep every writer makes once its entry is written (still holding its own key's lock):
//! other keys' expired entries, temporary files older than a minute (left by a writer that was
//! killed), and lock files older than a minute whose key has no entry. Each goes under its key's
//! lock, taken without waiting: a key whose lock is held (a helper runs for it) is left alone,
//! and so is anything that is not a regular file owned by the effective uid. An entry of a format
//! this version does not read (a newer version's) is left too.

use std::time::Duration;

use super::{c_name, split_name, Dir, Lock, Read, ENTRY, LOCK, TMP};
use crate::shared_cache::{entry, is_expired, Key};

/// How old a temporary file or an orphan lock file must be to be removed.
const STALE: Duration = Duration::from_secs(60);

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
            let stale = match suffix {
                ENTRY => self.expired_entry(&key),
                TMP => self.is_ours(&key, TMP) && self.older(&c_name(&key, TMP)),
                LOCK => !self.has(&key, ENTRY) && self.older(&c_name(&key, LOCK)),
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
        let tmp = c_name(key, TMP);
        if self.is_ours(key, TMP) && self.older(&tmp) {
            self.unlink(&tmp);
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

    /// Last modified more than [`STALE`] ago.
    fn older(&self, name: &std::ffi::CString) -> bool {
        let Some(st) = self.stat_name(name) else {
            return false;
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        // time_t is i64 on the supported systems.
        #[allow(clippy::unnecessary_cast)]
        let mtime = st.st_mtime as i64;
        now.saturating_sub(mtime) > STALE.as_secs() as i64
    }
}

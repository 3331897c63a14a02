//! `clear_keys` and `clear_all` in the checked directory, over the platform's primitives
//! (`files.rs`): entries and temporary files go if they are ours; a lock file goes only through
//! its lock, taken without waiting, so that one held by a running helper stays (its key's single
//! flight must hold).

use super::files::{file_name, split_name, ENTRY, LOCK, TMP};
use super::sys::Dir;
use super::{Cleared, Key, Warning};

impl Dir {
    /// Removes the files of `keys` (entries, temporary files, lock files no helper holds), or
    /// of every key; only regular files owned by the effective uid (Windows: the current user).
    pub(super) fn clear(&self, keys: Option<&[Key]>) -> Result<Cleared, Warning> {
        let mut out = Cleared {
            directory: self.path().to_owned(),
            ..Cleared::default()
        };
        let remove = |key: &Key, suffix: &str, out: &mut Cleared| {
            if self.remove_if_ours(key, suffix) {
                out.removed.push(file_name(key, suffix));
            }
        };
        let mut locks: Vec<Key> = Vec::new();
        match keys {
            Some(keys) => {
                for k in keys {
                    remove(k, ENTRY, &mut out);
                    remove(k, TMP, &mut out);
                    if self.has(k, LOCK) && !locks.contains(k) {
                        locks.push(k.clone());
                    }
                }
            }
            None => {
                let mut names = self.names()?;
                names.sort();
                for name in names {
                    match split_name(&name) {
                        Some((k, suffix @ (ENTRY | TMP))) => remove(&k, suffix, &mut out),
                        Some((k, _)) => locks.push(k),
                        None => {}
                    }
                }
            }
        }
        for k in locks {
            match self.try_lock(&k) {
                Ok(Some(lock)) => {
                    if self.remove_lock_file(&k, lock) {
                        out.removed.push(file_name(&k, LOCK));
                    }
                }
                Ok(None) => out.held.push(file_name(&k, LOCK)),
                Err(_) => {}
            }
        }
        Ok(out)
    }
}

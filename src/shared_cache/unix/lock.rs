//! The per-key lock of the single flight: a POSIX record lock (`fcntl(F_SETLK)`) on
//! `<key>.lock`, and a table of the lock files this process's threads hold.
//!
//! A record lock, not `flock`: a record lock belongs to the process, so a child forked while it
//! is held (a pre-fork server's worker, or a host forking at any moment) does not keep it,
//! whereas an `flock` lives as long as any copy of the descriptor does and would stay held by a
//! long-lived child. The kernel drops the lock when its holder dies.
//!
//! Two properties of record locks need the table. They do not exclude the threads of one
//! process, and closing *any* descriptor of the file drops the process's lock on it. So the
//! table holds, per file identity (device and inode, not the path: two paths may name one file,
//! and one path may name a new file once the old one is removed), the thread that holds it and
//! the pid that took it (a forked child ignores its parent's rows). A thread that opens a lock
//! file another thread of this process holds does not close its descriptor (that would drop the
//! holder's lock): it parks it in the holder's row, and the holder closes the parked descriptors
//! with its own when it lets go, under the table's mutex.
//!
//! A lock file may be removed (by `processcreds clear`, or a sweep) only by a process holding
//! its lock. A process that then locks the removed file finds, by comparing the file it locked
//! with the file the name gives now, that it is no longer the key's lock, lets it go and tries
//! again; so a removal never lets two helpers run for one key.

use std::os::fd::{AsRawFd, OwnedFd};

use super::{c_name, distrust, errno, file_id, fstat, is_type, os_text, Dir, FileId, LOCK};
use crate::shared_cache::files::lock_not_used;
use crate::shared_cache::{Key, Reason, Warning};

/// A held lock: dropping it closes the descriptor (which releases the record lock) and the
/// descriptors other threads parked, then frees the row.
pub(in crate::shared_cache) struct Lock {
    slot: Slot,
}

impl Lock {
    fn id(&self) -> FileId {
        self.slot.id
    }
}

/// A row of [`HELD`].
struct Held {
    id: FileId,
    pid: u32,
    /// Descriptors of the file other threads opened while this row's thread held it.
    parked: Vec<OwnedFd>,
}

/// The lock files this process's threads hold.
static HELD: parking_lot::Mutex<Vec<Held>> = parking_lot::const_mutex(Vec::new());

/// A thread's row in [`HELD`], with its descriptor of the file.
struct Slot {
    id: FileId,
    fd: Option<OwnedFd>,
}

impl Slot {
    /// The row for `id`, or `None` when another thread of this process holds the file (`fd` is
    /// then parked in that thread's row).
    fn take(id: FileId, fd: OwnedFd) -> Option<Slot> {
        let me = std::process::id();
        let mut held = HELD.lock();
        // Rows of a parent this process was forked from: not ours (their parked descriptors are
        // copies, whose closing releases nothing of the parent's).
        held.retain(|h| h.pid == me);
        if let Some(h) = held.iter_mut().find(|h| h.id == id) {
            h.parked.push(fd);
            return None;
        }
        held.push(Held {
            id,
            pid: me,
            parked: Vec::new(),
        });
        Some(Slot { id, fd: Some(fd) })
    }

    fn raw(&self) -> i32 {
        self.fd.as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let me = std::process::id();
        let mut held = HELD.lock();
        // Our descriptor first (the record lock goes), then the parked ones, and only then is
        // the row free for another thread: a descriptor closed after that could drop its lock.
        drop(self.fd.take());
        if let Some(i) = held.iter().position(|h| h.id == self.id && h.pid == me) {
            let row = held.swap_remove(i);
            drop(row.parked);
        }
    }
}

/// How many times a lock on a file removed meanwhile is let go and tried again at once.
const RETRIES: usize = 8;

impl Dir {
    /// Takes the lock of `key` if no other thread or process holds it (`Ok(None)` when one
    /// does); `Err` when the lock file cannot be used (the cache is then bypassed).
    pub(in crate::shared_cache) fn try_lock(&self, key: &Key) -> Result<Option<Lock>, Warning> {
        let name = c_name(key, LOCK);
        let path = self.file_path(key, LOCK);
        let bad = |reason: Reason, why: String| lock_not_used(&path, reason, why);
        for _ in 0..RETRIES {
            let fd = self
                .openat(&name, libc::O_RDWR | libc::O_CREAT | libc::O_NONBLOCK)
                .map_err(|e| {
                    bad(
                        Reason::LockUnusable,
                        if e == libc::ELOOP {
                            "it is a symbolic link".into()
                        } else {
                            os_text(e)
                        },
                    )
                })?;
            let st = fstat(&fd).ok_or_else(|| bad(Reason::LockUnusable, os_text(errno())))?;
            if !is_type(&st, libc::S_IFREG) {
                return Err(bad(Reason::LockUnusable, "it is not a regular file".into()));
            }
            if let Some(why) = distrust(&st, "it", |_| true, "") {
                return Err(bad(Reason::LockUnusable, why));
            }
            let id = file_id(&st);
            let Some(slot) = Slot::take(id, fd) else {
                return Ok(None); // another thread of this process holds it
            };
            match set_lock(slot.raw()) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(libc::ENOLCK) => {
                    return Err(bad(
                        Reason::LockUnsupported,
                        format!("cannot lock it: {}", os_text(libc::ENOLCK)),
                    ))
                }
                Err(e) => {
                    return Err(bad(
                        Reason::LockUnusable,
                        format!("cannot lock it: {}", os_text(e)),
                    ))
                }
            }
            // Still the key's lock file? A holder may have removed it since we opened it.
            if self.stat_name(&name).map(|st| file_id(&st)) == Some(id) {
                return Ok(Some(Lock { slot }));
            }
        }
        Ok(None)
    }

    /// Removes the lock file of `key`, whose lock the caller gives up here; true when removed.
    /// Only the file that lock is on is removed (not another one made since).
    pub(in crate::shared_cache) fn remove_lock_file(&self, key: &Key, lock: Lock) -> bool {
        let name = c_name(key, LOCK);
        let same = self.stat_name(&name).map(|st| file_id(&st)) == Some(lock.id());
        let removed = same && self.unlink(&name);
        drop(lock);
        removed
    }
}

/// A write lock on the whole file: `Ok(true)` taken, `Ok(false)` held by another process,
/// `Err(errno)` otherwise.
fn set_lock(fd: i32) -> Result<bool, i32> {
    loop {
        // SAFETY: an all-zero flock is valid; a write lock on the whole file.
        let mut fl: libc::flock = unsafe { std::mem::zeroed() };
        fl.l_type = libc::F_WRLCK as _;
        fl.l_whence = libc::SEEK_SET as _;
        // SAFETY: a descriptor we own and a flock structure.
        if unsafe { libc::fcntl(fd, libc::F_SETLK, &fl) } == 0 {
            return Ok(true);
        }
        match errno() {
            libc::EAGAIN | libc::EACCES => return Ok(false),
            libc::EINTR => continue,
            e => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared_cache::location::{Location, Origin};
    use std::os::unix::fs::PermissionsExt;

    fn dir(tag: &str) -> (std::path::PathBuf, Dir) {
        let root = std::env::temp_dir().join(format!("pc-lock-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).unwrap();
        let d = Dir::open(&Location {
            path: root.clone(),
            origin: Origin::Explicit,
        })
        .unwrap();
        (root, d)
    }

    /// Whether a forked child finds the file write-locked (F_GETLK).
    fn held_by_another_process(path: &std::path::Path) -> bool {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: the child makes async-signal-safe calls only, then _exits.
        unsafe {
            let pid = libc::fork();
            if pid == 0 {
                let fd = libc::open(c.as_ptr(), libc::O_RDWR);
                let mut fl: libc::flock = std::mem::zeroed();
                fl.l_type = libc::F_WRLCK as _;
                fl.l_whence = libc::SEEK_SET as _;
                let held = fd >= 0
                    && libc::fcntl(fd, libc::F_GETLK, &mut fl) == 0
                    && fl.l_type != libc::F_UNLCK as libc::c_short;
                libc::_exit(if held { 0 } else { 1 });
            }
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
        }
    }

    fn key(c: char) -> Key {
        Key::from_hex(&c.to_string().repeat(64)).unwrap()
    }

    /// Two paths of one directory (a symlink) are one lock file for the table: the second
    /// thread does not get it, and its descriptor does not drop the first's lock.
    #[test]
    fn identity_not_path() {
        let (root, a) = dir("identity");
        let link = root.with_extension("link");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&root, &link).unwrap();
        // Dir::open refuses a final symlink; open the link's target through a path with a
        // trailing component instead: the link to the parent.
        let b = Dir::open_existing(&link.join(".")).unwrap();
        let k = key('a');
        let held = a.try_lock(&k).unwrap().expect("first lock");
        assert!(
            b.try_lock(&k).unwrap().is_none(),
            "the same file by another path"
        );
        // Another process still sees it held: the parked descriptor did not drop the lock.
        assert!(held_by_another_process(
            &root.join(format!("{}.lock", k.as_str()))
        ));
        drop(held);
        let again = b.try_lock(&k).unwrap().expect("free again");
        drop(again);
        let _ = std::fs::remove_file(&link);
        let _ = std::fs::remove_dir_all(&root);
    }

    /// A lock file removed while a waiter had it open is not the key's lock any more.
    #[test]
    fn a_removed_lock_file_is_not_taken() {
        let (root, d) = dir("removed");
        let k = key('b');
        let l = d.try_lock(&k).unwrap().unwrap();
        assert!(d.remove_lock_file(&k, l));
        assert!(!root.join(format!("{}.lock", k.as_str())).exists());
        let l2 = d.try_lock(&k).unwrap().expect("a new lock file");
        assert!(root.join(format!("{}.lock", k.as_str())).exists());
        drop(l2);
        let _ = std::fs::remove_dir_all(&root);
    }
}

//! The shared cache's files on POSIX systems: the trusted directory, entries read with
//! `O_NOFOLLOW` and checked with `fstat`, per-key locks, atomic writes (temporary file and
//! `renameat`). Every file is opened relative to the checked directory's descriptor and is
//! close-on-exec.
//!
//! The lock is a POSIX record lock (`fcntl(F_SETLK)`) on `<key>.lock`, not `flock`: a record lock
//! belongs to the process, so a child forked while it is held (a pre-fork server's worker, or a
//! host forking at any moment) does not keep it, whereas an `flock` lives as long as any copy of
//! the descriptor does and would stay held by a long-lived child. A record lock does not exclude
//! the threads of one process, and closing any descriptor of the file drops it, so a table of the
//! lock files this process holds (with the holder's pid, so that a forked child ignores its
//! parent's) keeps one thread at a time per lock file, and a thread opens the file only after it
//! has its slot in the table. The kernel drops the lock when its holder dies.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{Cleared, Key, Warning};

/// Entries larger than this are not read (a miss).
const MAX_ENTRY: usize = 1 << 20;

const ENTRY: &str = ".entry";
const LOCK: &str = ".lock";
const TMP: &str = ".tmp";

pub(super) struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

pub(super) enum Read {
    Absent,
    Found(Zeroizing<Vec<u8>>),
    Untrusted(Warning),
}

fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn os_text(e: i32) -> String {
    io::Error::from_raw_os_error(e).to_string()
}

fn fstat(fd: &OwnedFd) -> Option<libc::stat> {
    // SAFETY: `stat` is plain data (integers), for which zeros are valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor and a stat buffer.
    (unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } == 0).then_some(st)
}

fn euid() -> libc::uid_t {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::geteuid() }
}

fn is_type(st: &libc::stat, t: libc::mode_t) -> bool {
    st.st_mode & libc::S_IFMT == t
}

/// What is wrong with a file's owner or permissions, if anything.
fn distrust(
    st: &libc::stat,
    what: &str,
    mode_ok: impl Fn(u32) -> bool,
    want: &str,
) -> Option<String> {
    // mode_t is u32 on Linux, u16 on macOS.
    #[allow(clippy::unnecessary_cast)]
    let mode = (st.st_mode as u32) & 0o7777;
    if st.st_uid != euid() {
        return Some(format!(
            "{what} is owned by uid {}, not by uid {}",
            st.st_uid,
            euid()
        ));
    }
    if !mode_ok(mode) {
        return Some(format!("{what} has mode {mode:04o}, {want}"));
    }
    None
}

fn c_name(key: &Key, suffix: &str) -> CString {
    // Hex digits and a suffix: never a NUL.
    CString::new(format!("{}{suffix}", key.as_str())).unwrap_or_default()
}

impl Dir {
    /// Opens (creating it 0700 if missing) and checks the cache directory.
    pub(super) fn open(path: &Path) -> Result<Dir, Warning> {
        match Dir::open_raw(path) {
            Ok(fd) => Dir::checked(path, fd),
            Err(libc::ENOENT) => {
                // Missing: create it (and its parents) with mode 0700. Another process may be
                // creating it at the same moment: an existing directory is fine, and the open
                // below checks whatever is there.
                if let Err(e) = std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(path)
                {
                    return Err(Warning::new(format!(
                        "shared cache: cannot create the directory {}: {e}",
                        path.display()
                    )));
                }
                Dir::open_existing(path)
            }
            Err(e) => Err(Dir::unusable(path, e)),
        }
    }

    /// The directory's descriptor, or the errno of the open (not following a final symlink).
    fn open_raw(path: &Path) -> Result<OwnedFd, i32> {
        let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| libc::EINVAL)?;
        // SAFETY: a NUL-terminated path; the result is checked.
        let raw = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if raw < 0 {
            Err(errno())
        } else {
            // SAFETY: a descriptor we own.
            Ok(unsafe { OwnedFd::from_raw_fd(raw) })
        }
    }

    /// Opens and checks the cache directory, which must exist.
    pub(super) fn open_existing(path: &Path) -> Result<Dir, Warning> {
        match Dir::open_raw(path) {
            Ok(fd) => Dir::checked(path, fd),
            Err(e) => Err(Dir::unusable(path, e)),
        }
    }

    fn unusable(path: &Path, e: i32) -> Warning {
        Dir::not_used(
            path,
            match e {
                libc::ELOOP => "it is a symbolic link".into(),
                libc::ENOTDIR => "it is not a directory (or is a symbolic link)".into(),
                libc::EINVAL => "its path holds a NUL byte".into(),
                _ => os_text(e),
            },
        )
    }

    fn not_used(path: &Path, why: String) -> Warning {
        Warning::new(format!(
            "shared cache: the directory {} is not used: {why}",
            path.display()
        ))
    }

    /// The directory, if the opened `fd` is one this user alone may use.
    fn checked(path: &Path, fd: OwnedFd) -> Result<Dir, Warning> {
        let st = fstat(&fd).ok_or_else(|| Dir::not_used(path, os_text(errno())))?;
        if !is_type(&st, libc::S_IFDIR) {
            return Err(Dir::not_used(path, "it is not a directory".into()));
        }
        if let Some(why) = distrust(
            &st,
            "it",
            |m| m & 0o077 == 0,
            "which gives access to group or others (it must be 0700)",
        ) {
            return Err(Dir::not_used(path, why));
        }
        Ok(Dir {
            fd,
            path: path.to_owned(),
        })
    }

    fn openat(&self, name: &CString, flags: i32) -> Result<OwnedFd, i32> {
        // SAFETY: a directory descriptor we own and a NUL-terminated name.
        let raw = unsafe {
            libc::openat(
                self.fd.as_raw_fd(),
                name.as_ptr(),
                flags | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NOCTTY,
                0o600 as libc::c_uint,
            )
        };
        if raw < 0 {
            Err(errno())
        } else {
            // SAFETY: a descriptor we own.
            Ok(unsafe { OwnedFd::from_raw_fd(raw) })
        }
    }

    fn file_path(&self, key: &Key, suffix: &str) -> PathBuf {
        self.path.join(format!("{}{suffix}", key.as_str()))
    }

    /// Reads the entry of `key`, if it is there and trusted.
    pub(super) fn read(&self, key: &Key) -> Read {
        let untrusted = |why: String| {
            Read::Untrusted(Warning::new(format!(
                "shared cache: the entry {} is not used: {why}",
                self.file_path(key, ENTRY).display()
            )))
        };
        // O_NONBLOCK: a FIFO in its place must not block the open.
        let fd = match self.openat(&c_name(key, ENTRY), libc::O_RDONLY | libc::O_NONBLOCK) {
            Ok(fd) => fd,
            Err(libc::ENOENT) => return Read::Absent,
            Err(libc::ELOOP) => return untrusted("it is a symbolic link".into()),
            Err(e) => return untrusted(os_text(e)),
        };
        let Some(st) = fstat(&fd) else {
            return untrusted(os_text(errno()));
        };
        if !is_type(&st, libc::S_IFREG) {
            return untrusted("it is not a regular file".into());
        }
        if let Some(why) = distrust(&st, "it", |m| m == 0o600, "not 0600") {
            return untrusted(why);
        }
        let size = usize::try_from(st.st_size).unwrap_or(usize::MAX);
        if size > MAX_ENTRY {
            // Trusted but not an entry of ours: a miss, replaced.
            return Read::Found(Zeroizing::new(Vec::new()));
        }
        // One buffer, sized once (one byte more, to see a file that grew), never reallocated,
        // so no copy of the secret is left unwiped.
        let mut buf = Zeroizing::new(vec![0u8; size + 1]);
        let mut n = 0;
        while n < buf.len() {
            // SAFETY: reading into the unfilled part of our buffer.
            let r =
                unsafe { libc::read(fd.as_raw_fd(), buf[n..].as_mut_ptr().cast(), buf.len() - n) };
            match r {
                0 => break,
                r if r > 0 => n += r as usize,
                _ if errno() == libc::EINTR => {}
                _ => return untrusted(format!("cannot read it: {}", os_text(errno()))),
            }
        }
        if n > size {
            // Changed while being read (our writers rename whole files): a miss.
            buf.clear();
        } else {
            buf.truncate(n);
        }
        Read::Found(buf)
    }

    /// Takes the lock of `key` if no other thread or process holds it (`Ok(None)` when one does);
    /// `Err` when the lock file cannot be used (the cache is then bypassed).
    pub(super) fn try_lock(&self, key: &Key) -> Result<Option<Lock>, Warning> {
        let path = self.file_path(key, LOCK);
        let Some(slot) = Slot::take(&path) else {
            return Ok(None); // another thread of this process holds it
        };
        let bad = |why: String| {
            Warning::new(format!(
                "shared cache: the lock file {} is not used: {why}",
                path.display()
            ))
        };
        // Opened only now that this thread has the slot: closing a descriptor of the file would
        // drop a record lock another thread of this process holds.
        let fd = self
            .openat(
                &c_name(key, LOCK),
                libc::O_RDWR | libc::O_CREAT | libc::O_NONBLOCK,
            )
            .map_err(|e| {
                bad(if e == libc::ELOOP {
                    "it is a symbolic link".into()
                } else {
                    os_text(e)
                })
            })?;
        let st = fstat(&fd).ok_or_else(|| bad(os_text(errno())))?;
        if !is_type(&st, libc::S_IFREG) {
            return Err(bad("it is not a regular file".into()));
        }
        if let Some(why) = distrust(&st, "it", |_| true, "") {
            return Err(bad(why));
        }
        loop {
            // SAFETY: an all-zero flock is valid; a write lock on the whole file.
            let mut fl: libc::flock = unsafe { std::mem::zeroed() };
            fl.l_type = libc::F_WRLCK as _;
            fl.l_whence = libc::SEEK_SET as _;
            // SAFETY: a descriptor we own and a flock structure.
            if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETLK, &fl) } == 0 {
                return Ok(Some(Lock {
                    fd: Some(fd),
                    _slot: slot,
                }));
            }
            match errno() {
                libc::EAGAIN | libc::EACCES => return Ok(None),
                libc::EINTR => continue,
                e => return Err(bad(format!("cannot lock it: {}", os_text(e)))),
            }
        }
    }

    /// Writes `bytes` as the entry of `key`: a temporary file, then a rename over the entry.
    pub(super) fn write(&self, key: &Key, bytes: &[u8]) -> Result<(), Warning> {
        let tmp = c_name(key, TMP);
        let fail = |what: &str, e: i32| {
            Warning::new(format!(
                "shared cache: the entry {} was not written: {what}: {}",
                self.file_path(key, ENTRY).display(),
                os_text(e)
            ))
        };
        let create = || {
            self.openat(
                &tmp,
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NONBLOCK,
            )
        };
        let fd = match create() {
            Err(libc::EEXIST) => {
                // Left by a writer that died (only the lock holder writes it): removed if it is
                // one of ours, else left alone and nothing is written.
                if !self.is_ours(&tmp) {
                    return Err(fail(
                        "a temporary file that is not ours is in the way",
                        libc::EEXIST,
                    ));
                }
                self.unlink(&tmp);
                create().map_err(|e| fail("cannot create the temporary file", e))?
            }
            r => r.map_err(|e| fail("cannot create the temporary file", e))?,
        };
        // The umask may have removed bits from 0600; readers want exactly 0600.
        // SAFETY: a descriptor of the file we just created.
        if unsafe { libc::fchmod(fd.as_raw_fd(), 0o600) } != 0 {
            let e = errno();
            self.unlink(&tmp);
            return Err(fail("cannot set the temporary file's mode", e));
        }
        let mut done = 0;
        while done < bytes.len() {
            // SAFETY: writing from our buffer.
            let r = unsafe {
                libc::write(
                    fd.as_raw_fd(),
                    bytes[done..].as_ptr().cast(),
                    bytes.len() - done,
                )
            };
            if r > 0 {
                done += r as usize;
            } else if r < 0 && errno() == libc::EINTR {
                continue;
            } else {
                let e = if r == 0 { libc::ENOSPC } else { errno() };
                drop(fd);
                self.unlink(&tmp);
                return Err(fail("cannot write the temporary file", e));
            }
        }
        // SAFETY: a descriptor we own.
        if unsafe { libc::close(std::os::fd::IntoRawFd::into_raw_fd(fd)) } != 0 {
            let e = errno();
            self.unlink(&tmp);
            return Err(fail("cannot write the temporary file", e));
        }
        let name = c_name(key, ENTRY);
        // SAFETY: our directory descriptor and two NUL-terminated names.
        let r = unsafe {
            libc::renameat(
                self.fd.as_raw_fd(),
                tmp.as_ptr(),
                self.fd.as_raw_fd(),
                name.as_ptr(),
            )
        };
        if r != 0 {
            let e = errno();
            self.unlink(&tmp);
            return Err(fail("cannot rename the temporary file", e));
        }
        Ok(())
    }

    /// A regular file owned by the effective uid (not following a symlink).
    fn is_ours(&self, name: &CString) -> bool {
        // SAFETY: `stat` is plain data (integers), for which zeros are valid.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: our directory descriptor, a NUL-terminated name and a stat buffer.
        let r = unsafe {
            libc::fstatat(
                self.fd.as_raw_fd(),
                name.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        r == 0 && is_type(&st, libc::S_IFREG) && st.st_uid == euid()
    }

    fn unlink(&self, name: &CString) -> bool {
        // SAFETY: our directory descriptor and a NUL-terminated name.
        unsafe { libc::unlinkat(self.fd.as_raw_fd(), name.as_ptr(), 0) == 0 }
    }

    /// Removes the files of `key` (entry and temporary file), or of every key with their lock
    /// files too; only regular files owned by the effective uid.
    pub(super) fn clear(&self, key: Option<&Key>) -> Result<Cleared, Warning> {
        let mut cleared = Cleared::default();
        let mut remove = |name: &str, lock: bool| {
            let Ok(c) = CString::new(name) else { return };
            if self.is_ours(&c) && self.unlink(&c) {
                if lock {
                    cleared.locks += 1;
                } else {
                    cleared.entries += 1;
                }
            }
        };
        match key {
            Some(k) => {
                remove(&format!("{}{ENTRY}", k.as_str()), false);
                remove(&format!("{}{TMP}", k.as_str()), false);
            }
            None => {
                let list = std::fs::read_dir(&self.path).map_err(|e| {
                    Warning::new(format!(
                        "shared cache: cannot list {}: {e}",
                        self.path.display()
                    ))
                })?;
                for e in list.flatten() {
                    let name = e.file_name();
                    let Some(name) = name.to_str() else { continue };
                    let Some((stem, suffix)) = name.split_at_checked(64) else {
                        continue;
                    };
                    if !stem.bytes().all(|b| b.is_ascii_hexdigit()) {
                        continue;
                    }
                    match suffix {
                        ENTRY | TMP => remove(name, false),
                        LOCK => remove(name, true),
                        _ => {}
                    }
                }
            }
        }
        Ok(cleared)
    }
}

/// A held lock: dropping it closes the descriptor (which releases the record lock), then frees
/// the slot.
pub(super) struct Lock {
    fd: Option<OwnedFd>,
    _slot: Slot,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // The descriptor goes before the slot (declaration order would do it, but say it).
        drop(self.fd.take());
    }
}

/// The lock files this process's threads hold, with the pid that took each (a child forked
/// while one was held inherits the table but not the lock: it ignores its parent's entries).
static HELD: parking_lot::Mutex<Vec<(PathBuf, u32)>> = parking_lot::const_mutex(Vec::new());

/// A thread's slot in [`HELD`] for one lock file.
pub(super) struct Slot(PathBuf);

impl Slot {
    fn take(path: &Path) -> Option<Slot> {
        let me = std::process::id();
        let mut held = HELD.lock();
        held.retain(|(_, pid)| *pid == me);
        if held.iter().any(|(p, _)| p == path) {
            return None;
        }
        held.push((path.to_owned(), me));
        Some(Slot(path.to_owned()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let me = std::process::id();
        HELD.lock().retain(|(p, pid)| !(p == &self.0 && *pid == me));
    }
}

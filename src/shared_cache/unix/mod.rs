//! The shared cache's files on POSIX systems: the trusted directory (and the rules for creating
//! it, `create.rs`), entries read with `O_NOFOLLOW` and checked with `fstat`, per-key locks
//! (`lock.rs`), atomic writes (temporary file and `renameat`), and the removal of what has
//! expired (`sweep.rs`). Every file is opened relative to the checked directory's descriptor and
//! is close-on-exec.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::location::Location;
use super::{Key, Reason, Warning};

mod create;
mod lock;
mod sweep;

pub(super) use lock::Lock;

/// Entries larger than this are not read (a miss).
const MAX_ENTRY: usize = 1 << 20;

const ENTRY: &str = ".entry";
const LOCK: &str = ".lock";
const TMP: &str = ".tmp";

/// The shared cache works here.
pub(super) fn supported() -> Result<(), Warning> {
    Ok(())
}

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

/// A file's identity: device and inode.
pub(super) type FileId = (u64, u64);

fn file_id(st: &libc::stat) -> FileId {
    // dev_t and ino_t differ in width between systems.
    #[allow(clippy::unnecessary_cast)]
    (st.st_dev as u64, st.st_ino as u64)
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

/// A name of the cache directory split into its key and suffix (`.entry`, `.lock`, `.tmp`).
fn split_name(name: &str) -> Option<(Key, &str)> {
    let (stem, suffix) = name.split_at_checked(64)?;
    let key = Key::from_hex(stem)?;
    [ENTRY, LOCK, TMP]
        .contains(&suffix)
        .then_some((key, suffix))
}

impl Dir {
    /// Opens and checks the cache directory, creating it (0700) where that is allowed.
    pub(super) fn open(loc: &Location) -> Result<Dir, Warning> {
        match Dir::open_raw(&loc.path) {
            Ok(fd) => Dir::checked(&loc.path, fd),
            Err(libc::ENOENT) => {
                create::make(loc)?;
                Dir::open_existing(&loc.path)
            }
            Err(e) => Err(Dir::unusable(&loc.path, e)),
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
        let (reason, why) = match e {
            libc::ELOOP => (Reason::DirectoryUntrusted, "it is a symbolic link".into()),
            libc::ENOTDIR => (
                Reason::DirectoryUntrusted,
                "it is not a directory (or is a symbolic link)".into(),
            ),
            libc::EINVAL => (
                Reason::DirectoryUnusable,
                "its path holds a NUL byte".into(),
            ),
            _ => (Reason::DirectoryUnusable, os_text(e)),
        };
        Dir::not_used(path, reason, why)
    }

    fn not_used(path: &Path, reason: Reason, why: String) -> Warning {
        Warning::new(
            reason,
            Some(path),
            format!(
                "shared cache: the directory {} is not used: {why}",
                path.display()
            ),
        )
    }

    /// The directory, if the opened `fd` is one this user alone may use.
    fn checked(path: &Path, fd: OwnedFd) -> Result<Dir, Warning> {
        let st = fstat(&fd)
            .ok_or_else(|| Dir::not_used(path, Reason::DirectoryUnusable, os_text(errno())))?;
        if !is_type(&st, libc::S_IFDIR) {
            return Err(Dir::not_used(
                path,
                Reason::DirectoryUntrusted,
                "it is not a directory".into(),
            ));
        }
        if let Some(why) = distrust(
            &st,
            "it",
            |m| m & 0o077 == 0,
            "which gives access to group or others (it must be 0700)",
        ) {
            return Err(Dir::not_used(path, Reason::DirectoryUntrusted, why));
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

    /// The path of the entry of `key` (for what the cache tells its caller).
    pub(super) fn entry_path(&self, key: &Key) -> PathBuf {
        self.file_path(key, ENTRY)
    }

    /// The path of the lock file of `key`.
    pub(super) fn lock_path(&self, key: &Key) -> PathBuf {
        self.file_path(key, LOCK)
    }

    /// Reads the entry of `key`, if it is there and trusted.
    pub(super) fn read(&self, key: &Key) -> Read {
        let untrusted = |why: String| {
            Read::Untrusted(Warning::new(
                Reason::EntryUntrusted,
                Some(&self.file_path(key, ENTRY)),
                format!(
                    "shared cache: the entry {} is not used: {why}",
                    self.file_path(key, ENTRY).display()
                ),
            ))
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

    /// Writes `bytes` as the entry of `key` (the caller holds its lock): a temporary file, then
    /// a rename over the entry. Nothing is attempted past the process's file size limit (a write
    /// there would raise `SIGXFSZ`, which kills a process that does not ignore it); a failed
    /// write removes its temporary file.
    pub(super) fn write(&self, key: &Key, bytes: &[u8]) -> Result<(), Warning> {
        let tmp = c_name(key, TMP);
        let fail = |what: &str, e: i32| {
            let reason = match e {
                libc::EFBIG => Reason::FileSizeLimit,
                libc::ENOSPC | libc::EDQUOT => Reason::NoSpace,
                _ => Reason::NotWritten,
            };
            Warning::new(
                reason,
                Some(&self.file_path(key, ENTRY)),
                format!(
                    "shared cache: the entry {} was not written: {what}: {}",
                    self.file_path(key, ENTRY).display(),
                    os_text(e)
                ),
            )
        };
        if let Some(limit) = file_size_limit().filter(|&l| (bytes.len() as u64) > l) {
            return Err(Warning::new(
                Reason::FileSizeLimit,
                Some(&self.file_path(key, ENTRY)),
                format!(
                    "shared cache: the entry {} was not written: the file size limit \
                     (RLIMIT_FSIZE, {limit} bytes) is below its {} bytes",
                    self.file_path(key, ENTRY).display(),
                    bytes.len()
                ),
            ));
        }
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

    /// Removes the entry of `key` (the caller holds `_lock`, its lock), if it is one of ours.
    pub(super) fn remove_entry(&self, key: &Key, _lock: &Lock) {
        let name = c_name(key, ENTRY);
        if self.is_ours(&name) {
            self.unlink(&name);
        }
    }

    /// The stat of a name (not following a symlink).
    fn stat_name(&self, name: &CString) -> Option<libc::stat> {
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
        (r == 0).then_some(st)
    }

    /// A regular file owned by the effective uid (not following a symlink).
    fn is_ours(&self, name: &CString) -> bool {
        self.stat_name(name)
            .is_some_and(|st| is_type(&st, libc::S_IFREG) && st.st_uid == euid())
    }

    fn unlink(&self, name: &CString) -> bool {
        // SAFETY: our directory descriptor and a NUL-terminated name.
        unsafe { libc::unlinkat(self.fd.as_raw_fd(), name.as_ptr(), 0) == 0 }
    }

    /// The names in the directory, read through its descriptor.
    fn names(&self) -> Result<Vec<String>, Warning> {
        let cannot = |e: i32| {
            Warning::new(
                Reason::DirectoryUnusable,
                Some(&self.path),
                format!(
                    "shared cache: cannot list {}: {}",
                    self.path.display(),
                    os_text(e)
                ),
            )
        };
        // SAFETY: a duplicate of our descriptor, owned by the DIR stream from here on.
        let dup = unsafe { libc::fcntl(self.fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return Err(cannot(errno()));
        }
        // SAFETY: a descriptor we own; fdopendir takes it (closed with the stream).
        let dirp = unsafe { libc::fdopendir(dup) };
        if dirp.is_null() {
            let e = errno();
            // SAFETY: fdopendir failed, so the descriptor is still ours.
            unsafe { libc::close(dup) };
            return Err(cannot(e));
        }
        // SAFETY: the stream was just opened on a duplicate, positioned anywhere: start over.
        unsafe { libc::rewinddir(dirp) };
        let mut names = Vec::new();
        loop {
            // SAFETY: a valid stream; the entry is read before the next call.
            let ent = unsafe { libc::readdir(dirp) };
            if ent.is_null() {
                break;
            }
            // SAFETY: d_name is NUL-terminated.
            let name = unsafe { std::ffi::CStr::from_ptr((*ent).d_name.as_ptr()) };
            if let Ok(s) = name.to_str() {
                names.push(s.to_owned());
            }
        }
        // SAFETY: the stream we opened.
        unsafe { libc::closedir(dirp) };
        Ok(names)
    }

    /// Removes the files of `keys` (entries, temporary files, lock files no helper holds), or
    /// of every key; only regular files owned by the effective uid. A lock file held by a
    /// running helper stays (its key's single flight must hold).
    pub(super) fn clear(&self, keys: Option<&[Key]>) -> Result<super::Cleared, Warning> {
        let mut out = super::Cleared {
            directory: self.path.clone(),
            ..Default::default()
        };
        let remove = |name: &str, out: &mut super::Cleared| {
            let Ok(c) = CString::new(name) else { return };
            if self.is_ours(&c) && self.unlink(&c) {
                out.removed.push(name.to_owned());
            }
        };
        let mut locks: Vec<Key> = Vec::new();
        match keys {
            Some(keys) => {
                for k in keys {
                    remove(&format!("{}{ENTRY}", k.as_str()), &mut out);
                    remove(&format!("{}{TMP}", k.as_str()), &mut out);
                    if self.stat_name(&c_name(k, LOCK)).is_some() && !locks.contains(k) {
                        locks.push(k.clone());
                    }
                }
            }
            None => {
                let mut names = self.names()?;
                names.sort();
                for name in names {
                    match split_name(&name) {
                        Some((_, ENTRY | TMP)) => remove(&name, &mut out),
                        Some((k, _)) => locks.push(k),
                        None => {}
                    }
                }
            }
        }
        for k in locks {
            let name = format!("{}{LOCK}", k.as_str());
            match self.try_lock(&k) {
                Ok(Some(lock)) => {
                    if self.remove_lock_file(&k, lock) {
                        out.removed.push(name);
                    }
                }
                Ok(None) => out.held.push(name),
                Err(_) => {}
            }
        }
        Ok(out)
    }
}

/// The soft file size limit (`RLIMIT_FSIZE`), if there is one.
fn file_size_limit() -> Option<u64> {
    // SAFETY: plain data (integers), for which zeros are valid.
    let mut rl: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: a valid rlimit buffer.
    if unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut rl) } != 0 {
        return None;
    }
    // rlim_t is u64 on the supported systems.
    #[allow(clippy::unnecessary_cast)]
    (rl.rlim_cur != libc::RLIM_INFINITY).then_some(rl.rlim_cur as u64)
}

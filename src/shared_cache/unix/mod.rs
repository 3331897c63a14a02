//! The shared cache's files on POSIX systems: the trusted directory (and the rules for creating
//! it, `create.rs`), entries read with `O_NOFOLLOW` and checked with `fstat`, per-key locks
//! (`lock.rs`), atomic writes (temporary file and `renameat`), and the primitives over which the
//! shared `clear.rs` and `sweep.rs` are written (see `files.rs`). Every file is opened relative
//! to the checked directory's descriptor and is close-on-exec.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::files::{
    directory_not_used, entry_not_used, entry_not_written, file_name, read_entry, ENTRY, LOCK, TMP,
};
use super::location::Location;
use super::{Key, Reason, Warning};

mod create;
mod lock;

pub(super) use super::files::Read;
pub(super) use lock::Lock;

/// The shared cache works here.
pub(super) fn supported() -> Result<(), Warning> {
    Ok(())
}

pub(super) struct Dir {
    fd: OwnedFd,
    path: PathBuf,
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
    CString::new(file_name(key, suffix)).unwrap_or_default()
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
        directory_not_used(path, reason, why)
    }

    /// The directory, if the opened `fd` is one this user alone may use.
    fn checked(path: &Path, fd: OwnedFd) -> Result<Dir, Warning> {
        let st = fstat(&fd)
            .ok_or_else(|| directory_not_used(path, Reason::DirectoryUnusable, os_text(errno())))?;
        if !is_type(&st, libc::S_IFDIR) {
            return Err(directory_not_used(
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
            return Err(directory_not_used(path, Reason::DirectoryUntrusted, why));
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

    /// The directory's path.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the entry of `key`, if it is there and trusted.
    pub(super) fn read(&self, key: &Key) -> Read {
        let untrusted = |why: String| entry_not_used(&self.file_path(key, ENTRY), why);
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
        read_entry(&self.file_path(key, ENTRY), size, std::fs::File::from(fd))
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
            entry_not_written(
                &self.file_path(key, ENTRY),
                reason,
                format!("{what}: {}", os_text(e)),
            )
        };
        if let Some(limit) = file_size_limit().filter(|&l| (bytes.len() as u64) > l) {
            return Err(entry_not_written(
                &self.file_path(key, ENTRY),
                Reason::FileSizeLimit,
                format!(
                    "the file size limit (RLIMIT_FSIZE, {limit} bytes) is below its {} bytes",
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
                if !self.is_ours(key, TMP) {
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

    /// Whether `<key><suffix>` exists (of any kind, not following a symlink).
    pub(super) fn has(&self, key: &Key, suffix: &str) -> bool {
        self.stat_name(&c_name(key, suffix)).is_some()
    }

    /// When `<key><suffix>` was last modified, in seconds since the Unix epoch (not following a
    /// symlink).
    pub(super) fn modified(&self, key: &Key, suffix: &str) -> Option<i64> {
        let st = self.stat_name(&c_name(key, suffix))?;
        // time_t is i64 on the supported systems.
        #[allow(clippy::unnecessary_cast)]
        Some(st.st_mtime as i64)
    }

    /// Whether `<key><suffix>` is a regular file owned by the effective uid (not following a
    /// symlink).
    pub(super) fn is_ours(&self, key: &Key, suffix: &str) -> bool {
        self.is_ours_name(&c_name(key, suffix))
    }

    fn is_ours_name(&self, name: &CString) -> bool {
        self.stat_name(name)
            .is_some_and(|st| is_type(&st, libc::S_IFREG) && st.st_uid == euid())
    }

    /// Removes `<key><suffix>` if it is a regular file owned by the effective uid; true when
    /// removed.
    pub(super) fn remove_if_ours(&self, key: &Key, suffix: &str) -> bool {
        let name = c_name(key, suffix);
        self.is_ours_name(&name) && self.unlink(&name)
    }

    fn unlink(&self, name: &CString) -> bool {
        // SAFETY: our directory descriptor and a NUL-terminated name.
        unsafe { libc::unlinkat(self.fd.as_raw_fd(), name.as_ptr(), 0) == 0 }
    }

    /// The names in the directory, read through its descriptor.
    pub(super) fn names(&self) -> Result<Vec<String>, Warning> {
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

//! The shared cache's files on Windows: the trusted directory (and the rules for creating it,
//! `create.rs`), entries opened without following a reparse point and checked by owner and
//! DACL (`security.rs`), per-key locks (`LockFileEx`, `lock.rs`), atomic writes (a temporary
//! file created with a private DACL, then `MoveFileExW` with `MOVEFILE_REPLACE_EXISTING`), and
//! the primitives over which the shared `clear.rs` and `sweep.rs` are written (see `files.rs`).
//!
//! The directory is opened once per use, without following a final reparse point (symbolic
//! link, junction), checked, and kept open without `FILE_SHARE_DELETE`: while its handle is open
//! neither it nor any directory above it can be renamed or removed, so the files opened by path
//! inside it are in the directory that was checked. Each file is opened with
//! `FILE_FLAG_OPEN_REPARSE_POINT` and checked through its handle (a reparse point or a
//! directory in an entry's place is never followed). Handles are not inheritable.
//!
//! A second check catches a link the system followed anyway (Wine follows the Unix symbolic
//! links of its drives, which it does not show as reparse points): the path the handle resolves
//! to (`GetFinalPathNameByHandleW`) must be the directory's parent's (resolved) followed by the
//! name asked for, and a file's the directory's followed by the file's name, compared without
//! case. As on POSIX, links among the directory's parents are followed; only the last component
//! must be what it says. Where the system cannot tell the path (some network file systems) this
//! check is not made.
//!
//! Files are opened sharing read, write and delete, so that a reader never stops a writer from
//! replacing an entry or a sweep from removing it. A file being removed stays in its directory
//! until its last handle closes, and opening it meanwhile fails with "access denied" (as does
//! replacing a file someone has open, under Wine): those opens and renames are tried again for
//! a while before the cache is bypassed.

use std::ffi::OsStr;
use std::io::Write as _;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::files::{
    directory_not_used, entry_not_used, entry_not_written, read_entry, ENTRY, LOCK, TMP,
};
use super::location::Location;
use super::{Key, Reason, Warning};
use windows_sys::Win32::Foundation::{
    GetLastError, ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, ERROR_DISK_FULL, ERROR_FILE_EXISTS,
    ERROR_FILE_NOT_FOUND, ERROR_FILE_TOO_LARGE, ERROR_HANDLE_DISK_FULL, ERROR_PATH_NOT_FOUND,
    ERROR_SHARING_VIOLATION, GENERIC_READ, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FileDispositionInfo, GetFileInformationByHandle, GetFinalPathNameByHandleW,
    MoveFileExW, SetFileInformationByHandle, BY_HANDLE_FILE_INFORMATION, CREATE_NEW, DELETE,
    FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_NORMAL, FILE_ATTRIBUTE_REPARSE_POINT,
    FILE_DISPOSITION_INFO, FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT,
    FILE_LIST_DIRECTORY, FILE_READ_ATTRIBUTES, FILE_SHARE_DELETE, FILE_SHARE_READ,
    FILE_SHARE_WRITE, MOVEFILE_REPLACE_EXISTING, OPEN_EXISTING, READ_CONTROL, SYNCHRONIZE,
};

mod create;
mod lock;
mod security;

pub(super) use super::files::Read;
pub(super) use lock::Lock;

/// Every sharing mode.
const SHARE_ALL: u32 = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

/// How many times an open or a rename that meets a file being removed or replaced is tried, and
/// the pause between two tries.
const TRIES: u32 = 50;
const PAUSE: Duration = Duration::from_millis(2);

/// Seconds between 1601-01-01 (a FILETIME's epoch) and 1970-01-01.
const FILETIME_TO_UNIX: u64 = 11_644_473_600;

/// The shared cache works here.
pub(super) fn supported() -> Result<(), Warning> {
    Ok(())
}

pub(super) struct Dir {
    /// The checked directory, kept open without `FILE_SHARE_DELETE` (see the module's
    /// documentation).
    _handle: OwnedHandle,
    path: PathBuf,
    /// The path the directory resolves to ([`final_path`]), if the system tells it.
    resolved: Option<String>,
}

fn last_error() -> u32 {
    // SAFETY: no preconditions.
    unsafe { GetLastError() }
}

/// The system's text for an error code.
fn os_text(code: u32) -> String {
    std::io::Error::from_raw_os_error(code as i32).to_string()
}

fn wide(p: &Path) -> Vec<u16> {
    p.as_os_str().encode_wide().chain(Some(0)).collect()
}

/// `CreateFileW`, its handle owned; `Err(error code)`.
fn create_file(
    path: &Path,
    access: u32,
    share: u32,
    disposition: u32,
    flags: u32,
    sd: Option<&security::PrivateSd>,
) -> Result<OwnedHandle, u32> {
    let name = wide(path);
    if name[..name.len() - 1].contains(&0) {
        return Err(windows_sys::Win32::Foundation::ERROR_INVALID_NAME);
    }
    let sa = sd.map(security::PrivateSd::attributes);
    // SAFETY: a NUL-terminated name; the security attributes (and the descriptor they point to)
    // outlive the call.
    let h = unsafe {
        CreateFileW(
            name.as_ptr(),
            access,
            share,
            sa.as_ref().map_or(std::ptr::null(), |a| a as *const _),
            disposition,
            flags,
            std::ptr::null_mut(),
        )
    };
    if h.is_null() || h == INVALID_HANDLE_VALUE {
        return Err(last_error());
    }
    // SAFETY: a handle we own from here on.
    Ok(unsafe { OwnedHandle::from_raw_handle(h) })
}

/// Whether an open failed on a file being removed (delete pending) or opened without sharing:
/// worth another try.
fn transient(e: u32) -> bool {
    e == ERROR_ACCESS_DENIED || e == ERROR_SHARING_VIOLATION
}

/// `open` again while it fails with a [`transient`] error, [`TRIES`] times at most.
fn retrying(open: impl Fn() -> Result<OwnedHandle, u32>) -> Result<OwnedHandle, u32> {
    let mut tries = 1;
    loop {
        match open() {
            Err(e) if transient(e) && tries < TRIES => {
                tries += 1;
                std::thread::sleep(PAUSE);
            }
            r => return r,
        }
    }
}

fn raw(h: &impl AsRawHandle) -> HANDLE {
    h.as_raw_handle() as HANDLE
}

fn info(h: &impl AsRawHandle) -> Result<BY_HANDLE_FILE_INFORMATION, u32> {
    // SAFETY: a zeroed structure is a valid value to be filled.
    let mut i: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: a valid handle and the structure.
    if unsafe { GetFileInformationByHandle(raw(h), &mut i) } == 0 {
        return Err(last_error());
    }
    Ok(i)
}

fn is_dir(i: &BY_HANDLE_FILE_INFORMATION) -> bool {
    i.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY != 0
}

fn is_reparse(i: &BY_HANDLE_FILE_INFORMATION) -> bool {
    i.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT != 0
}

/// The path the system resolves the open handle to (`\\?\C:\…`, no trailing `\`); `None`
/// when it cannot tell.
fn final_path(h: &impl AsRawHandle) -> Option<String> {
    let mut buf = vec![0u16; 512];
    loop {
        // SAFETY: a valid handle and a buffer of `buf.len()` u16s.
        let n = unsafe { GetFinalPathNameByHandleW(raw(h), buf.as_mut_ptr(), buf.len() as u32, 0) }
            as usize;
        if n == 0 {
            return None;
        }
        if n < buf.len() {
            let path = String::from_utf16(&buf[..n]).ok()?;
            return Some(path.trim_end_matches('\\').to_owned());
        }
        if n > 32 * 1024 {
            return None;
        }
        buf.resize(n + 1, 0);
    }
}

/// Whether the handle opened for `name` in the directory resolved as `dir` (a [`final_path`])
/// resolves to that very name there: not a link the system followed. Compared without case, as
/// Windows compares names.
fn resolves_to(h: &impl AsRawHandle, dir: Option<&str>, name: &OsStr) -> Result<(), String> {
    let (Some(dir), Some(got)) = (dir, final_path(h)) else {
        return Ok(());
    };
    let want = format!("{dir}\\{}", name.to_string_lossy());
    if got.to_uppercase() == want.to_uppercase() {
        Ok(())
    } else {
        Err(format!(
            "it is a symbolic link or a junction (it resolves to {})",
            got.trim_start_matches("\\\\?\\")
        ))
    }
}

/// A file's identity: its volume's serial number and its index on the volume.
type FileId = (u32, u64);

fn file_id(i: &BY_HANDLE_FILE_INFORMATION) -> FileId {
    (
        i.dwVolumeSerialNumber,
        (u64::from(i.nFileIndexHigh) << 32) | u64::from(i.nFileIndexLow),
    )
}

/// Marks the file open as `h` (with `DELETE` access) for removal: it goes when its last handle
/// closes.
fn dispose(h: &impl AsRawHandle) -> bool {
    let d = FILE_DISPOSITION_INFO { DeleteFile: true };
    // SAFETY: a valid handle and the structure this class takes.
    unsafe {
        SetFileInformationByHandle(
            raw(h),
            FileDispositionInfo,
            &d as *const _ as *const _,
            std::mem::size_of::<FILE_DISPOSITION_INFO>() as u32,
        ) != 0
    }
}

impl Dir {
    /// Opens and checks the cache directory, creating it (with the private DACL) where that is
    /// allowed.
    pub(super) fn open(loc: &Location) -> Result<Dir, Warning> {
        match Dir::open_raw(&loc.path) {
            Ok(h) => Dir::checked(&loc.path, h),
            Err(ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND) => {
                create::make(loc)?;
                Dir::open_existing(&loc.path)
            }
            Err(e) => Err(Dir::unusable(&loc.path, e)),
        }
    }

    /// The directory's handle (not following a final reparse point), or the error code.
    fn open_raw(path: &Path) -> Result<OwnedHandle, u32> {
        create_file(
            path,
            FILE_LIST_DIRECTORY | READ_CONTROL | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
            FILE_SHARE_READ | FILE_SHARE_WRITE,
            OPEN_EXISTING,
            FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
            None,
        )
    }

    /// Opens and checks the cache directory, which must exist.
    pub(super) fn open_existing(path: &Path) -> Result<Dir, Warning> {
        match Dir::open_raw(path) {
            Ok(h) => Dir::checked(path, h),
            Err(e) => Err(Dir::unusable(path, e)),
        }
    }

    fn unusable(path: &Path, e: u32) -> Warning {
        directory_not_used(path, Reason::DirectoryUnusable, os_text(e))
    }

    /// The directory, if the opened handle is one this user alone may use.
    fn checked(path: &Path, h: OwnedHandle) -> Result<Dir, Warning> {
        let i = info(&h)
            .map_err(|e| directory_not_used(path, Reason::DirectoryUnusable, os_text(e)))?;
        let untrusted = |why: String| directory_not_used(path, Reason::DirectoryUntrusted, why);
        if is_reparse(&i) {
            return Err(untrusted(
                "it is a reparse point (a symbolic link or a junction)".into(),
            ));
        }
        if !is_dir(&i) {
            return Err(untrusted("it is not a directory".into()));
        }
        if let (Some(parent), Some(name)) = (path.parent(), path.file_name()) {
            // The parent as the system resolves it (links among the parents are followed).
            let parent = create_file(
                parent,
                FILE_READ_ATTRIBUTES,
                SHARE_ALL,
                OPEN_EXISTING,
                FILE_FLAG_BACKUP_SEMANTICS,
                None,
            )
            .ok()
            .and_then(|p| final_path(&p));
            resolves_to(&h, parent.as_deref(), name).map_err(untrusted)?;
        }
        if let Some(why) = security::distrust(raw(&h), false) {
            return Err(untrusted(why));
        }
        Ok(Dir {
            resolved: final_path(&h),
            _handle: h,
            path: path.to_owned(),
        })
    }

    /// Why the file open as `h` for `path` (a name of this directory) is not a plain file of
    /// it, if it is not: a reparse point, a directory, or a link the system followed. Its
    /// attributes otherwise.
    fn plain_file(
        &self,
        h: &OwnedHandle,
        path: &Path,
    ) -> Result<BY_HANDLE_FILE_INFORMATION, String> {
        let i = info(h).map_err(os_text)?;
        if is_reparse(&i) {
            return Err("it is a reparse point (a symbolic link or a junction)".into());
        }
        if is_dir(&i) {
            return Err("it is not a regular file".into());
        }
        resolves_to(
            h,
            self.resolved.as_deref(),
            path.file_name().unwrap_or_default(),
        )?;
        Ok(i)
    }

    /// The directory's path.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the entry of `key`, if it is there and trusted.
    pub(super) fn read(&self, key: &Key) -> Read {
        let path = self.file_path(key, ENTRY);
        let untrusted = |why: String| entry_not_used(&path, why);
        let opened = retrying(|| {
            create_file(
                &path,
                GENERIC_READ,
                SHARE_ALL,
                OPEN_EXISTING,
                FILE_FLAG_OPEN_REPARSE_POINT,
                None,
            )
        });
        let h = match opened {
            Ok(h) => h,
            Err(ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND) => return Read::Absent,
            Err(e) => return untrusted(os_text(e)),
        };
        let i = match self.plain_file(&h, &path) {
            Ok(i) => i,
            Err(why) => return untrusted(why),
        };
        if let Some(why) = security::distrust(raw(&h), false) {
            return untrusted(why);
        }
        let size = (u64::from(i.nFileSizeHigh) << 32) | u64::from(i.nFileSizeLow);
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        read_entry(&path, size, std::fs::File::from(h))
    }

    /// Writes `bytes` as the entry of `key` (the caller holds its lock): a temporary file
    /// created with the private DACL, then a rename over the entry. A failed write removes its
    /// temporary file.
    pub(super) fn write(&self, key: &Key, bytes: &[u8]) -> Result<(), Warning> {
        let tmp = self.file_path(key, TMP);
        let entry = self.file_path(key, ENTRY);
        let fail = |what: &str, e: u32| {
            let reason = match e {
                ERROR_DISK_FULL | ERROR_HANDLE_DISK_FULL => Reason::NoSpace,
                ERROR_FILE_TOO_LARGE => Reason::FileSizeLimit,
                _ => Reason::NotWritten,
            };
            entry_not_written(&entry, reason, format!("{what}: {}", os_text(e)))
        };
        let sd = security::PrivateSd::new(false)
            .map_err(|why| entry_not_written(&entry, Reason::NotWritten, why))?;
        let create = || {
            create_file(
                &tmp,
                GENERIC_WRITE | DELETE,
                0,
                CREATE_NEW,
                FILE_FLAG_OPEN_REPARSE_POINT | FILE_ATTRIBUTE_NORMAL,
                Some(&sd),
            )
        };
        let h = match create() {
            Err(e @ (ERROR_FILE_EXISTS | ERROR_ALREADY_EXISTS)) => {
                // Left by a writer that died (only the lock holder writes it): removed if it is
                // one of ours, else left alone and nothing is written.
                if !self.remove_if_ours(key, TMP) {
                    return Err(fail("a temporary file that is not ours is in the way", e));
                }
                retrying(create).map_err(|e| fail("cannot create the temporary file", e))?
            }
            r => r.map_err(|e| fail("cannot create the temporary file", e))?,
        };
        let mut file = std::fs::File::from(h);
        if let Err(e) = file.write_all(bytes) {
            dispose(&file);
            let code = e.raw_os_error().map_or(0, |c| c as u32);
            return Err(fail("cannot write the temporary file", code));
        }
        drop(file);
        let (from, to) = (wide(&tmp), wide(&entry));
        let mut tries = 1;
        loop {
            // SAFETY: two NUL-terminated names.
            if unsafe { MoveFileExW(from.as_ptr(), to.as_ptr(), MOVEFILE_REPLACE_EXISTING) } != 0 {
                return Ok(());
            }
            let e = last_error();
            if transient(e) && tries < TRIES {
                // A reader has the entry open (Wine does not replace an open file).
                tries += 1;
                std::thread::sleep(PAUSE);
                continue;
            }
            self.remove_if_ours(key, TMP);
            return Err(fail("cannot rename the temporary file", e));
        }
    }

    /// Opens `path` (not following a reparse point) with `access`, sharing everything.
    fn open_any(&self, path: &Path, access: u32) -> Result<OwnedHandle, u32> {
        create_file(
            path,
            access,
            SHARE_ALL,
            OPEN_EXISTING,
            FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS,
            None,
        )
    }

    /// A plain file of the directory owned by the current user (not a reparse point, a link or
    /// a directory).
    fn is_ours_handle(&self, h: &OwnedHandle, path: &Path) -> bool {
        self.plain_file(h, path).is_ok() && security::distrust(raw(h), true).is_none()
    }

    /// Whether `<key><suffix>` exists (of any kind, not following a reparse point).
    pub(super) fn has(&self, key: &Key, suffix: &str) -> bool {
        self.stat(&self.file_path(key, suffix)).is_some()
    }

    /// When `<key><suffix>` was last written, in seconds since the Unix epoch (not following a
    /// reparse point).
    pub(super) fn modified(&self, key: &Key, suffix: &str) -> Option<i64> {
        let t = self.stat(&self.file_path(key, suffix))?.ftLastWriteTime;
        let ticks = (u64::from(t.dwHighDateTime) << 32) | u64::from(t.dwLowDateTime);
        Some((ticks / 10_000_000).saturating_sub(FILETIME_TO_UNIX) as i64)
    }

    /// Whether `<key><suffix>` is a plain file owned by the current user.
    pub(super) fn is_ours(&self, key: &Key, suffix: &str) -> bool {
        let path = self.file_path(key, suffix);
        self.open_any(&path, READ_CONTROL | FILE_READ_ATTRIBUTES)
            .is_ok_and(|h| self.is_ours_handle(&h, &path))
    }

    /// Removes `<key><suffix>` if it is a plain file owned by the current user (checked and
    /// removed through one handle); true when removed.
    pub(super) fn remove_if_ours(&self, key: &Key, suffix: &str) -> bool {
        let path = self.file_path(key, suffix);
        match self.open_any(&path, DELETE | READ_CONTROL | FILE_READ_ATTRIBUTES) {
            Ok(h) => self.is_ours_handle(&h, &path) && dispose(&h),
            Err(_) => false,
        }
    }

    /// The attributes of `path` (not following a reparse point).
    fn stat(&self, path: &Path) -> Option<BY_HANDLE_FILE_INFORMATION> {
        let h = self.open_any(path, FILE_READ_ATTRIBUTES).ok()?;
        info(&h).ok()
    }

    /// The names in the directory.
    pub(super) fn names(&self) -> Result<Vec<String>, Warning> {
        let cannot = |e: std::io::Error| {
            Warning::new(
                Reason::DirectoryUnusable,
                Some(&self.path),
                format!("shared cache: cannot list {}: {e}", self.path.display()),
            )
        };
        let mut names = Vec::new();
        for e in std::fs::read_dir(&self.path).map_err(cannot)? {
            if let Some(n) = e.map_err(cannot)?.file_name().to_str() {
                names.push(n.to_owned());
            }
        }
        Ok(names)
    }
}

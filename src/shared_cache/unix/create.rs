//! Creating a missing cache directory: the directory itself (mode 0700), and `~/.cache` when the
//! directory is `~/.cache/processcreds`; never any other parent.
//!
//! Not inside another user's directory: the parent must be owned by the effective uid or by root
//! (`/tmp`, `/run/user`), and for `~/.cache/processcreds` the `HOME` must be owned by the
//! effective uid. So root running with a user's `HOME`, `XDG_CACHE_HOME` or `XDG_RUNTIME_DIR`
//! (`sudo -E`) creates nothing there: a root-owned directory in a user's home would break that
//! user's own programs, and the cache would not be trusted by the user anyway.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{errno, euid, os_text};
use crate::shared_cache::files::directory_not_created;
use crate::shared_cache::location::{Location, Origin};
use crate::shared_cache::Warning;

/// The owner of an existing path (following symlinks: `HOME` may be one); `Err(errno)`.
fn owner(p: &Path) -> Result<libc::uid_t, i32> {
    let c = CString::new(p.as_os_str().as_bytes()).map_err(|_| libc::EINVAL)?;
    // SAFETY: plain data (integers), for which zeros are valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a stat buffer.
    if unsafe { libc::stat(c.as_ptr(), &mut st) } == 0 {
        Ok(st.st_uid)
    } else {
        Err(errno())
    }
}

/// `mkdir(path, 0700)`; an existing directory is fine (another process may be creating it).
fn mkdir(path: &Path) -> Result<(), i32> {
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| libc::EINVAL)?;
    // SAFETY: a NUL-terminated path.
    if unsafe { libc::mkdir(c.as_ptr(), 0o700) } == 0 || errno() == libc::EEXIST {
        Ok(())
    } else {
        Err(errno())
    }
}

/// Whether the effective uid may create a directory inside one owned by `uid`.
fn may_create_in(uid: libc::uid_t) -> bool {
    uid == euid() || uid == 0
}

/// Creates the missing directory of `loc` where that is allowed.
pub(super) fn make(loc: &Location) -> Result<(), Warning> {
    let path = &loc.path;
    let Some(parent) = path.parent() else {
        return Err(directory_not_created(path, "it has no parent".into()));
    };
    if let Origin::Home(home) = &loc.origin {
        match owner(home) {
            Ok(uid) if uid == euid() => {}
            Ok(uid) => {
                return Err(directory_not_created(
                    path,
                    format!(
                        "HOME ({}) is owned by uid {uid}, not by uid {}",
                        home.display(),
                        euid()
                    ),
                ))
            }
            Err(e) => {
                return Err(directory_not_created(
                    path,
                    format!("HOME ({}): {}", home.display(), os_text(e)),
                ))
            }
        }
        if owner(parent) == Err(libc::ENOENT) {
            mkdir(parent).map_err(|e| {
                directory_not_created(
                    path,
                    format!("cannot create {}: {}", parent.display(), os_text(e)),
                )
            })?;
        }
    }
    match owner(parent) {
        Ok(uid) if may_create_in(uid) => {}
        Ok(uid) => {
            return Err(directory_not_created(
                path,
                format!(
                    "its parent {} is owned by uid {uid}, not by uid {}",
                    parent.display(),
                    euid()
                ),
            ))
        }
        Err(e) => {
            return Err(directory_not_created(
                path,
                format!("its parent {}: {}", parent.display(), os_text(e)),
            ))
        }
    }
    mkdir(path).map_err(|e| directory_not_created(path, os_text(e)))
}

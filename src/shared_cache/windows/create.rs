//! Creating a missing cache directory on Windows: the directory itself, with the private
//! security descriptor (owner: the current user; a protected DACL for the user and SYSTEM);
//! never a parent.
//!
//! Not inside another user's directory: the parent must not be owned by another user account
//! (a SID `S-1-5-21-…` or `S-1-12-1-…` other than the current user's; folders owned by SYSTEM,
//! Administrators or TrustedInstaller, such as `C:\`, are fine), and `%LOCALAPPDATA%` must be
//! owned by the current user when the directory is `%LOCALAPPDATA%\processcreds`. So an
//! administrator running with another user's environment creates nothing in that user's profile
//! (the cache would not be trusted by that user anyway).

use std::path::Path;

use windows_sys::Win32::Foundation::ERROR_ALREADY_EXISTS;
use windows_sys::Win32::Storage::FileSystem::{
    CreateDirectoryW, FILE_FLAG_BACKUP_SEMANTICS, FILE_READ_ATTRIBUTES, OPEN_EXISTING, READ_CONTROL,
};

use super::security::{self, is_account, sid_name, sid_text};
use super::{create_file, last_error, os_text, raw, wide, SHARE_ALL};
use crate::shared_cache::files::directory_not_created;
use crate::shared_cache::location::{Location, Origin};
use crate::shared_cache::Warning;

/// The owner of an existing directory (following reparse points: `%LOCALAPPDATA%` may be one).
fn owner(p: &Path) -> Result<Vec<u8>, u32> {
    let h = create_file(
        p,
        READ_CONTROL | FILE_READ_ATTRIBUTES,
        SHARE_ALL,
        OPEN_EXISTING,
        FILE_FLAG_BACKUP_SEMANTICS,
        None,
    )?;
    security::owner(raw(&h))
}

/// Creates the missing directory of `loc` where that is allowed.
pub(super) fn make(loc: &Location) -> Result<(), Warning> {
    let path = &loc.path;
    let user = security::user().map_err(|e| directory_not_created(path, e))?;
    let Some(parent) = path.parent() else {
        return Err(directory_not_created(path, "it has no parent".into()));
    };
    if let Origin::LocalAppData(dir) = &loc.origin {
        match owner(dir) {
            Ok(o) if o == user => {}
            Ok(o) => {
                return Err(directory_not_created(
                    path,
                    format!(
                        "LOCALAPPDATA ({}) is owned by {}, not by the current user ({})",
                        dir.display(),
                        sid_name(&o),
                        sid_text(user)
                    ),
                ))
            }
            Err(e) => {
                return Err(directory_not_created(
                    path,
                    format!("LOCALAPPDATA ({}): {}", dir.display(), os_text(e)),
                ))
            }
        }
    }
    match owner(parent) {
        Ok(o) if o == user || !is_account(&o) => {}
        Ok(o) => {
            return Err(directory_not_created(
                path,
                format!(
                    "its parent {} is owned by another user ({}), not by the current user ({})",
                    parent.display(),
                    sid_name(&o),
                    sid_text(user)
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
    let sd = security::PrivateSd::new(true).map_err(|e| directory_not_created(path, e))?;
    let sa = sd.attributes();
    let name = wide(path);
    // SAFETY: a NUL-terminated name; the descriptor outlives the call.
    if unsafe { CreateDirectoryW(name.as_ptr(), &sa) } == 0 {
        let e = last_error();
        // Another process may be creating it: it is checked when opened.
        if e != ERROR_ALREADY_EXISTS {
            return Err(directory_not_created(path, os_text(e)));
        }
    }
    Ok(())
}

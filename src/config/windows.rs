//! Shared config on Windows: `%USERPROFILE%` (else the profile directory of the process's
//! token, as Go's `os/user`), paths joined and cleaned as Go's `filepath.Join` does on Windows.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::windows::ffi::OsStringExt;
use std::path::Path;

use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_BAD_NETPATH, ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND, HANDLE,
};
use windows_sys::Win32::Security::TOKEN_QUERY;
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};
use windows_sys::Win32::UI::Shell::GetUserProfileDirectoryW;

use crate::winpath;

/// aws-sdk-go v1's `shareddefaults.UserHomeDir()` on Windows: `USERPROFILE`, else the user's
/// profile directory.
pub(super) fn home_dir(var: &dyn Fn(&str) -> Option<OsString>) -> OsString {
    var("USERPROFILE").or_else(profile_dir).unwrap_or_default()
}

/// `filepath.Join(home, parts...)` with Windows rules (`\`, volume names, cleaning).
pub(super) fn home_file(home: &OsStr, parts: &[&str]) -> OsString {
    let rel = parts.join("\\");
    match home.to_str() {
        Some(h) => OsString::from(winpath::join(h, &rel)),
        // Not Unicode (an unpaired surrogate): joined without cleaning, so nothing is lost.
        None => Path::new(home).join(rel).into_os_string(),
    }
}

/// A file that is not there: skipped, as Go skips it (Go's `os.IsNotExist` on Windows).
pub(super) fn is_missing(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
        || matches!(
            e.raw_os_error().map(|c| c as u32),
            Some(ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND | ERROR_BAD_NETPATH)
        )
}

/// Go's `user.Current().HomeDir` on Windows: `GetUserProfileDirectoryW` of the process token.
fn profile_dir() -> Option<OsString> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: `token` receives a handle we close below.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return None;
    }
    let mut buf: Vec<u16> = vec![0; 260];
    let result = loop {
        let mut len = buf.len() as u32;
        // SAFETY: `buf` holds `len` u16s; on failure `len` is the size needed.
        let ok = unsafe { GetUserProfileDirectoryW(token, buf.as_mut_ptr(), &mut len) };
        if ok != 0 {
            let end = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
            break (end > 0).then(|| OsString::from_wide(&buf[..end]));
        }
        if (len as usize) > buf.len() && len < (1 << 16) {
            buf.resize(len as usize, 0);
            continue;
        }
        break None;
    };
    // SAFETY: closing the token opened above.
    unsafe { CloseHandle(token) };
    result
}

//! Shared config on POSIX systems: `$HOME` (else the password database, as Go's `os/user`),
//! paths joined and cleaned as Go's `filepath.Join`.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// aws-sdk-go v1's `shareddefaults.UserHomeDir()`: `HOME`, else the password database.
pub(super) fn home_dir(var: &dyn Fn(&str) -> Option<OsString>) -> OsString {
    var("HOME").or_else(passwd_home).unwrap_or_default()
}

/// `filepath.Join(home, parts...)`.
pub(super) fn home_file(home: &OsStr, parts: &[&str]) -> OsString {
    go_join(home, &parts.join("/"))
}

/// A file that is not there: skipped, as Go skips it.
pub(super) fn is_missing(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR)
}

/// `filepath.Join(home, rel)` as Go computes it: joined with `/` (an empty `home` is left out),
/// then cleaned lexically.
fn go_join(home: &OsStr, rel: &str) -> OsString {
    let mut joined = home.as_bytes().to_vec();
    if !joined.is_empty() {
        joined.push(b'/');
    }
    joined.extend_from_slice(rel.as_bytes());
    OsString::from_vec(go_clean(&joined))
}

/// Go's `path/filepath.Clean` for Unix paths.
fn go_clean(p: &[u8]) -> Vec<u8> {
    let rooted = p.first() == Some(&b'/');
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in p.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                if parts.last().is_some_and(|l| *l != b"..") {
                    parts.pop();
                } else if !rooted {
                    parts.push(part);
                }
            }
            _ => parts.push(part),
        }
    }
    let mut out = Vec::with_capacity(p.len());
    if rooted {
        out.push(b'/');
    }
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(part);
    }
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

/// The home directory from the password database (Go's `user.Current().HomeDir`).
fn passwd_home() -> Option<OsString> {
    let mut buf: Vec<libc::c_char> = vec![0; 1024];
    loop {
        // SAFETY: `passwd` is plain data (integers and pointers), for which zeros are valid.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: `pwd`, `buf` and `result` outlive the call; `buf.len()` is the buffer's size.
        let rc = unsafe {
            libc::getpwuid_r(
                libc::getuid(),
                &mut pwd,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && buf.len() < (1 << 20) {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || result.is_null() || pwd.pw_dir.is_null() {
            return None;
        }
        // SAFETY: on success `pw_dir` points to a NUL-terminated string inside `buf`.
        let dir = unsafe { std::ffi::CStr::from_ptr(pwd.pw_dir) };
        let dir = dir.to_bytes();
        return if dir.is_empty() {
            None
        } else {
            Some(OsString::from_vec(dir.to_vec()))
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_like_go() {
        let c = |s: &str| String::from_utf8(go_clean(s.as_bytes())).unwrap();
        assert_eq!(c("/home/u//.aws/config"), "/home/u/.aws/config");
        assert_eq!(c("/home/u/./x/../.aws/config"), "/home/u/.aws/config");
        assert_eq!(c("/../.aws/config"), "/.aws/config");
        assert_eq!(c("../a/../../b"), "../../b");
        assert_eq!(c(""), ".");
        assert_eq!(c("/"), "/");
        assert_eq!(
            home_file(OsStr::new(""), &[".aws", "credentials"]),
            OsString::from(".aws/credentials")
        );
        assert_eq!(
            home_file(OsStr::new("/h/"), &[".aws", "credentials"]),
            OsString::from("/h/.aws/credentials")
        );
    }
}

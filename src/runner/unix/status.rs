//! Go's texts for errno values, signals and wait statuses. The texts one system has and the
//! other has not (or words differently) come from the system's part, [`super::os`].

use super::os;

/// Go's `syscall.Errno.Error()` text. The table holds Go's texts where C libraries word them
/// differently (musl); they are the same in Go's Linux and Darwin tables. Others come from the
/// system's `strerror`, whose Darwin texts are Go's own.
pub(crate) fn errno_text(e: i32) -> String {
    let known = match e {
        libc::EPERM => "operation not permitted",
        libc::ENOENT => "no such file or directory",
        libc::EINTR => "interrupted system call",
        libc::EIO => "input/output error",
        libc::E2BIG => "argument list too long",
        libc::ENOEXEC => "exec format error",
        libc::EBADF => "bad file descriptor",
        libc::ECHILD => "no child processes",
        libc::EAGAIN => "resource temporarily unavailable",
        libc::ENOMEM => "cannot allocate memory",
        libc::EACCES => "permission denied",
        libc::EFAULT => "bad address",
        libc::ENOTDIR => "not a directory",
        libc::EISDIR => "is a directory",
        libc::EINVAL => "invalid argument",
        libc::ENFILE => "too many open files in system",
        libc::EMFILE => "too many open files",
        libc::ETXTBSY => "text file busy",
        libc::ENAMETOOLONG => "file name too long",
        libc::ELOOP => "too many levels of symbolic links",
        libc::ENOSYS => "function not implemented",
        _ => os::errno_text(e).unwrap_or_default(),
    };
    if !known.is_empty() {
        return known.to_string();
    }
    // SAFETY: strerror returns a valid C string for any errno.
    let s = unsafe { std::ffi::CStr::from_ptr(libc::strerror(e)) }.to_string_lossy();
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => format!("errno {e}"),
    }
}

/// Go's `syscall.Signal.String()`.
pub(super) fn signal_name(sig: i32) -> String {
    match os::signal_text(sig) {
        Some(name) => name.to_string(),
        None => format!("signal {sig}"),
    }
}

/// Go's `os.ProcessState.String()` for a wait status that is not a clean exit.
pub(super) fn describe_status(status: i32) -> Option<String> {
    let mut text = if libc::WIFEXITED(status) {
        match libc::WEXITSTATUS(status) {
            0 => return None,
            code => format!("exit status {code}"),
        }
    } else if libc::WIFSIGNALED(status) {
        format!("signal: {}", signal_name(libc::WTERMSIG(status)))
    } else {
        format!("unknown wait status {status}")
    };
    if libc::WIFSIGNALED(status) && libc::WCOREDUMP(status) {
        text.push_str(" (core dumped)");
    }
    Some(text)
}

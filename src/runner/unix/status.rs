//! Go's texts for errno values, signals and wait statuses.

/// Go's `syscall.Errno.Error()` text.
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
        libc::ELIBBAD => "accessing a corrupted shared library",
        libc::ENOSYS => "function not implemented",
        _ => "",
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
    let name = match sig {
        libc::SIGHUP => "hangup",
        libc::SIGINT => "interrupt",
        libc::SIGQUIT => "quit",
        libc::SIGILL => "illegal instruction",
        libc::SIGTRAP => "trace/breakpoint trap",
        libc::SIGABRT => "aborted",
        libc::SIGBUS => "bus error",
        libc::SIGFPE => "floating point exception",
        libc::SIGKILL => "killed",
        libc::SIGUSR1 => "user defined signal 1",
        libc::SIGSEGV => "segmentation fault",
        libc::SIGUSR2 => "user defined signal 2",
        libc::SIGPIPE => "broken pipe",
        libc::SIGALRM => "alarm clock",
        libc::SIGTERM => "terminated",
        libc::SIGSTKFLT => "stack fault",
        libc::SIGCHLD => "child exited",
        libc::SIGCONT => "continued",
        libc::SIGSTOP => "stopped (signal)",
        libc::SIGTSTP => "stopped",
        libc::SIGTTIN => "stopped (tty input)",
        libc::SIGTTOU => "stopped (tty output)",
        libc::SIGURG => "urgent I/O condition",
        libc::SIGXCPU => "CPU time limit exceeded",
        libc::SIGXFSZ => "file size limit exceeded",
        libc::SIGVTALRM => "virtual timer expired",
        libc::SIGPROF => "profiling timer expired",
        libc::SIGWINCH => "window changed",
        libc::SIGIO => "I/O possible",
        libc::SIGPWR => "power failure",
        libc::SIGSYS => "bad system call",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
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

//! The Windows runner: a command string runs as `cmd.exe /d /s /c "<command>"`, verbatim (D10),
//! an argv directly with MSVCRT quoting; `cmd.exe` and argv programs are found as Go's `os/exec`
//! finds them on Windows, and failures are worded as Go words them there.
//!
//! How a run goes: stdout (and stderr in capture mode) are named pipes read with overlapped
//! I/O; the helper is created suspended with exactly its three standard handles
//! (`PROC_THREAD_ATTRIBUTE_HANDLE_LIST`, so no other inheritable handle of the caller leaks
//! into it), put in a new job object (kill on close) and resumed. One wait covers the pipes, the
//! process and the [`Cancel`] token's event under the deadline taken before the spawn. On
//! timeout, on output over `MaxBufSize` (D3), or when the run is cancelled, the job is
//! terminated: the helper and all its descendants die (D1). Once the helper has exited, stdout may stay open at most 100 ms more
//! (D2); descendants still running then are left alone (the job lets them live on when it is
//! closed), as on POSIX.
//!
//! Differences from POSIX that come from Windows itself: there are no signals (a helper killed
//! by another program exits with the code that program chose, `exit status N`), exit codes from
//! 65536 on read as Go prints them (`exit status 0xc0000005`), and the stdio modes use the
//! `NUL` device.

mod cmdline;
pub(super) mod lookpath;
mod os;
mod read;
mod run;

pub(crate) use self::os::Waker;
pub(crate) use self::run::{wait, Run};

/// Go's `os.ProcessState.String()` on Windows for a non-zero exit code.
fn exit_text(code: u32) -> String {
    if code >= 1 << 16 {
        format!("exit status 0x{code:x}")
    } else {
        format!("exit status {code}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_texts_like_go() {
        assert_eq!(exit_text(1), "exit status 1");
        assert_eq!(exit_text(65535), "exit status 65535");
        assert_eq!(exit_text(65536), "exit status 0x10000");
        assert_eq!(exit_text(0xC000_0005), "exit status 0xc0000005");
    }
}

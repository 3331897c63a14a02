//! The macOS part of the POSIX runner, behind the interface `super` describes. It uses POSIX and
//! documented Apple interfaces only. No macOS machine runs it here: it is type-checked for both
//! Apple targets (`make check-macos`), and the code it shares with Linux is what the test suites
//! exercise (docs/PLATFORMS.md).
//!
//! - Descriptors: `posix_spawn` with `POSIX_SPAWN_CLOEXEC_DEFAULT` (an Apple extension): the
//!   kernel closes, in the child, every descriptor that no file action names. The helper's
//!   stdout (and captured stderr, or `/dev/null`) are named by their `dup2`/`open` actions; the
//!   standard descriptors it inherits (stdin, stderr in their `inherit` modes) by
//!   `posix_spawn_file_actions_addinherit_np`, and only when they are open and not close-on-exec
//!   in the caller, as a child on Linux would get them (that action fails the spawn with `EBADF`
//!   on a closed descriptor, and clears close-on-exec on the child's copy of one that has it).
//! - Pipes: `pipe`, then `fcntl(FD_CLOEXEC)` on each end (macOS has no `pipe2`). A helper of this
//!   library never inherits either end, even when another thread spawns one in between:
//!   `POSIX_SPAWN_CLOEXEC_DEFAULT` closes them in the child whatever their flag. A program the
//!   host starts at that very moment with `fork`/`exec`, or `posix_spawn` without that flag, may
//!   inherit a copy (Rust's std and Go's `os/exec` have the same window on macOS; Go closes it
//!   with a lock of its own runtime, which a library cannot take). A copy of the write end of the
//!   helper's stdout only delays the end of file: a run then returns at most 100 ms after the
//!   helper's exit (D2), with what the helper wrote.
//! - Exit watch: there is no pidfd. The run looks for the exit with `waitpid` every 10 ms (every
//!   1 ms once stdout has closed), as on Linux before 5.3; so does the reaper.
//! - Cancellation and the reaper are woken through a non-blocking close-on-exec pipe.
//! - Descendants (D1's tree kill): `proc_listchildpids` (libproc, part of libSystem).

use std::ffi::{c_char, c_int};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use super::fd::{above_stdio, last_errno, set_nonblocking, take};
use super::plan::{posix_spawn, Actions, Plan, Stderr};

/// `PTHREAD_CANCEL_DISABLE` in Darwin's `<pthread.h>` (`PTHREAD_CANCEL_ENABLE` is 1 there).
pub(super) const PTHREAD_CANCEL_DISABLE: c_int = 0;

extern "C" {
    /// `<spawn.h>`, macOS 10.7: `fd` stays open in the child under `POSIX_SPAWN_CLOEXEC_DEFAULT`.
    fn posix_spawn_file_actions_addinherit_np(
        actions: *mut libc::posix_spawn_file_actions_t,
        fd: c_int,
    ) -> c_int;
}

/// The process's environment: `_NSGetEnviron()`, the documented way for a shared library (which
/// has no `environ` of its own to link against).
///
/// # Safety
/// Reads the environment pointer, which a concurrent `setenv` may replace (as for every caller
/// of `posix_spawn`).
pub(crate) unsafe fn environ() -> *const *mut c_char {
    // SAFETY: `_NSGetEnviron` returns the address of the process's environment pointer, which
    // is read once (the caller accepts the race with `setenv`).
    unsafe { *libc::_NSGetEnviron() as *const *mut c_char }
}

/// Starts the helper with every descriptor above 2 closed (`POSIX_SPAWN_CLOEXEC_DEFAULT`). Its
/// pid, or the errno.
pub(super) fn spawn(plan: &Plan) -> Result<libc::pid_t, i32> {
    let started = posix_spawn(plan, |fa, flags| {
        if !plan.stdin_null {
            inherit(fa, 0);
        }
        if matches!(plan.stderr, Stderr::Inherit) {
            inherit(fa, 2);
        }
        *flags |= libc::POSIX_SPAWN_CLOEXEC_DEFAULT;
        Ok(())
    });
    // The closure above never declines.
    started.unwrap_or(Err(libc::ENOSYS))
}

/// Names `fd` for the child if the caller has it open without close-on-exec (what a child gets
/// on Linux). Another thread closing it right after this check makes the spawn fail with EBADF.
fn inherit(fa: &mut Actions, fd: c_int) {
    // SAFETY: F_GETFD reads the descriptor's flags; the file actions are initialised.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFD);
        if flags >= 0 && flags & libc::FD_CLOEXEC == 0 {
            posix_spawn_file_actions_addinherit_np(&mut fa.0, fd);
        }
    }
}

/// A pipe whose ends are close-on-exec, both above 2: `pipe`, then `fcntl` (see the module's
/// note on the window between the two).
pub(super) fn cloexec_pipe() -> Result<(OwnedFd, OwnedFd), i32> {
    let mut fds = [0i32; 2];
    // SAFETY: fds has room for two descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(last_errno());
    }
    // SAFETY: pipe just made both descriptors; nothing else owns them.
    let (r, w) = unsafe { (take(fds[0])?, take(fds[1])?) };
    for fd in [&r, &w] {
        // SAFETY: fcntl on a descriptor we own.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) } != 0 {
            return Err(last_errno());
        }
    }
    Ok((above_stdio(r)?, above_stdio(w)?))
}

/// macOS has no pidfd: the exit is polled for.
pub(super) fn pidfd_open(_pid: libc::pid_t) -> Option<OwnedFd> {
    None
}

/// Never called ([`pidfd_open`] gives no descriptor); `ENOSYS` makes the caller use `kill`.
pub(super) fn pidfd_send_signal(_pidfd: BorrowedFd<'_>, _sig: i32) -> Result<(), i32> {
    Err(libc::ENOSYS)
}

/// A non-blocking close-on-exec pipe that wakes a thread blocked in `poll`: readable from the
/// first [`Waker::wake`] until [`Waker::clear`].
pub(crate) struct Waker {
    r: OwnedFd,
    w: OwnedFd,
}

impl Waker {
    /// `None` when the system refuses the descriptors.
    pub(crate) fn new() -> Option<Waker> {
        let (r, w) = cloexec_pipe().ok()?;
        set_nonblocking(r.as_fd());
        set_nonblocking(w.as_fd());
        Some(Waker { r, w })
    }

    pub(crate) fn wake(&self) {
        let one = 1u8;
        // SAFETY: writing one byte to our non-blocking pipe (a full pipe is readable already).
        unsafe { libc::write(self.w.as_raw_fd(), (&raw const one).cast(), 1) };
    }

    pub(crate) fn clear(&self) {
        let mut buf = [0u8; 64];
        loop {
            // SAFETY: reading into our buffer from our non-blocking pipe.
            let n = unsafe { libc::read(self.r.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n < buf.len() as isize {
                return;
            }
        }
    }

    /// The descriptor a waiting thread polls (readable once woken).
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.r.as_fd()
    }
}

/// More children than this are not listed (the list is read again, larger, up to this size).
const MAX_CHILDREN: usize = 1 << 16;

/// The processes whose parent is one of `parents`: `proc_listchildpids` for each. A process
/// that has exited (or may not be listed) has none.
pub fn children_of(parents: &[libc::pid_t]) -> Vec<libc::pid_t> {
    let mut out = Vec::new();
    let mut buf: Vec<libc::pid_t> = vec![0; 64];
    for &parent in parents {
        loop {
            let size = std::mem::size_of_val(buf.as_slice()).min(c_int::MAX as usize) as c_int;
            // SAFETY: `buf` holds `size` bytes; the result is a count of pids written, or -1.
            let n = unsafe { libc::proc_listchildpids(parent, buf.as_mut_ptr().cast(), size) };
            if n <= 0 {
                break;
            }
            let n = (n as usize).min(buf.len());
            if n == buf.len() && buf.len() < MAX_CHILDREN {
                // Perhaps more than fit: list again with more room.
                buf.resize(buf.len() * 4, 0);
                continue;
            }
            out.extend(buf[..n].iter().copied().filter(|&p| p > 0));
            break;
        }
    }
    out
}

/// Go's `syscall.Errno.Error()` texts for Darwin-only errno values: none needed (Darwin's
/// `strerror` texts are Go's, `super::status`).
pub(super) fn errno_text(_e: i32) -> Option<&'static str> {
    None
}

/// Go's `syscall.Signal.String()` on Darwin (`zerrors_darwin_*.go`).
pub(super) fn signal_text(sig: i32) -> Option<&'static str> {
    Some(match sig {
        libc::SIGHUP => "hangup",
        libc::SIGINT => "interrupt",
        libc::SIGQUIT => "quit",
        libc::SIGILL => "illegal instruction",
        libc::SIGTRAP => "trace/BPT trap",
        libc::SIGABRT => "abort trap",
        libc::SIGEMT => "EMT trap",
        libc::SIGFPE => "floating point exception",
        libc::SIGKILL => "killed",
        libc::SIGBUS => "bus error",
        libc::SIGSEGV => "segmentation fault",
        libc::SIGSYS => "bad system call",
        libc::SIGPIPE => "broken pipe",
        libc::SIGALRM => "alarm clock",
        libc::SIGTERM => "terminated",
        libc::SIGURG => "urgent I/O condition",
        libc::SIGSTOP => "suspended (signal)",
        libc::SIGTSTP => "suspended",
        libc::SIGCONT => "continued",
        libc::SIGCHLD => "child exited",
        libc::SIGTTIN => "stopped (tty input)",
        libc::SIGTTOU => "stopped (tty output)",
        libc::SIGIO => "I/O possible",
        libc::SIGXCPU => "cputime limit exceeded",
        libc::SIGXFSZ => "filesize limit exceeded",
        libc::SIGVTALRM => "virtual timer expired",
        libc::SIGPROF => "profiling timer expired",
        libc::SIGWINCH => "window size changes",
        libc::SIGINFO => "information request",
        libc::SIGUSR1 => "user defined signal 1",
        libc::SIGUSR2 => "user defined signal 2",
        _ => return None,
    })
}

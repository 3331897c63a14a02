//! The Linux part of the POSIX runner (glibc and musl), behind the interface that
//! `super::macos` also provides (see `super`): starting the helper with every descriptor above 2
//! closed, the close-on-exec pipe, the exit watch (pidfd), the cancellation waker (eventfd), the
//! helper's descendants (`/proc`, [`children`]), and the system's names for signals and errors.
//!
//! Facilities newer than the baseline (glibc 2.17, Linux 3.10) are found at run time so that the
//! library links and loads everywhere; each has a fallback that keeps the same guarantees.
//!
//! - `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34; musl has none): looked up once with
//!   `dlsym`; when it is missing or fails, the helper is started by [`fallback`].
//! - `pidfd_open` (Linux 5.3) and `pidfd_send_signal` (5.1): through `syscall`; on `ENOSYS` the
//!   runner polls for the exit and signals with `kill` (safe too: the child is not reaped yet).
//! - `close_range` (Linux 5.9): through `syscall` in the fallback's child; on any error the child
//!   closes what `/proc/self/fd` lists, or every descriptor below the limit.
//!
//! The system calls go through libc's `syscall` so that a test can make them fail (an
//! `LD_PRELOAD` shim, tests/shim/nofacilities.c).

use std::ffi::c_char;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::fd::{above_stdio, last_errno, take};
use super::plan::{posix_spawn, Plan, Unavailable};

mod children;
mod fallback;

pub use children::children_of;

/// `PTHREAD_CANCEL_DISABLE` in glibc and musl.
pub(super) const PTHREAD_CANCEL_DISABLE: libc::c_int = 1;

/// The process's environment, as `posix_spawn`'s callers pass it.
///
/// # Safety
/// Reads `environ`, which a concurrent `setenv` may replace (as for every caller of
/// `posix_spawn`).
pub(crate) unsafe fn environ() -> *const *mut c_char {
    extern "C" {
        static environ: *const *mut c_char;
    }
    // SAFETY: the C library's `environ`, read once (the caller accepts the race with `setenv`).
    unsafe { environ }
}

/// Starts the helper with every descriptor above 2 closed: `posix_spawn` with the closefrom file
/// action where the C library has it, else the fallback. Its pid, or the errno.
pub(super) fn spawn(plan: &Plan) -> Result<libc::pid_t, i32> {
    if let Some(closefrom) = addclosefrom() {
        let started = posix_spawn(plan, |fa, _flags| {
            // SAFETY: an initialised file-actions object and the function dlsym found.
            let rc = unsafe { closefrom(&mut fa.0, 3) };
            if rc != 0 {
                closefrom_failed(rc);
                return Err(Unavailable);
            }
            Ok(())
        });
        if let Ok(r) = started {
            return r;
        }
    }
    fallback::spawn(plan)
}

/// A close-on-exec pipe (`pipe2`, atomic: no other thread's spawn can inherit it), both ends
/// above 2.
pub(super) fn cloexec_pipe() -> Result<(OwnedFd, OwnedFd), i32> {
    let mut fds = [0i32; 2];
    // SAFETY: fds has room for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(last_errno());
    }
    // SAFETY: pipe2 just made both descriptors; nothing else owns them.
    let (r, w) = unsafe { (take(fds[0])?, take(fds[1])?) };
    Ok((above_stdio(r)?, above_stdio(w)?))
}

/// `posix_spawn_file_actions_addclosefrom_np`.
type AddClosefrom =
    unsafe extern "C" fn(*mut libc::posix_spawn_file_actions_t, libc::c_int) -> libc::c_int;

const NOT_LOOKED_UP: usize = 1;
/// The function's address; 0 when absent or disabled; `NOT_LOOKED_UP` before the first use.
static CLOSEFROM: AtomicUsize = AtomicUsize::new(NOT_LOOKED_UP);

/// The closefrom file action, when the C library has it (and it has not failed before).
fn addclosefrom() -> Option<AddClosefrom> {
    let mut addr = CLOSEFROM.load(Ordering::Acquire);
    if addr == NOT_LOOKED_UP {
        // SAFETY: dlsym with RTLD_DEFAULT (a null handle on Linux) and a NUL-terminated name.
        let p = unsafe {
            libc::dlsym(
                std::ptr::null_mut(),
                c"posix_spawn_file_actions_addclosefrom_np".as_ptr(),
            )
        };
        addr = p as usize;
        // A symbol at address 1 cannot exist; keep the marker distinct anyway.
        if addr == NOT_LOOKED_UP {
            addr = 0;
        }
        CLOSEFROM.store(addr, Ordering::Release);
    }
    // SAFETY: a non-zero value is the address dlsym gave for this symbol, whose C signature is
    // `int (posix_spawn_file_actions_t *, int)`.
    (addr != 0).then(|| unsafe { std::mem::transmute::<usize, AddClosefrom>(addr) })
}

/// The closefrom action failed with `err`: use the fallback from now on, unless the failure was
/// a transient lack of memory.
fn closefrom_failed(err: i32) {
    if err != libc::ENOMEM {
        CLOSEFROM.store(0, Ordering::Release);
    }
}

/// Set once `pidfd_open` has answered `ENOSYS` (or `EPERM` from a seccomp filter).
static NO_PIDFD: AtomicBool = AtomicBool::new(false);

/// A pidfd for our unreaped child, or `None` where the kernel has none.
pub(super) fn pidfd_open(pid: libc::pid_t) -> Option<OwnedFd> {
    if NO_PIDFD.load(Ordering::Relaxed) {
        return None;
    }
    // SAFETY: a plain system call; its result is a new close-on-exec descriptor (owned by
    // `take` from here on) or -1.
    match unsafe { take(libc::syscall(libc::SYS_pidfd_open, pid, 0) as i32) } {
        Ok(fd) => Some(fd),
        Err(e) => {
            if matches!(e, libc::ENOSYS | libc::EPERM) {
                NO_PIDFD.store(true, Ordering::Relaxed);
            }
            None
        }
    }
}

/// `close_range(first, last, 0)`: 0 on success, -1 with errno set otherwise. Async-signal-safe.
fn close_range(first: libc::c_uint, last: libc::c_uint) -> libc::c_long {
    // SAFETY: a plain system call.
    unsafe { libc::syscall(libc::SYS_close_range, first, last, 0) }
}

/// `pidfd_send_signal(pidfd, sig, NULL, 0)`.
pub(super) fn pidfd_send_signal(pidfd: BorrowedFd<'_>, sig: i32) -> Result<(), i32> {
    // SAFETY: a plain system call on an open pidfd, with no siginfo.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            sig,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

/// An eventfd that wakes a thread blocked in `poll`: readable from the first [`Waker::wake`]
/// until [`Waker::clear`].
pub(crate) struct Waker(OwnedFd);

impl Waker {
    /// `None` when the system refuses the descriptor.
    pub(crate) fn new() -> Option<Waker> {
        // SAFETY: a plain system call; `take` owns the new descriptor.
        unsafe { take(libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK)) }
            .ok()
            .map(Waker)
    }

    pub(crate) fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writing 8 bytes to our eventfd (it cannot overflow: at most 2^64-2 wakes).
        unsafe { libc::write(self.0.as_raw_fd(), (&raw const one).cast(), 8) };
    }

    pub(crate) fn clear(&self) {
        let mut v: u64 = 0;
        // SAFETY: reading 8 bytes from our non-blocking eventfd into `v`.
        unsafe { libc::read(self.0.as_raw_fd(), (&raw mut v).cast(), 8) };
    }

    /// The descriptor a waiting thread polls (readable once woken).
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

/// Go's `syscall.Errno.Error()` texts for Linux-only errno values (the others are common to the
/// POSIX systems, `super::status`).
pub(super) fn errno_text(e: i32) -> Option<&'static str> {
    match e {
        libc::ELIBBAD => Some("accessing a corrupted shared library"),
        _ => None,
    }
}

/// Go's `syscall.Signal.String()` on Linux (`zerrors_linux_*.go`).
pub(super) fn signal_text(sig: i32) -> Option<&'static str> {
    Some(match sig {
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
        _ => return None,
    })
}

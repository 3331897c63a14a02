//! Facilities newer than the baseline (glibc 2.17, Linux 3.10), found at run time so that the
//! library links and loads everywhere; each has a fallback that keeps the same guarantees.
//!
//! - `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34; musl has none): looked up once with
//!   `dlsym`; when it is missing or fails, the helper is started by [`super::fallback`].
//! - `pidfd_open` (Linux 5.3): through `syscall`; on `ENOSYS` the runner polls for the exit.
//! - `close_range` (Linux 5.9): through `syscall` in the fallback's child; on any error the child
//!   closes what `/proc/self/fd` lists, or every descriptor below the limit.
//!
//! The system calls go through libc's `syscall` so that a test can make them fail (an
//! `LD_PRELOAD` shim, tests/shim/nofacilities.c).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::fd::{last_errno, Fd};

/// `posix_spawn_file_actions_addclosefrom_np`.
pub(super) type AddClosefrom =
    unsafe extern "C" fn(*mut libc::posix_spawn_file_actions_t, libc::c_int) -> libc::c_int;

const NOT_LOOKED_UP: usize = 1;
/// The function's address; 0 when absent or disabled; `NOT_LOOKED_UP` before the first use.
static CLOSEFROM: AtomicUsize = AtomicUsize::new(NOT_LOOKED_UP);

/// The closefrom file action, when the C library has it (and it has not failed before).
pub(super) fn addclosefrom() -> Option<AddClosefrom> {
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
pub(super) fn closefrom_failed(err: i32) {
    if err != libc::ENOMEM {
        CLOSEFROM.store(0, Ordering::Release);
    }
}

/// Set once `pidfd_open` has answered `ENOSYS` (or `EPERM` from a seccomp filter).
static NO_PIDFD: AtomicBool = AtomicBool::new(false);

/// A pidfd for our unreaped child, or `None` where the kernel has none.
pub(super) fn pidfd_open(pid: libc::pid_t) -> Option<Fd> {
    if NO_PIDFD.load(Ordering::Relaxed) {
        return None;
    }
    // SAFETY: a plain system call; the result is a new close-on-exec descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd >= 0 {
        return Some(Fd(fd as i32));
    }
    if matches!(last_errno(), libc::ENOSYS | libc::EPERM) {
        NO_PIDFD.store(true, Ordering::Relaxed);
    }
    None
}

/// `close_range(first, ~0, 0)`: 0 on success, -1 with errno set otherwise. Async-signal-safe.
pub(super) fn close_range_from(first: libc::c_uint) -> libc::c_long {
    // SAFETY: a plain system call.
    unsafe { libc::syscall(libc::SYS_close_range, first, libc::c_uint::MAX, 0) }
}

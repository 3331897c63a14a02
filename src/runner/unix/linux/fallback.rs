//! Starting the helper where the C library has no closefrom file action for `posix_spawn` (glibc
//! before 2.34, musl), with the same guarantees: a vfork-style child (`clone` with `CLONE_VM |
//! CLONE_VFORK`, as `posix_spawn` itself does) on a stack of its own, which sets the signal
//! dispositions and mask, the process group and the standard descriptors, closes every
//! descriptor above 2 (`close_range` where the kernel has it, else what `/proc/self/fd` lists,
//! else every number below `RLIMIT_NOFILE`), then `execve`s. The parent stays suspended until the
//! exec or the child's exit. An error in the child is written to a close-on-exec pipe, which the
//! parent reads (end of file: the exec succeeded), and reported as the `posix_spawn` path
//! reports it; the pipe also works where `CLONE_VFORK` is emulated by a `fork` (valgrind,
//! qemu-user).
//!
//! The child shares the parent's memory: it allocates nothing, takes no lock and calls only
//! async-signal-safe functions. All signals are blocked around the `clone` so that no handler of
//! the host runs in it; the child resets every caught signal to its default before unblocking.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use super::super::fd::last_errno;
use super::super::plan::{Plan, Stderr};
use super::{cloexec_pipe, close_range};

struct Shared<'a> {
    plan: &'a Plan<'a>,
    /// One past the highest signal number.
    nsig: c_int,
    /// The last resort's bound: `RLIMIT_NOFILE`.
    max_fd: c_int,
    /// The write end of the error pipe (close-on-exec).
    err_w: c_int,
}

/// The child's stack: mapped for each spawn (this path is the fallback), with a guard page.
struct Stack {
    base: *mut c_void,
    len: usize,
}

const STACK_LEN: usize = 128 * 1024;

impl Stack {
    fn new() -> Result<Stack, i32> {
        // SAFETY: an anonymous private mapping; a guard page at its low end.
        unsafe {
            let page = (libc::sysconf(libc::_SC_PAGESIZE) as usize).max(4096);
            let len = STACK_LEN + page;
            let base = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            );
            if base == libc::MAP_FAILED {
                return Err(last_errno());
            }
            libc::mprotect(base, page, libc::PROT_NONE);
            Ok(Stack { base, len })
        }
    }

    /// The initial stack pointer (stacks grow down on every Linux target this builds for).
    fn top(&self) -> *mut c_void {
        let top = self.base as usize + self.len;
        (top & !15) as *mut c_void
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: our mapping, no longer used (the child has exec'ed or exited).
        unsafe { libc::munmap(self.base, self.len) };
    }
}

/// Starts the helper; its pid, or the errno of what failed (the child is then reaped).
pub(super) fn spawn(plan: &Plan) -> Result<libc::pid_t, i32> {
    // SAFETY: getrlimit fills the struct.
    let max_fd = unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur.min(c_int::MAX as libc::rlim_t) as c_int
        } else {
            65536
        }
    };
    let (err_r, err_w): (OwnedFd, OwnedFd) = cloexec_pipe()?;
    let shared = Shared {
        plan,
        nsig: libc::SIGRTMAX() + 1,
        max_fd,
        err_w: err_w.as_raw_fd(),
    };
    let stack = Stack::new()?;
    // SAFETY: the child runs `child_main` on its own stack with `shared`, which outlives it
    // (CLONE_VFORK suspends us until the child has exec'ed or exited); the signal mask is
    // restored before returning.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        let pid = libc::clone(
            child_main,
            stack.top(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            &shared as *const Shared as *mut c_void,
        );
        let clone_err = last_errno();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        drop(stack);
        if pid < 0 {
            return Err(clone_err);
        }
        drop(err_w);
        match read_errno(err_r.as_fd()) {
            None => Ok(pid),
            Some(err) => {
                let mut status = 0;
                while libc::waitpid(pid, &mut status, 0) < 0 && last_errno() == libc::EINTR {}
                Err(err)
            }
        }
    }
}

/// The child: async-signal-safe calls only, no allocation, no panic.
extern "C" fn child_main(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the parent's `Shared`, alive while the parent is suspended.
    let s = unsafe { &*(arg as *const Shared) };
    let p = s.plan;
    let fail = |err: c_int| -> ! {
        let err = if err == 0 { libc::EINVAL } else { err };
        // SAFETY: writing 4 bytes to the error pipe (far below PIPE_BUF: atomic), then leaving.
        unsafe {
            libc::write(s.err_w, &err as *const c_int as *const c_void, 4);
            libc::_exit(127)
        }
    };
    // SAFETY: system calls on the child's own state.
    unsafe {
        reset_signals(s.nsig);
        if p.own_group && libc::setpgid(0, 0) != 0 {
            fail(errno());
        }
        if libc::dup2(p.stdout, 1) < 0 {
            fail(errno());
        }
        if p.stdin_null {
            if let Err(e) = open_onto(c"/dev/null", libc::O_RDONLY, 0) {
                fail(e);
            }
        }
        match p.stderr {
            Stderr::Inherit => {}
            Stderr::Fd(fd) => {
                if libc::dup2(fd, 2) < 0 {
                    fail(errno());
                }
            }
            Stderr::Null => {
                if let Err(e) = open_onto(c"/dev/null", libc::O_WRONLY, 2) {
                    fail(e);
                }
            }
        }
        close_from_3(s.err_w, s.max_fd);
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        libc::execve(p.path.as_ptr(), p.argv as *const *const c_char, p.envp as _);
        fail(errno())
    }
}

fn errno() -> c_int {
    // SAFETY: the calling thread's errno (in the child, the suspended parent thread's: unused
    // by it until it resumes).
    unsafe { *libc::__errno_location() }
}

/// Caught signals back to their default (their handlers live in the parent), SIGPIPE and SIGXFSZ
/// too (a host often ignores them; a child of a Go program has them at their default). Other
/// ignored signals stay ignored, as `execve` keeps them.
///
/// # Safety
/// Only in the spawned child, before its `execve`: it changes the dispositions of the process.
unsafe fn reset_signals(nsig: c_int) {
    for sig in 1..nsig {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        // SAFETY: sigaction reading (then setting) a disposition with valid sigaction structs
        // (all-zero is a valid initial value); the caller is the child, whose dispositions these
        // are.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) != 0 {
                continue; // a signal the C library keeps for itself
            }
            let caught = old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN;
            if caught || sig == libc::SIGPIPE || sig == libc::SIGXFSZ {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(sig, &dfl, std::ptr::null_mut());
            }
        }
    }
}

/// Opens `path` onto descriptor `target`, as `posix_spawn_file_actions_addopen` does.
///
/// # Safety
/// Only in the spawned child: `target` is replaced whoever owns it.
unsafe fn open_onto(path: &CStr, flags: c_int, target: c_int) -> Result<(), c_int> {
    // SAFETY: a NUL-terminated path; the new descriptor is the child's.
    let fd = unsafe { libc::open(path.as_ptr(), flags) };
    if fd < 0 {
        return Err(errno());
    }
    if fd != target {
        // SAFETY: `fd` was just opened; the caller (the child) gives up `target`.
        unsafe {
            if libc::dup2(fd, target) < 0 {
                return Err(errno());
            }
            libc::close(fd);
        }
    }
    Ok(())
}

/// Closes every descriptor above 2 but `keep` (the error pipe, closed by the exec).
///
/// # Safety
/// Only in the spawned child: the descriptors closed are not its to close otherwise.
unsafe fn close_from_3(keep: c_int, max_fd: c_int) {
    let ranged = if keep > 3 {
        close_range(3, (keep - 1) as libc::c_uint) == 0
            && close_range((keep + 1) as libc::c_uint, libc::c_uint::MAX) == 0
    } else {
        close_range((keep + 1) as libc::c_uint, libc::c_uint::MAX) == 0
    };
    // SAFETY: the caller is the child (see above).
    if ranged || unsafe { close_listed(keep) } {
        return;
    }
    for fd in 3..max_fd {
        if fd != keep {
            // SAFETY: as above: closing the child's copy of every descriptor.
            unsafe { libc::close(fd) };
        }
    }
}

/// Closes the descriptors above 2 but `keep` that `/proc/self/fd` lists; false if it cannot be
/// read.
///
/// # Safety
/// Only in the spawned child: the descriptors closed are not its to close otherwise.
unsafe fn close_listed(keep: c_int) -> bool {
    // SAFETY: closing one of the child's descriptors (makes room for the directory even when
    // the table is full), then opening a directory: plain system calls.
    let dir = unsafe {
        libc::close(if keep == 3 { 4 } else { 3 });
        libc::open(
            c"/proc/self/fd".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if dir < 0 {
        return false;
    }
    // linux_dirent64 records: d_ino u64, d_off i64, d_reclen u16, d_type u8, d_name.
    let mut buf = [0u64; 256];
    let size = std::mem::size_of_val(&buf);
    let listed = 'list: loop {
        let mut closed = false;
        loop {
            // SAFETY: getdents64 into `buf`, at most `size` bytes.
            let n = unsafe { libc::syscall(libc::SYS_getdents64, dir, buf.as_mut_ptr(), size) };
            if n < 0 {
                break 'list false;
            }
            if n == 0 {
                break;
            }
            // SAFETY: the kernel initialised `n` bytes of `buf` (n <= size).
            let bytes =
                unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n as usize) };
            // SAFETY: the caller is the child (see above).
            closed |= unsafe { close_entries(bytes, dir, keep) };
        }
        // Closing while listing may move entries: list again until nothing is left to close.
        if !closed {
            break true;
        }
        // SAFETY: rewinding our own directory descriptor.
        unsafe { libc::lseek(dir, 0, libc::SEEK_SET) };
    };
    // SAFETY: closing our own directory descriptor.
    unsafe { libc::close(dir) };
    listed
}

/// Closes the descriptors named by the `linux_dirent64` records in `bytes` (but 0–2, `dir` and
/// `keep`); whether it closed any.
///
/// # Safety
/// Only in the spawned child: the descriptors closed are not its to close otherwise.
unsafe fn close_entries(bytes: &[u8], dir: c_int, keep: c_int) -> bool {
    let mut closed = false;
    let mut at = 0usize;
    while at + 19 <= bytes.len() {
        let reclen = u16::from_ne_bytes([bytes[at + 16], bytes[at + 17]]) as usize;
        if reclen < 19 || at + reclen > bytes.len() {
            break;
        }
        if let Some(fd) = parse_fd(&bytes[at + 19..at + reclen]) {
            if fd > 2 && fd != dir && fd != keep {
                // SAFETY: the caller is the child, closing its copy of the descriptor.
                unsafe { libc::close(fd) };
                closed = true;
            }
        }
        at += reclen;
    }
    closed
}

/// A NUL-terminated decimal name.
fn parse_fd(name: &[u8]) -> Option<c_int> {
    let mut v: c_int = 0;
    let mut digits = 0;
    for &b in name {
        match b {
            0 => break,
            b'0'..=b'9' => {
                v = v.checked_mul(10)?.checked_add((b - b'0') as c_int)?;
                digits += 1;
            }
            _ => return None,
        }
    }
    (digits > 0).then_some(v)
}

/// Reads the child's errno from the error pipe: `None` at end of file (the exec succeeded).
fn read_errno(r: BorrowedFd<'_>) -> Option<c_int> {
    let mut err: c_int = 0;
    loop {
        // SAFETY: reading at most 4 bytes into `err`.
        let n = unsafe { libc::read(r.as_raw_fd(), (&raw mut err).cast(), 4) };
        if n < 0 && last_errno() == libc::EINTR {
            continue;
        }
        return (n == 4).then_some(err);
    }
}

#[cfg(test)]
mod tests {
    use super::parse_fd;

    #[test]
    fn names_of_proc_self_fd() {
        assert_eq!(parse_fd(b"0\0"), Some(0));
        assert_eq!(parse_fd(b"1234\0\0\0"), Some(1234));
        assert_eq!(parse_fd(b".\0"), None);
        assert_eq!(parse_fd(b"..\0"), None);
        assert_eq!(parse_fd(b"\0"), None);
        assert_eq!(parse_fd(b"99999999999\0"), None);
    }
}

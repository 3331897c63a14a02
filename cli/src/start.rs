//! How the command starts and ends: its exit status ([`ExitCode`]), and on POSIX systems an entry
//! point of its own instead of the Rust runtime's.
//!
//! `processcreds cache` is the `credential_process` of every SDK call that misses the SDK's own
//! cache, so its start-up is most of its cost on a warm hit. The Rust runtime's start
//! (`std::rt::lang_start`) spends a tenth of a millisecond here before `main`: it installs a
//! stack-overflow handler, for which glibc finds the main thread's stack by reading and parsing
//! `/proc/self/maps`, plus an alternate signal stack. The command does not need it (a stack
//! overflow is then a plain SIGSEGV). What it does need of that start is done in [`prepare`]:
//! file descriptors 0, 1 and 2 open (a closed one is opened on `/dev/null`, so that no file the
//! command opens can take its place and receive its output), and SIGPIPE ignored, as the
//! runtime leaves it (a program the command starts gets it at its default again). The command
//! ends through `std::process::exit`, which flushes stdout as the runtime would.

/// An exit status: std's `ExitCode` with its number readable, so that the entry point can hand
/// it to `exit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitCode(pub u8);

impl ExitCode {
    pub const SUCCESS: ExitCode = ExitCode(0);
}

impl From<u8> for ExitCode {
    fn from(n: u8) -> ExitCode {
        ExitCode(n)
    }
}

/// The command line the C runtime passed to `main`. Read from `argv` itself: std's
/// `env::args` is filled by the Rust runtime's start, or by glibc passing `argc`/`argv` to
/// initialisers, which musl does not do (a static musl build would see no argument at all).
///
/// # Safety
/// `argv` holds `argc` pointers to NUL-terminated strings (as the C runtime gives them).
#[cfg(all(unix, not(test)))]
pub unsafe fn args(argc: libc::c_int, argv: *const *const libc::c_char) -> Vec<std::ffi::OsString> {
    use std::os::unix::ffi::OsStrExt;
    let count = usize::try_from(argc).unwrap_or(0);
    (0..count)
        .filter_map(|i| {
            // SAFETY: i < argc, per this function's contract.
            let p = unsafe { argv.add(i).read() };
            // SAFETY: a NUL-terminated string of the C runtime (NULL skipped).
            (!p.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(p) })
        })
        .map(|c| std::ffi::OsStr::from_bytes(c.to_bytes()).to_owned())
        .collect()
}

/// What the command needs of the runtime's start-up (see the module's documentation).
#[cfg(all(unix, not(test)))]
pub fn prepare() {
    for fd in 0..3 {
        // SAFETY: F_GETFD only reads the descriptor's flags.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
        {
            // The lowest free descriptor: this one.
            // SAFETY: a path literal; the descriptor stays open for the process's life.
            let opened = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
            if opened != fd {
                // Nothing safe to run with: the runtime aborts here too.
                std::process::abort();
            }
        }
    }
    // SAFETY: setting a disposition, as the runtime does.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

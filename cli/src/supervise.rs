//! The command never leaves a helper behind.
//!
//! An SDK (or `timeout`) whose deadline passes kills its `credential_process`: SIGTERM, SIGINT,
//! SIGHUP or SIGKILL to this command. The helper it started (an MFA prompt, a browser login)
//! must not live on, and must not hold the key's lock while the next caller starts a second one.
//!
//! So a run happens in a worker process (POSIX): the command forks; the worker retrieves and
//! prints, and exits with the command's status; the command waits for it and exits with the same
//! status. A warm shared-cache hit never gets here (the command serves it before any fork).
//!
//! - SIGTERM, SIGINT, SIGHUP to the command: forwarded to the worker, which freezes and kills
//!   its whole tree (the helper and every descendant) and exits; the command then exits with
//!   status 128 + the signal. A signal the command was started with ignored (`nohup`) stays
//!   ignored.
//! - SIGKILL to the command: the worker sees the command's end (a pipe only the command holds
//!   closes) at once, kills its tree the same way and exits. The worker is a subreaper on Linux
//!   (`PR_SET_CHILD_SUBREAPER`), so a descendant whose parent died is still in its tree.
//! - The same signals sent to the worker itself (a process group's Ctrl-C) do the same.
//!
//! In the worker, the three signals are blocked in every thread but a watcher thread, whose
//! handler only writes the signal's number to a pipe the watcher polls; the helper starts with
//! an empty mask and default dispositions (the runner's spawn), so it can still be interrupted.
//! The command forks while it has one thread (before any retrieve), so the worker inherits no
//! lock held by another thread.

use crate::start::ExitCode;

/// Runs `body` (a retrieve and its output) in a supervised worker; its exit status.
#[cfg(unix)]
pub fn run(body: impl FnOnce() -> ExitCode) -> ExitCode {
    imp::run(body)
}

/// Where a worker cannot be forked, `body` runs in this process. On Windows that is enough: the
/// runner's job object is killed when its last handle closes, which the system does when this
/// process ends in any way, so the helper's tree never outlives the command.
#[cfg(not(unix))]
pub fn run(body: impl FnOnce() -> ExitCode) -> ExitCode {
    body()
}

#[cfg(unix)]
mod imp {
    use crate::start::ExitCode;
    use processcreds::runner::{children_of, freeze_descendants};
    use std::os::raw::c_int;
    use std::sync::atomic::{AtomicI32, Ordering};

    const SIGNALS: [c_int; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];

    /// The write end of the pipe the handler reports signals to (this process's).
    static SIG_FD: AtomicI32 = AtomicI32::new(-1);

    /// Held by the worker's watcher from the moment it kills the tree: the worker's main thread
    /// takes it before it ends the process, so that it cannot end it (once it sees its helper
    /// die) while the rest of the tree is still being killed.
    static ENDING: std::sync::Mutex<()> = std::sync::Mutex::new(());

    extern "C" fn on_signal(sig: c_int) {
        let fd = SIG_FD.load(Ordering::Relaxed);
        if fd >= 0 {
            let b = sig as u8;
            // SAFETY: write(2) is async-signal-safe; a one-byte buffer on the stack.
            unsafe { libc::write(fd, (&b as *const u8).cast(), 1) };
        }
    }

    fn pipe() -> Option<(c_int, c_int)> {
        let mut fds = [-1; 2];
        // SAFETY: a two-int array.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return None;
        }
        for fd in fds {
            // SAFETY: descriptors we own.
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
        Some((fds[0], fds[1]))
    }

    fn close(fd: c_int) {
        // SAFETY: a descriptor of ours, closed once.
        unsafe { libc::close(fd) };
    }

    fn sigset(signals: &[c_int]) -> libc::sigset_t {
        // SAFETY: sigemptyset initialises the set.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        unsafe { libc::sigemptyset(&mut set) };
        for &s in signals {
            // SAFETY: an initialised set and a valid signal.
            unsafe { libc::sigaddset(&mut set, s) };
        }
        set
    }

    /// The signals of [`SIGNALS`] not ignored when the command started.
    fn handled() -> Vec<c_int> {
        SIGNALS
            .into_iter()
            .filter(|&s| {
                // SAFETY: reading the disposition only (a NULL new action).
                let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
                let read = unsafe { libc::sigaction(s, std::ptr::null(), &mut old) };
                read == 0 && old.sa_sigaction != libc::SIG_IGN
            })
            .collect()
    }

    fn install(signals: &[c_int]) {
        for &s in signals {
            // SAFETY: a handler that only calls write(2); SA_RESTART so that blocking calls in
            // threads that have the signal unblocked resume.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(s, &sa, std::ptr::null_mut());
            }
        }
    }

    /// Waits for one of `fds` to be readable (or closed): its index.
    fn wait_any(fds: &[c_int], timeout_ms: c_int) -> Option<usize> {
        let mut p: Vec<libc::pollfd> = fds
            .iter()
            .map(|&fd| libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        loop {
            // SAFETY: a valid pollfd array.
            let n = unsafe { libc::poll(p.as_mut_ptr(), p.len() as _, timeout_ms) };
            if n > 0 {
                return p.iter().position(|x| x.revents != 0);
            }
            if n == 0 {
                return None;
            }
            if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                return None;
            }
        }
    }

    fn read_byte(fd: c_int) -> Option<u8> {
        let mut b = 0u8;
        // SAFETY: one byte into our buffer.
        (unsafe { libc::read(fd, (&mut b as *mut u8).cast(), 1) } == 1).then_some(b)
    }

    #[cfg(target_os = "linux")]
    fn become_subreaper() {
        // SAFETY: a plain prctl with an integer argument.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    }

    #[cfg(not(target_os = "linux"))]
    fn become_subreaper() {}

    pub(super) fn run(body: impl FnOnce() -> ExitCode) -> ExitCode {
        let signals = handled();
        let set = sigset(&signals);
        let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: valid sets. Blocked across the fork: each side handles them once ready.
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old) };
        let unblock = |old: &libc::sigset_t| {
            // SAFETY: restoring the mask saved above.
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, old, std::ptr::null_mut()) };
        };
        let (Some((sig_r, sig_w)), Some((life_r, life_w)), Some((done_r, done_w))) =
            (pipe(), pipe(), pipe())
        else {
            unblock(&old);
            return body();
        };
        // SAFETY: F_SETFL on a descriptor of ours: the handler must never block.
        unsafe { libc::fcntl(sig_w, libc::F_SETFL, libc::O_NONBLOCK) };
        SIG_FD.store(sig_w, Ordering::Relaxed);
        install(&signals);
        // If the worker dies first, its descendants come to us.
        become_subreaper();
        // SAFETY: this process has one thread here (see the module's documentation).
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            unblock(&old);
            return body();
        }
        if pid == 0 {
            [sig_r, sig_w, life_w, done_r].into_iter().for_each(close);
            return worker(body, &signals, life_r, done_w);
        }
        [life_r, done_w].into_iter().for_each(close);
        unblock(&old);
        // `life_w` stays open as long as this process lives: the worker sees its end then.
        let _ = life_w;
        supervise(pid, sig_r, done_r)
    }

    /// The command's side: waits for the worker, forwarding the signals.
    fn supervise(pid: libc::pid_t, sig_r: c_int, done_r: c_int) -> ExitCode {
        let mut signalled: Option<u8> = None;
        loop {
            match wait_any(&[done_r, sig_r], -1) {
                Some(1) => {
                    let Some(sig) = read_byte(sig_r) else {
                        continue;
                    };
                    signalled.get_or_insert(sig);
                    // SAFETY: signalling our own child.
                    unsafe { libc::kill(pid, c_int::from(sig)) };
                    if wait_any(&[done_r], 2000).is_none() {
                        // SAFETY: as above; its descendants then come to us (a subreaper).
                        unsafe { libc::kill(pid, libc::SIGKILL) };
                        wait_any(&[done_r], 2000);
                        kill_tree();
                    }
                    break;
                }
                Some(_) => break,
                None => break,
            }
        }
        let mut status = 0;
        // SAFETY: reaping our own child.
        while unsafe { libc::waitpid(pid, &mut status, 0) } < 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
        {}
        if let Some(sig) = signalled {
            return ExitCode::from(128u8.saturating_add(sig));
        }
        if libc::WIFEXITED(status) {
            ExitCode::from(libc::WEXITSTATUS(status) as u8)
        } else if libc::WIFSIGNALED(status) {
            ExitCode::from(128u8.saturating_add(libc::WTERMSIG(status) as u8))
        } else {
            ExitCode::from(1)
        }
    }

    /// The worker's side: a watcher thread that kills the tree on a signal or on the command's
    /// end, and `body` on this thread (with the signals blocked).
    fn worker(
        body: impl FnOnce() -> ExitCode,
        signals: &[c_int],
        life_r: c_int,
        done_w: c_int,
    ) -> ExitCode {
        become_subreaper();
        let Some((wsig_r, wsig_w)) = pipe() else {
            // SAFETY: a plain _exit: the command reports the failure.
            unsafe { libc::_exit(1) };
        };
        // SAFETY: F_SETFL on a descriptor of ours.
        unsafe { libc::fcntl(wsig_w, libc::F_SETFL, libc::O_NONBLOCK) };
        SIG_FD.store(wsig_w, Ordering::Relaxed);
        let set = sigset(signals);
        let watcher = std::thread::Builder::new()
            .name("processcreds-watch".into())
            .spawn(move || {
                // SAFETY: unblocking the signals for this thread only.
                unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
                let code = match wait_any(&[wsig_r, life_r], -1) {
                    Some(0) => 128 + c_int::from(read_byte(wsig_r).unwrap_or(libc::SIGTERM as u8)),
                    _ => 128 + libc::SIGKILL,
                };
                let _ending = ENDING.lock();
                // Nothing more of this run may be printed: the command's output is its status.
                silence();
                kill_tree();
                // SAFETY: ending the worker now, whatever the other thread is doing (its lock
                // goes with it; the command exits with 128 + the signal).
                unsafe { libc::_exit(code) };
            });
        if watcher.is_err() {
            // Without a watcher nothing would kill the tree: no supervision, but no worker
            // left behind either.
            // SAFETY: restoring the signals' default handling in this process.
            unsafe {
                libc::pthread_sigmask(libc::SIG_UNBLOCK, &sigset(signals), std::ptr::null_mut())
            };
        }
        // `done_w` stays open until this process ends: the command sees the end then.
        let _ = done_w;
        let code = body();
        // Not while the watcher kills the tree (it then ends the process itself).
        let _ending = ENDING.lock();
        code
    }

    /// Points stdout and stderr at /dev/null (what the other thread would print is moot).
    fn silence() {
        // SAFETY: a path literal; dup2 onto the standard descriptors.
        unsafe {
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
            if null >= 0 {
                libc::dup2(null, 1);
                libc::dup2(null, 2);
                libc::close(null);
            }
        }
    }

    /// Freezes then kills every descendant of this process (the runner's freeze, D1).
    pub(super) fn kill_tree() {
        // SAFETY: no arguments.
        let me = unsafe { libc::getpid() };
        let frozen = freeze_descendants(me);
        for &p in &frozen {
            // SAFETY: signalling a descendant just frozen.
            unsafe { libc::kill(p, libc::SIGKILL) };
        }
        // Gone before this process goes (at most a second), reaped here as they are ours. A
        // process forked just as its parent was frozen comes to us (a subreaper): killed too.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        while std::time::Instant::now() < deadline {
            let late: Vec<libc::pid_t> = children_of(&[me])
                .into_iter()
                .filter(|&p| running(p))
                .collect();
            for &p in &late {
                // SAFETY: signalling a child of ours.
                unsafe { libc::kill(p, libc::SIGKILL) };
            }
            // SAFETY: reaping children of ours (and orphans given to us), without waiting.
            while unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) } > 0 {}
            if late.is_empty() && !frozen.iter().any(|&p| running(p)) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Whether `pid` still runs (not a zombie). Linux: its `/proc` state.
    #[cfg(target_os = "linux")]
    fn running(pid: libc::pid_t) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            let state = s.rsplit_once(')').map_or("", |(_, r)| r.trim_start());
            !state.starts_with('Z') && !state.starts_with('X')
        })
    }

    /// Whether `pid` still exists (zombies included).
    #[cfg(not(target_os = "linux"))]
    fn running(pid: libc::pid_t) -> bool {
        // SAFETY: signal 0 only checks.
        unsafe { libc::kill(pid, 0) == 0 }
    }
}

//! The POSIX driver of a run ([`super::super::drive`] describes the interface): the helper
//! spawned, its stdout and captured stderr read when `poll` says they are readable, its exit
//! looked for, and what happens fed to the [`Rules`].
//!
//! The exit is watched through a pidfd only when one is needed: a helper done within [`QUIET`]
//! usually closes stdout as it exits, and its exit is then looked for with `waitpid`, with a few
//! scheduler yields while it finishes exiting (at most [`SETTLE`]: a pidfd costs more to open and
//! close than the helper takes to become a zombie). After [`QUIET`], or when the helper closed
//! stdout and has not exited within [`SETTLE`], a pidfd is opened and polled. Without pidfds
//! (before Linux 5.3; macOS) the exit is looked for every 10 ms (1 ms once stdout has closed).

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use super::child::Child;
use super::command;
use super::fd::{last_errno, set_nonblocking};
use super::spawn::{spawn, Spawned};
use super::status::{describe_status, errno_text};
use crate::error::Error;
use crate::runner::drive::{Interest, Ready, Source};
use crate::runner::rules::Rules;
use crate::runner::{Program, RunOptions, RunOutput, MAX_TIMEOUT};

/// How long a helper runs before its exit is watched through a pidfd.
const QUIET: Duration = Duration::from_millis(10);
/// How long a helper that closed stdout is given to become a zombie (yielding the processor
/// meanwhile) before its exit is watched through a pidfd.
const SETTLE: Duration = Duration::from_micros(200);
/// Without a pidfd: how often the exit is looked for (and once stdout has closed).
const POLL_EXIT: Duration = Duration::from_millis(10);
const POLL_EXIT_CLOSED: Duration = Duration::from_millis(1);

/// How the helper's exit is watched.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Watch {
    /// Not yet: looked for with `waitpid` when stdout closes, or at `until` (then a pidfd).
    Quiet { until: Instant },
    /// Its pidfd is polled.
    Pidfd,
    /// Looked for at every step, and at least every [`POLL_EXIT`]: no pidfd can be had, or one
    /// said "exited" before the exit could be reaped (a tracer holds it).
    Polling,
}

/// A run on a POSIX system.
pub(crate) struct Run {
    pub(in crate::runner) rules: Rules,
    child: Child,
    stdout: OwnedFd,
    stderr: Option<OwnedFd>,
    watch: Watch,
    /// The last moment the helper was known to be running (D2 counts from its exit).
    alive_at: Instant,
}

impl Run {
    /// Looks `program` up (already checked non-blank, with a non-zero timeout) and spawns it;
    /// the deadline is taken first (D1).
    pub(crate) fn start(program: &Program, opts: &RunOptions) -> Result<Run, Error> {
        let (path, c_path, c_args) = command(program)?;
        Run::spawn(&path, &c_path, &c_args, opts)
    }

    fn spawn(
        path: &Path,
        c_path: &CString,
        c_args: &[CString],
        opts: &RunOptions,
    ) -> Result<Run, Error> {
        let mut argv: Vec<*mut libc::c_char> =
            c_args.iter().map(|a| a.as_ptr().cast_mut()).collect();
        argv.push(std::ptr::null_mut());
        let deadline = Instant::now() + opts.timeout.min(MAX_TIMEOUT);
        let Spawned {
            child,
            stdout,
            stderr,
        } = spawn(path, c_path, &argv, opts)?;
        let now = Instant::now();
        // Stdout is read only when poll says it is readable, so it may stay blocking; stderr is
        // also drained at the end without poll.
        if let Some(e) = &stderr {
            set_nonblocking(e.as_fd());
        }
        Ok(Run {
            rules: Rules::new(deadline, opts.max_buf_size, stderr.is_some()),
            child,
            stdout,
            stderr,
            watch: Watch::Quiet { until: now + QUIET },
            alive_at: now,
        })
    }

    /// What the run waits for now: stdout and the captured stderr while they are open, the
    /// pidfd while the exit is watched through it, until the deadline, the end of the drain or
    /// the next look for the exit.
    pub(crate) fn interest(&self) -> Interest<BorrowedFd<'_>> {
        let mut until = self.rules.until();
        let mut exit = None;
        if self.rules.wants_exit() {
            let look = match self.watch {
                Watch::Quiet { until } => Some(until),
                Watch::Pidfd => {
                    exit = self.child.pidfd.as_ref().map(AsFd::as_fd);
                    None
                }
                Watch::Polling if self.rules.stdout_open() => Some(Instant::now() + POLL_EXIT),
                Watch::Polling => Some(Instant::now() + POLL_EXIT_CLOSED),
            };
            until = earliest(until, look);
        }
        Interest {
            waits: [
                self.rules.wants_stdout().then(|| self.stdout.as_fd()),
                self.stderr
                    .as_ref()
                    .filter(|_| self.rules.wants_stderr())
                    .map(AsFd::as_fd),
                exit,
            ],
            until,
        }
    }

    /// Reads what `ready` says is readable, looks for the exit, looks at the clock; the result
    /// once the run is over.
    pub(crate) fn advance(&mut self, ready: Ready) -> Option<Result<RunOutput, Error>> {
        if ready.has(Source::Stdout) && self.rules.wants_stdout() {
            self.read_stdout();
        }
        if ready.has(Source::Stderr) && self.rules.wants_stderr() {
            self.read_stderr();
        }
        if self.rules.wants_exit() {
            self.look_for_exit(ready.has(Source::Exit));
        }
        self.tick()
    }

    /// Reads stdout once (poll said it is readable).
    fn read_stdout(&mut self) {
        match read(self.stdout.as_fd(), self.rules.stdout_room()) {
            Ok(0) => self.rules.stdout_closed(),
            Ok(n) => self.rules.stdout_read(n),
            Err(libc::EINTR | libc::EAGAIN) => {}
            Err(_) => self.rules.stdout_closed(),
        }
    }

    /// Reads the captured stderr once; whether it gave data.
    fn read_stderr(&mut self) -> bool {
        let Some(fd) = &self.stderr else {
            return false;
        };
        match read(fd.as_fd(), self.rules.stderr_room()) {
            Ok(0) => self.rules.stderr_closed(),
            Ok(n) => {
                self.rules.stderr_read(n);
                return true;
            }
            Err(libc::EINTR | libc::EAGAIN) => {}
            Err(_) => self.rules.stderr_closed(),
        }
        false
    }

    /// Looks for the helper's exit as [`Run::watch`] says; `pidfd_ready` when its pidfd was
    /// polled readable.
    fn look_for_exit(&mut self, pidfd_ready: bool) {
        let now = Instant::now();
        let look = match self.watch {
            Watch::Pidfd => pidfd_ready,
            Watch::Polling => true,
            Watch::Quiet { until } => !self.rules.stdout_open() || now >= until,
        };
        // Seen through the pidfd, the exit was just now; otherwise it came after the last time
        // the helper was seen running.
        if !look || self.reap(if pidfd_ready { now } else { self.alive_at }) {
            return;
        }
        self.alive_at = now;
        let watch = self.watch;
        self.watch = match watch {
            // A pidfd that said "exited" too early.
            Watch::Pidfd => Watch::Polling,
            Watch::Quiet { .. } if !self.rules.stdout_open() && self.settle() => return,
            Watch::Quiet { .. } if self.child.watch() => Watch::Pidfd,
            Watch::Quiet { .. } | Watch::Polling => Watch::Polling,
        };
    }

    /// The helper closed stdout, most often as it exits: it is given [`SETTLE`] to become a
    /// zombie, the processor yielded to it meanwhile. Whether it was reaped.
    fn settle(&mut self) -> bool {
        let until = Instant::now() + SETTLE;
        loop {
            // SAFETY: sched_yield has no preconditions.
            unsafe { libc::sched_yield() };
            let now = Instant::now();
            if self.reap(now) {
                return true;
            }
            self.alive_at = now;
            if now >= until {
                return false;
            }
        }
    }

    /// Reaps the helper if it has exited (at `at` at the latest); whether it had.
    fn reap(&mut self, at: Instant) -> bool {
        let Some(status) = self.child.try_reap() else {
            return false;
        };
        let failure = match status {
            Ok(status) => describe_status(status),
            Err(e) => Some(format!("waitid: {}", errno_text(e))),
        };
        self.rules.exited(failure, at);
        true
    }

    /// Kills the helper's tree (the end of a run, `runner::end`).
    pub(in crate::runner) fn kill_tree(&mut self) {
        self.child.kill();
    }

    /// Nothing to stop: stdout is read only when `poll` says so.
    pub(in crate::runner) fn stop_stdout(&mut self) {}

    /// Reads what the captured stderr holds now (at most 1 MiB: a descendant may keep writing).
    pub(in crate::runner) fn read_stderr_last(&mut self) {
        for _ in 0..16 {
            if !self.rules.wants_stderr() || !self.read_stderr() {
                break;
            }
        }
    }

    /// Reads what stdout holds now, without waiting (at most 64 reads: a descendant may keep
    /// writing), until it is empty or closed.
    pub(in crate::runner) fn read_last(&mut self) {
        for _ in 0..64 {
            let mut p = libc::pollfd {
                fd: self.stdout.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd, no waiting.
            let r = unsafe { libc::poll(&mut p, 1, 0) };
            if r < 0 && last_errno() == libc::EINTR {
                continue;
            }
            if r <= 0 || p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) == 0 {
                return;
            }
            self.read_stdout();
            if !self.rules.wants_last_read() {
                return;
            }
        }
    }
}

/// The earlier of two optional instants.
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// `read(2)` into `buf`: the count, or the errno.
fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, i32> {
    // SAFETY: reading at most `buf.len()` bytes into `buf`.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    usize::try_from(n).map_err(|_| last_errno())
}

/// Blocks until something of `interest` (or the cancellation's waker) is readable, or its time
/// limit comes (without a waker, a cancellable run looks at its token every 10 ms).
pub(crate) fn wait(
    interest: &Interest<BorrowedFd<'_>>,
    cancel: Option<&crate::runner::Cancel>,
) -> Result<Ready, String> {
    let mut fds = [libc::pollfd {
        fd: -1,
        events: libc::POLLIN,
        revents: 0,
    }; 4];
    for (slot, fd) in fds.iter_mut().zip(&interest.waits) {
        if let Some(fd) = fd {
            slot.fd = fd.as_raw_fd();
        }
    }
    let mut wait_ms = interest.until.map_or(-1, millis_until);
    match cancel.map(|c| c.waker()) {
        Some(Some(w)) => fds[3].fd = w.fd().as_raw_fd(),
        Some(None) => wait_ms = cap(wait_ms, 10),
        None => {}
    }
    // SAFETY: fds is a valid array of four pollfd.
    let r = unsafe { libc::poll(fds.as_mut_ptr(), 4, wait_ms) };
    if r < 0 {
        let e = last_errno();
        if e == libc::EINTR {
            return Ok(Ready::NONE);
        }
        return Err(format!("poll: {}", errno_text(e)));
    }
    let mut ready = Ready::NONE;
    for (source, slot) in Source::ALL.into_iter().zip(&fds) {
        if slot.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
            ready = ready.with(source);
        }
    }
    Ok(ready)
}

/// `ms`, at most `max` (-1 is no limit).
fn cap(ms: i32, max: i32) -> i32 {
    if ms < 0 {
        max
    } else {
        ms.min(max)
    }
}

/// Milliseconds until `deadline`, rounded up so that a wait never ends before it and spins.
fn millis_until(deadline: Instant) -> i32 {
    let left = deadline.saturating_duration_since(Instant::now());
    let ms = left.as_nanos().div_ceil(1_000_000);
    ms.min(i32::MAX as u128) as i32
}

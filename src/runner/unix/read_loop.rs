//! The run itself: the helper spawned, its stdout (and captured stderr) read with `poll` under one
//! deadline, its exit waited for, a cancellation watched for.
//!
//! The exit is seen through a pidfd, opened only when it is needed: a helper that is done within
//! [`QUIET`] usually closes stdout as it exits, and its exit is then looked for with `waitpid`
//! alone (a pidfd costs a few microseconds to open and close). After [`QUIET`], or when stdout
//! closes before the exit, a pidfd is opened and polled. Without pidfds (before Linux 5.3) the
//! exit is looked for every 10 ms (1 ms once stdout has closed).

use std::ffi::CString;
use std::path::Path;
use std::time::{Duration, Instant};

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use super::fd::{last_errno, set_nonblocking};
use super::output::{drain_stderr, millis_until, read_stderr, Scratch, StderrRead, StdoutBuf};
use super::spawn::{spawn, Spawned};
use super::status::{describe_status, errno_text};
use crate::error::Error;
use crate::runner::{Cancel, RunOptions, RunOutput, StderrTail, DRAIN_AFTER_EXIT, MAX_TIMEOUT};

/// How long a helper runs before its exit is watched through a pidfd.
const QUIET: Duration = Duration::from_millis(10);
/// Without a pidfd: how often the exit is looked for (and once stdout has closed).
const POLL_EXIT: i32 = 10;
const POLL_EXIT_CLOSED: i32 = 1;

/// The poll slots.
const STDOUT: usize = 0;
const STDERR: usize = 1;
const PIDFD: usize = 2;
const CANCEL: usize = 3;

pub(super) fn spawn_and_read(
    path: &Path,
    c_path: &CString,
    c_args: &[CString],
    opts: &RunOptions,
    cancel: Option<&Cancel>,
) -> Result<RunOutput, Error> {
    let mut argv: Vec<*mut libc::c_char> = c_args.iter().map(|a| a.as_ptr() as *mut _).collect();
    argv.push(std::ptr::null_mut());
    let deadline = Instant::now() + opts.timeout.min(MAX_TIMEOUT);
    let Spawned {
        mut child,
        stdout,
        stderr,
    } = spawn(path, c_path, &argv, opts)?;
    let quiet_until = Instant::now() + QUIET;
    // Stdout is read only when poll says it is readable, so it may stay blocking; stderr is
    // also drained without poll.
    if let Some(e) = &stderr {
        set_nonblocking(e.as_fd());
    }
    let waker = cancel.and_then(Cancel::waker);

    let mut out = StdoutBuf::new(opts.max_buf_size);
    let mut tail = StderrTail { buf: Vec::new() };
    let mut scratch = Scratch::default();
    let mut stdout_open = true;
    let mut stderr_open = stderr.is_some();
    let mut exit: Option<Result<i32, i32>> = None;
    let mut drain_until = deadline;
    // The last moment the helper was known to be running (D2 counts from its exit).
    let mut alive_at = Instant::now();
    // The pidfd said "exited": reap now.
    let mut pidfd_ready = false;
    // Look for the exit at every round, without a pidfd in the poll set: none can be had, or
    // one said "exited" before the exit could be reaped (a tracer holds it).
    let mut poll_exit = false;

    let with_stderr = |e: Error, tail: &StderrTail| e.with_stderr(tail.report());

    loop {
        if exit.is_none() {
            let now = Instant::now();
            let unwatched = child.pidfd.is_none() && !poll_exit;
            let watch_now = unwatched && (!stdout_open || now >= quiet_until);
            if pidfd_ready || poll_exit || watch_now {
                match child.try_reap() {
                    Some(st) => {
                        exit = Some(st);
                        // Seen through the pidfd: the exit was just now. Otherwise it came
                        // after the last time the helper was seen running.
                        let exited_at = if pidfd_ready { now } else { alive_at };
                        drain_until = (exited_at + DRAIN_AFTER_EXIT).min(deadline);
                    }
                    None => {
                        alive_at = now;
                        // A pidfd that said "exited" too early, or none to be had.
                        if pidfd_ready || (watch_now && !child.watch()) {
                            poll_exit = true;
                        }
                    }
                }
                pidfd_ready = false;
            }
        }
        // An unclean exit is reported at once, as Go does.
        if let Some(st) = exit {
            let failure = match st {
                Ok(status) => describe_status(status),
                Err(e) => Some(format!("waitid: {}", errno_text(e))),
            };
            if let Some(cause) = failure {
                drain_stderr(
                    stderr.as_ref().map(AsFd::as_fd),
                    stderr_open,
                    &mut tail,
                    &mut scratch,
                );
                return Err(with_stderr(Error::execution(cause), &tail));
            }
            if !stdout_open {
                break;
            }
        }
        if cancel.is_some_and(Cancel::is_cancelled) {
            child.kill();
            return Err(super::super::cancelled());
        }
        let limit = if exit.is_some() {
            drain_until
        } else {
            deadline
        };
        let now = Instant::now();
        if now >= limit {
            if exit.is_some() {
                // D2: descendants holding stdout are not waited for; what the helper wrote is
                // in the pipe already and is read (the run may have been descheduled meanwhile).
                read_ready(stdout.as_fd(), &mut out, &mut scratch);
                if out.exceeded {
                    return Err(with_stderr(exceeds(opts), &tail));
                }
                break;
            }
            child.kill();
            drain_stderr(
                stderr.as_ref().map(AsFd::as_fd),
                stderr_open,
                &mut tail,
                &mut scratch,
            );
            return Err(with_stderr(Error::timeout(), &tail));
        }

        let mut fds = [libc::pollfd {
            fd: -1,
            events: libc::POLLIN,
            revents: 0,
        }; 4];
        if stdout_open {
            fds[STDOUT].fd = stdout.as_raw_fd();
        }
        if stderr_open {
            fds[STDERR].fd = stderr.as_ref().map_or(-1, AsRawFd::as_raw_fd);
        }
        let mut wait_ms = millis_until(limit);
        if exit.is_none() {
            match (&child.pidfd, poll_exit) {
                (Some(p), false) => fds[PIDFD].fd = p.as_raw_fd(),
                (_, true) => {
                    wait_ms = wait_ms.min(if stdout_open {
                        POLL_EXIT
                    } else {
                        POLL_EXIT_CLOSED
                    })
                }
                (None, false) => wait_ms = wait_ms.min(millis_until(quiet_until)),
            }
        }
        match waker {
            Some(w) => fds[CANCEL].fd = w.fd().as_raw_fd(),
            None if cancel.is_some() => wait_ms = wait_ms.min(POLL_EXIT),
            None => {}
        }
        // SAFETY: fds is a valid array of four pollfd.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 4, wait_ms) };
        if r < 0 {
            let e = last_errno();
            if e == libc::EINTR {
                continue;
            }
            return Err(Error::internal(format!("poll: {}", errno_text(e))));
        }
        let ready = |i: usize| fds[i].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0;
        pidfd_ready = ready(PIDFD);
        if stdout_open && ready(STDOUT) {
            stdout_open = read_once(stdout.as_fd(), &mut out, &mut scratch);
            if out.exceeded {
                // D3: fail at once; kill the helper unless it has already exited.
                child.kill();
                drain_stderr(
                    stderr.as_ref().map(AsFd::as_fd),
                    stderr_open,
                    &mut tail,
                    &mut scratch,
                );
                return Err(with_stderr(exceeds(opts), &tail));
            }
        }
        if stderr_open && ready(STDERR) {
            if let Some(fd) = &stderr {
                stderr_open = !matches!(
                    read_stderr(fd.as_fd(), &mut tail, &mut scratch),
                    StderrRead::Closed
                );
            }
        }
    }
    drop(child);
    drain_stderr(
        stderr.as_ref().map(AsFd::as_fd),
        stderr_open,
        &mut tail,
        &mut scratch,
    );
    Ok(RunOutput {
        stdout: std::mem::take(&mut out.buf),
        stderr: tail.report(),
    })
}

/// D3's error.
fn exceeds(opts: &RunOptions) -> Error {
    Error::parse(format!(
        "output exceeds MaxBufSize ({} bytes)",
        opts.max_buf_size
    ))
}

/// Reads stdout once (poll said it is readable); whether it is still open.
fn read_once(stdout: BorrowedFd<'_>, out: &mut StdoutBuf, scratch: &mut Scratch) -> bool {
    match out.read_from(stdout, scratch) {
        Ok(true) => true,
        Ok(false) => false,
        Err(libc::EINTR | libc::EAGAIN) => true,
        Err(_) => false,
    }
}

/// Reads what stdout holds now, without waiting (at most 64 reads: a descendant may keep
/// writing), until it is empty or closed.
fn read_ready(stdout: BorrowedFd<'_>, out: &mut StdoutBuf, scratch: &mut Scratch) {
    for _ in 0..64 {
        let mut p = libc::pollfd {
            fd: stdout.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, no waiting.
        let r = unsafe { libc::poll(&mut p, 1, 0) };
        if r < 0 && last_errno() == libc::EINTR {
            continue;
        }
        if r <= 0
            || p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) == 0
            || !read_once(stdout, out, scratch)
            || out.exceeded
        {
            return;
        }
    }
}

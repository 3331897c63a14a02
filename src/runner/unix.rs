//! The POSIX runner: `sh -c <command>` (`sh` looked up on `PATH` as `os/exec` does) or a program
//! with its arguments, spawned with `posix_spawn`, stdout read with `poll` under one deadline.
//!
//! Process groups (D1): when the caller is the foreground process group of its controlling
//! terminal, the helper stays in the caller's group so that it may read the terminal (an MFA
//! prompt) without SIGTTIN; its descendants are then found through `/proc` on timeout. Otherwise
//! the helper leads a process group of its own, killed as a whole.
//!
//! Every descriptor this module opens is close-on-exec, and the child closes every descriptor
//! above 2 before it starts, so nothing leaks into the helper; every child is reaped.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Instant;

use zeroize::Zeroizing;

use super::{
    go_quote, Program, RunOptions, RunOutput, StderrMode, StderrTail, StdinMode, CHUNK,
    DRAIN_AFTER_EXIT, MAX_TIMEOUT,
};
use crate::error::Error;

/// Runs `program` (already checked non-blank, with a non-zero timeout).
pub(super) fn run(program: &Program, opts: &RunOptions) -> Result<RunOutput, Error> {
    let (name, args): (&str, Vec<&str>) = match program {
        Program::Shell(cmd) => ("sh", vec!["sh", "-c", cmd]),
        Program::Argv(argv) => (&argv[0], argv.iter().map(String::as_str).collect()),
    };
    let path = resolve(name).map_err(Error::execution)?;
    let c_path = cstring(path.as_os_str().as_bytes(), &path)?;
    let c_args = args
        .iter()
        .map(|a| cstring(a.as_bytes(), &path))
        .collect::<Result<Vec<_>, _>>()?;
    spawn_and_read(&path, &c_path, &c_args, opts)
}

fn cstring(bytes: &[u8], path: &Path) -> Result<CString, Error> {
    // Go refuses NUL bytes in arguments with EINVAL at fork/exec.
    CString::new(bytes).map_err(|_| {
        Error::execution(format!(
            "fork/exec {}: {}",
            path.display(),
            errno_text(libc::EINVAL)
        ))
    })
}

/// `os/exec.Command`'s lookup: a name with a `/` is used as is; otherwise `exec.LookPath` on the
/// current `PATH` (empty entries mean `.`, a result relative to the working directory is refused).
fn resolve(name: &str) -> Result<std::path::PathBuf, String> {
    if name == "/" {
        // Go runs LookPath for names equal to their base name, and "/" is one.
        return Err(format!(
            "exec: {}: {}",
            go_quote(name),
            errno_text(libc::EISDIR)
        ));
    }
    if name.contains('/') {
        return Ok(name.into());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    if !path.is_empty() {
        for dir in path.as_bytes().split(|&b| b == b':') {
            let dir: &OsStr = if dir.is_empty() {
                OsStr::new(".")
            } else {
                OsStr::from_bytes(dir)
            };
            let candidate = Path::new(dir).join(name);
            if is_executable(&candidate) {
                if !candidate.is_absolute() {
                    return Err(format!(
                        "exec: {}: cannot run executable found relative to current directory",
                        go_quote(name)
                    ));
                }
                return Ok(candidate);
            }
        }
    }
    Err(format!(
        "exec: {}: executable file not found in $PATH",
        go_quote(name)
    ))
}

fn is_executable(p: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    if meta.is_dir() {
        return false;
    }
    let Ok(c) = CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path.
    unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::X_OK, libc::AT_EACCESS) == 0 }
}

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
fn signal_name(sig: i32) -> String {
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
fn describe_status(status: i32) -> Option<String> {
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

// ---------------------------------------------------------------------------------------------
// File descriptors

struct Fd(i32);

impl Fd {
    fn raw(&self) -> i32 {
        self.0
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        if self.0 >= 0 {
            // SAFETY: we own this descriptor.
            unsafe { libc::close(self.0) };
        }
    }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// A close-on-exec pipe whose ends are both above 2, so that the child's `dup2`s onto 0–2 never
/// clobber them even when the caller has closed its standard descriptors.
fn pipe() -> Result<(Fd, Fd), Error> {
    let mut fds = [0i32; 2];
    // SAFETY: fds has room for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Error::execution(format!(
            "pipe: {}",
            errno_text(last_errno())
        )));
    }
    let (r, w) = (Fd(fds[0]), Fd(fds[1]));
    Ok((above_stdio(r)?, above_stdio(w)?))
}

fn above_stdio(fd: Fd) -> Result<Fd, Error> {
    if fd.raw() > 2 {
        return Ok(fd);
    }
    // SAFETY: duplicating a descriptor we own.
    let new = unsafe { libc::fcntl(fd.raw(), libc::F_DUPFD_CLOEXEC, 3) };
    if new < 0 {
        return Err(Error::execution(format!(
            "fcntl: {}",
            errno_text(last_errno())
        )));
    }
    Ok(Fd(new))
}

fn set_nonblocking(fd: &Fd) {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd.raw(), libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd.raw(), libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
    }
}

/// Whether the caller is the foreground process group of its controlling terminal.
fn caller_is_foreground() -> bool {
    // SAFETY: plain system calls on a descriptor we open and close here.
    unsafe {
        let fd = libc::open(
            c"/dev/tty".as_ptr(),
            libc::O_RDONLY | libc::O_NOCTTY | libc::O_CLOEXEC | libc::O_NONBLOCK,
        );
        if fd < 0 {
            return false;
        }
        let fg = libc::tcgetpgrp(fd);
        libc::close(fd);
        fg > 0 && fg == libc::getpgrp()
    }
}

// ---------------------------------------------------------------------------------------------
// Spawning

extern "C" {
    static environ: *const *mut libc::c_char;
    fn posix_spawn_file_actions_addclosefrom_np(
        actions: *mut libc::posix_spawn_file_actions_t,
        from: libc::c_int,
    ) -> libc::c_int;
}

struct Actions(libc::posix_spawn_file_actions_t);

impl Drop for Actions {
    fn drop(&mut self) {
        // SAFETY: initialised in `spawn`.
        unsafe { libc::posix_spawn_file_actions_destroy(&mut self.0) };
    }
}

struct Attr(libc::posix_spawnattr_t);

impl Drop for Attr {
    fn drop(&mut self) {
        // SAFETY: initialised in `spawn`.
        unsafe { libc::posix_spawnattr_destroy(&mut self.0) };
    }
}

/// A running (or exited but unreaped) helper. Dropping it kills the helper's tree and reaps it.
struct Child {
    pid: libc::pid_t,
    own_group: bool,
    reaped: bool,
}

impl Child {
    /// Waits for the child (blocking) and returns its wait status.
    fn reap(&mut self) -> Result<i32, i32> {
        let mut status = 0;
        loop {
            // SAFETY: waiting for our own child.
            let r = unsafe { libc::waitpid(self.pid, &mut status, 0) };
            if r == self.pid {
                self.reaped = true;
                return Ok(status);
            }
            let e = last_errno();
            if e != libc::EINTR {
                self.reaped = true; // ECHILD: someone else reaped it (or SIGCHLD is ignored)
                return Err(e);
            }
        }
    }

    /// Non-blocking: `Some(status)` once the child has exited.
    fn try_reap(&mut self) -> Option<Result<i32, i32>> {
        let mut status = 0;
        // SAFETY: waiting for our own child.
        let r = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
        if r == self.pid {
            self.reaped = true;
            Some(Ok(status))
        } else if r == 0 {
            None
        } else {
            let e = last_errno();
            if e == libc::EINTR {
                return None;
            }
            self.reaped = true;
            Some(Err(e))
        }
    }

    /// Kills the helper and every descendant (D1), then reaps the helper.
    fn kill_tree(&mut self) {
        if self.reaped {
            return;
        }
        kill_tree(self.pid, self.own_group);
        let _ = self.reap();
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill_tree();
    }
}

/// Freezes the helper and its descendants (so none can fork away), then kills them all.
fn kill_tree(pid: libc::pid_t, own_group: bool) {
    let mut frozen: Vec<libc::pid_t> = vec![pid];
    // SAFETY: signalling our unreaped child (its pid cannot be reused before we reap it).
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    for _ in 0..64 {
        let found: Vec<libc::pid_t> = children_of(&frozen)
            .into_iter()
            .filter(|p| !frozen.contains(p))
            .collect();
        if found.is_empty() {
            break;
        }
        for &p in &found {
            // SAFETY: signalling a descendant found in /proc.
            unsafe { libc::kill(p, libc::SIGSTOP) };
        }
        frozen.extend(found);
    }
    // SAFETY: as above; a negative pid names the helper's own process group.
    unsafe {
        if own_group {
            libc::kill(-pid, libc::SIGKILL);
        }
        for &p in &frozen {
            libc::kill(p, libc::SIGKILL);
        }
    }
}

/// The processes whose parent is one of `parents`, from `/proc/*/stat`.
fn children_of(parents: &[libc::pid_t]) -> Vec<libc::pid_t> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = std::str::from_utf8(name.as_bytes())
            .ok()
            .and_then(|s| s.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold anything, so split after the last ')'.
        let Some(close) = stat.iter().rposition(|&b| b == b')') else {
            continue;
        };
        let ppid = std::str::from_utf8(&stat[close + 1..])
            .ok()
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|s| s.parse::<libc::pid_t>().ok());
        if ppid.is_some_and(|pp| parents.contains(&pp)) {
            out.push(pid);
        }
    }
    out
}

fn pidfd_open(pid: libc::pid_t) -> Option<Fd> {
    // SAFETY: a plain system call; the result is a new close-on-exec descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    (fd >= 0).then_some(Fd(fd as i32))
}

struct Spawned {
    child: Child,
    stdout: Fd,
    stderr: Option<Fd>,
}

fn spawn(
    path: &Path,
    c_path: &CString,
    c_args: &[CString],
    opts: &RunOptions,
) -> Result<Spawned, Error> {
    let (out_r, out_w) = pipe()?;
    let err_pipe = match opts.stderr {
        StderrMode::Capture => Some(pipe()?),
        _ => None,
    };
    let own_group = !caller_is_foreground();

    let mut argv: Vec<*mut libc::c_char> = c_args.iter().map(|a| a.as_ptr() as *mut _).collect();
    argv.push(std::ptr::null_mut());

    // SAFETY: the posix_spawn objects are initialised before use and destroyed by their guards;
    // all pointers passed stay alive for the call.
    unsafe {
        let mut fa = Actions(std::mem::zeroed());
        libc::posix_spawn_file_actions_init(&mut fa.0);
        libc::posix_spawn_file_actions_adddup2(&mut fa.0, out_w.raw(), 1);
        if opts.stdin == StdinMode::Null {
            libc::posix_spawn_file_actions_addopen(
                &mut fa.0,
                0,
                c"/dev/null".as_ptr(),
                libc::O_RDONLY,
                0,
            );
        }
        match (&err_pipe, opts.stderr) {
            (Some((_, w)), _) => {
                libc::posix_spawn_file_actions_adddup2(&mut fa.0, w.raw(), 2);
            }
            (None, StderrMode::Discard) => {
                libc::posix_spawn_file_actions_addopen(
                    &mut fa.0,
                    2,
                    c"/dev/null".as_ptr(),
                    libc::O_WRONLY,
                    0,
                );
            }
            _ => {}
        }
        posix_spawn_file_actions_addclosefrom_np(&mut fa.0, 3);

        let mut attr = Attr(std::mem::zeroed());
        libc::posix_spawnattr_init(&mut attr.0);
        let mut flags = libc::POSIX_SPAWN_SETSIGMASK | libc::POSIX_SPAWN_SETSIGDEF;
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::posix_spawnattr_setsigmask(&mut attr.0, &empty);
        // Signals a host commonly ignores (Python ignores SIGPIPE) are default again in the
        // helper, as in a child of a Go program.
        let mut def: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut def);
        libc::sigaddset(&mut def, libc::SIGPIPE);
        libc::sigaddset(&mut def, libc::SIGXFSZ);
        libc::posix_spawnattr_setsigdefault(&mut attr.0, &def);
        if own_group {
            flags |= libc::POSIX_SPAWN_SETPGROUP;
            libc::posix_spawnattr_setpgroup(&mut attr.0, 0);
        }
        libc::posix_spawnattr_setflags(&mut attr.0, flags as libc::c_short);

        let mut pid: libc::pid_t = 0;
        let rc = libc::posix_spawn(
            &mut pid,
            c_path.as_ptr(),
            &fa.0,
            &attr.0,
            argv.as_ptr(),
            environ,
        );
        if rc != 0 {
            return Err(Error::execution(format!(
                "fork/exec {}: {}",
                path.display(),
                errno_text(rc)
            )));
        }
        drop(out_w);
        let stderr = err_pipe.map(|(r, w)| {
            drop(w);
            r
        });
        Ok(Spawned {
            child: Child {
                pid,
                own_group,
                reaped: false,
            },
            stdout: out_r,
            stderr,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Stdout bounded by `MaxBufSize` (D3), growing in wiped steps so no copy of a secret is left
/// behind in freed memory.
struct StdoutBuf {
    buf: Zeroizing<Vec<u8>>,
    limit: usize,
    exceeded: bool,
}

impl StdoutBuf {
    fn new(limit: usize) -> StdoutBuf {
        StdoutBuf {
            buf: Zeroizing::new(Vec::with_capacity(limit.min(8192))),
            limit,
            exceeded: false,
        }
    }

    /// Room to read into directly: spare capacity up to the limit, grown by doubling.
    fn room(&mut self) -> usize {
        let want = self.limit - self.buf.len();
        if want == 0 {
            return 0;
        }
        if self.buf.capacity() == self.buf.len() {
            let new_cap = (self.buf.capacity() * 2).max(4096).min(self.limit);
            let mut grown = Vec::with_capacity(new_cap);
            grown.extend_from_slice(&self.buf);
            // Replacing wipes the old allocation (Zeroizing's drop).
            self.buf = Zeroizing::new(grown);
        }
        (self.buf.capacity() - self.buf.len()).min(want)
    }

    /// Reads once from `fd`. `Ok(false)` at end of file.
    fn read_from(&mut self, fd: &Fd, scratch: &mut Scratch) -> Result<bool, i32> {
        let room = self.room();
        if room > 0 {
            let len = self.buf.len();
            // SAFETY: reading into the vector's spare capacity, at most `room` bytes.
            let n = unsafe {
                libc::read(
                    fd.raw(),
                    self.buf.as_mut_ptr().add(len) as *mut libc::c_void,
                    room,
                )
            };
            if n < 0 {
                return Err(last_errno());
            }
            // SAFETY: the kernel initialised n bytes.
            unsafe { self.buf.set_len(len + n as usize) };
            return Ok(n > 0);
        }
        // At the limit: only trailing JSON whitespace may follow.
        let extra = scratch.read(fd)?;
        if !extra
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.exceeded = true;
        }
        Ok(!extra.is_empty())
    }
}

/// A read buffer allocated on first use (most runs never need it), wiped when dropped.
#[derive(Default)]
struct Scratch(Option<Zeroizing<Vec<u8>>>);

impl Scratch {
    /// Reads once from `fd`: the bytes read (empty at end of file), or the errno.
    fn read(&mut self, fd: &Fd) -> Result<&[u8], i32> {
        let buf = self
            .0
            .get_or_insert_with(|| Zeroizing::new(vec![0u8; CHUNK]));
        // SAFETY: reading into a buffer of its own length.
        let n = unsafe { libc::read(fd.raw(), buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
        if n < 0 {
            return Err(last_errno());
        }
        Ok(&buf[..n as usize])
    }
}

enum StderrRead {
    Data,
    Pending,
    Closed,
}

fn read_stderr(fd: &Fd, tail: &mut StderrTail, scratch: &mut Scratch) -> StderrRead {
    match scratch.read(fd) {
        Ok([]) => StderrRead::Closed,
        Ok(data) => {
            tail.push(data);
            StderrRead::Data
        }
        Err(libc::EINTR | libc::EAGAIN) => StderrRead::Pending,
        Err(_) => StderrRead::Closed,
    }
}

/// Reads what the helper's stderr holds now, without waiting, and at most 1 MiB of it (a
/// descendant may keep writing forever).
fn drain_stderr(fd: Option<&Fd>, open: bool, tail: &mut StderrTail, scratch: &mut Scratch) {
    if let (Some(fd), true) = (fd, open) {
        for _ in 0..16 {
            if !matches!(read_stderr(fd, tail, scratch), StderrRead::Data) {
                break;
            }
        }
    }
}

fn millis_until(deadline: Instant) -> i32 {
    let left = deadline.saturating_duration_since(Instant::now());
    // Round up so that we never wake before the deadline and spin.
    let ms = left.as_nanos().div_ceil(1_000_000);
    ms.min(i32::MAX as u128) as i32
}

fn spawn_and_read(
    path: &Path,
    c_path: &CString,
    c_args: &[CString],
    opts: &RunOptions,
) -> Result<RunOutput, Error> {
    let timeout = opts.timeout.min(MAX_TIMEOUT);
    let start = Instant::now();
    let deadline = start + timeout;
    let Spawned {
        mut child,
        stdout,
        stderr,
    } = spawn(path, c_path, c_args, opts)?;
    let pidfd = pidfd_open(child.pid);
    set_nonblocking(&stdout);
    if let Some(e) = &stderr {
        set_nonblocking(e);
    }

    let mut out = StdoutBuf::new(opts.max_buf_size);
    let mut tail = StderrTail { buf: Vec::new() };
    let mut scratch = Scratch::default();
    let mut stdout_open = true;
    let mut stderr_open = stderr.is_some();
    let mut exit: Option<Result<i32, i32>> = None;
    let mut drain_until = deadline;

    let with_stderr = |e: Error, tail: &StderrTail| e.with_stderr(tail.report());

    loop {
        if exit.is_none() {
            if let Some(st) = child.try_reap() {
                exit = Some(st);
                drain_until = (Instant::now() + DRAIN_AFTER_EXIT).min(deadline);
            }
        }
        // An unclean exit is reported at once, as Go does.
        if let Some(st) = exit {
            let failure = match st {
                Ok(status) => describe_status(status),
                Err(e) => Some(format!("waitid: {}", errno_text(e))),
            };
            if let Some(cause) = failure {
                drain_stderr(stderr.as_ref(), stderr_open, &mut tail, &mut scratch);
                return Err(with_stderr(Error::execution(cause), &tail));
            }
            if !stdout_open {
                break;
            }
        }
        let now = Instant::now();
        let limit = if exit.is_some() {
            drain_until
        } else {
            deadline
        };
        if now >= limit {
            if exit.is_some() {
                break; // D2: descendants holding stdout are not waited for
            }
            child.kill_tree();
            drain_stderr(stderr.as_ref(), stderr_open, &mut tail, &mut scratch);
            return Err(with_stderr(Error::timeout(), &tail));
        }

        let mut fds: [libc::pollfd; 3] = [libc::pollfd {
            fd: -1,
            events: libc::POLLIN,
            revents: 0,
        }; 3];
        if stdout_open {
            fds[0].fd = stdout.raw();
        }
        if stderr_open {
            fds[1].fd = stderr.as_ref().map_or(-1, Fd::raw);
        }
        let mut wait_ms = millis_until(limit);
        match (&pidfd, exit.is_none()) {
            (Some(p), true) => fds[2].fd = p.raw(),
            // No pidfd (old kernel): check for exit every 10 ms.
            (None, true) => wait_ms = wait_ms.min(10),
            _ => {}
        }
        // SAFETY: fds is a valid array of three pollfd.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 3, wait_ms) };
        if r < 0 {
            let e = last_errno();
            if e == libc::EINTR {
                continue;
            }
            return Err(Error::internal(format!("poll: {}", errno_text(e))));
        }
        let ready = |i: usize| fds[i].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0;
        if stdout_open && ready(0) {
            match out.read_from(&stdout, &mut scratch) {
                Ok(true) => {}
                Ok(false) => stdout_open = false,
                Err(libc::EINTR | libc::EAGAIN) => {}
                Err(_) => stdout_open = false,
            }
            if out.exceeded {
                // D3: fail at once; kill the helper unless it has already exited.
                child.kill_tree();
                drain_stderr(stderr.as_ref(), stderr_open, &mut tail, &mut scratch);
                return Err(with_stderr(
                    Error::parse(format!(
                        "output exceeds MaxBufSize ({} bytes)",
                        opts.max_buf_size
                    )),
                    &tail,
                ));
            }
        }
        if stderr_open && ready(1) {
            if let Some(fd) = &stderr {
                stderr_open =
                    !matches!(read_stderr(fd, &mut tail, &mut scratch), StderrRead::Closed);
            }
        }
    }
    drop(pidfd);
    drain_stderr(stderr.as_ref(), stderr_open, &mut tail, &mut scratch);
    Ok(RunOutput {
        stdout: std::mem::take(&mut out.buf),
        stderr: tail.report(),
    })
}

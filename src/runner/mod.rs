//! Runs the helper: a command string through the platform's shell or a program with its
//! arguments, with stdout piped and read under one deadline from spawn.
//!
//! Go v1 semantics kept: the shell (or a bare program name) is looked up on `PATH` at each run
//! with `os/exec`'s rules and messages; the child inherits the environment, the working
//! directory, stdin and stderr; a non-zero exit or a signal is an error named as Go names it.
//! Divergences: D1 (timeout kills the helper and its descendants), D2 (at most 100 ms of draining
//! after exit), D3 (output over `MaxBufSize` fails at once unless it is trailing JSON whitespace),
//! D7 (timeout 0 fails without spawning).
//!
//! This module holds what every platform shares (the program, the options, the checks made before
//! anything runs, the captured-stderr tail); `unix` spawns and reads on POSIX systems.

use std::time::Duration;

use zeroize::Zeroizing;

use crate::error::Error;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as sys;

/// What to run.
#[derive(Clone, PartialEq, Eq)]
pub enum Program {
    /// A command string, run as `sh -c <string>`.
    Shell(String),
    /// A program and its arguments, run directly (`argv[0]` looked up on `PATH` when it has no
    /// `/`).
    Argv(Vec<String>),
}

/// Shows the program's shape, never its text: a command line may carry a secret.
impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Program::Shell(s) => f
                .debug_struct("Shell")
                .field("chars", &s.chars().count())
                .finish(),
            Program::Argv(v) => f.debug_struct("Argv").field("args", &v.len()).finish(),
        }
    }
}

/// Where the helper's stderr goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StderrMode {
    /// The caller's stderr (Go's behaviour).
    #[default]
    Inherit,
    /// Read by the library (at most 64 KiB kept); its end is appended to the error of a failed
    /// run.
    Capture,
    /// `/dev/null`.
    Discard,
}

/// Where the helper's stdin comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StdinMode {
    /// The caller's stdin (Go's behaviour).
    #[default]
    Inherit,
    /// `/dev/null`.
    Null,
}

/// Options of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunOptions {
    pub timeout: Duration,
    pub max_buf_size: usize,
    pub stderr: StderrMode,
    pub stdin: StdinMode,
}

/// How long stdout may stay open after the helper exits (D2).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(100);
/// How much captured stderr is kept while the helper runs.
const STDERR_KEEP: usize = 64 * 1024;
/// How much of the captured stderr is appended to an error.
const STDERR_REPORT: usize = 4 * 1024;
/// Read size.
const CHUNK: usize = 64 * 1024;
/// Timeouts beyond this are treated as this (about 100 years), so deadlines never overflow.
const MAX_TIMEOUT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Go's `strings.TrimSpace(s) == ""`.
fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// What a successful run produced.
pub struct RunOutput {
    /// Stdout: at most `max_buf_size` bytes (trailing whitespace beyond it dropped), wiped when
    /// dropped.
    pub stdout: Zeroizing<Vec<u8>>,
    /// The end of the captured stderr (capture mode), for the errors that may follow the run.
    pub stderr: Option<String>,
}

/// Runs the helper to completion. The empty-command check (D5) comes first, then the zero
/// timeout (D7); nothing is spawned when either fails.
pub fn run(program: &Program, opts: &RunOptions) -> Result<RunOutput, Error> {
    let blank = match program {
        Program::Shell(cmd) => is_blank(cmd),
        Program::Argv(argv) => argv.first().is_none_or(|first| is_blank(first)),
    };
    if blank {
        return Err(Error::empty_command());
    }
    if opts.timeout.is_zero() {
        return Err(Error::timeout());
    }
    sys::run(program, opts)
}

/// Go's `strconv.Quote` for the names we print.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The last bytes of the helper's stderr (capture mode).
pub(crate) struct StderrTail {
    pub(crate) buf: Vec<u8>,
}

impl StderrTail {
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        if self.buf.len() > STDERR_KEEP {
            let cut = self.buf.len() - STDERR_KEEP;
            self.buf.drain(..cut);
        }
    }

    /// The last 4 KiB, lossily decoded, trailing newlines trimmed; `None` when empty.
    pub(crate) fn report(&self) -> Option<String> {
        let start = self.buf.len().saturating_sub(STDERR_REPORT);
        let text = String::from_utf8_lossy(&self.buf[start..]);
        let text = text.trim_end_matches(['\n', '\r']);
        (!text.is_empty()).then(|| text.replace('\0', "\u{FFFD}"))
    }
}

//! The key of a shared-cache entry: a SHA-256 of everything visible that can change what the
//! helper prints, and of nothing else, so that processes in different directories and terminals
//! share one entry while different projects, roles and homes never do.
//!
//! # The rule
//!
//! Hashed, each field framed by a tag and its length (no two inputs collide by concatenation),
//! in this order:
//!
//! 1. The program.
//!    - An argv: every element, and the file `argv[0]` resolves to: the runner's own lookup (the
//!      `PATH` search it does before spawning), then the canonical absolute path (symlinks
//!      resolved). A virtualenv's `PATH` that still finds the same file gives the same key.
//!    - A command string: the string, and the canonical file of its first word when that word is
//!      a plain program name or path (quotes removed; `~/…` expanded with `HOME`). When the
//!      string has shell syntax before its first command word (an assignment, a redirection, a
//!      subshell, a reserved word, `;` `&&` `|` …), when the first word is an expansion or a
//!      pattern, or when it is a shell builtin that runs or changes what runs (`exec`,
//!      `command`, `eval`, `.`, `cd` …): the value of `PATH` instead.
//!    - When the file cannot be found (the run will fail, and failures are never written):
//!      `PATH`'s value instead.
//!    - Launchers (`env`, `sudo`, `nice`, `timeout`, a shell …) find the helper on `PATH`
//!      themselves: with one of them as the program, `PATH`'s value is keyed too; and for a
//!      shell given `-c STRING` (`sh -c`, `bash -lc` …), `STRING` is read by the command-string
//!      rule as well (its references, its relative paths, its first word's file).
//! 2. The canonical working directory, when an argv element or a word of the command string
//!    holds a relative path with a `/` in it (`./bin/creds`, `../x`, `bin/creds`,
//!    `--config=conf/x.json`; a URL is not a path), when the string references `PWD`, or when
//!    the scanner cannot follow the string (below).
//! 3. For a command string: the value (or absence) of every variable it references (`$NAME`,
//!    `${NAME…}`, also inside double quotes, not inside single quotes), sorted.
//! 4. `HOME`, and the name and value of every `AWS_*` variable (profiles, config files, role
//!    ARNs, regions, `AWS_VAULT` …: the conventions helpers follow), sorted by name. Unset and
//!    empty are different values.
//! 5. The options that shape the entry: `Duration` (the derived expiry) and `MaxBufSize`. Not
//!    the expiry window (each reader applies its own) nor the timeout.
//! 6. What the caller names: a key text, and the values of the variables the caller names
//!    because the helper reads them unseen (sorted, duplicates dropped).
//!
//! Nothing else: `TERM`, `SHLVL`, `PWD`, `OLDPWD`, `_`, `LANG`, `SSH_*`, `DISPLAY` … and a `PATH`
//! that resolves the program to the same file never change the key.
//!
//! A command string the scanner cannot follow (a command substitution, an arithmetic expansion,
//! a here-document, an unterminated quote: see `sh.rs`) keys on more: `PATH`'s value and the
//! working directory, besides the references it finds.
//!
//! # Windows
//!
//! How a command string is read and how programs are found is the platform's part
//! ([`Dialect`]); on Windows the rule above reads:
//!
//! - A command string is `cmd.exe`'s (`cmd.rs`): its references are `%NAME%` (also
//!   `%NAME:~…%`), `!NAME!` and PowerShell's `$env:NAME`, found inside quotes too; its first word
//!   (quotes and carets removed, a leading `@` dropped) is found as `cmd.exe` finds it: the
//!   current directory first (unless `NoDefaultCurrentDirectoryInExePath` is set), then `PATH`,
//!   with the extensions of `PATHEXT`; then the canonical path. An internal command that runs or
//!   changes what runs (`call`, `start`, `cd`, `set`, `if`, `for` …) or a first word holding a
//!   reference keys `PATH`'s value; other internal commands (`echo`, `type` …) run nothing but
//!   `cmd.exe`. A line break, a trailing `^` or an unterminated quote is a string the scanner
//!   cannot follow.
//! - An argv's program is found by the runner's lookup (Go's `os/exec` on Windows:
//!   `lookpath.rs`), then the canonical path.
//! - Relative paths are words with a `\` or `/` that are not absolute (`C:\…`, `\\host\…`),
//!   not a switch (`/c`, `/profile:x`) and do not start with a reference (`%USERPROFILE%\…`,
//!   whose value is keyed); `%CD%` is the working directory.
//! - Launchers also include `cmd` (its `/c STRING` read as a command string), `powershell` and
//!   `pwsh` (their `$env:` references), `start`, `runas` and `wsl`; program names are compared
//!   without case and extension.
//! - Variable names are case-insensitive, as Windows' are: referenced and named variables and
//!   `AWS_*` names are keyed upper-cased. `USERPROFILE` (the home of the shared config files on
//!   Windows) is keyed beside `HOME`.
//!
//! The key is a file name: 64 lowercase hex digits, which reveal nothing of the inputs.

mod cmd;
mod facts;
mod name;
mod scan;
mod sh;

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::time::Duration;

use super::sha256::{hex, Sha256};
use crate::runner::Program;
pub use facts::simple_command_words;
use facts::Facts;
#[cfg(test)]
use facts::{relative_path, windows_program_name, windows_relative_path};
pub(crate) use name::program_name;

const FORMAT: &[u8] = b"processcreds shared cache key v2";

/// What a key is made of, besides the environment (read when the key is made).
#[derive(Clone, Copy, Debug)]
pub struct KeyInput<'a> {
    /// The helper.
    pub program: &'a Program,
    /// [`Options::duration`](crate::Options::duration).
    pub duration: Option<Duration>,
    /// [`Options::max_buf_size`](crate::Options::max_buf_size).
    pub max_buf_size: usize,
    /// The caller's key text (`--cache-key`), if any.
    pub text: Option<&'a str>,
    /// The variables the caller names (`--key-env`).
    pub env: &'a [String],
}

impl<'a> KeyInput<'a> {
    /// `program` with the default options ([`DEFAULT_BUF_SIZE`](crate::DEFAULT_BUF_SIZE), no
    /// duration, no key text, no variables).
    pub fn new(program: &'a Program) -> KeyInput<'a> {
        KeyInput {
            program,
            duration: None,
            max_buf_size: crate::DEFAULT_BUF_SIZE,
            text: None,
            env: &[],
        }
    }
}

/// Where the key's inputs come from: the process (see [`Key::new`]), or a test's own world.
pub(crate) trait Env {
    /// A variable's value.
    fn var(&self, name: &str) -> Option<OsString>;
    /// Every `AWS_*` variable, sorted by name, each name once.
    fn aws_vars(&self) -> Vec<(OsString, OsString)>;
    /// The canonical working directory.
    fn cwd(&self) -> Option<PathBuf>;
    /// The canonical file a run would start for the program name (or path) `name`.
    fn program(&self, name: &str) -> Option<PathBuf>;
    /// The canonical file the shell starts for the first word `name` of a command string (on
    /// Windows `cmd.exe`'s own lookup, which looks in the current directory first); elsewhere the
    /// runner's.
    fn shell_program(&self, name: &str) -> Option<PathBuf> {
        self.program(name)
    }
}

/// How the platform reads a command string and finds programs: the parts of the rule that
/// differ (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `sh -c`, `/`-separated paths, case-sensitive variable names.
    Posix,
    /// `cmd.exe /d /s /c`, `\\` or `/`, case-insensitive variable names, `PATHEXT`.
    Windows,
}

impl Dialect {
    /// This platform's.
    pub(crate) const HOST: Dialect = if cfg!(windows) {
        Dialect::Windows
    } else {
        Dialect::Posix
    };

    /// A variable's name as the key holds it (Windows: upper-cased).
    fn name(self, name: &str) -> String {
        match self {
            Dialect::Posix => name.to_owned(),
            Dialect::Windows => name.to_uppercase(),
        }
    }
}

/// The process's environment, working directory and the runner's lookup, with some variables
/// replaced (`PATH` cannot be: the lookup reads the process's own).
struct ProcessEnv<'a> {
    overrides: &'a [(&'a str, Option<OsString>)],
}

impl Env for ProcessEnv<'_> {
    fn var(&self, name: &str) -> Option<OsString> {
        match self.overrides.iter().find(|(n, _)| *n == name) {
            Some((_, v)) => v.clone(),
            None => std::env::var_os(name),
        }
    }

    fn aws_vars(&self) -> Vec<(OsString, OsString)> {
        let mut vars: Vec<(OsString, OsString)> = Vec::new();
        for (k, v) in aws_environment() {
            // The first of duplicate names wins, as getenv(3) finds it.
            if !vars.iter().any(|(n, _)| *n == k) {
                vars.push((k, v));
            }
        }
        for (name, value) in self.overrides {
            if name.starts_with("AWS_") {
                vars.retain(|(n, _)| n != OsStr::new(name));
                if let Some(v) = value {
                    vars.push((OsString::from(name), v.clone()));
                }
            }
        }
        vars.sort();
        vars
    }

    fn cwd(&self) -> Option<PathBuf> {
        // getcwd(3) gives the canonical path (no symbolic link), on every supported system.
        #[cfg(unix)]
        return std::env::current_dir().ok();
        // Windows keeps the directory as it was set (any case, `/`, a junction): made canonical.
        #[cfg(not(unix))]
        return std::fs::canonicalize(std::env::current_dir().ok()?).ok();
    }

    fn program(&self, name: &str) -> Option<PathBuf> {
        let found = crate::runner::resolve_program(name).ok()?;
        std::fs::canonicalize(found).ok()
    }

    #[cfg(windows)]
    fn shell_program(&self, name: &str) -> Option<PathBuf> {
        std::fs::canonicalize(crate::runner::resolve_shell_word(name)?).ok()
    }
}

/// The process's `AWS_*` variables, in the environment's order. POSIX: read in one pass over
/// the environment block, copying only those (`std::env::vars_os` copies every variable, a
/// cost a warm `processcreds cache` pays on each call); the block is read as the runner reads it
/// for `posix_spawn`, so a concurrent `setenv` is the same hazard as for every spawn.
#[cfg(unix)]
fn aws_environment() -> Vec<(OsString, OsString)> {
    use std::os::unix::ffi::OsStrExt;
    let mut out = Vec::new();
    // SAFETY: the environment block (the runner's, as it passes it to `posix_spawn`) is a
    // NULL-terminated array of NUL-terminated strings.
    unsafe {
        let mut p = crate::runner::environ();
        if p.is_null() {
            return out;
        }
        while !(*p).is_null() {
            let entry = std::ffi::CStr::from_ptr(*p).to_bytes();
            if entry.starts_with(b"AWS_") {
                if let Some(eq) = entry.iter().position(|&b| b == b'=') {
                    out.push((
                        OsStr::from_bytes(&entry[..eq]).to_owned(),
                        OsStr::from_bytes(&entry[eq + 1..]).to_owned(),
                    ));
                }
            }
            p = p.add(1);
        }
    }
    out
}

/// The process's `AWS_*` variables (Windows: any case, since names are case-insensitive there;
/// `aws_profile` is `AWS_PROFILE` to every program), names upper-cased.
#[cfg(not(unix))]
fn aws_environment() -> Vec<(OsString, OsString)> {
    std::env::vars_os()
        .filter(|(k, _)| {
            k.as_encoded_bytes()
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"AWS_"))
        })
        .map(|(k, v)| (OsString::from(k.to_string_lossy().to_uppercase()), v))
        .collect()
}

/// A key: 64 lowercase hex digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Key(String);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Key").field(&self.0).finish()
    }
}

impl Key {
    /// The key for `input` in this process's environment and working directory now.
    pub fn new(input: &KeyInput<'_>) -> Key {
        Key::with_env(input, &ProcessEnv { overrides: &[] })
    }

    /// [`Key::new`] with some variables given other values (`None`: unset), as another process
    /// of this user would see them (`processcreds clear` uses it for `AWS_PROFILE`). `PATH` must
    /// not be among them: the program is looked up with this process's `PATH`.
    pub fn with_vars(input: &KeyInput<'_>, vars: &[(&str, Option<OsString>)]) -> Key {
        debug_assert!(vars.iter().all(|(n, _)| *n != "PATH"));
        Key::with_env(input, &ProcessEnv { overrides: vars })
    }

    pub(crate) fn with_env(input: &KeyInput<'_>, env: &dyn Env) -> Key {
        Key::with_env_as(input, env, Dialect::HOST)
    }

    /// The key under the rule of `dialect`.
    pub(crate) fn with_env_as(input: &KeyInput<'_>, env: &dyn Env, dialect: Dialect) -> Key {
        let facts = Facts::of(input.program, env, dialect);
        let mut h = Sha256::default();
        field(&mut h, b'F', FORMAT);
        match input.program {
            Program::Shell(cmd) => field(&mut h, b'S', cmd.as_bytes()),
            Program::Argv(argv) => {
                h.update(b"A");
                h.update(&(argv.len() as u64).to_le_bytes());
                for a in argv {
                    field(&mut h, b'a', a.as_bytes());
                }
            }
        }
        for f in &facts.files {
            field(&mut h, b'P', f.as_os_str().as_encoded_bytes());
        }
        if facts.path_value {
            var_field(&mut h, b'p', env.var("PATH"));
        }
        if facts.cwd {
            match env.cwd() {
                Some(d) => field(&mut h, b'W', d.as_os_str().as_encoded_bytes()),
                None => h.update(b"w"),
            }
        }
        let mut refs = facts.vars;
        refs.sort();
        refs.dedup();
        for name in &refs {
            field(&mut h, b'R', name.as_bytes());
            var_field(&mut h, b'v', env.var(name));
        }
        var_field(&mut h, b'H', env.var("HOME"));
        if dialect == Dialect::Windows {
            var_field(&mut h, b'U', env.var("USERPROFILE"));
        }
        let aws = env.aws_vars();
        h.update(b"E");
        h.update(&(aws.len() as u64).to_le_bytes());
        for (k, v) in &aws {
            field(&mut h, b'e', k.as_encoded_bytes());
            field(&mut h, b'v', v.as_encoded_bytes());
        }
        match input.duration {
            Some(d) => field(&mut h, b'D', &d.as_nanos().to_le_bytes()),
            None => h.update(b"d"),
        }
        field(&mut h, b'M', &(input.max_buf_size as u64).to_le_bytes());
        match input.text {
            Some(t) => field(&mut h, b'K', t.as_bytes()),
            None => h.update(b"k"),
        }
        let mut names: Vec<String> = input.env.iter().map(|n| dialect.name(n)).collect();
        names.sort_unstable();
        names.dedup();
        h.update(b"N");
        h.update(&(names.len() as u64).to_le_bytes());
        for name in &names {
            field(&mut h, b'n', name.as_bytes());
            var_field(&mut h, b'v', env.var(name));
        }
        Key(hex(&h.finish()))
    }

    /// The key named by 64 lowercase hex digits (a file name of the cache directory).
    pub(crate) fn from_hex(s: &str) -> Option<Key> {
        (s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Key(s.to_owned()))
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn field(h: &mut Sha256, tag: u8, bytes: &[u8]) {
    h.update(&[tag]);
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// A variable's value, or its absence (`u`): unset and empty differ.
fn var_field(h: &mut Sha256, tag: u8, value: Option<OsString>) {
    match value {
        Some(v) => field(h, tag, v.as_encoded_bytes()),
        None => h.update(b"u"),
    }
}

#[cfg(test)]
mod test_world;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod windows_tests;

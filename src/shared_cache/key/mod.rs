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
mod sh;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::sha256::{hex, Sha256};
use crate::runner::Program;

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
    // SAFETY: the environment block is a NULL-terminated array of NUL-terminated strings.
    unsafe {
        let mut p = environ();
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

/// The environment block (macOS: `_NSGetEnviron()`, the documented way for a shared library).
#[cfg(target_os = "macos")]
unsafe fn environ() -> *const *const std::ffi::c_char {
    *libc::_NSGetEnviron() as *const *const std::ffi::c_char
}

/// The environment block.
#[cfg(all(unix, not(target_os = "macos")))]
unsafe fn environ() -> *const *const std::ffi::c_char {
    extern "C" {
        static environ: *const *const std::ffi::c_char;
    }
    environ
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

/// Programs that find another program on `PATH` (or run a command string) themselves.
const LAUNCHERS: [&str; 16] = [
    "env", "sudo", "doas", "nice", "nohup", "timeout", "stdbuf", "xargs", "time", "ionice",
    "setsid", "chrt", "taskset", "flock", "runuser", "busybox",
];

/// Shells: launchers that read `-c STRING` as a command string.
const SHELLS: [&str; 9] = [
    "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "posh",
];

/// Shell builtins that run something else, or change where or what runs, when they come first.
const RUNNING_BUILTINS: [&str; 16] = [
    "exec", "command", "eval", ".", "source", "builtin", "cd", "pushd", "export", "readonly",
    "unset", "set", "trap", "alias", "typeset", "declare",
];

/// Windows launchers besides [`LAUNCHERS`] and [`SHELLS`] (compared without case and
/// extension): `cmd` reads `/c STRING` as a command string, PowerShell its `$env:` references.
const WINDOWS_LAUNCHERS: [&str; 7] = ["cmd", "powershell", "pwsh", "start", "runas", "wsl", "wt"];

/// How deep `sh -c` inside `sh -c` is followed.
const MAX_NESTING: usize = 4;

/// What the environment contributes to a program's key, found by the rule above.
struct Facts {
    dialect: Dialect,
    /// The canonical files of the programs, in order (the first word's, then nested ones).
    files: Vec<PathBuf>,
    /// Key `PATH`'s value.
    path_value: bool,
    /// Key the working directory.
    cwd: bool,
    /// Variables referenced by a command string.
    vars: Vec<String>,
}

impl Facts {
    fn of(program: &Program, env: &dyn Env, dialect: Dialect) -> Facts {
        let mut f = Facts {
            dialect,
            files: Vec::new(),
            path_value: false,
            cwd: false,
            vars: Vec::new(),
        };
        match (program, dialect) {
            (Program::Argv(argv), _) => f.argv(argv, env),
            (Program::Shell(cmd), Dialect::Posix) => f.sh_string(cmd, env, 0),
            (Program::Shell(cmd), Dialect::Windows) => f.cmd_string(cmd, env, 0),
        }
        if dialect == Dialect::Windows {
            for v in &mut f.vars {
                *v = dialect.name(v);
            }
        }
        let cwd_var = |v: &String| v == "PWD" || (dialect == Dialect::Windows && v == "CD");
        if f.vars.iter().any(cwd_var) {
            f.cwd = true;
        }
        f
    }

    fn argv(&mut self, argv: &[String], env: &dyn Env) {
        let Some(first) = argv.first() else { return };
        self.program(first, env);
        let relative = |a: &String| match self.dialect {
            Dialect::Posix => relative_path(a, true, false),
            Dialect::Windows => windows_relative_path(a),
        };
        if argv.iter().any(relative) {
            self.cwd = true;
        }
        self.launcher(first, argv[1..].iter().map(String::as_str), env, 0);
    }

    /// The file `name` resolves to, or `PATH`'s value when there is none.
    fn program(&mut self, name: &str, env: &dyn Env) {
        match env.program(name) {
            Some(file) => self.files.push(file),
            None => self.path_value = true,
        }
    }

    /// The file the shell starts for a command string's first word `name`, or `PATH`'s value
    /// when there is none.
    fn shell_program(&mut self, name: &str, env: &dyn Env) {
        match env.shell_program(name) {
            Some(file) => self.files.push(file),
            None => self.path_value = true,
        }
    }

    /// When `program` is a launcher, `PATH`'s value; for a shell, its `-c STRING` read as a
    /// command string.
    fn launcher<'s>(
        &mut self,
        program: &str,
        args: impl Iterator<Item = &'s str>,
        env: &dyn Env,
        depth: usize,
    ) {
        let base = match self.dialect {
            Dialect::Posix => basename(program).to_owned(),
            Dialect::Windows => windows_program_name(program),
        };
        if LAUNCHERS.contains(&base.as_str()) {
            self.path_value = true;
        }
        if SHELLS.contains(&base.as_str()) {
            self.path_value = true;
            self.sh_launcher(args, env, depth);
        } else if self.dialect == Dialect::Windows && WINDOWS_LAUNCHERS.contains(&base.as_str()) {
            self.path_value = true;
            self.windows_launcher(&base, args, env, depth);
        }
    }

    /// A POSIX shell's arguments: options up to one holding `c` (`-c`, `-ec`, `-lc`); the next
    /// argument is the command string.
    fn sh_launcher<'s>(
        &mut self,
        mut args: impl Iterator<Item = &'s str>,
        env: &dyn Env,
        depth: usize,
    ) {
        for a in args.by_ref() {
            let is_flags = a.len() > 1
                && a.starts_with(['-', '+'])
                && a[1..].bytes().all(|b| b.is_ascii_alphabetic());
            if !is_flags {
                return;
            }
            if a[1..].contains('c') {
                break;
            }
        }
        if let Some(string) = args.next() {
            if depth < MAX_NESTING {
                self.sh_string(string, env, depth + 1);
            } else {
                self.cwd = true;
            }
        }
    }

    /// A Windows launcher's arguments: `cmd`'s `/c STRING` (or `/k`; the rest of the line) is a
    /// command string; PowerShell's `$env:` references are keyed.
    fn windows_launcher<'s>(
        &mut self,
        base: &str,
        args: impl Iterator<Item = &'s str>,
        env: &dyn Env,
        depth: usize,
    ) {
        let args: Vec<&str> = args.collect();
        match base {
            "cmd" => {
                let Some(at) = args
                    .iter()
                    .position(|a| a.eq_ignore_ascii_case("/c") || a.eq_ignore_ascii_case("/k"))
                else {
                    return;
                };
                let string = args[at + 1..].join(" ");
                if depth < MAX_NESTING {
                    self.cmd_string(&string, env, depth + 1);
                } else {
                    self.cwd = true;
                }
            }
            "powershell" | "pwsh" => {
                for a in args {
                    cmd::powershell_references(a, &mut self.vars);
                }
            }
            _ => {}
        }
    }

    /// A POSIX `sh` command string (`sh.rs`).
    fn sh_string(&mut self, cmd: &str, env: &dyn Env, depth: usize) {
        use sh::Token;
        let scan = sh::scan(cmd);
        self.vars.extend(scan.vars.iter().cloned());
        if scan.unsure {
            self.path_value = true;
            self.cwd = true;
        }
        let mut words = scan.tokens.iter().filter_map(|t| match t {
            Token::Word(w) => Some(w),
            Token::Op(_) => None,
        });
        if words.any(|w| relative_path(&w.text, w.literal, w.tilde || w.home)) {
            self.cwd = true;
        }
        let first = match scan.tokens.first() {
            Some(Token::Word(w))
                if w.is_command_word() && !RUNNING_BUILTINS.contains(&w.text.as_str()) =>
            {
                w
            }
            // Empty, or shell syntax before the first command word.
            _ => {
                self.path_value = true;
                return;
            }
        };
        let name = if !first.literal {
            None
        } else if first.tilde {
            tilde_path(&first.text, env)
        } else {
            Some(first.text.clone())
        };
        let Some(name) = name else {
            // An expansion, a pattern, or a `~` that HOME does not give: found at run time.
            self.path_value = true;
            return;
        };
        self.program(&name, env);
        // The first command's own words, for a launcher's arguments.
        let args = scan.tokens[1..]
            .iter()
            .map_while(|t| match t {
                Token::Word(w) => Some(w.text.as_str()),
                Token::Op(_) => None,
            })
            .collect::<Vec<_>>();
        self.launcher(&name, args.into_iter(), env, depth);
    }

    /// A `cmd.exe` command string (`cmd.rs`).
    fn cmd_string(&mut self, string: &str, env: &dyn Env, depth: usize) {
        use cmd::Token;
        let scan = cmd::scan(string);
        self.vars.extend(scan.vars.iter().cloned());
        if scan.unsure {
            self.path_value = true;
            self.cwd = true;
        }
        let mut words = scan.tokens.iter().filter_map(|t| match t {
            Token::Word(w) => Some(w),
            Token::Op(_) => None,
        });
        if words.any(|w| windows_relative_path(&w.text)) {
            self.cwd = true;
        }
        let first = match scan.tokens.first() {
            Some(Token::Word(w)) => w,
            // Empty, or an operator (a redirection, a block) before the first word.
            _ => {
                self.path_value = true;
                return;
            }
        };
        // cmd.exe skips a leading `@` and the separators `,` `;` `=` before the command's name.
        let name = if first.quoted {
            first.text.as_str()
        } else {
            first.text.trim_start_matches(['@', ',', ';', '='])
        };
        let lower = name.to_lowercase();
        let internal = |list: &[&str]| !first.quoted && list.contains(&lower.as_str());
        if name.is_empty() || !first.literal || internal(&cmd::RUNNING_BUILTINS) {
            // Found at run time, or something else runs.
            self.path_value = true;
            return;
        }
        if internal(&cmd::INERT_BUILTINS) {
            return;
        }
        if !first.quoted && name.contains('/') {
            // cmd.exe reads an unquoted `/` in a command's name as a switch (`dir/w`).
            self.path_value = true;
            self.cwd = true;
            return;
        }
        self.shell_program(name, env);
        let args = scan.tokens[1..]
            .iter()
            .map_while(|t| match t {
                Token::Word(w) => Some(w.text.as_str()),
                Token::Op(_) => None,
            })
            .collect::<Vec<_>>();
        self.launcher(name, args.into_iter(), env, depth);
    }
}

/// The words of a command string that is one simple command of literal words (quotes removed),
/// as the shell would pass them to the program (`sh -c`; on Windows the program's own split of
/// what `cmd.exe` passes); `None` when it has operators, redirections, assignments, expansions,
/// references or patterns, or the scanner cannot follow it. (`processcreds clear` reads a
/// profile's `credential_process` with it.)
pub fn simple_command_words(cmd: &str) -> Option<Vec<String>> {
    match Dialect::HOST {
        Dialect::Posix => {
            let scan = sh::scan(cmd);
            if scan.unsure {
                return None;
            }
            scan.tokens
                .into_iter()
                .map(|t| match t {
                    sh::Token::Word(w) if w.literal && !w.assignment && !w.io_number => {
                        Some(w.text)
                    }
                    _ => None,
                })
                .collect()
        }
        Dialect::Windows => cmd::simple_command_words(cmd),
    }
}

/// `~` or `~/rest` with `HOME` (absolute) in place of the `~`; `None` for `~user` or no usable
/// `HOME`.
fn tilde_path(word: &str, env: &dyn Env) -> Option<String> {
    let rest = word.strip_prefix('~')?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let home = env.var("HOME")?.into_string().ok()?;
    home.starts_with('/')
        .then(|| format!("{}{rest}", home.trim_end_matches('/')))
}

/// The last component of a program name or path.
fn basename(p: &str) -> &str {
    Path::new(p)
        .file_name()
        .and_then(OsStr::to_str)
        .unwrap_or(p)
}

/// A Windows program's name for the launcher lists: its last component (after `\`, `/` or a
/// drive's `:`), lower-cased, without a `.exe`, `.com`, `.bat` or `.cmd` extension.
fn windows_program_name(p: &str) -> String {
    let base = p
        .rsplit(['\\', '/', ':'])
        .next()
        .unwrap_or(p)
        .to_lowercase();
    for ext in [".exe", ".com", ".bat", ".cmd"] {
        if let Some(stem) = base.strip_suffix(ext) {
            return stem.to_owned();
        }
    }
    base
}

/// Whether a word (quotes removed) holds a relative path with a `/`: `./bin/creds`, `../x`,
/// `bin/creds`, `--config=conf/x.json`. Not a URL (`://`), not an absolute path (also after an
/// `=`), not a word starting with `~` or with `$HOME` (`home`, which `HOME` in the key covers).
/// `literal`: the text has no expansion (a `$HOME` in it is text).
fn relative_path(text: &str, literal: bool, home: bool) -> bool {
    if home || !text.contains('/') || text.contains("://") {
        return false;
    }
    let absolute = |s: &str| {
        s.starts_with('/') || (!literal && (s.starts_with("$HOME/") || s.starts_with("${HOME}/")))
    };
    if absolute(text) {
        return false;
    }
    !matches!(text.split_once('='), Some((_, v)) if absolute(v))
}

/// Whether a word (quotes removed) holds a relative path on Windows: a `\` or `/` in it
/// (`bin\creds`, `.\creds.bat`, `..\x`, `conf/x.json`, `--config=conf\x.json`, and `\x`, from
/// the root of the working directory's drive). Not a URL (`://`), not an absolute path (`C:\…`,
/// `\\host\share\…`, also after an `=`), not a switch (`/c`, `/profile:x`: a `/` and no other
/// separator), and not a word starting with a reference (`%USERPROFILE%\…`, `!X!\…`,
/// `$env:X\…`), whose value is keyed.
fn windows_relative_path(text: &str) -> bool {
    let is_sep = |c: char| c == '\\' || c == '/';
    if !text.contains(is_sep) || text.contains("://") {
        return false;
    }
    let absolute = |s: &str| {
        let b = s.as_bytes();
        let drive =
            b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && is_sep(b[2] as char);
        let unc = b.len() >= 2 && is_sep(b[0] as char) && is_sep(b[1] as char);
        let reference = s.starts_with(['%', '!']) || s.to_ascii_lowercase().starts_with("$env:");
        drive || unc || reference
    };
    let switch = text.starts_with('/') && !text[1..].contains(is_sep);
    if absolute(text) || switch {
        return false;
    }
    !matches!(text.split_once('='), Some((_, v)) if absolute(v))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod windows_tests;

//! What the environment contributes to a program's key (the rule of `mod.rs`): the files the
//! programs resolve to, whether `PATH`'s value and the working directory count, and the
//! variables a command string references; read from an argv, a POSIX `sh` command string
//! (`sh.rs`) or a `cmd.exe` one (`cmd.rs`), by the platform's [`Dialect`].

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::scan::{Scan, Token};
use super::{cmd, sh, Dialect, Env};
use crate::runner::Program;

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
pub(super) struct Facts {
    dialect: Dialect,
    /// The canonical files of the programs, in order (the first word's, then nested ones).
    pub(super) files: Vec<PathBuf>,
    /// Key `PATH`'s value.
    pub(super) path_value: bool,
    /// Key the working directory.
    pub(super) cwd: bool,
    /// Variables referenced by a command string.
    pub(super) vars: Vec<String>,
}

impl Facts {
    pub(super) fn of(program: &Program, env: &dyn Env, dialect: Dialect) -> Facts {
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

    /// What every command string contributes: its references, and `PATH`'s value and the
    /// working directory when the scanner could not follow it.
    fn scanned<W>(&mut self, scan: &Scan<W>) {
        self.vars.extend(scan.vars.iter().cloned());
        if scan.unsure {
            self.path_value = true;
            self.cwd = true;
        }
    }

    /// A POSIX `sh` command string (`sh.rs`).
    fn sh_string(&mut self, cmd: &str, env: &dyn Env, depth: usize) {
        let scan = sh::scan(cmd);
        self.scanned(&scan);
        if scan
            .words()
            .any(|w| relative_path(&w.text, w.literal, w.tilde || w.home))
        {
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
        let args = scan.arguments().map(|w| w.text.as_str());
        self.launcher(&name, args, env, depth);
    }

    /// A `cmd.exe` command string (`cmd.rs`).
    fn cmd_string(&mut self, string: &str, env: &dyn Env, depth: usize) {
        let scan = cmd::scan(string);
        self.scanned(&scan);
        if scan.words().any(|w| windows_relative_path(&w.text)) {
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
        let args = scan.arguments().map(|w| w.text.as_str());
        self.launcher(name, args, env, depth);
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
                    Token::Word(w) if w.literal && !w.assignment && !w.io_number => Some(w.text),
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
pub(super) fn windows_program_name(p: &str) -> String {
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
pub(super) fn relative_path(text: &str, literal: bool, home: bool) -> bool {
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
pub(super) fn windows_relative_path(text: &str) -> bool {
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

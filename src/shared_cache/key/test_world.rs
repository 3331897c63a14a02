//! The world of the key's tests (`tests.rs`, the POSIX rule; `windows_tests.rs`, the Windows
//! rule): variables, a working directory and a table of files for the lookups, read as the
//! dialect reads them (Windows: variable names and paths compared without case, `PATHEXT`'s
//! extensions tried, `cmd.exe`'s lookup in the current directory first); and the assertions
//! both make.

use std::collections::BTreeMap;

use super::*;

/// Extensions a Windows lookup tries on a name without one.
const EXTS: [&str; 4] = [".com", ".exe", ".bat", ".cmd"];

/// A test's world for one dialect.
#[derive(Clone)]
pub(super) struct World {
    dialect: Dialect,
    /// Variables, by name as the dialect holds it.
    vars: BTreeMap<String, String>,
    /// The working directory.
    pub(super) cwd: String,
    /// The files a lookup finds: path (Windows: lower-cased) → canonical path.
    files: BTreeMap<String, String>,
}

impl World {
    /// A world without variables or files.
    pub(super) fn empty(dialect: Dialect, cwd: &str) -> World {
        World {
            dialect,
            vars: BTreeMap::new(),
            cwd: cwd.into(),
            files: BTreeMap::new(),
        }
    }

    pub(super) fn set(&mut self, k: &str, v: &str) -> &mut World {
        self.vars.insert(self.dialect.name(k), v.into());
        self
    }

    pub(super) fn unset(&mut self, k: &str) -> &mut World {
        self.vars.remove(&self.dialect.name(k));
        self
    }

    pub(super) fn file(&mut self, path: &str, canonical: &str) {
        let path = match self.dialect {
            Dialect::Posix => path.to_owned(),
            Dialect::Windows => path.to_lowercase(),
        };
        self.files.insert(path, canonical.into());
    }

    pub(super) fn with(&self, f: impl FnOnce(&mut World)) -> World {
        let mut w = self.clone();
        f(&mut w);
        w
    }

    fn found(&self, path: &str) -> Option<PathBuf> {
        self.files.get(path).map(PathBuf::from)
    }

    /// POSIX: a name with a `/` (relative to the working directory unless absolute), else on
    /// `PATH`. Paths are joined as text, with `/`, whatever the platform the tests run on.
    fn posix_program(&self, name: &str) -> Option<PathBuf> {
        let join = |dir: &str| {
            let p = if name.starts_with('/') {
                name.to_owned()
            } else {
                format!("{dir}/{name}")
            };
            // Lexical normalisation is enough for these paths (no `..`).
            let parts: Vec<&str> = p
                .split('/')
                .filter(|c| !c.is_empty() && *c != ".")
                .collect();
            let root = if p.starts_with('/') { "/" } else { "" };
            format!("{root}{}", parts.join("/"))
        };
        if name.contains('/') {
            return self.found(&join(&self.cwd));
        }
        let path = self.vars.get("PATH")?;
        path.split(':').find_map(|d| self.found(&join(d)))
    }

    /// Windows: the file `path` (absolute, or relative to the working directory) names, trying
    /// the extensions when it has none.
    fn find(&self, path: &str) -> Option<PathBuf> {
        let full = if path.as_bytes().get(1) == Some(&b':') {
            path.to_string()
        } else {
            format!("{}\\{}", self.cwd, path.trim_start_matches(".\\"))
        };
        let has_ext = full
            .rsplit('\\')
            .next()
            .is_some_and(|base| base.contains('.'));
        let mut tries = vec![full.clone()];
        if !has_ext {
            tries.extend(EXTS.iter().map(|e| format!("{full}{e}")));
        }
        tries.iter().find_map(|p| self.found(&p.to_lowercase()))
    }

    /// Windows: `name` in the folders of `PATH`.
    fn on_path(&self, name: &str) -> Option<PathBuf> {
        let path = self.vars.get("PATH")?;
        path.split(';')
            .filter(|d| !d.is_empty())
            .find_map(|d| self.find(&format!("{d}\\{name}")))
    }
}

impl Env for World {
    fn var(&self, name: &str) -> Option<OsString> {
        self.vars.get(&self.dialect.name(name)).map(OsString::from)
    }

    fn aws_vars(&self) -> Vec<(OsString, OsString)> {
        self.vars
            .iter()
            .filter(|(k, _)| k.starts_with("AWS_"))
            .map(|(k, v)| (k.into(), v.into()))
            .collect()
    }

    fn cwd(&self) -> Option<PathBuf> {
        Some(self.cwd.clone().into())
    }

    /// The runner's lookup. Windows: Go's `LookPath`, a bare name on `PATH` only (one found in
    /// the current directory alone is refused), a path relative to the working directory.
    fn program(&self, name: &str) -> Option<PathBuf> {
        match self.dialect {
            Dialect::Posix => self.posix_program(name),
            Dialect::Windows if name.contains(['\\', '/', ':']) => self.find(name),
            Dialect::Windows => self.on_path(name),
        }
    }

    /// The shell's lookup. Windows: `cmd.exe`'s, the current directory first.
    fn shell_program(&self, name: &str) -> Option<PathBuf> {
        match self.dialect {
            Dialect::Posix => self.program(name),
            Dialect::Windows if name.contains(['\\', '/', ':']) => self.find(name),
            Dialect::Windows => self.find(name).or_else(|| self.on_path(name)),
        }
    }
}

pub(super) fn argv(v: &[&str]) -> Program {
    Program::Argv(v.iter().map(|s| s.to_string()).collect())
}

/// The key of `p` in `w`, with the default options.
pub(super) fn key(p: &Program, w: &World) -> String {
    key_in(&KeyInput::new(p), w)
}

/// The key of `input` in `w`, under `w`'s dialect.
pub(super) fn key_in(input: &KeyInput<'_>, w: &World) -> String {
    Key::with_env_as(input, w, w.dialect).0
}

/// Asserts that the key of `p` is the same in `a` and `b`.
#[track_caller]
pub(super) fn same(p: &Program, a: &World, b: &World) {
    assert_eq!(key(p, a), key(p, b), "{p:?} must share");
}

/// Asserts that the key of `p` differs between `a` and `b`.
#[track_caller]
pub(super) fn differ(p: &Program, a: &World, b: &World) {
    assert_ne!(key(p, a), key(p, b), "{p:?} must not share");
}

/// Asserts that the keys are all different from each other.
#[track_caller]
pub(super) fn all_differ(keys: &[String]) {
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

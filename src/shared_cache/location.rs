//! Where the cache directory is, and what may be created to make it.
//!
//! POSIX: the first of `$PROCESSCREDS_CACHE_DIR`, `$XDG_RUNTIME_DIR/processcreds`,
//! `$XDG_CACHE_HOME/processcreds`, `$HOME/.cache/processcreds`. Windows: `%PROCESSCREDS_CACHE_DIR%`,
//! else `%LOCALAPPDATA%\processcreds`. Empty variables count as unset. A relative value of any of
//! them is ignored with a warning (a relative cache directory would be a different cache in every
//! working directory, such as inside each git work tree), and the next one is used.
//!
//! Only the cache directory itself is ever created, and `~/.cache` for the last POSIX choice;
//! never their parents. Whether a directory may be created where it is missing is the platform's
//! part (`unix/create.rs`, `windows/create.rs`): never inside a directory of another user, and
//! `~/.cache` only in a `HOME` owned by the effective uid (root running with a user's `HOME`, as
//! `sudo -E` does, must not plant a root-owned `~/.cache` there; on Windows, `%LOCALAPPDATA%`
//! must be the current user's).

use std::ffi::OsString;
use std::path::PathBuf;

use super::{Reason, Warning};

/// Which variable named the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `PROCESSCREDS_CACHE_DIR`.
    Explicit,
    /// `XDG_RUNTIME_DIR` or `XDG_CACHE_HOME`: `<that>/processcreds`.
    #[cfg(not(windows))]
    Xdg,
    /// `HOME`: `<home>/.cache/processcreds`; `~/.cache` may be created too.
    #[cfg(not(windows))]
    Home(PathBuf),
    /// `LOCALAPPDATA`: `<that>\processcreds`.
    #[cfg(windows)]
    LocalAppData(PathBuf),
}

/// The cache directory the environment names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Location {
    pub path: PathBuf,
    pub origin: Origin,
}

/// The cache directory named by `env` (a variable lookup), and a warning for each relative value
/// ignored.
pub(crate) fn locate(env: &dyn Fn(&str) -> Option<OsString>) -> (Option<Location>, Vec<Warning>) {
    let mut warnings = Vec::new();
    let mut absolute = |name: &str| -> Option<PathBuf> {
        let p = PathBuf::from(env(name).filter(|v| !v.is_empty())?);
        if p.is_absolute() {
            return Some(p);
        }
        warnings.push(Warning::new(
            Reason::RelativeDirectory,
            Some(&p),
            format!(
                "shared cache: {name} is ignored: {} is not an absolute path",
                p.display()
            ),
        ));
        None
    };
    #[cfg(windows)]
    let found = match absolute("PROCESSCREDS_CACHE_DIR") {
        Some(d) => Some(Location {
            path: d,
            origin: Origin::Explicit,
        }),
        None => absolute("LOCALAPPDATA").map(|d| Location {
            path: d.join("processcreds"),
            origin: Origin::LocalAppData(d),
        }),
    };
    #[cfg(not(windows))]
    let found = if let Some(d) = absolute("PROCESSCREDS_CACHE_DIR") {
        Some(Location {
            path: d,
            origin: Origin::Explicit,
        })
    } else if let Some(d) = absolute("XDG_RUNTIME_DIR") {
        Some(Location {
            path: d.join("processcreds"),
            origin: Origin::Xdg,
        })
    } else if let Some(d) = absolute("XDG_CACHE_HOME") {
        Some(Location {
            path: d.join("processcreds"),
            origin: Origin::Xdg,
        })
    } else {
        absolute("HOME").map(|h| Location {
            path: h.join(".cache").join("processcreds"),
            origin: Origin::Home(h),
        })
    };
    (found, warnings)
}

/// The warning when no variable names a directory.
pub(crate) fn none() -> Warning {
    Warning::new(
        Reason::NoDirectory,
        None,
        if cfg!(windows) {
            "shared cache: no directory (neither PROCESSCREDS_CACHE_DIR nor LOCALAPPDATA is set \
             to an absolute path)"
        } else {
            "shared cache: no directory (none of PROCESSCREDS_CACHE_DIR, XDG_RUNTIME_DIR, \
             XDG_CACHE_HOME, HOME is set to an absolute path)"
        },
    )
}

/// A test's environment: these variables and no others.
#[cfg(test)]
fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
    move |k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| OsString::from(v))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn path(pairs: &'static [(&'static str, &'static str)]) -> Option<PathBuf> {
        locate(&env(pairs)).0.map(|l| l.path)
    }

    #[test]
    fn directory_rules() {
        assert_eq!(
            path(&[
                ("PROCESSCREDS_CACHE_DIR", "/x"),
                ("XDG_RUNTIME_DIR", "/run/u")
            ]),
            Some(PathBuf::from("/x"))
        );
        assert_eq!(
            path(&[
                ("PROCESSCREDS_CACHE_DIR", ""),
                ("XDG_RUNTIME_DIR", "/run/u")
            ]),
            Some(PathBuf::from("/run/u/processcreds"))
        );
        assert_eq!(
            path(&[
                ("XDG_RUNTIME_DIR", "rel"),
                ("XDG_CACHE_HOME", "/c"),
                ("HOME", "/h")
            ]),
            Some(PathBuf::from("/c/processcreds"))
        );
        assert_eq!(
            path(&[("XDG_CACHE_HOME", "rel"), ("HOME", "/h")]),
            Some(PathBuf::from("/h/.cache/processcreds"))
        );
        assert_eq!(path(&[]), None);
        assert_eq!(path(&[("HOME", "h")]), None);
        let (l, _) = locate(&env(&[("HOME", "/h")]));
        assert_eq!(l.unwrap().origin, Origin::Home("/h".into()));
    }

    #[test]
    fn relative_values_are_ignored_with_a_warning() {
        let (l, w) = locate(&env(&[
            ("PROCESSCREDS_CACHE_DIR", "cache"),
            ("XDG_RUNTIME_DIR", "./run"),
            ("HOME", "/h"),
        ]));
        assert_eq!(l.unwrap().path, PathBuf::from("/h/.cache/processcreds"));
        assert_eq!(w.len(), 2);
        assert!(w.iter().all(|w| w.reason() == Reason::RelativeDirectory));
        assert_eq!(
            w[0].to_string(),
            "shared cache: PROCESSCREDS_CACHE_DIR is ignored: cache is not an absolute path"
        );
    }
}

#[cfg(all(test, windows))]
mod windows_tests {
    use super::*;

    #[test]
    fn directory_rules() {
        let (l, w) = locate(&env(&[
            ("PROCESSCREDS_CACHE_DIR", r"C:\pc"),
            ("LOCALAPPDATA", r"C:\Users\u\AppData\Local"),
        ]));
        assert_eq!(l.unwrap().path, PathBuf::from(r"C:\pc"));
        assert!(w.is_empty());
        let (l, _) = locate(&env(&[("LOCALAPPDATA", r"C:\Users\u\AppData\Local")]));
        let l = l.unwrap();
        assert_eq!(
            l.path,
            PathBuf::from(r"C:\Users\u\AppData\Local\processcreds")
        );
        assert_eq!(
            l.origin,
            Origin::LocalAppData(r"C:\Users\u\AppData\Local".into())
        );
        // HOME and XDG_* are not Windows' places.
        let (l, _) = locate(&env(&[("HOME", r"C:\h"), ("XDG_CACHE_HOME", r"C:\x")]));
        assert_eq!(l, None);
        // Relative (also `\x`, from the current drive's root, and `C:x`): ignored, warned.
        let (l, w) = locate(&env(&[
            ("PROCESSCREDS_CACHE_DIR", r"\pc"),
            ("LOCALAPPDATA", "C:rel"),
        ]));
        assert_eq!(l, None);
        assert_eq!(w.len(), 2);
        assert!(w.iter().all(|w| w.reason() == Reason::RelativeDirectory));
    }
}

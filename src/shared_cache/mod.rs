//! The shared cache (README.md, "Sharing credentials between processes"): credentials of one helper run shared by every process of the
//! same user, through files in a private directory, with a single flight across processes.
//!
//! Opt-in per provider ([`SharedCacheMode::User`]); off by default, so that aws-sdk-go v1's
//! semantics stay the default. It lives inside the provider's fetch (the run of the helper for a
//! refresh): an entry is served only if `expiry - expiry_window > now + ahead`; otherwise the
//! per-key lock is taken (waiting counts against the caller's timeout), the entry re-checked,
//! the helper run and its result written.
//!
//! # Files
//! - Directory: `$PROCESSCREDS_CACHE_DIR`, else `$XDG_RUNTIME_DIR/processcreds`, else
//!   `${XDG_CACHE_HOME:-$HOME/.cache}/processcreds` (empty variables count as unset; relative
//!   XDG paths are ignored, as the XDG spec says). Created with mode 0700 (and missing parents
//!   with 0700). Trusted only when it is a directory, not a symlink, owned by the effective uid
//!   and without any group/other permission bit; every file is then opened relative to the
//!   descriptor of that checked directory.
//! - Per key (64 hex digits of a SHA-256, see `key.rs`): `<key>.entry` (the credentials), `<key>.lock`
//!   (an empty file the single flight locks with a POSIX record lock), `<key>.tmp` (an entry being written, renamed
//!   over `<key>.entry`; only the lock holder writes it).
//! - An entry is trusted only when it is a regular file owned by the effective uid with mode
//!   0600, opened with `O_NOFOLLOW`. Its first line names the format and its key; the rest is a
//!   `credential_process` JSON object with the helper's `Expiration` (or the Duration-derived
//!   time) to the nanosecond, parsed by the same Go-exact parser as the helper's output
//!   (see `entry.rs`).
//!
//! # Failures
//! Nothing here fails a retrieve. An untrusted directory, entry or lock file, or one that cannot
//! be opened or read, is bypassed: the helper runs as it would without a cache, and nothing is
//! written (an untrusted file is never followed, chmod-ed, replaced or deleted). A trusted entry
//! that is corrupt, truncated, of another format or another key, or expired, is a miss and is
//! replaced. A write that fails (full disk, read-only directory, `EACCES`, a file size limit)
//! removes its temporary file and is forgotten. The library prints nothing: what was bypassed
//! and why is given to the caller's observer as a [`Warning`] (paths and reasons only, never a
//! secret).
//!
//! # Platforms
//! POSIX only (`fcntl` record locks, `openat`, `O_NOFOLLOW`). Elsewhere (Windows: not yet) the cache is
//! always bypassed: the helper runs every time as without a cache.

mod entry;
mod key;
mod sha256;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as sys;

#[cfg(not(unix))]
mod bypass;
#[cfg(not(unix))]
use bypass as sys;

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::runner::Program;
use crate::time::UnixTime;

pub use key::{Key, KEY_VARIABLES};

/// Whether a provider shares its credentials with the other processes of the same user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SharedCacheMode {
    /// No shared cache (the default): every process runs the helper.
    #[default]
    Off,
    /// The per-user shared cache.
    User,
}

/// Why the shared cache was bypassed or not written. Holds paths and reasons, never a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning(String);

impl Warning {
    pub(crate) fn new(text: impl Into<String>) -> Warning {
        Warning(text.into())
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The cache directory the environment names now (it may not exist yet); `None` when no
/// variable gives one (no `PROCESSCREDS_CACHE_DIR`, `XDG_RUNTIME_DIR`, `XDG_CACHE_HOME` or
/// `HOME`).
pub fn directory() -> Option<PathBuf> {
    directory_from(&|k| std::env::var_os(k))
}

fn directory_from(env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(d) = var("PROCESSCREDS_CACHE_DIR") {
        return Some(d);
    }
    let absolute = |k: &str| var(k).filter(|p| p.is_absolute());
    if let Some(d) = absolute("XDG_RUNTIME_DIR") {
        return Some(d.join("processcreds"));
    }
    if let Some(d) = absolute("XDG_CACHE_HOME") {
        return Some(d.join("processcreds"));
    }
    var("HOME").map(|h| h.join(".cache").join("processcreds"))
}

/// One request to the shared cache, from a provider's fetch.
pub(crate) struct Request<'a> {
    pub program: &'a Program,
    pub key_text: Option<&'a str>,
    /// The caller's timeout: waiting for the lock counts against it.
    pub timeout: Duration,
    /// The reader's expiry window.
    pub expiry_window: Duration,
    /// How far ahead of now a served entry must stay valid (a background refresh's window).
    pub ahead: Duration,
    /// Polled while waiting for the lock; true stops the wait.
    pub cancelled: &'a dyn Fn() -> bool,
}

/// How long a waiter sleeps between two looks at the lock and the entry, at most.
const POLL_MAX: Duration = Duration::from_millis(10);

/// The credentials for `req`: from a valid entry, or from `run` (given the time left of the
/// timeout), whose success is then written for the other processes. `warn` hears about anything
/// bypassed.
pub(crate) fn fetch(
    req: &Request<'_>,
    run: &mut dyn FnMut(Duration) -> Result<Credentials>,
    warn: &mut dyn FnMut(Warning),
) -> Result<Credentials> {
    let start = Instant::now();
    let Some(path) = directory() else {
        warn(Warning::new(
            "shared cache: no directory (none of PROCESSCREDS_CACHE_DIR, XDG_RUNTIME_DIR, \
             XDG_CACHE_HOME, HOME is set)",
        ));
        return run(req.timeout);
    };
    let dir = match sys::Dir::open(&path) {
        Ok(d) => d,
        Err(w) => {
            warn(w);
            return run(req.timeout);
        }
    };
    let key = Key::new(req.program, req.key_text);
    let valid = |c: &Credentials| is_fresh(c, req.expiry_window, req.ahead);

    match look(&dir, &key) {
        Look::Hit(c) if valid(&c) => return Ok(c),
        Look::Untrusted(w) => {
            warn(w);
            return run(req.timeout);
        }
        _ => {}
    }

    // Single flight: wait for the key's lock, or for an entry written meanwhile.
    let deadline = start.checked_add(req.timeout);
    let mut pause = Duration::from_millis(1);
    let lock = loop {
        match dir.try_lock(&key) {
            Ok(Some(lock)) => break lock,
            Ok(None) => {}
            Err(w) => {
                warn(w);
                return run(remaining(deadline));
            }
        }
        if let Look::Hit(c) = look(&dir, &key) {
            if valid(&c) {
                return Ok(c);
            }
        }
        if (req.cancelled)() {
            return Err(Error::internal(crate::runner::CANCELLED));
        }
        let left = remaining(deadline);
        if left.is_zero() {
            return Err(Error::timeout());
        }
        std::thread::sleep(pause.min(left));
        pause = (pause * 2).min(POLL_MAX);
    };

    // Locked: another process may have written the entry just before we got the lock.
    let replaceable = match look(&dir, &key) {
        Look::Hit(c) if valid(&c) => return Ok(c),
        Look::Untrusted(w) => {
            warn(w);
            false
        }
        _ => true,
    };
    let result = run(remaining(deadline));
    if let Ok(c) = &result {
        if replaceable && worth_writing(c) {
            if let Err(w) = dir.write(&key, &entry::encode(&key, c)) {
                warn(w);
            }
        }
    }
    drop(lock);
    result
}

fn remaining(deadline: Option<Instant>) -> Duration {
    match deadline {
        Some(d) => d.saturating_duration_since(Instant::now()),
        None => Duration::MAX,
    }
}

/// Served only while `expiry - window > now + ahead`.
fn is_fresh(c: &Credentials, window: Duration, ahead: Duration) -> bool {
    c.expiration()
        .is_some_and(|t| t.minus(window) > UnixTime::now().plus(ahead))
}

/// Credentials that never expire are never written, nor ones already expired.
fn worth_writing(c: &Credentials) -> bool {
    c.expiration().is_some_and(|t| t > UnixTime::now())
}

enum Look {
    /// A trusted entry of this key (maybe expired).
    Hit(Credentials),
    /// No entry, or a trusted one that is corrupt: a miss, to be replaced.
    Miss,
    /// Something that must be left alone: bypass.
    Untrusted(Warning),
}

fn look(dir: &sys::Dir, key: &Key) -> Look {
    match dir.read(key) {
        sys::Read::Absent => Look::Miss,
        sys::Read::Untrusted(w) => Look::Untrusted(w),
        sys::Read::Found(bytes) => match entry::decode(key, &bytes) {
            Some(c) => Look::Hit(c),
            None => Look::Miss,
        },
    }
}

/// What `clear` removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cleared {
    /// Entries (and temporary files) removed.
    pub entries: usize,
    /// Lock files removed (`clear_all` only).
    pub locks: usize,
}

/// Removes the entry (and a leftover temporary file) of one key from the cache directory. Only
/// regular files owned by the effective uid are removed, in a trusted directory; `Err` tells why
/// nothing could be done.
pub fn clear_key(key: &Key) -> std::result::Result<Cleared, Warning> {
    let path = directory().ok_or_else(|| Warning::new("shared cache: no directory"))?;
    sys::Dir::open_existing(&path)?.clear(Some(key))
}

/// Removes every entry, temporary file and lock file of the cache directory (files whose names
/// are a key with one of this module's suffixes, regular and owned by the effective uid).
pub fn clear_all() -> std::result::Result<Cleared, Warning> {
    let path = directory().ok_or_else(|| Warning::new("shared cache: no directory"))?;
    sys::Dir::open_existing(&path)?.clear(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn env(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<std::ffi::OsString> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| std::ffi::OsString::from(v))
        }
    }

    // POSIX paths (the cache is bypassed on Windows).
    #[cfg(unix)]
    #[test]
    fn directory_rules() {
        let d = |pairs| directory_from(&env(pairs));
        assert_eq!(
            d(&[
                ("PROCESSCREDS_CACHE_DIR", "/x"),
                ("XDG_RUNTIME_DIR", "/run/u")
            ]),
            Some(PathBuf::from("/x"))
        );
        assert_eq!(
            d(&[
                ("PROCESSCREDS_CACHE_DIR", ""),
                ("XDG_RUNTIME_DIR", "/run/u")
            ]),
            Some(PathBuf::from("/run/u/processcreds"))
        );
        assert_eq!(
            d(&[
                ("XDG_RUNTIME_DIR", "rel"),
                ("XDG_CACHE_HOME", "/c"),
                ("HOME", "/h")
            ]),
            Some(PathBuf::from("/c/processcreds"))
        );
        assert_eq!(
            d(&[("XDG_CACHE_HOME", "rel"), ("HOME", "/h")]),
            Some(PathBuf::from("/h/.cache/processcreds"))
        );
        assert_eq!(d(&[]), None);
    }

    #[test]
    fn freshness() {
        use crate::credentials::CredentialsSource;
        let at = |secs: i64| {
            Credentials::new(
                "A",
                "S",
                "",
                None,
                CredentialsSource::Process,
                Some(UnixTime::now().plus(Duration::from_secs(secs as u64))),
            )
        };
        let w = Duration::from_secs(60);
        assert!(is_fresh(&at(120), w, Duration::ZERO));
        assert!(!is_fresh(&at(30), w, Duration::ZERO));
        assert!(!is_fresh(&at(120), w, Duration::from_secs(90)));
        let never = Credentials::new("A", "S", "", None, CredentialsSource::Process, None);
        assert!(!is_fresh(&never, Duration::ZERO, Duration::ZERO));
        assert!(!worth_writing(&never));
        assert!(worth_writing(&at(1)));
    }
}

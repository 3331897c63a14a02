//! The shared cache (README.md, "Sharing credentials between processes"): credentials of one helper run shared by every process of the
//! same user, through files in a private directory, with a single flight across processes.
//!
//! Opt-in per provider ([`SharedCacheMode::User`]); off by default, so that aws-sdk-go v1's
//! semantics stay the default. It lives inside the provider's fetch (the run of the helper for a
//! refresh): an entry is served only if `expiry - expiry_window > now + ahead` and it does not
//! hold credentials the provider expired; otherwise the per-key lock is taken (waiting counts
//! against the caller's timeout), the entry re-checked, the helper run and its result written.
//!
//! # Files
//! - Directory: see `location.rs` (which variable names it, what may be created). Trusted only
//!   when it is a directory, not a symlink, owned by the effective uid and without any
//!   group/other permission bit; every file is then opened relative to the descriptor of that
//!   checked directory.
//! - Per key (64 hex digits of a SHA-256, see `key/`): `<key>.entry` (the credentials),
//!   `<key>.lock` (an empty file the single flight locks with a POSIX record lock), `<key>.tmp`
//!   (an entry being written, renamed over `<key>.entry`; only the lock holder writes it).
//! - An entry is trusted only when it is a regular file owned by the effective uid with mode
//!   0600, opened with `O_NOFOLLOW`. Its first line names the format and its key; the rest is a
//!   `credential_process` JSON object with the helper's `Expiration` (or the Duration-derived
//!   time) to the nanosecond, parsed by the same Go-exact parser as the helper's output
//!   (see `entry.rs`).
//!
//! # Lifecycle
//! - A reader that finds an expired entry removes it, under the key's lock.
//! - Every writer, once its entry is written and still under its lock, sweeps the directory:
//!   other keys' expired entries, temporary files older than a minute (left by a killed writer)
//!   and lock files of keys with no entry older than a minute, each under its key's lock (a lock
//!   held by a running helper is never removed). So secrets on disk live no longer than their
//!   credentials, as long as anything writes.
//! - A provider's `expire()` remembers a fingerprint of the credentials it expired
//!   (`Fingerprint`: a hash, never the secret): its next fetch does not accept an entry holding
//!   them, runs the helper under the lock and replaces the entry, unless another process already
//!   replaced it with different credentials, which are then served.
//!
//! # Failures
//! Nothing here fails a retrieve. An untrusted directory, entry or lock file, or one that cannot
//! be opened or read, is bypassed: the helper runs as it would without a cache, and nothing is
//! written (an untrusted file is never followed, chmod-ed, replaced or deleted). A trusted entry
//! that is corrupt, truncated, of another format or another key, or expired, is a miss and is
//! replaced. A write that would pass the file size limit is not attempted (no `SIGXFSZ`; the
//! host's signal dispositions are never changed), and one that fails (`EFBIG`, `ENOSPC`, a
//! read-only directory, `EACCES`) removes its temporary file. Locks the file system refuses
//! (`ENOLCK`, NFS) bypass the cache. The library prints nothing: what was bypassed and why is
//! given to the caller's observer as a [`Warning`], with a [`Reason`] (paths and reasons only,
//! never a secret), among the other [`Note`]s of a fetch (an entry served or written, a wait
//! for the lock), which the provider turns into its events and counters.
//!
//! # Platforms
//! The files section above is the POSIX implementation (`unix/`: `fcntl` record locks, `openat`,
//! `O_NOFOLLOW`). Windows (`windows/`) has the same interface and lifecycle: the directory
//! `%PROCESSCREDS_CACHE_DIR%`, else `%LOCALAPPDATA%\processcreds`, created with a protected DACL
//! for the current user and SYSTEM; the directory and entries trusted only when owned by the
//! user's SID with no other principal allowed; no reparse point or link followed; `LockFileEx`
//! locks; `MoveFileExW` replaces. The key's platform parts are in `key/` (`Dialect`). (The
//! crate builds for POSIX systems and Windows only, as its runner does.)

mod clear;
mod entry;
mod files;
pub(crate) mod flow;
mod key;
mod location;
mod sha256;
mod share;
mod sweep;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as sys;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as sys;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::credentials::Credentials;
use crate::error::Result;
use crate::time::UnixTime;

pub(crate) use key::program_name;
pub use key::{simple_command_words, Key, KeyInput};
pub use share::check_env_names;
pub(crate) use share::Share;

/// Whether a provider shares its credentials with the other processes of the same user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SharedCacheMode {
    /// No shared cache (the default): every process runs the helper.
    #[default]
    Off,
    /// The per-user shared cache.
    User,
}

/// Why the shared cache was bypassed, not written, or a setting ignored: one named value per
/// cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// No variable names a cache directory.
    NoDirectory,
    /// A variable naming the directory holds a relative path: ignored (the next one is used).
    RelativeDirectory,
    /// The directory is missing and may not be created here (inside another user's directory,
    /// or `~/.cache` in a `HOME` the effective uid does not own), or creating it failed.
    DirectoryNotCreated,
    /// The directory is not private to the effective uid (owner, mode, a symlink, not a
    /// directory; Windows: owner SID, DACL, a reparse point or link).
    DirectoryUntrusted,
    /// The directory cannot be opened or listed.
    DirectoryUnusable,
    /// The entry is not private to the effective uid, or cannot be read.
    EntryUntrusted,
    /// The lock file is not private to the effective uid, or cannot be opened or locked.
    LockUnusable,
    /// The file system does not support the lock (`ENOLCK`, e.g. NFS without a lock daemon;
    /// Windows: `ERROR_NOT_SUPPORTED`).
    LockUnsupported,
    /// The process's file size limit (`RLIMIT_FSIZE`, `ulimit -f`) is below the entry's size,
    /// or a write failed with `EFBIG`.
    FileSizeLimit,
    /// The file system is full (`ENOSPC`, `EDQUOT`; Windows: `ERROR_DISK_FULL`).
    NoSpace,
    /// Any other failure to write the entry (read-only file system, `EACCES`, a foreign
    /// temporary file in the way).
    NotWritten,
    /// The shared cache is not implemented on this platform (none of the platforms the crate
    /// builds for today: the name is kept so that the names stay stable).
    Unsupported,
}

impl Reason {
    /// A stable name, e.g. `"lock_unsupported"`.
    pub fn name(self) -> &'static str {
        match self {
            Reason::NoDirectory => "no_directory",
            Reason::RelativeDirectory => "relative_directory",
            Reason::DirectoryNotCreated => "directory_not_created",
            Reason::DirectoryUntrusted => "directory_untrusted",
            Reason::DirectoryUnusable => "directory_unusable",
            Reason::EntryUntrusted => "entry_untrusted",
            Reason::LockUnusable => "lock_unusable",
            Reason::LockUnsupported => "lock_unsupported",
            Reason::FileSizeLimit => "file_size_limit",
            Reason::NoSpace => "no_space",
            Reason::NotWritten => "not_written",
            Reason::Unsupported => "unsupported",
        }
    }
}

/// Why the shared cache was bypassed or not written: a [`Reason`], the path concerned and a
/// text. Holds paths and reasons, never a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    reason: Reason,
    path: Option<PathBuf>,
    text: String,
}

impl Warning {
    pub(crate) fn new(reason: Reason, path: Option<&Path>, text: impl Into<String>) -> Warning {
        Warning {
            reason,
            path: path.map(Path::to_owned),
            text: text.into(),
        }
    }

    /// Why.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The directory or file concerned (for [`Reason::RelativeDirectory`], the variable's
    /// value); `None` when there is none ([`Reason::NoDirectory`]).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What a fetch tells its caller, as it happens: the provider's events and counters come from
/// these. Paths and reasons only, never a secret.
#[derive(Debug)]
pub enum Note<'a> {
    /// Something was bypassed or not written, or a setting ignored.
    Bypass(Warning),
    /// A valid entry was served (no helper ran in this process).
    Hit {
        /// The entry's file.
        path: &'a Path,
    },
    /// The helper's credentials were written for the other processes.
    Written {
        /// The entry's file.
        path: &'a Path,
    },
    /// The key's lock was held by another thread or process: how long this fetch waited, and
    /// how the wait ended.
    LockWait {
        /// The lock file.
        path: &'a Path,
        /// The time spent waiting.
        waited: Duration,
        /// How the wait ended.
        outcome: WaitOutcome,
    },
}

/// How a wait for a key's lock ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The lock was taken.
    Locked,
    /// Another process wrote a valid entry meanwhile, which was served.
    Entry,
    /// The caller's timeout passed.
    Timeout,
    /// The fetch was cancelled.
    Cancelled,
}

impl WaitOutcome {
    /// A stable name, e.g. `"locked"`.
    pub fn name(self) -> &'static str {
        match self {
            WaitOutcome::Locked => "locked",
            WaitOutcome::Entry => "entry",
            WaitOutcome::Timeout => "timeout",
            WaitOutcome::Cancelled => "cancelled",
        }
    }
}

/// The cache directory the environment names now (it may not exist yet); `None` when no
/// variable gives one (no `PROCESSCREDS_CACHE_DIR`, `XDG_RUNTIME_DIR`, `XDG_CACHE_HOME` or
/// `HOME` with an absolute path; on Windows no `PROCESSCREDS_CACHE_DIR` or `LOCALAPPDATA`).
pub fn directory() -> Option<PathBuf> {
    location::locate(&|k| std::env::var_os(k)).0.map(|l| l.path)
}

/// A fingerprint of credentials (a SHA-256 of their fields): what a provider remembers of the
/// credentials it expired, so as not to accept them again from the shared cache, without keeping
/// the secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub(crate) fn of(c: &Credentials) -> Fingerprint {
        let mut h = sha256::Sha256::default();
        h.update(b"processcreds expired credentials v1");
        for part in [c.access_key_id(), c.secret_access_key(), c.session_token()] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        let exp = c.expiration().map_or(i128::MIN, UnixTime::as_nanos);
        h.update(&exp.to_le_bytes());
        Fingerprint(h.finish())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fingerprint(..)")
    }
}

/// One request to the shared cache, from a provider's fetch.
pub(crate) struct Request<'a> {
    pub key: &'a Key,
    /// The caller's timeout: waiting for the lock counts against it.
    pub timeout: Duration,
    /// The reader's expiry window.
    pub expiry_window: Duration,
    /// How far ahead of now a served entry must stay valid (a background refresh's window).
    pub ahead: Duration,
    /// Credentials the caller expired: an entry holding them is not served.
    pub reject: Option<Fingerprint>,
    /// Polled while waiting for the lock; true stops the wait.
    pub cancelled: &'a dyn Fn() -> bool,
}

impl Request<'_> {
    /// Whether the entry's credentials may be served to this reader.
    fn serves(&self, c: &Credentials) -> bool {
        is_fresh(c, self.expiry_window, self.ahead)
            && self.reject.is_none_or(|f| f != Fingerprint::of(c))
    }
}

/// How long a waiter sleeps between two looks at the lock and the entry, at most.
const POLL_MAX: Duration = Duration::from_millis(10);

/// Opens (creating it where allowed) the cache directory; `None`, with warnings, when it cannot
/// be used. Warnings about ignored settings are given too.
fn open_dir(note: &mut dyn FnMut(Note<'_>)) -> Option<sys::Dir> {
    let (found, warnings) = location::locate(&|k| std::env::var_os(k));
    if let Err(w) = sys::supported() {
        note(Note::Bypass(w));
        return None;
    }
    warnings.into_iter().for_each(|w| note(Note::Bypass(w)));
    let Some(loc) = found else {
        note(Note::Bypass(location::none()));
        return None;
    };
    sys::Dir::open(&loc).map_err(|w| note(Note::Bypass(w))).ok()
}

/// `c`, served from the entry of `key` (told to `note`).
fn served(
    dir: &sys::Dir,
    key: &Key,
    c: Credentials,
    note: &mut dyn FnMut(Note<'_>),
) -> Credentials {
    note(Note::Hit {
        path: &dir.entry_path(key),
    });
    c
}

/// The credentials for `req`: from a valid entry, or from `run` (given the time left of the
/// timeout), whose success is then written for the other processes. `note` hears about
/// anything bypassed, the entry served or written, and a wait for the lock. The steps are
/// [`flow::Fetch`]'s; this loop sleeps through the waits for another process's lock and looks at
/// `req.cancelled` before each.
pub(crate) fn fetch(
    req: &Request<'_>,
    run: &mut dyn FnMut(Duration) -> Result<Credentials>,
    note: &mut dyn FnMut(Note<'_>),
) -> Result<Credentials> {
    let mut flow = flow::Fetch::new(req);
    loop {
        match flow.step(note) {
            flow::Step::Done(result) => return result,
            flow::Step::Run(timeout) => {
                let result = run(timeout);
                return flow.ran(result, note);
            }
            flow::Step::Wait(until) => {
                if (req.cancelled)() {
                    return Err(flow.cancelled(note));
                }
                std::thread::sleep(until.saturating_duration_since(Instant::now()));
            }
        }
    }
}

/// A valid entry for `req`, read without taking a lock, creating anything or running anything:
/// the fast path of a process that would otherwise prepare a run. `note` hears only about
/// ignored settings (a relative directory variable) and the entry served; anything else is a
/// plain `None`, and the fetch that follows reports it.
pub(crate) fn peek(req: &Request<'_>, note: &mut dyn FnMut(Note<'_>)) -> Option<Credentials> {
    sys::supported().ok()?;
    let (found, warnings) = location::locate(&|k| std::env::var_os(k));
    warnings.into_iter().for_each(|w| note(Note::Bypass(w)));
    let dir = sys::Dir::open_existing(&found?.path).ok()?;
    match look(&dir, req.key) {
        Look::Hit(c) if req.serves(&c) => Some(served(&dir, req.key, c, note)),
        _ => None,
    }
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

/// Expired for every reader: the expiry has passed.
fn is_expired(c: &Credentials) -> bool {
    c.expiration().is_none_or(|t| t <= UnixTime::now())
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

/// What `clear` did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cleared {
    /// The directory looked in.
    pub directory: PathBuf,
    /// The files removed (names in the directory), entries first.
    pub removed: Vec<String>,
    /// Lock files left because a running helper holds them (`clear_all`).
    pub held: Vec<String>,
}

impl Cleared {
    /// How many entries were removed.
    pub fn entries(&self) -> usize {
        self.removed
            .iter()
            .filter(|n| n.ends_with(".entry"))
            .count()
    }
}

/// Removes the files of these keys (entries, temporary files, and lock files no helper holds)
/// from the cache directory. Only regular files owned by the effective uid are removed, in a
/// trusted directory; `Err` tells why nothing could be done.
pub fn clear_keys(keys: &[Key]) -> std::result::Result<Cleared, Warning> {
    clear(Some(keys))
}

/// Removes every entry and temporary file of the cache directory, and every lock file that no
/// running helper holds (a held one stays, so that its key's single flight holds).
pub fn clear_all() -> std::result::Result<Cleared, Warning> {
    clear(None)
}

fn clear(keys: Option<&[Key]>) -> std::result::Result<Cleared, Warning> {
    sys::supported()?;
    let path = directory().ok_or_else(location::none)?;
    if std::fs::symlink_metadata(&path).is_err() {
        // No directory: nothing to remove.
        return Ok(Cleared {
            directory: path,
            ..Cleared::default()
        });
    }
    sys::Dir::open_existing(&path)?.clear(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::CredentialsSource;

    fn at(secs: i64) -> Credentials {
        let now = UnixTime::now();
        let t = if secs >= 0 {
            now.plus(Duration::from_secs(secs as u64))
        } else {
            now.minus(Duration::from_secs((-secs) as u64))
        };
        Credentials::new("A", "S", "", None, CredentialsSource::Process, Some(t))
    }

    #[test]
    fn freshness() {
        let w = Duration::from_secs(60);
        assert!(is_fresh(&at(120), w, Duration::ZERO));
        assert!(!is_fresh(&at(30), w, Duration::ZERO));
        assert!(!is_fresh(&at(120), w, Duration::from_secs(90)));
        let never = Credentials::new("A", "S", "", None, CredentialsSource::Process, None);
        assert!(!is_fresh(&never, Duration::ZERO, Duration::ZERO));
        assert!(!worth_writing(&never));
        assert!(worth_writing(&at(1)));
        assert!(is_expired(&at(-1)));
        assert!(!is_expired(&at(30)), "inside a window is not expired");
    }

    #[test]
    fn fingerprints_tell_credentials_apart_and_hide_them() {
        let a = at(3600);
        assert!(Fingerprint::of(&a) == Fingerprint::of(&a.clone()));
        let t = a.expiration();
        for other in [
            Credentials::new("B", "S", "", None, CredentialsSource::Process, t),
            Credentials::new("A", "T", "", None, CredentialsSource::Process, t),
            Credentials::new("A", "S", "x", None, CredentialsSource::Process, t),
            Credentials::new("A", "S", "", None, CredentialsSource::Process, None),
            at(3601),
        ] {
            assert!(Fingerprint::of(&a) != Fingerprint::of(&other));
        }
        // The provider name and account do not make other credentials.
        assert!(
            Fingerprint::of(&a)
                == Fingerprint::of(&Credentials::new(
                    "A",
                    "S",
                    "",
                    Some("1"),
                    CredentialsSource::Process,
                    t
                ))
        );
        assert_eq!(format!("{:?}", Fingerprint::of(&a)), "Fingerprint(..)");
        let req = |reject| {
            Request {
                key: &Key::from_hex(&"0".repeat(64)).unwrap(),
                timeout: Duration::ZERO,
                expiry_window: Duration::ZERO,
                ahead: Duration::ZERO,
                reject,
                cancelled: &|| false,
            }
            .serves(&a)
        };
        assert!(req(None));
        assert!(!req(Some(Fingerprint::of(&a))));
        assert!(req(Some(Fingerprint::of(&at(10)))));
    }

    #[test]
    fn reasons_have_distinct_names() {
        let all = [
            Reason::NoDirectory,
            Reason::RelativeDirectory,
            Reason::DirectoryNotCreated,
            Reason::DirectoryUntrusted,
            Reason::DirectoryUnusable,
            Reason::EntryUntrusted,
            Reason::LockUnusable,
            Reason::LockUnsupported,
            Reason::FileSizeLimit,
            Reason::NoSpace,
            Reason::NotWritten,
            Reason::Unsupported,
        ];
        let mut names: Vec<&str> = all.iter().map(|r| r.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }
}

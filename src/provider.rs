//! The provider: a helper to run (or static profile keys), its options, and its cache.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::cache::{AheadJob, AheadRun, Cache, Fetched, Fresh};
use crate::config::{self, ProfileSource, SharedConfig};
use crate::credentials::Credentials;
use crate::defaults::{DEFAULT_BUF_SIZE, DEFAULT_TIMEOUT};
use crate::error::{Error, Result};
use crate::observe::{self, event, Event, Level, Observer, Stats};
use crate::output;
use crate::runner::{self, Cancel, Program, RunOptions, RunOutput, StderrMode, StdinMode};
use crate::shared_cache::{self, Fingerprint, Note, Share, SharedCacheMode, Warning};
use crate::time::UnixTime;

/// The provider's options: Go's `ProcessProvider` fields (`Timeout`, `MaxBufSize`,
/// `ExpiryWindow`, `Duration`) and where the helper's stderr and stdin go.
///
/// Read them with [`ProcessProvider::options`] and change them with
/// [`ProcessProvider::update_options`]; a change takes effect from the next run of the helper.
/// New options may be added in later versions (the struct is `non_exhaustive`), each with a
/// default that keeps the behaviour unchanged.
///
/// ```
/// use std::time::Duration;
/// use processcreds::{Options, ProcessProvider, StdinMode, DEFAULT_BUF_SIZE, DEFAULT_TIMEOUT};
///
/// let defaults = Options::default();
/// assert_eq!(defaults.timeout, DEFAULT_TIMEOUT);
/// assert_eq!(defaults.max_buf_size, DEFAULT_BUF_SIZE);
/// assert_eq!(defaults.expiry_window, Duration::ZERO);
/// assert_eq!(defaults.duration, None);
///
/// let p = ProcessProvider::new("my-credential-helper");
/// p.update_options(|o| {
///     o.timeout = Duration::from_secs(10);
///     o.expiry_window = Duration::from_secs(300); // refresh 5 minutes before `Expiration`
///     o.stdin = StdinMode::Null;                   // no prompt can read the caller's stdin
/// });
/// assert_eq!(p.options().timeout, Duration::from_secs(10));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// How long the helper may run (Go's `Timeout`; default one minute), from its spawn. When it
    /// passes, the helper and all its descendants are killed (D1) and the retrieve fails with
    /// `credential process timed out` ([`Status::Timeout`](crate::Status::Timeout)). Zero fails
    /// at once without running anything (D7).
    pub timeout: Duration,
    /// How many bytes of stdout are read (Go's `MaxBufSize`; default 8192). Trailing whitespace
    /// beyond it is ignored; any other byte beyond it fails at once with a parse error and kills
    /// the helper (D3).
    pub max_buf_size: usize,
    /// How long before their expiry credentials count as expired (Go's `ExpiryWindow`; default
    /// zero), so that they are refreshed early.
    pub expiry_window: Duration,
    /// The lifetime of credentials whose output has no `Expiration`, counted from the end of
    /// the run (D6: Go documents `Duration` but ignores it). `None` (default): such credentials
    /// never expire.
    pub duration: Option<Duration>,
    /// Where the helper's stderr goes (default: the caller's, as Go).
    pub stderr: StderrMode,
    /// Where the helper's stdin comes from (default: the caller's, as Go, so a helper can prompt
    /// for an MFA code on the terminal).
    pub stdin: StdinMode,
    /// Whether credentials are shared with the user's other processes (see
    /// [`shared_cache`](crate::shared_cache)).
    pub shared_cache: SharedCacheMode,
    /// Refresh ahead (beyond Go; default zero: off). Within this time before the credentials
    /// expire (their expiry less [`expiry_window`](Self::expiry_window)), a retrieve returns the
    /// cached credentials at once and starts one refresh on a thread of the library, unless one
    /// is running. Its success replaces the cached credentials; its failure keeps them, and the
    /// next attempt waits for a back-off (1 s, doubling, at most 1 min; 1 s after a success).
    /// Once they have expired, a retrieve runs the helper (or waits for the refresh in flight),
    /// as without a window, and returns its error. With the shared cache on, the background
    /// refresh takes the cross-process lock like any refresh. See `SEMANTICS.md`, "Refresh
    /// ahead".
    pub refresh_window: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: DEFAULT_TIMEOUT,
            max_buf_size: DEFAULT_BUF_SIZE,
            expiry_window: Duration::ZERO,
            duration: None,
            stderr: StderrMode::Inherit,
            stdin: StdinMode::Inherit,
            shared_cache: SharedCacheMode::Off,
            refresh_window: Duration::ZERO,
        }
    }
}

enum Source {
    Process(Program),
    Static(Credentials),
}

/// A `credential_process` provider with aws-sdk-go v1's `Credentials` cache.
///
/// Built from a command string ([`new`](Self::new): `sh -c <command>`), a program and its
/// arguments ([`from_argv`](Self::from_argv): no shell) or a shared-config profile
/// ([`from_profile`](Self::from_profile)). [`retrieve`](Self::retrieve) returns the cached
/// credentials while they are valid and otherwise runs the helper, once for all the threads
/// that ask at the same time.
///
/// `Send + Sync`: share one provider between threads (in an `Arc` or a `static`). Option
/// changes take effect from the next run of the helper. `Debug` shows neither the command line
/// (it may carry a secret) nor any credential.
///
/// ```
/// use std::sync::Arc;
/// use processcreds::ProcessProvider;
///
/// let p = Arc::new(ProcessProvider::new(
///     r#"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"secret","Expiration":"2100-01-01T00:00:00Z"}'"#,
/// ));
/// let threads: Vec<_> = (0..4)
///     .map(|_| {
///         let p = p.clone();
///         std::thread::spawn(move || p.retrieve().map(|c| c.access_key_id().to_owned()))
///     })
///     .collect();
/// for t in threads {
///     assert_eq!(t.join().unwrap()?, "AKID"); // one run of the helper for the four threads
/// }
/// assert!(!p.is_expired());
/// # Ok::<(), processcreds::Error>(())
/// ```
pub struct ProcessProvider {
    core: Arc<Core>,
}

/// The provider's parts, shared with its background refresh (which may outlive the provider by
/// a few milliseconds when freeing it cancels the refresh) and with the reactor's job of an
/// asynchronous retrieve.
pub(crate) struct Core {
    source: Source,
    options: Mutex<Options>,
    cache: Cache,
    /// The shared cache's key parts and rejected credentials (see `shared_cache::Share`).
    share: Mutex<Share>,
    /// The logger and the counters.
    observer: Observer,
}

impl std::fmt::Debug for ProcessProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("ProcessProvider");
        match &self.core.source {
            Source::Process(p) => d.field("program", p),
            Source::Static(c) => d.field("static", &c.provider_name()),
        };
        d.field("options", &*self.core.options.lock())
            .finish_non_exhaustive()
    }
}

impl ProcessProvider {
    fn with_source(source: Source) -> ProcessProvider {
        let name = match &source {
            Source::Process(p) => shared_cache::program_name(p),
            Source::Static(_) => "static".to_owned(),
        };
        ProcessProvider {
            core: Arc::new(Core {
                source,
                options: Mutex::new(Options::default()),
                cache: Cache::default(),
                share: Mutex::new(Share::default()),
                observer: Observer::new(name),
            }),
        }
    }

    /// A provider running `sh -c <command>` (the whole string is one argument of `sh`, looked up
    /// on `PATH` at each run), as Go's `NewCredentials`; on Windows, `cmd.exe /d /s /c
    /// "<command>"` (D10).
    ///
    /// Nothing runs here. An empty or blank command is accepted and fails at every retrieve
    /// with `failed to prepare command: command must not be empty` (D5).
    ///
    /// ```
    /// use processcreds::ProcessProvider;
    ///
    /// let p = ProcessProvider::new(
    ///     r#"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"secret","SessionToken":"token"}'"#,
    /// );
    /// let creds = p.retrieve()?;
    /// assert_eq!(creds.session_token(), "token");
    /// assert_eq!(creds.expiration(), None); // no `Expiration`: never expires
    /// # Ok::<(), processcreds::Error>(())
    /// ```
    pub fn new(command: impl Into<String>) -> ProcessProvider {
        ProcessProvider::with_source(Source::Process(Program::Shell(command.into())))
    }

    /// A provider running `argv[0]` with the arguments `argv[1..]`, with no shell (works where
    /// there is no `/bin/sh`, and needs no quoting). `argv[0]` is looked up on `PATH` when it
    /// has no `/`.
    ///
    /// # Errors
    ///
    /// An empty `argv` ([`Status::InvalidArgument`](crate::Status::InvalidArgument)). An empty
    /// or blank `argv[0]` is accepted and fails at every retrieve, as an empty command does.
    ///
    /// ```
    /// use processcreds::ProcessProvider;
    ///
    /// let json = r#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"it's a $ecret"}"#;
    /// let p = ProcessProvider::from_argv(vec!["printf".into(), "%s".into(), json.into()])?;
    /// assert_eq!(p.retrieve()?.secret_access_key(), "it's a $ecret");
    ///
    /// assert!(ProcessProvider::from_argv(vec![]).is_err());
    /// # Ok::<(), processcreds::Error>(())
    /// ```
    pub fn from_argv(argv: Vec<String>) -> Result<ProcessProvider> {
        if argv.is_empty() {
            return Err(Error::invalid_argument("argv must not be empty"));
        }
        Ok(ProcessProvider::with_source(Source::Process(
            Program::Argv(argv),
        )))
    }

    /// A provider for a profile of the shared config and credentials files, resolved as
    /// aws-sdk-go v1's `session` does: the profile's `credential_process` (run as written, quotes
    /// included: D9), or its static keys `aws_access_key_id` + `aws_secret_access_key` (+
    /// `aws_session_token`), which win and are returned as never-expiring credentials named
    /// `SharedConfigCredentials: <file>`.
    ///
    /// `profile`: `None` (or `""`) means `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE` (when shared
    /// config is enabled), else `default`. The files are `AWS_SHARED_CREDENTIALS_FILE` (default
    /// `~/.aws/credentials`), and `AWS_CONFIG_FILE` (default `~/.aws/config`) when `shared`
    /// enables it; in each, `[name]` is used before `[profile name]`. The environment and the
    /// files are read here, once. Every rule is listed in the [`config`](crate::config) module.
    ///
    /// # Errors
    ///
    /// [`Status::Config`](crate::Status::Config), with Go's codes and texts: a profile in no
    /// file, a profile with neither static keys nor `credential_process`, several credential
    /// sources in one profile, a file that cannot be parsed or read, and the profiles this
    /// library does not support (`role_arn`, SSO; D9).
    ///
    /// ```
    /// use processcreds::{ProcessProvider, SharedConfig};
    ///
    /// let dir = std::env::temp_dir().join(format!("processcreds-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let file = dir.join("credentials");
    /// std::fs::write(&file, r#"
    /// [dev]
    /// credential_process = printf '{"Version":1,"AccessKeyId":"AKID-DEV","SecretAccessKey":"secret"}'
    ///
    /// [ci]
    /// aws_access_key_id = AKID-CI
    /// aws_secret_access_key = secret
    /// "#).unwrap();
    /// std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &file);
    ///
    /// let dev = ProcessProvider::from_profile(Some("dev"), SharedConfig::Disable)?;
    /// assert_eq!(dev.retrieve()?.access_key_id(), "AKID-DEV");
    ///
    /// let ci = ProcessProvider::from_profile(Some("ci"), SharedConfig::Disable)?;
    /// let creds = ci.retrieve()?;
    /// assert_eq!(creds.access_key_id(), "AKID-CI");
    /// assert!(creds.provider_name().starts_with("SharedConfigCredentials: "));
    ///
    /// let missing = ProcessProvider::from_profile(Some("prod"), SharedConfig::Disable).unwrap_err();
    /// assert_eq!(missing.code(), "SharedConfigProfileNotExistsError");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), processcreds::Error>(())
    /// ```
    pub fn from_profile(profile: Option<&str>, shared: SharedConfig) -> Result<ProcessProvider> {
        Ok(match config::resolve(profile, shared)? {
            ProfileSource::Static(c) => ProcessProvider::with_source(Source::Static(c)),
            ProfileSource::Process { command } => ProcessProvider::new(command),
        })
    }

    /// The current options.
    pub fn options(&self) -> Options {
        self.core.options()
    }

    /// Changes the options in place (see [`Options`]); the change takes effect from the next run
    /// of the helper. `f` runs under the provider's option lock: keep it short.
    pub fn update_options(&self, f: impl FnOnce(&mut Options)) {
        f(&mut self.core.options.lock());
    }

    /// The credentials, as Go's `Credentials.Get()`: the cached ones while they are valid (nothing
    /// runs), else those of one run of the helper, shared by all the threads that ask meanwhile.
    /// Inside the [`refresh_window`](Options::refresh_window): the cached ones at once, and a
    /// background refresh starts unless one is running.
    ///
    /// Blocks the calling thread while the helper runs (at most [`Options::timeout`]). In async
    /// code, use [`retrieve_async`](Self::retrieve_async).
    ///
    /// # Errors
    ///
    /// The run's [`Error`] (not cached: the next call runs the helper again). A failed refresh
    /// never returns the expired credentials.
    ///
    /// ```
    /// use processcreds::{ProcessProvider, Status};
    ///
    /// let p = ProcessProvider::new("echo 'no credentials today' >&2; exit 3");
    /// p.update_options(|o| o.stderr = processcreds::StderrMode::Capture);
    /// let err = p.retrieve().unwrap_err();
    /// assert_eq!(err.status(), Status::Execution);
    /// assert_eq!(
    ///     err.to_string(),
    ///     "ProcessProviderExecutionError: error in credential_process\n\
    ///      caused by: exit status 3\n\
    ///      stderr: no credentials today"
    /// );
    /// ```
    pub fn retrieve(&self) -> Result<Arc<Credentials>> {
        let core = &self.core;
        core.cache.get(
            &core.observer,
            || core.fetch_fresh(None),
            || self.background_refresh(),
        )
    }

    /// The job of a background refresh: runs on the refresh thread with its own share of the
    /// provider's parts.
    fn background_refresh(&self) -> AheadJob {
        ProcessProvider::ahead_job(&self.core)
    }

    /// [`background_refresh`](Self::background_refresh) for the provider whose parts are
    /// `core`.
    pub(crate) fn ahead_job(core: &Arc<Core>) -> AheadJob {
        let core = Arc::clone(core);
        Box::new(move |run: AheadRun| {
            core.cache
                .run_ahead(&core.observer, run, |cancel| core.fetch_fresh(Some(cancel)))
        })
    }

    /// The cached credentials while they are valid; `None` otherwise. Never runs the helper and
    /// never waits for a run in progress, so async code may call it anywhere. Inside the
    /// [`refresh_window`](Options::refresh_window), starts the background refresh as
    /// [`retrieve`](Self::retrieve) does.
    ///
    /// ```
    /// use processcreds::ProcessProvider;
    ///
    /// let p = ProcessProvider::new(
    ///     r#"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"secret"}'"#,
    /// );
    /// assert!(p.cached().is_none());
    /// p.retrieve()?;
    /// assert_eq!(p.cached().unwrap().access_key_id(), "AKID");
    /// # Ok::<(), processcreds::Error>(())
    /// ```
    pub fn cached(&self) -> Option<Arc<Credentials>> {
        self.core
            .cache
            .cached(&self.core.observer, || self.background_refresh())
    }

    /// Runs the helper once, bypassing the cache and leaving it unchanged (Go's
    /// `ProcessProvider.Retrieve`, which always runs the process). For a profile's static keys,
    /// returns them. With [`Options::shared_cache`] on, a valid entry of the shared cache is
    /// served instead of running the helper.
    ///
    /// # Errors
    ///
    /// As [`retrieve`](Self::retrieve).
    ///
    /// ```
    /// use processcreds::ProcessProvider;
    ///
    /// let p = ProcessProvider::new(
    ///     r#"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"s","Expiration":"2100-01-01T00:00:00Z"}'"#,
    /// );
    /// let fetched = p.fetch()?;
    /// assert_eq!(fetched.credentials.access_key_id(), "AKID");
    /// assert_eq!(fetched.expires_at, fetched.credentials.expiration()); // no expiry window
    /// assert!(p.is_expired()); // the cache was not filled
    /// # Ok::<(), processcreds::Error>(())
    /// ```
    pub fn fetch(&self) -> Result<Fetched> {
        self.fetch_ahead(Duration::ZERO, None)
    }

    /// The one run for a refresh, whose result must stay valid `ahead` from now (zero in the
    /// foreground; a background refresh passes its window); `cancel` stops the run (and a wait
    /// for the shared cache's lock). With the shared cache on, an entry is served only if
    /// `expiry - expiry_window > now + ahead`.
    ///
    /// # Errors
    ///
    /// As [`retrieve`](Self::retrieve); a cancelled run is an internal error.
    pub fn fetch_ahead(&self, ahead: Duration, cancel: Option<&Cancel>) -> Result<Fetched> {
        self.fetch_observed(ahead, cancel, &mut |_| {})
    }

    /// [`fetch_ahead`](Self::fetch_ahead), telling `warn` what the shared cache bypassed and
    /// why (the library prints nothing itself; the `processcreds` command shows the first), as
    /// well as the logger (`shared_cache.bypass`).
    ///
    /// # Errors
    ///
    /// As [`fetch_ahead`](Self::fetch_ahead).
    pub fn fetch_observed(
        &self,
        ahead: Duration,
        cancel: Option<&Cancel>,
        warn: &mut dyn FnMut(Warning),
    ) -> Result<Fetched> {
        self.core.fetch_observed(ahead, cancel, warn)
    }

    /// Extra text for the shared cache's key (so that providers running the same helper for
    /// different purposes keep separate entries); `None` (the default) adds nothing.
    pub fn set_shared_cache_key(&self, text: Option<&str>) {
        self.core.share.lock().text = text.map(str::to_owned);
    }

    /// Variables whose values the shared cache's key holds too, because the helper reads them
    /// without the command line showing it (a token file, a role name); empty (the default)
    /// adds nothing. Order and repeats do not matter.
    ///
    /// # Errors
    ///
    /// A name that is empty or holds `=` or NUL
    /// ([`Status::InvalidArgument`](crate::Status::InvalidArgument)); nothing is changed then.
    pub fn set_shared_cache_env<S: AsRef<str>>(&self, names: &[S]) -> Result<()> {
        let names = shared_cache::check_env_names(names)?;
        self.core.share.lock().env = names;
        Ok(())
    }

    /// A valid entry of the shared cache for this provider, read without taking a lock,
    /// creating a file or running anything (what a short-lived process checks before it prepares
    /// a run); `None` when there is none, or the shared cache is off. `warn` hears about ignored
    /// settings only (the logger too, and about the entry served).
    pub fn peek_shared(&self, warn: &mut dyn FnMut(Warning)) -> Option<Fetched> {
        self.core.peek_shared(warn)
    }

    /// Go's `Credentials.IsExpired()`: true before the first success, after
    /// [`expire`](Self::expire), and once the cached credentials have expired (their expiry,
    /// less [`Options::expiry_window`], is before now).
    ///
    /// ```
    /// use processcreds::ProcessProvider;
    ///
    /// let p = ProcessProvider::new(
    ///     r#"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"s","Expiration":"2000-01-01T00:00:00Z"}'"#,
    /// );
    /// assert!(p.is_expired());
    /// p.retrieve()?; // an `Expiration` in the past is returned once...
    /// assert!(p.is_expired()); // ...and the provider reports itself expired
    /// # Ok::<(), processcreds::Error>(())
    /// ```
    pub fn is_expired(&self) -> bool {
        self.core.cache.is_expired()
    }

    /// Clears the cache (Go's `Credentials.Expire()`): the next retrieve runs the helper. The
    /// cached copies are wiped now; credentials already handed out stay valid for their holders.
    /// With [`Options::shared_cache`] on, the next fetch does not accept a shared entry holding
    /// the credentials expired here (the provider keeps a fingerprint, not the secret): it runs
    /// the helper under the cross-process lock and replaces the entry, unless another process
    /// already replaced it with different credentials.
    ///
    /// ```
    /// use processcreds::ProcessProvider;
    ///
    /// let p = ProcessProvider::new(
    ///     r#"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"s"}'"#,
    /// );
    /// let creds = p.retrieve()?;
    /// assert!(!p.is_expired()); // no `Expiration`: never expires...
    /// p.expire();
    /// assert!(p.is_expired()); // ...until expired by hand
    /// assert_eq!(creds.access_key_id(), "AKID");
    /// # Ok::<(), processcreds::Error>(())
    /// ```
    pub fn expire(&self) {
        let expired = self.core.cache.expire();
        if let Some(c) = expired {
            if self.core.options().shared_cache == SharedCacheMode::User {
                self.core.share.lock().rejected = Some(Fingerprint::of(&c));
            }
        }
    }

    /// The expiry of the cached credentials less [`Options::expiry_window`] (Go's
    /// `Credentials.ExpiresAt()`), also once they have expired; `None` when nothing is cached or
    /// they never expire.
    ///
    /// ```
    /// use std::time::Duration;
    /// use processcreds::ProcessProvider;
    ///
    /// let p = ProcessProvider::new(
    ///     r#"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"s","Expiration":"2100-01-01T00:00:00Z"}'"#,
    /// );
    /// p.update_options(|o| o.expiry_window = Duration::from_secs(60));
    /// assert_eq!(p.expires_at(), None);
    /// let creds = p.retrieve()?;
    /// let expiration = creds.expiration().unwrap();
    /// assert_eq!(p.expires_at(), Some(expiration.minus(Duration::from_secs(60))));
    /// # Ok::<(), processcreds::Error>(())
    /// ```
    pub fn expires_at(&self) -> Option<UnixTime> {
        self.core.cache.expires_at()
    }
}

/// Observability (README.md, "Observability"; the [`observe`] module).
impl ProcessProvider {
    /// Gives the provider's events of `min_level` and more important ones to `logger`, as
    /// `logger(level, event, message)` (see [`observe`] for the events, and on which threads and
    /// when a logger is called), replacing any logger installed before. Returns once the calls of
    /// the previous logger in progress on other threads have returned.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use processcreds::{observe::Level, ProcessProvider};
    ///
    /// let p = ProcessProvider::from_argv(vec![
    ///     "printf".into(),
    ///     r#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"secret"}"#.into(),
    /// ])?;
    /// let lines = Arc::new(Mutex::new(Vec::new()));
    /// let sink = lines.clone();
    /// p.set_logger(Level::Info, move |level, event, message| {
    ///     sink.lock().unwrap().push(format!("{level} {event}: {message}"));
    /// });
    /// p.retrieve()?; // runs the helper
    /// p.retrieve()?; // cached: cache.hit is at debug, below the logger's level
    /// let lines = lines.lock().unwrap();
    /// assert_eq!(lines[0], "info helper.start: program=printf");
    /// assert!(lines[1].starts_with("info helper.exit: program=printf status=ok duration_ms="));
    /// assert_eq!(lines.len(), 2);
    /// assert_eq!(p.stats().helper_runs, 1);
    /// assert_eq!(p.stats().cache_hits, 1);
    /// # Ok::<(), processcreds::Error>(())
    /// ```
    pub fn set_logger<F>(&self, min_level: Level, logger: F)
    where
        F: Fn(Level, &str, &str) + Send + Sync + 'static,
    {
        let sink: observe::Sink = Arc::new(move |l: Level, e: Event, m: &observe::Message| {
            logger(l, e.name(), m.as_str())
        });
        self.core.observer.set(Some((sink, min_level)));
    }

    /// Removes the logger: no event is formatted any more. Returns once the calls of the
    /// previous logger in progress on other threads have returned.
    pub fn remove_logger(&self) {
        self.core.observer.set(None);
    }

    /// Installs (or with `None` removes) a sink of the library's own: the C ABI's callback.
    pub(crate) fn set_sink(&self, sink: Option<(observe::Sink, Level)>) {
        self.core.observer.set(sink);
    }

    /// Sends the provider's events to the `log` crate (target `processcreds`, messages
    /// `event: fields`), at the levels `log::max_level()` lets through now (call it once the
    /// program's logger is set up; nothing is formatted for a level filtered out then).
    #[cfg(feature = "log")]
    #[cfg_attr(docsrs, doc(cfg(feature = "log")))]
    pub fn log_to_facade(&self) {
        let (sink, min) = observe::log_sink();
        self.core.observer.set(min.map(|m| (sink, m)));
    }

    /// Sends the provider's events to `tracing` (target `processcreds`, a field `event` and the
    /// message `event: fields`), at the levels the current subscribers let through now (call it
    /// once the subscriber is installed).
    #[cfg(feature = "tracing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
    pub fn log_to_tracing(&self) {
        let (sink, min) = observe::tracing_sink();
        self.core.observer.set(min.map(|m| (sink, m)));
    }

    /// The provider's counters since it was made (see [`Stats`]).
    pub fn stats(&self) -> Stats {
        let core = &self.core;
        core.observer.counters.read(core.cache.hits())
    }
}

/// Freeing the provider cancels its background refresh, if one runs: the helper is killed with
/// its tree, and the refresh thread is joined (or, if it has not ended within a short bound,
/// left to end on its own). The logger is removed (and calls of it in progress on other threads
/// waited for): it is never called once the provider is dropped.
impl Drop for ProcessProvider {
    fn drop(&mut self) {
        self.core.cache.close();
        self.core.observer.set(None);
    }
}

impl ProcessProvider {
    /// The provider's parts (the asynchronous retrieve's job holds them).
    pub(crate) fn core(&self) -> &Arc<Core> {
        &self.core
    }
}

/// A fetch's inputs, read as it starts: what `fetch_observed` does in one call, in pieces that
/// the reactor drives (`Core::plan`, the shared cache's steps, a driven run, `Core::fetched`).
pub(crate) enum Plan {
    /// A profile's static keys: nothing runs.
    Static(Fetched),
    /// A helper to run, through the shared cache's steps when it is on.
    Run {
        program: Program,
        opts: Options,
        share: Share,
        shared: Option<shared_cache::flow::Fetch>,
    },
}

impl Core {
    /// The provider's logger and counters.
    pub(crate) fn observer(&self) -> &Observer {
        &self.observer
    }

    fn options(&self) -> Options {
        *self.options.lock()
    }

    pub(crate) fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The inputs of a fetch for the cache in the foreground, and the refresh window read as it
    /// starts.
    pub(crate) fn plan(&self) -> (Plan, Duration) {
        let opts = self.options();
        let program = match &self.source {
            Source::Static(c) => {
                return (
                    Plan::Static(Fetched {
                        credentials: c.clone(),
                        expires_at: None,
                    }),
                    opts.refresh_window,
                )
            }
            Source::Process(p) => p,
        };
        let share = self.share.lock().clone();
        let shared = (opts.shared_cache != SharedCacheMode::Off && !is_blank(program)).then(|| {
            shared_cache::flow::Fetch::new(&shared_cache::Request {
                key: &share.key(program, opts.duration, opts.max_buf_size),
                timeout: opts.timeout,
                expiry_window: opts.expiry_window,
                ahead: Duration::ZERO,
                reject: share.rejected,
                cancelled: &|| false,
            })
        });
        (
            Plan::Run {
                program: program.clone(),
                opts,
                share,
                shared,
            },
            opts.refresh_window,
        )
    }

    /// The end of a fetch of [`Core::plan`]: the credentials with their window-adjusted expiry;
    /// a success accepts shared entries again.
    pub(crate) fn fetched(
        &self,
        share: &Share,
        opts: &Options,
        credentials: Result<Credentials>,
    ) -> Result<Fetched> {
        let fetched = credentials.map(|c| fetched_with(c, opts));
        self.accepted(share, &fetched);
        fetched
    }

    /// After a fetch: a success means the expired credentials were replaced, so entries are
    /// accepted again.
    fn accepted(&self, share: &Share, fetched: &Result<Fetched>) {
        if fetched.is_ok() && share.rejected.is_some() {
            let mut now = self.share.lock();
            if now.rejected == share.rejected {
                now.rejected = None;
            }
        }
    }

    /// One run for the cache, with the refresh window read as it starts: in the foreground
    /// (`cancel` `None`), or in the background, where the result must stay valid for the window.
    fn fetch_fresh(&self, cancel: Option<&Cancel>) -> Result<Fresh> {
        let refresh_window = self.options().refresh_window;
        let ahead = if cancel.is_some() {
            refresh_window
        } else {
            Duration::ZERO
        };
        self.fetch_observed(ahead, cancel, &mut |_| {})
            .map(|fetched| Fresh {
                fetched,
                refresh_window,
            })
    }

    /// See [`ProcessProvider::fetch_observed`].
    fn fetch_observed(
        &self,
        ahead: Duration,
        cancel: Option<&Cancel>,
        warn: &mut dyn FnMut(Warning),
    ) -> Result<Fetched> {
        // The run and the shared cache's files reach cancellation points: a pthread_cancel of
        // this thread waits until the fetch is over (see runner::NoCancel).
        let _no_cancel = crate::runner::NoCancel::new();
        let opts = self.options();
        let program = match &self.source {
            Source::Static(c) => {
                return Ok(Fetched {
                    credentials: c.clone(),
                    expires_at: None,
                })
            }
            Source::Process(p) => p,
        };
        let share = self.share.lock().clone();
        let fetched = fetch_program(
            program,
            &opts,
            &share,
            ahead,
            cancel,
            &self.observer,
            &mut |n| self.note(n, warn),
        );
        self.accepted(&share, &fetched);
        fetched
    }

    /// What the shared cache tells a fetch: counted and emitted, and its bypasses given to `warn`.
    pub(crate) fn note(&self, note: Note<'_>, warn: &mut dyn FnMut(Warning)) {
        let obs = &self.observer;
        match note {
            Note::Bypass(w) => {
                obs.counters.shared_cache_bypass();
                let reason = w.reason().name();
                match w.path() {
                    Some(p) => event!(
                        obs,
                        Event::SharedCacheBypass,
                        "reason" = reason,
                        "path" = p.display(),
                        "detail" = w,
                    ),
                    None => event!(
                        obs,
                        Event::SharedCacheBypass,
                        "reason" = reason,
                        "detail" = w
                    ),
                }
                warn(w);
            }
            Note::Hit { path } => {
                obs.counters.shared_cache_hit();
                event!(obs, Event::SharedCacheHit, "path" = path.display());
            }
            Note::Written { path } => {
                obs.counters.shared_cache_write();
                event!(obs, Event::SharedCacheWrite, "path" = path.display());
            }
            Note::LockWait {
                path,
                waited,
                outcome,
            } => event!(
                obs,
                Event::SharedCacheLockWait,
                "path" = path.display(),
                "waited_ms" = observe::Millis(waited),
                "outcome" = outcome.name(),
            ),
        }
    }

    /// See [`ProcessProvider::peek_shared`].
    fn peek_shared(&self, warn: &mut dyn FnMut(Warning)) -> Option<Fetched> {
        let opts = self.options();
        let Source::Process(program) = &self.source else {
            return None;
        };
        if opts.shared_cache == SharedCacheMode::Off || is_blank(program) {
            return None;
        }
        let share = self.share.lock().clone();
        let credentials = shared_cache::peek(
            &shared_cache::Request {
                key: &share.key(program, opts.duration, opts.max_buf_size),
                timeout: opts.timeout,
                expiry_window: opts.expiry_window,
                ahead: Duration::ZERO,
                reject: share.rejected,
                cancelled: &|| false,
            },
            &mut |n| self.note(n, warn),
        )?;
        let expires_at = credentials
            .expiration()
            .map(|t| t.minus(opts.expiry_window));
        Some(Fetched {
            credentials,
            expires_at,
        })
    }
}

/// A blank command is never looked up: it fails as without a cache (D5).
fn is_blank(program: &Program) -> bool {
    match program {
        Program::Shell(c) => c.trim().is_empty(),
        Program::Argv(v) => v.first().is_none_or(|a| a.trim().is_empty()),
    }
}

/// A helper's credentials for a refresh: through the shared cache when it is on,
/// else from one run.
fn fetch_program(
    program: &Program,
    opts: &Options,
    share: &Share,
    ahead: Duration,
    cancel: Option<&Cancel>,
    obs: &Observer,
    note: &mut dyn FnMut(Note<'_>),
) -> Result<Fetched> {
    let credentials = if opts.shared_cache == SharedCacheMode::Off || is_blank(program) {
        run_helper(program, opts, opts.timeout, cancel, obs)?
    } else {
        shared_cache::fetch(
            &shared_cache::Request {
                key: &share.key(program, opts.duration, opts.max_buf_size),
                timeout: opts.timeout,
                expiry_window: opts.expiry_window,
                ahead,
                reject: share.rejected,
                cancelled: &|| cancel.is_some_and(Cancel::is_cancelled),
            },
            &mut |timeout| run_helper(program, opts, timeout, cancel, obs),
            note,
        )?
    };
    Ok(fetched_with(credentials, opts))
}

/// Credentials with their expiry less the expiry window.
fn fetched_with(credentials: Credentials, opts: &Options) -> Fetched {
    let expires_at = credentials
        .expiration()
        .map(|t| t.minus(opts.expiry_window));
    Fetched {
        credentials,
        expires_at,
    }
}

/// The runner's options of one run with `timeout`.
pub(crate) fn run_options(opts: &Options, timeout: Duration) -> RunOptions {
    RunOptions {
        timeout,
        max_buf_size: opts.max_buf_size,
        stderr: opts.stderr,
        stdin: opts.stdin,
    }
}

/// A finished run's output checked as Go v1 does.
pub(crate) fn credentials_of(run: RunOutput, opts: &Options) -> Result<Credentials> {
    let finished = UnixTime::now();
    let with_stderr = |e: Error| e.with_stderr(run.stderr.clone());
    output::parse(&run.stdout)
        .and_then(|out| out.into_credentials(opts.duration.map(|d| finished.plus(d))))
        .map_err(with_stderr)
}

/// One run of the helper with `timeout`, its output checked as Go v1 does; counted and told to
/// `obs` (`helper.start`, then `helper.exit` or `helper.timeout`).
fn run_helper(
    program: &Program,
    opts: &Options,
    timeout: Duration,
    cancel: Option<&Cancel>,
    obs: &Observer,
) -> Result<Credentials> {
    let start = obs.helper_start();
    let mut bytes = 0;
    let result = run_and_parse(program, opts, timeout, cancel, &mut bytes);
    obs.helper_end(start, timeout, bytes, &result);
    result
}

/// The run of [`run_helper`]; `bytes` is set to the length of stdout once the run is over.
fn run_and_parse(
    program: &Program,
    opts: &Options,
    timeout: Duration,
    cancel: Option<&Cancel>,
    bytes: &mut usize,
) -> Result<Credentials> {
    let run_opts = run_options(opts, timeout);
    let run = match cancel {
        Some(c) => runner::run_cancellable(program, &run_opts, c)?,
        None => runner::run(program, &run_opts)?,
    };
    *bytes = run.stdout.len();
    credentials_of(run, opts)
}

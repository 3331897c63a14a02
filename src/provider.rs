//! The provider: a helper to run (or static profile keys), its options, and its cache.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::cache::{Cache, Fetched};
use crate::config::{self, ProfileSource, SharedConfig};
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::output;
use crate::runner::{self, Program, RunOptions, StderrMode, StdinMode};
use crate::time::UnixTime;

/// Go's `ProviderName`.
pub const PROVIDER_NAME: &str = "ProcessProvider";
/// Go's `DefaultTimeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Go's `DefaultBufSize`.
pub const DEFAULT_BUF_SIZE: usize = 8192;

/// The provider's options (Go's `ProcessProvider` fields plus the stdio modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// How long the helper may run (Go's `Timeout`); zero fails at once (D7).
    pub timeout: Duration,
    /// How much of stdout is kept (Go's `MaxBufSize`); more fails (D3).
    pub max_buf_size: usize,
    /// Subtracted from the expiry (Go's `ExpiryWindow`).
    pub expiry_window: Duration,
    /// Lifetime of credentials that carry no `Expiration` (D6); `None`: they never expire.
    pub duration: Option<Duration>,
    pub stderr: StderrMode,
    pub stdin: StdinMode,
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
        }
    }
}

enum Source {
    Process(Program),
    Static(Credentials),
}

/// A `credential_process` provider with aws-sdk-go v1's `Credentials` cache. Safe to share
/// between threads; setters take effect from the next run of the helper.
pub struct ProcessProvider {
    source: Source,
    options: Mutex<Options>,
    cache: Cache,
}

impl std::fmt::Debug for ProcessProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("ProcessProvider");
        match &self.source {
            Source::Process(p) => d.field("program", p),
            Source::Static(c) => d.field("static", &c.provider_name()),
        };
        d.field("options", &*self.options.lock())
            .finish_non_exhaustive()
    }
}

impl ProcessProvider {
    fn with_source(source: Source) -> ProcessProvider {
        ProcessProvider {
            source,
            options: Mutex::new(Options::default()),
            cache: Cache::default(),
        }
    }

    /// A provider running `sh -c <command>`. An empty or blank command is accepted here and
    /// fails at every retrieve (D5).
    pub fn new(command: impl Into<String>) -> ProcessProvider {
        ProcessProvider::with_source(Source::Process(Program::Shell(command.into())))
    }

    /// A provider running `argv[0]` with its arguments, with no shell.
    pub fn from_argv(argv: Vec<String>) -> Result<ProcessProvider> {
        if argv.is_empty() {
            return Err(Error::invalid_argument("argv must not be empty"));
        }
        Ok(ProcessProvider::with_source(Source::Process(
            Program::Argv(argv),
        )))
    }

    /// A provider for a shared-config profile (SPEC §1.5): its `credential_process`, or its
    /// static keys (returned as never-expiring credentials). The environment and the files are
    /// read here, once.
    pub fn from_profile(profile: Option<&str>, shared: SharedConfig) -> Result<ProcessProvider> {
        Ok(match config::resolve(profile, shared)? {
            ProfileSource::Static(c) => ProcessProvider::with_source(Source::Static(c)),
            ProfileSource::Process { command } => ProcessProvider::new(command),
        })
    }

    pub fn options(&self) -> Options {
        *self.options.lock()
    }

    /// Changes the options in place.
    pub fn update_options(&self, f: impl FnOnce(&mut Options)) {
        f(&mut self.options.lock());
    }

    /// The credentials: the cached ones while valid, else from one run of the helper shared by
    /// all concurrent callers.
    pub fn retrieve(&self) -> Result<Arc<Credentials>> {
        self.cache.get(|| self.fetch())
    }

    /// The cached credentials while they are valid; `None` otherwise. Never runs the helper and
    /// never waits for a run in progress.
    pub fn cached(&self) -> Option<Arc<Credentials>> {
        self.cache.cached()
    }

    /// Runs the helper once, bypassing the cache (Go's `ProcessProvider.Retrieve`).
    pub fn fetch(&self) -> Result<Fetched> {
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
        let run = runner::run(
            program,
            &RunOptions {
                timeout: opts.timeout,
                max_buf_size: opts.max_buf_size,
                stderr: opts.stderr,
                stdin: opts.stdin,
            },
        )?;
        let finished = UnixTime::now();
        let with_stderr = |e: Error| e.with_stderr(run.stderr.clone());
        let out = output::parse(&run.stdout).map_err(with_stderr)?;
        if out.version != 1 {
            return Err(with_stderr(Error::version()));
        }
        if out.access_key_id.is_empty() {
            return Err(with_stderr(Error::missing_key()));
        }
        if out.secret_access_key.is_empty() {
            return Err(with_stderr(Error::missing_secret()));
        }
        let expiration = out
            .expiration
            .or_else(|| opts.duration.map(|d| finished.plus(d)));
        let expires_at = expiration.map(|t| t.minus(opts.expiry_window));
        Ok(Fetched {
            credentials: Credentials::new(
                &out.access_key_id,
                &out.secret_access_key,
                &out.session_token,
                out.account_id.as_deref(),
                PROVIDER_NAME,
                expiration,
            ),
            expires_at,
        })
    }

    /// Go's `Credentials.IsExpired()`: true before the first success, after `expire()`, and
    /// once the cached credentials expired.
    pub fn is_expired(&self) -> bool {
        self.cache.is_expired()
    }

    /// Clears the cache: the next retrieve runs the helper.
    pub fn expire(&self) {
        self.cache.expire()
    }

    /// The window-adjusted expiry of the cached credentials; `None` when nothing is cached or
    /// they never expire.
    pub fn expires_at(&self) -> Option<UnixTime> {
        self.cache.expires_at()
    }
}

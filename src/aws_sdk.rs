//! A credentials provider for the AWS SDK for Rust (feature `aws-sdk`).
//!
//! [`Provider`] wraps a [`ProcessProvider`] and implements aws-sdk-rust's
//! [`ProvideCredentials`], so any SDK client can get its credentials from a `credential_process`
//! helper with this crate's semantics (Go v1's texts, the process tree killed on timeout, bounded
//! output, wiped secrets). Plug it into the SDK's configuration:
//!
//! ```ignore
//! use aws_config::BehaviorVersion;
//! use processcreds::{aws_sdk::Provider, ProcessProvider};
//!
//! let provider = Provider::new(ProcessProvider::new("my-credential-helper --profile prod"));
//! let config = aws_config::defaults(BehaviorVersion::latest())
//!     .credentials_provider(provider)
//!     .load()
//!     .await;
//! ```
//!
//! (This snippet needs `aws-config`; the repository's `examples/rust_sdk.rs` is the same program
//! in full, built and run against a signature-checking server in CI.) The SDK can also be left
//! aside: the provider works with any executor.
//!
//! ```
//! use aws_credential_types::provider::ProvideCredentials;
//! use processcreds::{aws_sdk::Provider, ProcessProvider};
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     struct Unpark(std::thread::Thread);
//! #     impl std::task::Wake for Unpark {
//! #         fn wake(self: std::sync::Arc<Self>) { self.0.unpark() }
//! #     }
//! #     let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
//! #     let mut cx = std::task::Context::from_waker(&waker);
//! #     let mut f = std::pin::pin!(f);
//! #     loop {
//! #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
//! #         std::thread::park();
//! #     }
//! # }
//!
//! let provider = Provider::new(ProcessProvider::new(
//!     r#"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"s","AccountId":"123456789012"}'"#,
//! ));
//! let creds = block_on(provider.provide_credentials()).expect("credentials");
//! assert_eq!(creds.access_key_id(), "AKID");
//! assert_eq!(creds.account_id().map(|a| a.as_str()), Some("123456789012"));
//! assert_eq!(creds.expiry(), None);
//! ```
//!
//! # How it runs the helper
//!
//! * Credentials the [`ProcessProvider`] has cached and that are still valid are returned at once,
//!   without running anything and without leaving the calling task.
//! * Otherwise the future is [`ProcessProvider::retrieve_async`]'s: the helper runs on the
//!   library's reactor thread (one thread for every asynchronous retrieve of the process, not a
//!   thread per fetch) and the future completes when it is done, so the async executor is never
//!   blocked and no particular runtime (tokio or another) is required. Callers that ask while a
//!   run is going on share that run (one helper process), with any blocking caller too.
//! * If the SDK stops waiting (its identity cache's load timeout, see below), its future is
//!   dropped but the run goes on ([`Retrieval::detach`](crate::Retrieval::detach)) and its
//!   credentials are cached, so the next request gets them (an MFA prompt may take longer than
//!   the SDK waits). A helper that can take longer (an MFA prompt, a browser login) needs a
//!   longer load timeout to succeed on the first request. (A future of
//!   [`ProcessProvider::retrieve_async`] used directly cancels its run when dropped.)
//!
//! # The SDK's load timeout
//!
//! aws-sdk-rust's identity cache bounds how long a credentials provider may take, whatever the
//! provider's own timeout ([smithy-rs#2086](https://github.com/smithy-lang/smithy-rs/issues/2086)):
//! 5 seconds up to aws-smithy-runtime 1.12; since 1.13, a bound derived from the retry and
//! connect-timeout settings (about 21.6 seconds with the defaults). A helper waiting for a person
//! needs more. To let it use its whole [`Options::timeout`](crate::Options::timeout) (one minute
//! by default), raise the identity cache's `load_timeout` a little above it:
//!
//! ```ignore
//! use std::time::Duration;
//! use aws_config::{identity::IdentityCache, BehaviorVersion};
//!
//! let config = aws_config::defaults(BehaviorVersion::latest())
//!     .credentials_provider(Provider::new(ProcessProvider::new("my-mfa-helper")))
//!     .identity_cache(IdentityCache::lazy().load_timeout(Duration::from_secs(70)).build())
//!     .load()
//!     .await;
//! ```
//!
//! # What the SDK gets
//!
//! | [`Credentials`] | aws-sdk-rust [`Credentials`](SdkCredentials) |
//! |---|---|
//! | access key id, secret, session token (none when `""`) | the same |
//! | `account_id` (the helper's `AccountId`) | `account_id` |
//! | `expiration`, minus [`Options::expiry_window`](crate::Options::expiry_window) | `expiry` (none: never expires) |
//! | `provider_name` | `"ProcessProvider"`, or `"SharedConfigCredentials"` for a profile's static keys |
//!
//! Errors become a [`CredentialsError`] whose source is this crate's [`Error`] (Go's text,
//! reachable with `source()` and `downcast_ref::<processcreds::Error>()`), except a timeout:
//!
//! | [`Status`] | [`CredentialsError`] |
//! |---|---|
//! | `Timeout` | `ProviderTimedOut` with [`Options::timeout`](crate::Options::timeout) (the SDK's kind carries no source) |
//! | `Execution` with the empty-command error, `Config`, `InvalidArgument` | `InvalidConfiguration` |
//! | `Execution`, `Parse`, `Version`, `Required` | `ProviderError` |
//! | `Internal` (and `Ok`, never returned) | `Unhandled` |
//!
//! [`ProvideCredentials`]: aws_credential_types::provider::ProvideCredentials
//! [`CredentialsError`]: aws_credential_types::provider::error::CredentialsError
//! [`SdkCredentials`]: aws_credential_types::Credentials

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials};
use aws_credential_types::Credentials as SdkCredentials;

use crate::credentials::{CredentialsSource, PROVIDER_NAME};
use crate::error::MSG_EMPTY_CMD;
use crate::{Credentials, Error, ProcessProvider, Retrieval, Status};

/// The SDK's `provider_name` of a shared-config profile's static keys (the SDK takes a
/// `&'static str`, so the file path of [`Credentials::provider_name`] is left out).
const STATIC_PROVIDER_NAME: &str = "SharedConfigCredentials";

/// An aws-sdk-rust credentials provider backed by a [`ProcessProvider`].
///
/// Cheap to clone (clones share the provider and its cache). See the [module](self) docs.
#[derive(Clone, Debug)]
pub struct Provider {
    inner: Arc<ProcessProvider>,
}

impl Provider {
    /// A provider for the SDK that gets its credentials from `provider`.
    pub fn new(provider: ProcessProvider) -> Provider {
        Provider {
            inner: Arc::new(provider),
        }
    }

    /// The wrapped provider, e.g. to change its options or to [`expire`](ProcessProvider::expire)
    /// its cache.
    pub fn process_provider(&self) -> &ProcessProvider {
        &self.inner
    }

    fn to_sdk(&self, c: &Credentials) -> SdkCredentials {
        to_sdk(c, self.inner.options().expiry_window)
    }
}

impl From<ProcessProvider> for Provider {
    fn from(provider: ProcessProvider) -> Provider {
        Provider::new(provider)
    }
}

/// Shares a provider that other code also uses directly.
impl From<Arc<ProcessProvider>> for Provider {
    fn from(inner: Arc<ProcessProvider>) -> Provider {
        Provider { inner }
    }
}

impl ProvideCredentials for Provider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        if let Some(c) = self.inner.cached() {
            return future::ProvideCredentials::ready(Ok(self.to_sdk(&c)));
        }
        let retrieval = Detached(Some(self.inner.retrieve_async()));
        future::ProvideCredentials::new(async move {
            match retrieval.await {
                Ok(c) => Ok(self.to_sdk(&c)),
                Err(e) => Err(self.to_sdk_error(e)),
            }
        })
    }

    /// The cached credentials while they are valid (the SDK uses them when an operation is
    /// interrupted).
    fn fallback_on_interrupt(&self) -> Option<SdkCredentials> {
        self.inner.cached().map(|c| self.to_sdk(&c))
    }
}

impl Provider {
    fn to_sdk_error(&self, e: Error) -> CredentialsError {
        to_sdk_error(e, self.inner.options().timeout)
    }
}

/// The SDK's credentials for `c`, expiring `expiry_window` before the helper's `Expiration`.
fn to_sdk(c: &Credentials, expiry_window: Duration) -> SdkCredentials {
    let mut b = SdkCredentials::builder()
        .access_key_id(c.access_key_id())
        .secret_access_key(c.secret_access_key())
        .provider_name(match c.source() {
            CredentialsSource::Process => PROVIDER_NAME,
            CredentialsSource::StaticProfile { .. } => STATIC_PROVIDER_NAME,
        });
    if !c.session_token().is_empty() {
        b = b.session_token(c.session_token());
    }
    if let Some(id) = c.account_id() {
        b = b.account_id(id);
    }
    if let Some(t) = c.expiration() {
        b = b.expiry(SystemTime::from(t.minus(expiry_window)));
    }
    b.build()
}

/// The SDK's error kind for `e` (see the [module](self) docs).
fn to_sdk_error(e: Error, timeout: Duration) -> CredentialsError {
    match e.status() {
        Status::Timeout => CredentialsError::provider_timed_out(timeout),
        Status::Execution if e.message() == MSG_EMPTY_CMD => {
            CredentialsError::invalid_configuration(e)
        }
        Status::Config | Status::InvalidArgument => CredentialsError::invalid_configuration(e),
        Status::Execution | Status::Parse | Status::Version | Status::Required => {
            CredentialsError::provider_error(e)
        }
        Status::Internal | Status::Canceled | Status::NotCached | Status::Ok => {
            CredentialsError::unhandled(e)
        }
    }
}

/// A retrieve's future that, dropped before it completes (the SDK's load timeout), lets the run
/// go on rather than cancel it.
struct Detached(Option<Retrieval>);

impl Future for Detached {
    type Output = crate::Result<Arc<Credentials>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(r) = self.0.as_mut() else {
            return Poll::Ready(Err(Error::internal("polled after completion")));
        };
        let done = Pin::new(r).poll(cx);
        if done.is_ready() {
            self.0 = None;
        }
        done
    }
}

impl Drop for Detached {
    fn drop(&mut self) {
        if let Some(r) = self.0.take() {
            r.detach();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnixTime;
    use std::task::Waker;
    use std::time::UNIX_EPOCH;

    fn creds(source: CredentialsSource, token: &str, exp: Option<UnixTime>) -> Credentials {
        Credentials::new("AKID", "SECRET", token, Some("123456789012"), source, exp)
    }

    /// The SDK's credentials carry the key id, secret, token and account of `creds(_, "TOKEN",
    /// _)` (and of the helpers' output).
    fn assert_keys(c: &SdkCredentials) {
        assert_eq!(c.access_key_id(), "AKID");
        assert_eq!(c.secret_access_key(), "SECRET");
        assert_eq!(c.session_token(), Some("TOKEN"));
        assert_eq!(c.account_id().map(|a| a.as_str()), Some("123456789012"));
    }

    #[test]
    fn credentials_map_to_the_sdk() {
        let exp = UnixTime::from_nanos(1_900_000_000_123_000_000);
        let c = to_sdk(
            &creds(CredentialsSource::Process, "TOKEN", Some(exp)),
            Duration::from_secs(60),
        );
        assert_keys(&c);
        assert_eq!(
            c.expiry(),
            Some(UNIX_EPOCH + Duration::new(1_900_000_000 - 60, 123_000_000))
        );
        let dbg = format!("{c:?}");
        assert!(dbg.contains("ProcessProvider"), "{dbg}");
        assert!(!dbg.contains("SECRET"), "{dbg}");

        let s = to_sdk(
            &creds(
                CredentialsSource::StaticProfile {
                    file: "/h/.aws/credentials".into(),
                },
                "",
                None,
            ),
            Duration::ZERO,
        );
        assert_eq!(s.session_token(), None);
        assert_eq!(s.expiry(), None);
        assert!(format!("{s:?}").contains("\"SharedConfigCredentials\""));
    }

    #[test]
    fn errors_map_to_sdk_kinds() {
        use std::error::Error as _;
        let t = Duration::from_secs(7);
        let kind = |e: Error| match to_sdk_error(e, t) {
            CredentialsError::ProviderTimedOut(d) => format!("timeout {:?}", d.timeout_duration()),
            CredentialsError::InvalidConfiguration(_) => "config".into(),
            CredentialsError::ProviderError(_) => "provider".into(),
            CredentialsError::Unhandled(_) => "unhandled".into(),
            other => format!("{other:?}"),
        };
        assert_eq!(kind(Error::timeout()), "timeout 7s");
        assert_eq!(kind(Error::empty_command()), "config");
        assert_eq!(kind(Error::config("SharedConfigErr", "x")), "config");
        assert_eq!(kind(Error::invalid_argument("x")), "config");
        assert_eq!(kind(Error::execution("exit status 3")), "provider");
        assert_eq!(kind(Error::parse("at offset 0")), "provider");
        assert_eq!(kind(Error::version()), "provider");
        assert_eq!(kind(Error::missing_secret()), "provider");
        assert_eq!(kind(Error::internal("x")), "unhandled");

        let e = to_sdk_error(Error::execution("exit status 3"), t);
        let src = e.source().expect("a source");
        let ours = src.downcast_ref::<Error>().expect("processcreds::Error");
        assert_eq!(ours.status(), Status::Execution);
        assert_eq!(
            src.to_string(),
            "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 3"
        );
    }

    /// With real helpers, written for `sh`.
    #[cfg(unix)]
    mod helpers {
        use super::*;

        /// Polls `f` on this thread until it is ready: an executor that is not tokio.
        fn block_on<F: Future>(f: F) -> F::Output {
            struct Unpark(std::thread::Thread);
            impl std::task::Wake for Unpark {
                fn wake(self: Arc<Self>) {
                    self.0.unpark();
                }
            }
            let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
            let mut cx = Context::from_waker(&waker);
            let mut f = std::pin::pin!(f);
            loop {
                if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                    return v;
                }
                std::thread::park();
            }
        }

        /// A temporary directory removed on drop.
        struct TempDir(std::path::PathBuf);

        impl TempDir {
            fn new(name: &str) -> TempDir {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let dir = std::env::temp_dir().join(format!(
                    "pc-aws-sdk-{name}-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&dir).unwrap();
                TempDir(dir)
            }

            fn path(&self, name: &str) -> String {
                self.0.join(name).to_str().unwrap().to_owned()
            }

            fn runs(&self) -> usize {
                std::fs::read_to_string(self.0.join("runs"))
                    .map(|s| s.lines().count())
                    .unwrap_or(0)
            }
        }

        impl Drop for TempDir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }

        const JSON: &str = r#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"SECRET","SessionToken":"TOKEN","AccountId":"123456789012","Expiration":"2100-01-01T00:00:00Z"}"#;

        /// A helper that counts its runs in `runs` and, when `gate` is given, waits until a line is
        /// written to that FIFO before it prints.
        fn helper(dir: &TempDir, gate: Option<&str>) -> ProcessProvider {
            let wait = gate
                .map(|g| format!("read x < '{g}'; "))
                .unwrap_or_default();
            ProcessProvider::new(format!(
                "echo run >> '{}'; {wait}printf '%s' '{JSON}'",
                dir.path("runs")
            ))
        }

        fn mkfifo(path: &str) {
            let c = std::ffi::CString::new(path).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
        }

        #[test]
        fn runs_the_helper_without_tokio_then_serves_the_cache() {
            let dir = TempDir::new("plain");
            let p = Provider::new(helper(&dir, None));
            let c = block_on(p.provide_credentials()).expect("credentials");
            assert_keys(&c);
            assert_eq!(
                c.expiry(),
                Some(UNIX_EPOCH + Duration::from_secs(4_102_444_800))
            );
            assert_eq!(dir.runs(), 1);

            // Cached: ready at the first poll, nothing run.
            let waker = Waker::from(Arc::new(NoWake));
            let mut fut = p.provide_credentials();
            match Pin::new(&mut fut).poll(&mut Context::from_waker(&waker)) {
                Poll::Ready(Ok(c)) => assert_eq!(c.access_key_id(), "AKID"),
                other => panic!("cached credentials not ready at once: {other:?}"),
            }
            assert_eq!(
                p.fallback_on_interrupt().map(|c| c.account_id().cloned()),
                Some(Some("123456789012".into()))
            );
            assert_eq!(dir.runs(), 1);

            p.process_provider().expire();
            assert!(p.fallback_on_interrupt().is_none());
            block_on(p.provide_credentials()).expect("credentials");
            assert_eq!(dir.runs(), 2);
        }

        struct NoWake;
        impl std::task::Wake for NoWake {
            fn wake(self: Arc<Self>) {}
        }

        #[test]
        fn a_fresh_run_does_not_block_the_poll_and_outlives_a_dropped_future() {
            let dir = TempDir::new("gate");
            let gate = dir.path("gate");
            mkfifo(&gate);
            let p = Provider::new(helper(&dir, Some(&gate)));

            // If a poll blocked on the helper, this opens the gate after a minute so that the test
            // fails instead of hanging.
            let (stop, stopped) = std::sync::mpsc::channel::<()>();
            let guard_gate = gate.clone();
            let guard = std::thread::spawn(move || {
                if stopped.recv_timeout(Duration::from_secs(60)).is_err() {
                    let _ = std::fs::write(&guard_gate, "go\n");
                }
            });

            let waker = Waker::from(Arc::new(NoWake));
            let mut cx = Context::from_waker(&waker);
            let mut first = p.provide_credentials();
            assert!(
                Pin::new(&mut first).poll(&mut cx).is_pending(),
                "the poll waited for the helper"
            );
            let mut second = p.provide_credentials();
            assert!(Pin::new(&mut second).poll(&mut cx).is_pending());
            // The SDK gives up (load timeout): the run goes on.
            drop(first);
            drop(second);
            stop.send(()).unwrap();
            guard.join().unwrap();

            std::fs::write(&gate, "go\n").unwrap();
            // Joins the run in progress (single flight) and gets its result.
            let c = p.process_provider().retrieve().expect("credentials");
            assert_eq!(c.access_key_id(), "AKID");
            assert_eq!(dir.runs(), 1, "one run for all the callers");
            let c = block_on(p.provide_credentials()).expect("credentials");
            assert_eq!(c.access_key_id(), "AKID");
            assert_eq!(dir.runs(), 1);
        }

        #[test]
        fn failures_reach_the_sdk_with_go_texts() {
            use std::error::Error as _;
            let p = Provider::new(ProcessProvider::new("exit 3"));
            let e = block_on(p.provide_credentials()).unwrap_err();
            assert!(matches!(e, CredentialsError::ProviderError(_)), "{e:?}");
            assert_eq!(
                e.source().unwrap().to_string(),
                "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 3"
            );

            let p = Provider::new(ProcessProvider::new("   "));
            let e = block_on(p.provide_credentials()).unwrap_err();
            assert!(
                matches!(e, CredentialsError::InvalidConfiguration(_)),
                "{e:?}"
            );

            let p = Provider::new(ProcessProvider::new("exec sleep 30"));
            p.process_provider()
                .update_options(|o| o.timeout = Duration::from_millis(200));
            match block_on(p.provide_credentials()) {
                Err(CredentialsError::ProviderTimedOut(t)) => {
                    assert_eq!(t.timeout_duration(), Duration::from_millis(200))
                }
                other => panic!("not a timeout: {other:?}"),
            }

            let p = Provider::new(ProcessProvider::new(
                r#"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":""}'"#,
            ));
            let e = block_on(p.provide_credentials()).unwrap_err();
            assert_eq!(
                e.source().unwrap().to_string(),
                "ProcessProviderRequiredError: missing SecretAccessKey in process output"
            );
        }
    }
}

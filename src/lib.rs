//! AWS credentials from an external program (`credential_process`), with the semantics of the AWS
//! SDK for Go v1 package
//! [`aws/credentials/processcreds`](https://pkg.go.dev/github.com/aws/aws-sdk-go/aws/credentials/processcreds)
//! and its `credentials.Credentials` cache.
//!
//! A helper program prints one JSON object on stdout:
//!
//! ```json
//! {"Version": 1, "AccessKeyId": "AKID…", "SecretAccessKey": "…", "SessionToken": "…",
//!  "Expiration": "2030-01-01T00:00:00Z", "AccountId": "123456789012"}
//! ```
//!
//! A [`ProcessProvider`] runs it (`sh -c <command>`, `cmd.exe` on Windows, or a program and its
//! arguments with no shell), checks the output as Go v1 does, caches the [`Credentials`] until
//! they expire, and runs the helper once for all the threads that ask while they are expired:
//!
//! ```
//! use std::time::Duration;
//! use processcreds::{ProcessProvider, StderrMode};
//!
//! let provider = ProcessProvider::new(
//!     r#"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"secret"}'"#,
//! );
//! provider.update_options(|o| {
//!     o.timeout = Duration::from_secs(10);
//!     o.stderr = StderrMode::Capture; // the end of the helper's stderr goes into errors
//! });
//!
//! let creds = provider.retrieve()?;   // runs the helper
//! assert_eq!(creds.access_key_id(), "AKID");
//! assert_eq!(creds.secret_access_key(), "secret");
//! assert_eq!(creds.provider_name(), "ProcessProvider");
//! let again = provider.retrieve()?;   // cached: nothing runs
//! assert_eq!(again.access_key_id(), "AKID");
//! # Ok::<(), processcreds::Error>(())
//! ```
//!
//! [`ProcessProvider::from_profile`] builds a provider from a profile of the shared config and
//! credentials files, as aws-sdk-go v1's `session` does ([`SharedConfig`]).
//!
//! # Go v1 semantics
//!
//! Everything observable follows aws-sdk-go v1 (v1.55.8): the options and their defaults
//! ([`Options`]: a 1-minute `Timeout`, an 8 KiB `MaxBufSize`), the order in which the output is
//! checked, Go's `encoding/json` quirks (keys matched case-insensitively, the last duplicate wins,
//! `Version` an integer literal), the expiry rules (`ExpiryWindow`; equal to now is not expired),
//! and every error's Go `awserr` code and `Error()` text ([`Error`]), so that logs and alerts
//! written for Go programs keep working. [`Status`] classifies errors with the numbers of the
//! C ABI.
//!
//! # Where it differs from Go v1
//!
//! Only where Go v1 is wrong (each divergence is listed and tested in the repository's
//! `SEMANTICS.md`):
//!
//! * D1: a timeout kills the helper and all its descendants (Go leaves them running); a helper
//!   prompting on the terminal (MFA) still works.
//! * D2: a descendant that keeps stdout open cannot hang a retrieve.
//! * D3: output beyond `MaxBufSize` fails at once and kills the helper (Go truncates silently).
//! * D4: parse errors never quote the output, which holds the secrets.
//! * D5, D7: an empty command fails at every retrieve; a zero timeout fails without spawning.
//! * D6: [`Options::duration`] gives a lifetime to credentials without `Expiration`.
//! * D8: invalid UTF-8, lone surrogates and NUL in the output are parse errors.
//! * D9: shared-config values are taken verbatim (quotes are not special); `role_arn` and SSO
//!   profiles are errors naming what is unsupported.
//! * D10: on Windows, a command string reaches `cmd.exe /d /s /c "<command>"` verbatim and the
//!   output is never rewritten (Go breaks quoted paths and escaped quotes).
//!
//! Beyond Go: a program can be run without a shell ([`ProcessProvider::from_argv`]), the
//! helper's stderr can be captured or discarded ([`StderrMode`]) and its stdin closed
//! ([`StdinMode`]), and the output's `AccountId` is passed through. With
//! [`Options::shared_cache`] ([`SharedCacheMode::User`]), credentials are shared with the same
//! user's other processes, one helper run per key across processes ([`shared_cache`]).
//!
//! # Threads
//!
//! A [`ProcessProvider`] is `Send + Sync`: share it (`Arc`, a `static`) between threads. A valid
//! cached value is returned without running anything and without contention between threads;
//! concurrent callers while the credentials are expired wait for one run of the helper and all
//! get its result (single flight). Errors are not cached, and a failed refresh never returns the
//! stale value. [`retrieve`](ProcessProvider::retrieve) blocks the calling thread while the helper
//! runs; async code uses [`retrieve_async`](ProcessProvider::retrieve_async), a future for any
//! runtime (dropping it cancels the request, and kills the helper when no other caller waits for
//! it), or the `aws-sdk` feature's [`aws_sdk::Provider`](aws_sdk/struct.Provider.html), which uses
//! it. At most two threads of the library serve every asynchronous retrieve of the process.
//!
//! # Secrets
//!
//! The secret access key and the session token never appear in an error, a log line or a `Debug`
//! print ([`Credentials`]'s `Debug` shows `<redacted>`; errors describe bad output by byte offset);
//! command lines, which may carry a secret, are not printed either. Every copy the library holds
//! (the helper's output, the cached credentials) is overwritten with zeros when it is dropped.
//!
//! # Feature `aws-sdk`
//!
//! Off by default. [`aws_sdk::Provider`](aws_sdk/struct.Provider.html) implements aws-sdk-rust's
//! `ProvideCredentials`, for `aws_config::defaults(…).credentials_provider(…)`.
//!
//! # The C ABI
//!
//! The same core is built as `libprocesscreds.so` / `.a` with a C ABI (`include/processcreds.h`)
//! used by the C, Python and Go bindings of the repository; the `extern "C"` layer is not part of
//! this Rust API.

#![deny(missing_docs)]
#![warn(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// `capi`, `output` and `runner` are public for the integration tests, the fuzz targets and the
// C layer, and hidden from the documentation: they are not part of the Rust API. cbindgen writes
// the header's constants in the order of these declarations.
mod cache;
#[doc(hidden)]
pub mod capi;
pub mod config;
mod credentials;
mod defaults;
pub mod error;
mod ini;
pub mod observe;
#[doc(hidden)]
pub mod output;
mod provider;
mod reactor;
mod request;
#[doc(hidden)]
pub mod runner;
pub mod shared_cache;
pub mod time;

#[cfg(feature = "aws-sdk")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws-sdk")))]
pub mod aws_sdk;

pub use cache::Fetched;
pub use config::SharedConfig;
pub use credentials::{Credentials, CredentialsSource, PROVIDER_NAME};
pub use defaults::{DEFAULT_BUF_SIZE, DEFAULT_TIMEOUT};
pub use error::{Error, Result, Status};
pub use provider::{Options, ProcessProvider};
pub use request::{Request, Retrieval};
pub use runner::{StderrMode, StdinMode};
pub use shared_cache::SharedCacheMode;
pub use time::UnixTime;

// Windows path rules (pure string functions, so their tests run everywhere).
#[cfg(any(windows, test))]
mod winpath;

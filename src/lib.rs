//! `processcreds`: AWS credentials from a `credential_process` helper, with the semantics of
//! aws-sdk-go v1's `aws/credentials/processcreds` (see `SEMANTICS.md` for the deliberate
//! divergences), behind a C ABI.
//!
//! The Rust core (`output`, `runner`, `provider`, `cache`, `config`, …) knows nothing of FFI;
//! the `extern "C"` layer lives in `capi`.

pub mod cache;
pub mod capi;
pub mod credentials;
pub mod error;
pub mod output;
pub mod provider;
pub mod runner;
pub mod time;

pub use credentials::Credentials;
pub use error::{Error, Result, Status};

pub mod config;
mod ini;

pub use provider::{Options, ProcessProvider};
pub use runner::{Program, StderrMode, StdinMode};

#[cfg(feature = "aws-sdk")]
pub mod aws_sdk;

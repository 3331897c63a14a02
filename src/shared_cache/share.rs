//! What a provider keeps for the shared cache: the parts of the key its caller names, and the
//! fingerprint of the credentials it last expired.

use std::time::Duration;

use super::{Fingerprint, Key, KeyInput};
use crate::error::{Error, Result};
use crate::runner::Program;

/// A provider's shared-cache state (in the provider, behind its lock; copied for each fetch).
#[derive(Clone, Default)]
pub(crate) struct Share {
    /// The caller's key text (`--cache-key`, `pc_set_shared_cache_key`).
    pub text: Option<String>,
    /// The variables the caller names (`--key-env`, `pc_set_shared_cache_env`).
    pub env: Vec<String>,
    /// The credentials the provider expired: an entry holding them is not served, until a
    /// fetch succeeds.
    pub rejected: Option<Fingerprint>,
}

impl Share {
    /// The key of `program` with these parts and the options that shape the entry.
    pub(crate) fn key(
        &self,
        program: &Program,
        duration: Option<Duration>,
        max_buf_size: usize,
    ) -> Key {
        Key::new(&KeyInput {
            program,
            duration,
            max_buf_size,
            text: self.text.as_deref(),
            env: &self.env,
        })
    }
}

/// Checks the names of variables for the key (`--key-env`, `pc_set_shared_cache_env`): not
/// empty, no `=` and no NUL. The names, copied.
///
/// # Errors
///
/// The first bad name ([`Status::InvalidArgument`](crate::Status::InvalidArgument)).
pub fn check_env_names<S: AsRef<str>>(names: &[S]) -> Result<Vec<String>> {
    names
        .iter()
        .map(|n| {
            let n = n.as_ref();
            if n.is_empty() || n.contains(['=', '\0']) {
                Err(Error::invalid_argument(format!(
                    "{n:?} is not a variable name (empty, or holds '=' or NUL)"
                )))
            } else {
                Ok(n.to_owned())
            }
        })
        .collect()
}

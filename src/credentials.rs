//! The credentials a provider returns. Secrets are wiped when the value is dropped and never
//! appear in `Debug` output.
//!
//! Each text field is stored with a trailing NUL byte so that the C layer can lend it out without
//! copying; the Rust accessors never show that byte.
//!
//! The fields live in one shared, immutable allocation: a `Credentials` is a reference to it, so
//! cloning one (as the cache does for each thread's shard) never copies a secret.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroize;

use crate::time::UnixTime;

/// Go's `ProviderName`: the [`Credentials::provider_name`] of credentials from a helper.
pub const PROVIDER_NAME: &str = "ProcessProvider";

/// Where [`Credentials`] come from. It decides their
/// [`provider_name`](Credentials::provider_name), as Go's `Value.ProviderName` says it.
///
/// ```
/// use processcreds::{Credentials, CredentialsSource};
///
/// let c = Credentials::new("AKID", "secret", "", None, CredentialsSource::Process, None);
/// assert_eq!(c.provider_name(), "ProcessProvider");
/// let file = "/home/me/.aws/credentials".to_owned();
/// let c = Credentials::new("AKID", "secret", "", None, CredentialsSource::StaticProfile { file }, None);
/// assert_eq!(c.provider_name(), "SharedConfigCredentials: /home/me/.aws/credentials");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsSource {
    /// A `credential_process` helper's output (from its run, or from the shared cache's entry of
    /// one): provider name [`PROVIDER_NAME`].
    Process,
    /// A shared-config profile's static keys (`aws_access_key_id`, `aws_secret_access_key`),
    /// read from `file`: provider name `SharedConfigCredentials: <file>`.
    StaticProfile {
        /// The file the keys were read from, as aws-sdk-go v1 names it.
        file: String,
    },
}

impl CredentialsSource {
    /// Go's `Value.ProviderName` for credentials of this source.
    fn provider_name(&self) -> String {
        match self {
            CredentialsSource::Process => PROVIDER_NAME.to_owned(),
            CredentialsSource::StaticProfile { file } => format!("SharedConfigCredentials: {file}"),
        }
    }
}

/// A string stored with a trailing NUL, wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Text(Vec<u8>);

impl Text {
    pub(crate) fn new(s: &str) -> Text {
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        Text(v)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Built from a &str plus one NUL byte.
        std::str::from_utf8(&self.0[..self.0.len() - 1]).unwrap_or_default()
    }

    /// The bytes including the trailing NUL.
    pub(crate) fn as_bytes_with_nul(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Text {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// AWS credentials from a `credential_process` helper or from static profile keys.
///
/// Immutable. The secret access key and the session token are overwritten with zeros when the
/// last clone of the value is dropped, and `Debug` never shows them:
///
/// ```
/// use processcreds::{Credentials, CredentialsSource};
///
/// let c = Credentials::new(
///     "AKID", "secret", "token", Some("123456789012"), CredentialsSource::Process, None,
/// );
/// assert_eq!(c.secret_access_key(), "secret");
/// let shown = format!("{c:?}");
/// assert!(shown.contains("AKID") && shown.contains("<redacted>"));
/// assert!(!shown.contains("secret\"") && !shown.contains("token\""));
/// ```
///
/// [`ProcessProvider::retrieve`](crate::ProcessProvider::retrieve) hands out
/// `Arc<Credentials>`: shares of the cached value, not copies of the secrets.
///
/// Cloning is cheap and shares the one copy of the secrets. A `Credentials` fills a 128-byte block of its own, so that references to it held
/// by different threads (the cache's per-thread shards) never share a cache line.
#[derive(Clone, PartialEq, Eq)]
#[repr(align(128))]
pub struct Credentials {
    fields: Arc<Fields>,
}

#[derive(PartialEq, Eq)]
struct Fields {
    access_key_id: Text,
    secret_access_key: Text,
    session_token: Text,
    account_id: Option<Text>,
    source: CredentialsSource,
    provider_name: Text,
    expiration: Option<UnixTime>,
}

impl Credentials {
    /// New credentials. `session_token` is `""` when there is none; `expiration` `None` means
    /// they never expire; `source` gives their [`provider_name`](Self::provider_name). Providers
    /// make them; this is for tests and for callers that build their own.
    pub fn new(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: &str,
        account_id: Option<&str>,
        source: CredentialsSource,
        expiration: Option<UnixTime>,
    ) -> Credentials {
        Credentials {
            fields: Arc::new(Fields {
                access_key_id: Text::new(access_key_id),
                secret_access_key: Text::new(secret_access_key),
                session_token: Text::new(session_token),
                account_id: account_id.map(Text::new),
                provider_name: Text::new(&source.provider_name()),
                source,
                expiration,
            }),
        }
    }

    /// The helper's `AccessKeyId` (never empty in credentials from a helper).
    pub fn access_key_id(&self) -> &str {
        self.fields.access_key_id.as_str()
    }

    /// The helper's `SecretAccessKey` (never empty in credentials from a helper).
    pub fn secret_access_key(&self) -> &str {
        self.fields.secret_access_key.as_str()
    }

    /// The helper's `SessionToken`, `""` when there is none (as Go's `Value.SessionToken`).
    pub fn session_token(&self) -> &str {
        self.fields.session_token.as_str()
    }

    /// The helper's `AccountId` (beyond Go v1, which has no such field), `None` when it printed
    /// none.
    pub fn account_id(&self) -> Option<&str> {
        self.fields.account_id.as_ref().map(Text::as_str)
    }

    /// Go's `Value.ProviderName`: [`PROVIDER_NAME`] (`ProcessProvider`) for credentials from a
    /// helper, `SharedConfigCredentials: <file path>` for a profile's static keys (see
    /// [`source`](Self::source)).
    pub fn provider_name(&self) -> &str {
        self.fields.provider_name.as_str()
    }

    /// Where the credentials come from: a helper or a profile's static keys.
    pub fn source(&self) -> &CredentialsSource {
        &self.fields.source
    }

    /// The helper's own `Expiration`, or the end of the run plus
    /// [`Options::duration`](crate::Options::duration) when the output has none; `None`: they
    /// never expire. Not reduced by the expiry window (see
    /// [`ProcessProvider::expires_at`](crate::ProcessProvider::expires_at)).
    ///
    /// ```
    /// use processcreds::ProcessProvider;
    ///
    /// let p = ProcessProvider::new(
    ///     r#"printf '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"2030-01-01T00:00:00Z"}'"#,
    /// );
    /// let t = p.retrieve()?.expiration().unwrap();
    /// assert_eq!(t.as_millis(), 1_893_456_000_000);
    /// let at = std::time::SystemTime::from(t);
    /// assert_eq!(at, std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_893_456_000));
    /// # Ok::<(), processcreds::Error>(())
    /// ```
    pub fn expiration(&self) -> Option<UnixTime> {
        self.fields.expiration
    }

    pub(crate) fn access_key_id_c(&self) -> &[u8] {
        self.fields.access_key_id.as_bytes_with_nul()
    }

    pub(crate) fn secret_access_key_c(&self) -> &[u8] {
        self.fields.secret_access_key.as_bytes_with_nul()
    }

    pub(crate) fn session_token_c(&self) -> &[u8] {
        self.fields.session_token.as_bytes_with_nul()
    }

    pub(crate) fn account_id_c(&self) -> Option<&[u8]> {
        self.fields.account_id.as_ref().map(Text::as_bytes_with_nul)
    }

    pub(crate) fn provider_name_c(&self) -> &[u8] {
        self.fields.provider_name.as_bytes_with_nul()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id())
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &if self.session_token().is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("account_id", &self.account_id())
            .field("provider_name", &self.provider_name())
            .field("expiration", &self.fields.expiration)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials::new(
            "AKID",
            "s3cr3t-value",
            "t0ken-value",
            None,
            CredentialsSource::Process,
            None,
        );
        let d = format!("{c:?}");
        assert!(d.contains("AKID"));
        assert!(!d.contains("s3cr3t-value"));
        assert!(!d.contains("t0ken-value"));
        assert_eq!(c.secret_access_key(), "s3cr3t-value");
        assert_eq!(c.secret_access_key_c(), b"s3cr3t-value\0");
    }

    #[test]
    fn clones_share_one_copy_on_their_own_cache_lines() {
        let c = Credentials::new(
            "AKID",
            "s3cr3t-value",
            "",
            None,
            CredentialsSource::Process,
            None,
        );
        let d = c.clone();
        assert!(Arc::ptr_eq(&c.fields, &d.fields));
        assert_eq!(
            c.secret_access_key_c().as_ptr(),
            d.secret_access_key_c().as_ptr()
        );
        assert_eq!(std::mem::align_of::<Credentials>(), 128);
        let (a, b) = (Arc::new(c), Arc::new(d));
        let (pa, pb) = (Arc::as_ptr(&a) as usize, Arc::as_ptr(&b) as usize);
        assert!(pa.abs_diff(pb) >= 128 && pa % 128 == 0);
    }
}

//! Errors with aws-sdk-go v1's codes and `Error()` text.
//!
//! Every error carries a [`Status`] (the fixed numbers of the C ABI), the Go `awserr` code and
//! Go's message; `Display` renders Go's `Error()` text: `CODE: message`, then `\ncaused by: cause`
//! where Go has a cause, then `\nstderr: text` when the helper's stderr was captured.
//!
//! No constructor here takes the helper's output: error texts never carry secrets.
//!
//! The `CODE_*` constants are Go's `awserr` codes (`ErrCodeProcessProvider…` and the shared
//! config's), for matching on [`Error::code`].

use std::fmt;

/// The statuses, one row each: the variant of [`Status`] and its documentation, its number
/// (never changed), its C name. [`Status`], its [`name`](Status::name) and
/// [`from_u32`](Status::from_u32), the C ABI's `PC_STATUS_*` constants and `pc_status_name`
/// (`capi`), and the header's `#define PC_STATUS_*` with their comments (written by
/// `tests/header.rs`, which generates the header) all come from this table. The documentation is
/// the header's too: plain text, no Rust links.
///
/// `status_table!(m)` calls `m!` with the rows, each `/// doc… Variant = number, C_NAME;`.
macro_rules! status_table {
    ($then:ident) => {
        $then! {
            /// Success. No error has this status.
            Ok = 0, PC_STATUS_OK;
            /// A bad argument from the caller (code `InvalidParameter`): a NULL pointer, a string
            /// that is not UTF-8, an empty argv, an unknown mode.
            InvalidArgument = 1, PC_STATUS_INVALID_ARGUMENT;
            /// The helper could not be started, exited non-zero or was killed by a signal, or the
            /// command is empty or blank (code `ProcessProviderExecutionError`).
            Execution = 2, PC_STATUS_EXECUTION;
            /// The helper did not finish within the timeout (code `ProcessProviderExecutionError`,
            /// message `credential process timed out`).
            Timeout = 3, PC_STATUS_TIMEOUT;
            /// The helper's output is not valid JSON of the expected shape, or exceeds
            /// `MaxBufSize` (code `ProcessProviderParseError`).
            Parse = 4, PC_STATUS_PARSE;
            /// The output's `Version` is not 1 (code `ProcessProviderVersionError`).
            Version = 5, PC_STATUS_VERSION;
            /// `AccessKeyId` or `SecretAccessKey` is missing or empty (code
            /// `ProcessProviderRequiredError`).
            Required = 6, PC_STATUS_REQUIRED;
            /// The shared config or credentials files cannot give a provider for the profile (codes
            /// `SharedConfigErr`, `SharedConfigProfileNotExistsError`, `SharedConfigLoadError`,
            /// `CredentialRequiresARNError`).
            Config = 7, PC_STATUS_CONFIG;
            /// A failure inside the library rather than of the helper (code `InternalError`): a
            /// caught panic, a system call that failed while running the helper, a thread that
            /// could not be started, a run cancelled by freeing its provider.
            Internal = 8, PC_STATUS_INTERNAL;
            /// The request was cancelled (code `RequestCanceled`): `pc_request_cancel`, the
            /// provider freed while the request was pending, a dropped future, an ended context.
            Canceled = 9, PC_STATUS_CANCELED;
            /// `pc_retrieve_cached` found no valid cached credentials (nothing was run or waited
            /// for).
            NotCached = 10, PC_STATUS_NOT_CACHED;
        }
    };
}
pub(crate) use status_table;

/// Defines [`Status`] from the rows of [`status_table!`].
macro_rules! define_status {
    ($( $(#[doc = $doc:literal])* $variant:ident = $n:literal, $c_name:ident; )*) => {
        /// What kind of failure an [`Error`] is: the status codes of the C ABI (`PC_STATUS_*`),
        /// whose numbers (`status as u32`) are never changed. Finer than Go's codes: a timeout
        /// and an exit failure share Go's `ProcessProviderExecutionError` code but not their
        /// status.
        ///
        /// More statuses may be added in later versions (the enum is `non_exhaustive`).
        ///
        /// ```
        /// use std::time::Duration;
        /// use processcreds::{ProcessProvider, Status};
        ///
        /// let p = ProcessProvider::new("sleep 5");
        /// p.update_options(|o| o.timeout = Duration::ZERO); // D7: fails at once, nothing runs
        /// let err = p.retrieve().unwrap_err();
        /// assert_eq!(err.status(), Status::Timeout);
        /// assert_eq!(err.status() as u32, 3);
        /// assert_eq!(err.status().name(), "PC_STATUS_TIMEOUT");
        /// assert_eq!(Status::from_u32(3), Some(Status::Timeout));
        /// assert_eq!(err.code(), "ProcessProviderExecutionError");
        /// assert_eq!(err.to_string(), "ProcessProviderExecutionError: credential process timed out");
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        #[non_exhaustive]
        pub enum Status {
            $( $(#[doc = $doc])* $variant = $n, )*
        }

        impl Status {
            /// Every status, in number order.
            pub const ALL: &'static [Status] = &[$(Status::$variant),*];

            /// The C name of the status, e.g. `PC_STATUS_TIMEOUT`.
            pub fn name(self) -> &'static str {
                let s = self.name_with_nul();
                &s[..s.len() - 1]
            }

            /// The C name followed by a NUL byte (for the C ABI).
            pub(crate) fn name_with_nul(self) -> &'static str {
                match self {
                    $( Status::$variant => concat!(stringify!($c_name), "\0"), )*
                }
            }

            /// The status with this number, if any.
            pub fn from_u32(n: u32) -> Option<Status> {
                match n {
                    $( $n => Some(Status::$variant), )*
                    _ => None,
                }
            }

            /// The lines of the status's documentation, as written in the table (each with its
            /// leading space): the header's comment of `PC_STATUS_*` (`tests/header.rs`).
            #[doc(hidden)]
            pub fn doc_lines(self) -> &'static [&'static str] {
                match self {
                    $( Status::$variant => &[$($doc),*], )*
                }
            }
        }
    };
}

status_table!(define_status);

/// Go's `ErrCodeProcessProviderExecution`.
pub const CODE_EXECUTION: &str = "ProcessProviderExecutionError";
/// Go's `ErrCodeProcessProviderParse`.
pub const CODE_PARSE: &str = "ProcessProviderParseError";
/// Go's `ErrCodeProcessProviderVersion`.
pub const CODE_VERSION: &str = "ProcessProviderVersionError";
/// Go's `ErrCodeProcessProviderRequired`.
pub const CODE_REQUIRED: &str = "ProcessProviderRequiredError";
/// aws-sdk-go v1 `session.ErrCodeSharedConfig`.
pub const CODE_SHARED_CONFIG: &str = "SharedConfigErr";
/// Code of errors made by this library's own argument checks.
pub const CODE_INVALID_ARGUMENT: &str = "InvalidParameter";
/// Code of errors that indicate a defect or a resource failure inside the library.
pub const CODE_INTERNAL: &str = "InternalError";
/// Code of the error of a cancelled request (aws-sdk-go's `request.CanceledErrorCode`).
pub const CODE_CANCELED: &str = "RequestCanceled";
/// Code of the error of a cached-only retrieve that found nothing cached.
pub const CODE_NOT_CACHED: &str = "CredentialsNotCached";

pub(crate) const MSG_PROCESS: &str = "error in credential_process";
pub(crate) const MSG_TIMEOUT: &str = "credential process timed out";
pub(crate) const MSG_PARSE: &str = "parse failed of credential_process output";
pub(crate) const MSG_VERSION: &str = "wrong version in process output (not 1)";
pub(crate) const MSG_MISS_KEY: &str = "missing AccessKeyId in process output";
pub(crate) const MSG_MISS_SECRET: &str = "missing SecretAccessKey in process output";
pub(crate) const MSG_CANCELED: &str = "request canceled";
pub(crate) const MSG_NOT_CACHED: &str = "no valid credentials cached";
pub(crate) const MSG_EMPTY_CMD: &str = "failed to prepare command: command must not be empty";

/// An error of the provider, as Go's `awserr.Error`: a [`Status`], Go's code, Go's message and,
/// where Go has one, a cause; `Display` gives Go's `Error()` text.
///
/// Texts never hold a secret: a parse error names the problem and a byte offset, never the
/// output. With [`StderrMode::Capture`](crate::StderrMode::Capture), the end of what the helper
/// wrote on stderr is appended as `\nstderr: …` (and available as [`stderr`](Error::stderr)).
///
/// ```
/// use processcreds::{error, ProcessProvider, Status};
///
/// let p = ProcessProvider::new(r#"printf '{"Version":2}'"#);
/// let err = p.retrieve().unwrap_err();
/// assert_eq!(err.status(), Status::Version);
/// assert_eq!(err.code(), error::CODE_VERSION);
/// assert_eq!(err.message(), "wrong version in process output (not 1)");
/// assert_eq!(err.cause(), None);
///
/// let p = ProcessProvider::new(r#"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"s3cr3t"'"#);
/// let err = p.retrieve().unwrap_err();
/// assert_eq!(err.status(), Status::Parse);
/// assert_eq!(err.message(), "parse failed of credential_process output");
/// assert!(!err.to_string().contains("s3cr3t"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    code: &'static str,
    message: String,
    cause: Option<String>,
    stderr: Option<String>,
}

impl Error {
    /// A new error. `message` and `cause` must never contain secrets.
    pub fn new(
        status: Status,
        code: &'static str,
        message: impl Into<String>,
        cause: Option<String>,
    ) -> Error {
        Error {
            status,
            code,
            message: message.into(),
            cause,
            stderr: None,
        }
    }

    /// `error in credential_process` caused by `cause` (exit status, signal, spawn failure).
    pub fn execution(cause: impl Into<String>) -> Error {
        Error::new(
            Status::Execution,
            CODE_EXECUTION,
            MSG_PROCESS,
            Some(cause.into()),
        )
    }

    /// The empty-command error (checked before anything runs).
    pub fn empty_command() -> Error {
        Error::new(Status::Execution, CODE_EXECUTION, MSG_EMPTY_CMD, None)
    }

    /// `credential process timed out`.
    pub fn timeout() -> Error {
        Error::new(Status::Timeout, CODE_EXECUTION, MSG_TIMEOUT, None)
    }

    /// A parse error; `cause` describes the problem and its byte offset, never the output.
    pub fn parse(cause: impl Into<String>) -> Error {
        Error::new(Status::Parse, CODE_PARSE, MSG_PARSE, Some(cause.into()))
    }

    /// `wrong version in process output (not 1)`.
    pub fn version() -> Error {
        Error::new(Status::Version, CODE_VERSION, MSG_VERSION, None)
    }

    /// `missing AccessKeyId in process output`.
    pub fn missing_key() -> Error {
        Error::new(Status::Required, CODE_REQUIRED, MSG_MISS_KEY, None)
    }

    /// `missing SecretAccessKey in process output`.
    pub fn missing_secret() -> Error {
        Error::new(Status::Required, CODE_REQUIRED, MSG_MISS_SECRET, None)
    }

    /// A shared-config error with the given Go code and message.
    pub fn config(code: &'static str, message: impl Into<String>) -> Error {
        Error::new(Status::Config, code, message, None)
    }

    /// A bad argument from the caller.
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(
            Status::InvalidArgument,
            CODE_INVALID_ARGUMENT,
            message,
            None,
        )
    }

    /// A failure inside the library (a caught panic, a failed system call before the spawn).
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(Status::Internal, CODE_INTERNAL, message, None)
    }

    /// `request canceled`: the request was cancelled before its result came.
    pub fn canceled() -> Error {
        Error::new(Status::Canceled, CODE_CANCELED, MSG_CANCELED, None)
    }

    /// `no valid credentials cached`: a cached-only retrieve found none.
    pub fn not_cached() -> Error {
        Error::new(Status::NotCached, CODE_NOT_CACHED, MSG_NOT_CACHED, None)
    }

    /// Attaches the helper's captured stderr (already bounded and trimmed).
    pub fn with_stderr(mut self, stderr: Option<String>) -> Error {
        self.stderr = stderr.filter(|s| !s.is_empty());
        self
    }

    /// The kind of failure (the C ABI's status).
    pub fn status(&self) -> Status {
        self.status
    }

    /// Go's `awserr.Error.Code()`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Go's `awserr.Error.Message()`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Go's `awserr.Error.OrigErr().Error()`, when there is a cause.
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    /// The captured stderr attached to this error, if any.
    pub fn stderr(&self) -> Option<&str> {
        self.stderr.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(cause) = &self.cause {
            write!(f, "\ncaused by: {cause}")?;
        }
        if let Some(stderr) = &self.stderr {
            write!(f, "\nstderr: {stderr}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("status", &self.status)
            .field("text", &self.to_string())
            .finish()
    }
}

impl std::error::Error for Error {}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

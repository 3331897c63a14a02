//! Errors with aws-sdk-go v1's codes and `Error()` text.
//!
//! Every error carries a [`Status`] (the fixed numbers of the C ABI), the Go `awserr` code and
//! Go's message; `Display` renders Go's `Error()` text: `CODE: message`, then `\ncaused by: cause`
//! where Go has a cause, then `\nstderr: text` when the helper's stderr was captured.
//!
//! No constructor here takes the helper's output: error texts never carry secrets.

use std::fmt;

/// Status codes of the C ABI. The numbers are part of the ABI and are never changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Status {
    Ok = 0,
    InvalidArgument = 1,
    Execution = 2,
    Timeout = 3,
    Parse = 4,
    Version = 5,
    Required = 6,
    Config = 7,
    Internal = 8,
}

impl Status {
    /// The C name of the status, e.g. `PC_STATUS_TIMEOUT`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "PC_STATUS_OK",
            Status::InvalidArgument => "PC_STATUS_INVALID_ARGUMENT",
            Status::Execution => "PC_STATUS_EXECUTION",
            Status::Timeout => "PC_STATUS_TIMEOUT",
            Status::Parse => "PC_STATUS_PARSE",
            Status::Version => "PC_STATUS_VERSION",
            Status::Required => "PC_STATUS_REQUIRED",
            Status::Config => "PC_STATUS_CONFIG",
            Status::Internal => "PC_STATUS_INTERNAL",
        }
    }

    /// The status with this number, if any.
    pub fn from_u32(n: u32) -> Option<Status> {
        Some(match n {
            0 => Status::Ok,
            1 => Status::InvalidArgument,
            2 => Status::Execution,
            3 => Status::Timeout,
            4 => Status::Parse,
            5 => Status::Version,
            6 => Status::Required,
            7 => Status::Config,
            8 => Status::Internal,
            _ => return None,
        })
    }
}

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

pub(crate) const MSG_PROCESS: &str = "error in credential_process";
pub(crate) const MSG_TIMEOUT: &str = "credential process timed out";
pub(crate) const MSG_PARSE: &str = "parse failed of credential_process output";
pub(crate) const MSG_VERSION: &str = "wrong version in process output (not 1)";
pub(crate) const MSG_MISS_KEY: &str = "missing AccessKeyId in process output";
pub(crate) const MSG_MISS_SECRET: &str = "missing SecretAccessKey in process output";
pub(crate) const MSG_EMPTY_CMD: &str = "failed to prepare command: command must not be empty";

/// An error of the provider, as Go's `awserr.Error`.
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

    /// Attaches the helper's captured stderr (already bounded and trimmed).
    pub fn with_stderr(mut self, stderr: Option<String>) -> Error {
        self.stderr = stderr.filter(|s| !s.is_empty());
        self
    }

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

pub type Result<T> = std::result::Result<T, Error>;

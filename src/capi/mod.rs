//! The C ABI (`include/processcreds.h`, generated from this module by cbindgen).
//!
//! One module per C type. Every `extern "C"` body runs inside `ffi_boundary!`, so no panic
//! crosses into C and no thread cancellation unwinds through Rust; every pointer is checked; outputs are written only on success (an error object,
//! when asked for, only on failure). No thread-local "last error": errors are returned as objects.

#![allow(non_camel_case_types)]
// These functions are called from C: their pointer arguments are checked for NULL and otherwise
// trusted per the contract in the header, which is what `unsafe` would say on the Rust side.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use std::ffi::{c_char, CStr};

use crate::error::Error;

mod credentials;
mod error;
mod provider;
mod shared_cache;

pub use credentials::*;
pub use error::*;
pub use provider::*;
pub use shared_cache::*;

/// Success.
pub const PC_STATUS_OK: u32 = 0;
/// A NULL pointer, invalid UTF-8, an empty argv or an unknown mode was passed.
pub const PC_STATUS_INVALID_ARGUMENT: u32 = 1;
/// The helper could not be started, exited non-zero or was killed by a signal
/// (code `ProcessProviderExecutionError`).
pub const PC_STATUS_EXECUTION: u32 = 2;
/// The helper did not finish within the timeout (code `ProcessProviderExecutionError`).
pub const PC_STATUS_TIMEOUT: u32 = 3;
/// The helper's output is not valid (code `ProcessProviderParseError`).
pub const PC_STATUS_PARSE: u32 = 4;
/// The output's `Version` is not 1 (code `ProcessProviderVersionError`).
pub const PC_STATUS_VERSION: u32 = 5;
/// `AccessKeyId` or `SecretAccessKey` is missing (code `ProcessProviderRequiredError`).
pub const PC_STATUS_REQUIRED: u32 = 6;
/// The shared config or credentials file cannot give a provider for the profile.
pub const PC_STATUS_CONFIG: u32 = 7;
/// A failure inside the library.
pub const PC_STATUS_INTERNAL: u32 = 8;

/// `pc_provider_from_profile`: shared config as `AWS_SDK_LOAD_CONFIG` says.
pub const PC_SHARED_CONFIG_ENV: u32 = 0;
/// `pc_provider_from_profile`: never read the config file.
pub const PC_SHARED_CONFIG_DISABLE: u32 = 1;
/// `pc_provider_from_profile`: read the config file.
pub const PC_SHARED_CONFIG_ENABLE: u32 = 2;

/// `pc_set_stderr`: the helper writes to the caller's stderr (default).
pub const PC_STDERR_INHERIT: u32 = 0;
/// `pc_set_stderr`: the helper's stderr is captured (at most 64 KiB kept) and its end appended to
/// the error of a failed run.
pub const PC_STDERR_CAPTURE: u32 = 1;
/// `pc_set_stderr`: the helper's stderr goes to /dev/null.
pub const PC_STDERR_DISCARD: u32 = 2;

/// `pc_set_stdin`: the helper reads the caller's stdin (default).
pub const PC_STDIN_INHERIT: u32 = 0;
/// `pc_set_stdin`: the helper's stdin is /dev/null.
pub const PC_STDIN_NULL: u32 = 1;

/// `pc_set_shared_cache`: no shared cache; every process runs the helper (default).
pub const PC_SHARED_CACHE_OFF: u32 = 0;
/// `pc_set_shared_cache`: credentials are shared with the same user's other processes through
/// a private cache directory, with one helper run at a time per key across processes.
pub const PC_SHARED_CACHE_USER: u32 = 1;

/// Runs an `extern "C"` body, turning a panic into `$fallback`, with the calling thread's
/// cancellation (`pthread_cancel`) deferred for its duration ([`crate::runner::NoCancel`]).
macro_rules! ffi_boundary {
    ($fallback:expr, $body:block) => {{
        let _no_cancel = $crate::runner::NoCancel::new();
        $crate::capi::ffi_boundary_plain!($fallback, $body)
    }};
}
pub(crate) use ffi_boundary;

/// [`ffi_boundary!`] without deferring cancellation (which costs two atomic operations): only
/// for bodies that reach no cancellation point (no system call that blocks, opens or closes;
/// locks and condition variables are futexes, which are not cancellation points) or that defer
/// it themselves where they may (`pc_retrieve`: the helper's run, in
/// `ProcessProvider::fetch_observed`).
macro_rules! ffi_boundary_plain {
    ($fallback:expr, $body:block) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(_) => $fallback,
        }
    };
}
pub(crate) use ffi_boundary_plain;

/// Reads a C string argument: NULL or invalid UTF-8 is an invalid-argument error naming `what`.
///
/// # Safety
/// `s` is NULL or points to a NUL-terminated string.
pub(crate) unsafe fn str_arg<'a>(s: *const c_char, what: &str) -> Result<&'a str, Error> {
    if s.is_null() {
        return Err(Error::invalid_argument(format!("{what} is NULL")));
    }
    CStr::from_ptr(s).to_str().map_err(|e| {
        Error::invalid_argument(format!(
            "{what} is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })
}

/// A pointer to a static NUL-terminated string.
pub(crate) fn static_cstr(s: &'static [u8]) -> *const c_char {
    debug_assert_eq!(s.last(), Some(&0));
    s.as_ptr() as *const c_char
}

/// The library's version, e.g. `"0.1.0"`. Static; never freed.
#[no_mangle]
pub extern "C" fn pc_version() -> *const c_char {
    static_cstr(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes())
}

/// The C name of a status, e.g. `"PC_STATUS_TIMEOUT"`; `"PC_STATUS_UNKNOWN"` for a number that is
/// not a status. Static; never freed.
#[no_mangle]
pub extern "C" fn pc_status_name(status: u32) -> *const c_char {
    ffi_boundary_plain!(static_cstr(b"PC_STATUS_UNKNOWN\0"), {
        let name: &'static [u8] = match status {
            PC_STATUS_OK => b"PC_STATUS_OK\0",
            PC_STATUS_INVALID_ARGUMENT => b"PC_STATUS_INVALID_ARGUMENT\0",
            PC_STATUS_EXECUTION => b"PC_STATUS_EXECUTION\0",
            PC_STATUS_TIMEOUT => b"PC_STATUS_TIMEOUT\0",
            PC_STATUS_PARSE => b"PC_STATUS_PARSE\0",
            PC_STATUS_VERSION => b"PC_STATUS_VERSION\0",
            PC_STATUS_REQUIRED => b"PC_STATUS_REQUIRED\0",
            PC_STATUS_CONFIG => b"PC_STATUS_CONFIG\0",
            PC_STATUS_INTERNAL => b"PC_STATUS_INTERNAL\0",
            _ => b"PC_STATUS_UNKNOWN\0",
        };
        static_cstr(name)
    })
}

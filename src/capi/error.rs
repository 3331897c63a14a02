//! `pc_error`: a failed call's status, Go code and Go `Error()` text.

use std::ffi::{c_char, CString};

use super::{ffi_boundary_plain, PC_STATUS_INTERNAL, PC_STATUS_INVALID_ARGUMENT, PC_STATUS_OK};
use crate::error::Error;

/// An error object. Created by the library for a caller that passed a `pc_error **`; freed with
/// `pc_error_free`. Its strings live as long as the object.
pub struct pc_error {
    status: u32,
    code: CString,
    message: CString,
}

/// A C string of `s`, a NUL shown as U+FFFD.
fn c_text(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

impl pc_error {
    fn new(e: &Error) -> pc_error {
        pc_error {
            status: e.status() as u32,
            code: c_text(e.code()),
            message: c_text(&e.to_string()),
        }
    }
}

/// A new error object for `e`, owned by the caller (a callback's `err`).
pub(super) fn error_object(e: &Error) -> *mut pc_error {
    Box::into_raw(Box::new(pc_error::new(e)))
}

/// Reports `e`: writes an error object to `*err` when `err` is not NULL; returns the status.
///
/// # Safety
/// `err` is NULL or valid for one pointer write.
pub(super) unsafe fn fail(err: *mut *mut pc_error, e: Error) -> u32 {
    let status = e.status() as u32;
    if !err.is_null() {
        let object = error_object(&e);
        // SAFETY: non-NULL, and writable per this function's contract.
        unsafe { err.write(object) };
    }
    status
}

/// The status of `result`, its error reported as [`fail`] does.
///
/// # Safety
/// As [`fail`].
pub(super) unsafe fn report(err: *mut *mut pc_error, result: Result<(), Error>) -> u32 {
    match result {
        Ok(()) => PC_STATUS_OK,
        // SAFETY: as this function's contract.
        Err(e) => unsafe { fail(err, e) },
    }
}

/// Reports a caught panic.
///
/// # Safety
/// As [`fail`].
pub(super) unsafe fn fail_internal(err: *mut *mut pc_error) -> u32 {
    let _ = std::panic::catch_unwind(|| {
        let e = Error::internal("internal error (panic) in processcreds");
        // SAFETY: as this function's contract.
        unsafe { fail(err, e) }
    });
    PC_STATUS_INTERNAL
}

/// The error's status (a `PC_STATUS_*` value); `PC_STATUS_INVALID_ARGUMENT` for NULL.
#[no_mangle]
pub extern "C" fn pc_error_status(e: Option<&pc_error>) -> u32 {
    ffi_boundary_plain!(PC_STATUS_INTERNAL, {
        e.map_or(PC_STATUS_INVALID_ARGUMENT, |e| e.status)
    })
}

/// The Go `awserr` code, e.g. `"ProcessProviderExecutionError"`; NULL for NULL. Borrowed from
/// `e`.
#[no_mangle]
pub extern "C" fn pc_error_code(e: Option<&pc_error>) -> *const c_char {
    ffi_boundary_plain!(std::ptr::null(), {
        e.map_or(std::ptr::null(), |e| e.code.as_ptr())
    })
}

/// Go's `Error()` text: `CODE: message`, then `\ncaused by: cause` where Go has a cause (and
/// `\nstderr: ...` in stderr capture mode). Never contains a secret. NULL for NULL. Borrowed from
/// `e`.
#[no_mangle]
pub extern "C" fn pc_error_message(e: Option<&pc_error>) -> *const c_char {
    ffi_boundary_plain!(std::ptr::null(), {
        e.map_or(std::ptr::null(), |e| e.message.as_ptr())
    })
}

/// Frees an error object. NULL is a no-op.
#[no_mangle]
pub extern "C" fn pc_error_free(e: Option<Box<pc_error>>) {
    ffi_boundary_plain!((), { drop(e) })
}

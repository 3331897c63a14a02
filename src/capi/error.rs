//! `pc_error`: a failed call's status, Go code and Go `Error()` text.

use std::ffi::{c_char, CString};

use super::{ffi_boundary_plain, PC_STATUS_INTERNAL};
use crate::error::Error;

/// An error object. Created by the library for a caller that passed a `pc_error **`; freed with
/// `pc_error_free`. Its strings live as long as the object.
pub struct pc_error {
    _private: [u8; 0],
}

pub(crate) struct ErrorObject {
    status: u32,
    code: CString,
    message: CString,
}

fn c_text(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

impl ErrorObject {
    pub(crate) fn new(e: &Error) -> ErrorObject {
        ErrorObject {
            status: e.status() as u32,
            code: c_text(e.code()),
            message: c_text(&e.to_string()),
        }
    }
}

/// Reports `e`: writes an error object to `*err` when `err` is not NULL; returns the status.
///
/// # Safety
/// `err` is NULL or valid for one pointer write.
pub(crate) unsafe fn fail(err: *mut *mut pc_error, e: Error) -> u32 {
    let status = e.status() as u32;
    if !err.is_null() {
        *err = Box::into_raw(Box::new(ErrorObject::new(&e))) as *mut pc_error;
    }
    status
}

/// Reports a caught panic.
///
/// # Safety
/// As [`fail`].
pub(crate) unsafe fn fail_internal(err: *mut *mut pc_error) -> u32 {
    let _ = std::panic::catch_unwind(|| {
        fail(
            err,
            Error::internal("internal error (panic) in processcreds"),
        )
    });
    PC_STATUS_INTERNAL
}

fn object<'a>(e: *const pc_error) -> Option<&'a ErrorObject> {
    // SAFETY: a non-NULL pc_error was made by `fail` and is live until pc_error_free.
    unsafe { (e as *const ErrorObject).as_ref() }
}

/// The error's status (a `PC_STATUS_*` value); `PC_STATUS_INVALID_ARGUMENT` for NULL.
#[no_mangle]
pub extern "C" fn pc_error_status(e: *const pc_error) -> u32 {
    ffi_boundary_plain!(PC_STATUS_INTERNAL, {
        object(e).map_or(super::PC_STATUS_INVALID_ARGUMENT, |o| o.status)
    })
}

/// The Go `awserr` code, e.g. `"ProcessProviderExecutionError"`; NULL for NULL. Borrowed from
/// `e`.
#[no_mangle]
pub extern "C" fn pc_error_code(e: *const pc_error) -> *const c_char {
    ffi_boundary_plain!(std::ptr::null(), {
        object(e).map_or(std::ptr::null(), |o| o.code.as_ptr())
    })
}

/// Go's `Error()` text: `CODE: message`, then `\ncaused by: cause` where Go has a cause (and
/// `\nstderr: ...` in stderr capture mode). Never contains a secret. NULL for NULL. Borrowed from
/// `e`.
#[no_mangle]
pub extern "C" fn pc_error_message(e: *const pc_error) -> *const c_char {
    ffi_boundary_plain!(std::ptr::null(), {
        object(e).map_or(std::ptr::null(), |o| o.message.as_ptr())
    })
}

/// Frees an error object. NULL is a no-op.
#[no_mangle]
pub extern "C" fn pc_error_free(e: *mut pc_error) {
    ffi_boundary_plain!((), {
        if !e.is_null() {
            // SAFETY: made by Box::into_raw in `fail`, freed once.
            drop(unsafe { Box::from_raw(e as *mut ErrorObject) });
        }
    })
}

//! `pc_request`: an asynchronous retrieve (`pc_retrieve_async`), and the cached-only retrieve
//! (`pc_retrieve_cached`).
//!
//! The handle is [`pc_request`] itself, boxed: made by `pc_retrieve_async` with
//! [`Box::into_raw`] and freed as `Option<Box<pc_request>>` by `pc_request_free`. It wraps the
//! core's `Request` (shared with the provider's flight, which delivers the result), so freeing
//! the handle neither cancels the request nor races with its callback. `pc_request_cancel` is
//! declared `pc_request *` (it changes the request) and turns the pointer into a shared
//! reference in one place, [`request_target`].

use std::ffi::c_void;

use super::arc_handle::{self, pc_credentials};
use super::error::{error_object, pc_error};
use super::provider::pc_provider;
use super::*;
use crate::request::Request;

/// A pending asynchronous retrieve, made by `pc_retrieve_async`. Freeing it
/// (`pc_request_free`) does not cancel it; cancelling it (`pc_request_cancel`) does not free it.
pub struct pc_request {
    request: Request,
}

/// The callback of `pc_retrieve_async`: called exactly once per accepted request, on the
/// library's callback thread, with the request's `user_data`. On `PC_STATUS_OK`, `creds` holds
/// the credentials (the callback owns them: free them with `pc_credentials_free`, from any
/// thread, at any time) and `err` is NULL; on any other status (`PC_STATUS_CANCELED` for a
/// cancelled request), `creds` is NULL and `err` holds the error object (owned by the callback:
/// free it with `pc_error_free`).
pub type pc_retrieve_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        status: u32,
        creds: *mut pc_credentials,
        err: *mut pc_error,
    ),
>;

/// The caller's `user_data`, handed to the callback on the library's thread: what it points to
/// is the caller's business (the header says so).
struct UserData(*mut c_void);

// SAFETY: the library never dereferences it; it only gives it back to the caller's callback.
unsafe impl Send for UserData {}

/// Starts an asynchronous retrieve and returns at once: `cb(user_data, ...)` is called exactly
/// once when the request ends, on the library's callback thread, never inside this call (also
/// when the credentials are cached), with the credentials, the helper's error, or
/// `PC_STATUS_CANCELED` (`pc_request_cancel`, or `pc_free` of the provider while it is pending).
/// Asynchronous and blocking callers of one provider share one run of the helper (single
/// flight), and the shared cache and refresh ahead apply as to `pc_retrieve`.
///
/// When `out` is not NULL, a request handle is written to `*out` before the request starts (so
/// before the callback can run); free it with `pc_request_free` (before or after the callback:
/// freeing it does not cancel the request). With `out` NULL the request cannot be cancelled but
/// by `pc_free`.
///
/// Returns `PC_STATUS_OK` when the request is accepted (the callback will run), or
/// `PC_STATUS_INVALID_ARGUMENT` for a NULL `p` or `cb` (nothing is written, the callback never
/// runs).
#[no_mangle]
pub extern "C" fn pc_retrieve_async(
    p: Option<&pc_provider>,
    cb: pc_retrieve_cb,
    user_data: *mut c_void,
    out: *mut *mut pc_request,
) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        let (Some(p), Some(cb)) = (p, cb) else {
            return PC_STATUS_INVALID_ARGUMENT;
        };
        let user_data = UserData(user_data);
        p.provider.retrieve_with_then(
            move |result| {
                let user_data = user_data;
                // SAFETY: the caller's callback with the caller's user_data; the objects handed
                // over are new and owned by the callback (the header's contract).
                unsafe {
                    match result {
                        Ok(c) => cb(
                            user_data.0,
                            PC_STATUS_OK,
                            arc_handle::into_raw(c),
                            std::ptr::null_mut(),
                        ),
                        Err(e) => cb(
                            user_data.0,
                            e.status() as u32,
                            std::ptr::null_mut(),
                            error_object(&e),
                        ),
                    }
                }
            },
            |request| {
                if !out.is_null() {
                    let handle = Box::into_raw(Box::new(pc_request {
                        request: request.clone(),
                    }));
                    // SAFETY: `out` checked non-NULL; writable (the header's contract).
                    unsafe { out.write(handle) };
                }
            },
        );
        PC_STATUS_OK
    })
}

/// The request behind `pc_request_cancel`'s `r` (`pc_request *` in the header), `None` for NULL:
/// the one conversion of a `pc_request *`. Other threads may use the request meanwhile (its
/// callback runs on the library's thread), so it is only ever borrowed shared.
///
/// # Safety
/// `r` is NULL or a live request handle (the header's contract), which stays live while the
/// borrow lasts (the call).
unsafe fn request_target<'a>(r: *mut pc_request) -> Option<&'a Request> {
    // SAFETY: per this function's contract.
    unsafe { r.as_ref() }.map(|r| &r.request)
}

/// Cancels a request: unless its callback has already started or been queued with the result,
/// the callback is queued at once (it runs within milliseconds, after the callbacks queued
/// before it) with `PC_STATUS_CANCELED`. The request leaves the run it waited for; when no other
/// caller of this process waits for that run (no other pending request, no blocking
/// `pc_retrieve`), the helper and all its descendants are killed, the shared cache's lock is
/// released (a process waiting for it then runs the helper itself), and the next retrieve starts
/// a new run. A background refresh (`pc_set_refresh_window`) is not stopped this way: it runs
/// on until it ends or `pc_free`. Cancelling again, or after the callback, does nothing. NULL is
/// a no-op. Does not free the handle. May be called from any thread, including from a callback.
#[no_mangle]
pub extern "C" fn pc_request_cancel(r: *mut pc_request) {
    ffi_boundary!((), {
        // SAFETY: `r` is NULL or a live request handle (the header's contract).
        if let Some(request) = unsafe { request_target(r) } {
            request.cancel();
        }
    })
}

/// Frees a request handle. Does not cancel the request: its callback still runs (exactly once).
/// NULL is a no-op.
#[no_mangle]
pub extern "C" fn pc_request_free(r: Option<Box<pc_request>>) {
    ffi_boundary_plain!((), { drop(r) })
}

/// The cached credentials, without running the helper or waiting for a run in progress: on
/// `PC_STATUS_OK` writes a new reference to `*out` (free it with `pc_credentials_free`); returns
/// `PC_STATUS_NOT_CACHED` (writing nothing) when no valid credentials are cached. Inside the
/// refresh window (`pc_set_refresh_window`) it returns the cached credentials and starts the
/// background refresh, as `pc_retrieve` does. For event loops: try it first, and call
/// `pc_retrieve_async` on `PC_STATUS_NOT_CACHED`. `PC_STATUS_INVALID_ARGUMENT` for a NULL `p` or
/// `out`.
#[no_mangle]
pub extern "C" fn pc_retrieve_cached(
    p: Option<&pc_provider>,
    out: *mut *mut pc_credentials,
) -> u32 {
    ffi_boundary_plain!(PC_STATUS_INTERNAL, {
        let Some(p) = p else {
            return PC_STATUS_INVALID_ARGUMENT;
        };
        if out.is_null() {
            return PC_STATUS_INVALID_ARGUMENT;
        }
        match p.provider.cached() {
            Some(c) => {
                // SAFETY: `out` checked non-NULL; writable (the header's contract).
                unsafe { out.write(arc_handle::into_raw(c)) };
                PC_STATUS_OK
            }
            None => PC_STATUS_NOT_CACHED,
        }
    })
}

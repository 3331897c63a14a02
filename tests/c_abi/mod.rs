//! The C ABI as a C program sees it: the functions whose Rust signatures use typed handles
//! (`Option<&pc_provider>`, `Option<Box<pc_error>>`, …) declared again with the header's pointer
//! types and called through their exported symbols, so that the tests pass raw pointers exactly
//! as C does. Everything else (the handle types, the constants, the functions that take raw
//! pointers in Rust too) is the library's own, re-exported.
#![allow(dead_code)]

pub use processcreds::capi::*;

mod sys {
    use processcreds::capi::{pc_credentials, pc_error, pc_provider};

    // The handle types are Rust types, which C sees only behind pointers, as these do.
    #[allow(improper_ctypes)]
    extern "C" {
        pub fn pc_free(p: *mut pc_provider);
        pub fn pc_retrieve(
            p: *const pc_provider,
            out: *mut *mut pc_credentials,
            err: *mut *mut pc_error,
        ) -> u32;
        pub fn pc_is_expired(p: *const pc_provider) -> bool;
        pub fn pc_expire(p: *const pc_provider);
        pub fn pc_expires_at(p: *const pc_provider, unix_ms_out: *mut i64) -> bool;
        pub fn pc_error_status(e: *const pc_error) -> u32;
        pub fn pc_error_code(e: *const pc_error) -> *const std::ffi::c_char;
        pub fn pc_error_message(e: *const pc_error) -> *const std::ffi::c_char;
        pub fn pc_error_free(e: *mut pc_error);
    }
}

// SAFETY (every function below): the library checks every pointer for NULL and trusts the rest
// per the header's contract, which the tests keep.

pub fn pc_free(p: *mut pc_provider) {
    // SAFETY: see above.
    unsafe { sys::pc_free(p) }
}

pub fn pc_retrieve(
    p: *const pc_provider,
    out: *mut *mut pc_credentials,
    err: *mut *mut pc_error,
) -> u32 {
    // SAFETY: see above.
    unsafe { sys::pc_retrieve(p, out, err) }
}

pub fn pc_is_expired(p: *const pc_provider) -> bool {
    // SAFETY: see above.
    unsafe { sys::pc_is_expired(p) }
}

pub fn pc_expire(p: *const pc_provider) {
    // SAFETY: see above.
    unsafe { sys::pc_expire(p) }
}

pub fn pc_expires_at(p: *const pc_provider, unix_ms_out: *mut i64) -> bool {
    // SAFETY: see above.
    unsafe { sys::pc_expires_at(p, unix_ms_out) }
}

pub fn pc_error_status(e: *const pc_error) -> u32 {
    // SAFETY: see above.
    unsafe { sys::pc_error_status(e) }
}

pub fn pc_error_code(e: *const pc_error) -> *const std::ffi::c_char {
    // SAFETY: see above.
    unsafe { sys::pc_error_code(e) }
}

pub fn pc_error_message(e: *const pc_error) -> *const std::ffi::c_char {
    // SAFETY: see above.
    unsafe { sys::pc_error_message(e) }
}

pub fn pc_error_free(e: *mut pc_error) {
    // SAFETY: see above.
    unsafe { sys::pc_error_free(e) }
}

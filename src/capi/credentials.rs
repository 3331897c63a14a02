//! The functions of `pc_credentials` (the handle itself: `arc_handle`).

use std::ffi::c_char;

use super::arc_handle::{borrow, pc_credentials, release};
use super::ffi_boundary_plain;
use crate::credentials::Credentials;

/// A string of the credentials `c`, borrowed from the handle; NULL for NULL.
///
/// # Safety
/// As [`borrow`].
unsafe fn text(c: *const pc_credentials, f: impl Fn(&Credentials) -> &[u8]) -> *const c_char {
    // SAFETY: as this function's contract.
    unsafe { borrow(c) }.map_or(std::ptr::null(), |c| f(c).as_ptr().cast())
}

/// The access key id. Borrowed from `c`; NULL for NULL.
#[no_mangle]
pub extern "C" fn pc_credentials_access_key_id(c: *const pc_credentials) -> *const c_char {
    ffi_boundary_plain!(std::ptr::null(), {
        // SAFETY: `c` is NULL or a live handle (the header's contract).
        unsafe { text(c, Credentials::access_key_id_c) }
    })
}

/// The secret access key. Borrowed from `c`; NULL for NULL.
#[no_mangle]
pub extern "C" fn pc_credentials_secret_access_key(c: *const pc_credentials) -> *const c_char {
    ffi_boundary_plain!(std::ptr::null(), {
        // SAFETY: `c` is NULL or a live handle (the header's contract).
        unsafe { text(c, Credentials::secret_access_key_c) }
    })
}

/// The session token, `""` when there is none. Borrowed from `c`; NULL for NULL.
#[no_mangle]
pub extern "C" fn pc_credentials_session_token(c: *const pc_credentials) -> *const c_char {
    ffi_boundary_plain!(std::ptr::null(), {
        // SAFETY: `c` is NULL or a live handle (the header's contract).
        unsafe { text(c, Credentials::session_token_c) }
    })
}

/// The account id the helper gave (`AccountId`), NULL when none (or for NULL). Borrowed from `c`.
#[no_mangle]
pub extern "C" fn pc_credentials_account_id(c: *const pc_credentials) -> *const c_char {
    ffi_boundary_plain!(std::ptr::null(), {
        // SAFETY: `c` is NULL or a live handle (the header's contract).
        unsafe { borrow(c) }
            .and_then(Credentials::account_id_c)
            .map_or(std::ptr::null(), |s| s.as_ptr().cast())
    })
}

/// `"ProcessProvider"`, or `"SharedConfigCredentials: <file>"` for static profile keys. Borrowed
/// from `c`; NULL for NULL.
#[no_mangle]
pub extern "C" fn pc_credentials_provider_name(c: *const pc_credentials) -> *const c_char {
    ffi_boundary_plain!(std::ptr::null(), {
        // SAFETY: `c` is NULL or a live handle (the header's contract).
        unsafe { text(c, Credentials::provider_name_c) }
    })
}

/// Writes the helper's own `Expiration` (or the `Duration`-derived time) in Unix milliseconds to
/// `*unix_ms_out` and returns true; returns false (writing nothing) when the credentials never
/// expire or an argument is NULL.
#[no_mangle]
pub extern "C" fn pc_credentials_expiration(
    c: *const pc_credentials,
    unix_ms_out: *mut i64,
) -> bool {
    ffi_boundary_plain!(false, {
        // SAFETY: `c` is NULL or a live handle (the header's contract).
        let expiration = unsafe { borrow(c) }.and_then(Credentials::expiration);
        match (expiration, unix_ms_out.is_null()) {
            (Some(t), false) => {
                // SAFETY: checked non-NULL; the caller gives a writable i64.
                unsafe { unix_ms_out.write(t.as_millis()) };
                true
            }
            _ => false,
        }
    })
}

/// Releases credentials; the secrets are wiped when the last reference goes. NULL is a no-op.
#[no_mangle]
pub extern "C" fn pc_credentials_free(c: *mut pc_credentials) {
    ffi_boundary_plain!((), {
        // SAFETY: `c` is NULL or a handle from `pc_retrieve`, freed once (the header's contract).
        unsafe { release(c) }
    })
}

//! `pc_credentials`: credentials returned by `pc_retrieve`.

use std::ffi::c_char;
use std::sync::Arc;

use super::ffi_boundary_plain;
use crate::credentials::Credentials;

/// Credentials returned by `pc_retrieve`. Immutable; may be used from any thread; outlive the
/// provider; freed with `pc_credentials_free`, which wipes the secrets of the last reference.
pub struct pc_credentials {
    _private: [u8; 0],
}

pub(crate) fn into_handle(c: Arc<Credentials>) -> *mut pc_credentials {
    Arc::into_raw(c) as *mut pc_credentials
}

fn creds<'a>(c: *const pc_credentials) -> Option<&'a Credentials> {
    // SAFETY: a non-NULL pc_credentials was made by `into_handle` and is live until freed.
    unsafe { (c as *const Credentials).as_ref() }
}

fn text(c: *const pc_credentials, f: impl Fn(&Credentials) -> &[u8]) -> *const c_char {
    ffi_boundary_plain!(std::ptr::null(), {
        creds(c).map_or(std::ptr::null(), |c| f(c).as_ptr() as *const c_char)
    })
}

/// The access key id. Borrowed from `c`; NULL for NULL.
#[no_mangle]
pub extern "C" fn pc_credentials_access_key_id(c: *const pc_credentials) -> *const c_char {
    text(c, Credentials::access_key_id_c)
}

/// The secret access key. Borrowed from `c`; NULL for NULL.
#[no_mangle]
pub extern "C" fn pc_credentials_secret_access_key(c: *const pc_credentials) -> *const c_char {
    text(c, Credentials::secret_access_key_c)
}

/// The session token, `""` when there is none. Borrowed from `c`; NULL for NULL.
#[no_mangle]
pub extern "C" fn pc_credentials_session_token(c: *const pc_credentials) -> *const c_char {
    text(c, Credentials::session_token_c)
}

/// The account id the helper gave (`AccountId`), NULL when none (or for NULL). Borrowed from `c`.
#[no_mangle]
pub extern "C" fn pc_credentials_account_id(c: *const pc_credentials) -> *const c_char {
    ffi_boundary_plain!(std::ptr::null(), {
        creds(c)
            .and_then(Credentials::account_id_c)
            .map_or(std::ptr::null(), |s| s.as_ptr() as *const c_char)
    })
}

/// `"ProcessProvider"`, or `"SharedConfigCredentials: <file>"` for static profile keys. Borrowed
/// from `c`; NULL for NULL.
#[no_mangle]
pub extern "C" fn pc_credentials_provider_name(c: *const pc_credentials) -> *const c_char {
    text(c, Credentials::provider_name_c)
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
        match (
            creds(c).and_then(Credentials::expiration),
            unix_ms_out.is_null(),
        ) {
            (Some(t), false) => {
                // SAFETY: checked non-NULL; the caller gives a writable i64.
                unsafe { *unix_ms_out = t.as_millis() };
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
        if !c.is_null() {
            // SAFETY: made by `into_handle`, released once.
            drop(unsafe { Arc::from_raw(c as *const Credentials) });
        }
    })
}

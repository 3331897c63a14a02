//! The one handle that is shared rather than owned: `pc_credentials`, a reference to the
//! provider's cached credentials (`Arc<Credentials>`: `pc_retrieve` hands out a reference, not a
//! copy of the secrets). This module is the only place where a `pc_credentials` pointer and the
//! `Arc` meet: it makes the handle ([`into_raw`]), lends it ([`borrow`]) and releases it
//! ([`release`]); no other code converts one, so nothing frees it as a `Box`.
//!
//! Unlike `pc_provider` and `pc_error`, which are the Rust types themselves, `pc_credentials` is
//! an opaque marker: the value behind the handle is the core's `Credentials` inside its `Arc`
//! (a wrapper type would need `#[repr(transparent)]` to be cast to, which cbindgen would write
//! into the header as a typedef of a Rust type). Only raw pointers to the marker exist, never a
//! reference, so the pointer keeps the provenance of the whole `Credentials`.

use std::sync::Arc;

use crate::credentials::Credentials;

/// Credentials returned by `pc_retrieve`. Immutable; may be used from any thread; outlive the
/// provider; freed with `pc_credentials_free`, which wipes the secrets of the last reference.
pub struct pc_credentials {
    _private: [u8; 0],
}

/// A new handle holding the reference `c`.
pub(super) fn into_raw(c: Arc<Credentials>) -> *mut pc_credentials {
    Arc::into_raw(c).cast_mut().cast()
}

/// The credentials of a handle, borrowed for as long as the caller keeps the handle.
///
/// # Safety
/// `c` is NULL or a handle made by [`into_raw`] and not yet released, which stays unreleased
/// while the borrow lasts (the header's contract: a handle is not freed while it is used).
pub(super) unsafe fn borrow<'a>(c: *const pc_credentials) -> Option<&'a Credentials> {
    // SAFETY: per this function's contract, a non-NULL `c` is `Arc::into_raw`'s pointer to live
    // credentials.
    unsafe { c.cast::<Credentials>().as_ref() }
}

/// Releases the reference a handle holds (the secrets are wiped with the last one). NULL is a
/// no-op.
///
/// # Safety
/// `c` is NULL or a handle made by [`into_raw`], released once.
pub(super) unsafe fn release(c: *mut pc_credentials) {
    if !c.is_null() {
        // SAFETY: per this function's contract, `c` is `Arc::into_raw`'s pointer, released here
        // once.
        drop(unsafe { Arc::from_raw(c.cast_const().cast::<Credentials>()) });
    }
}

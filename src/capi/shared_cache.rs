//! The shared cache's key parts named by the caller: `pc_set_shared_cache_key` and
//! `pc_set_shared_cache_env`.

use std::ffi::c_char;

use super::provider::{pc_provider, setter_target};
use super::*;

/// Extra text for the shared cache's key (`processcreds cache --cache-key`): providers running
/// the same helper for different purposes (two roles a helper picks from a file it reads) keep
/// separate entries. NULL (the default) adds nothing; `""` is a text of its own. The text is
/// copied. Returns `PC_STATUS_INVALID_ARGUMENT` for a NULL provider or a text that is not UTF-8.
/// A provider and `processcreds cache --cache-key TEXT` running the same helper in the same
/// environment share entries.
#[no_mangle]
pub extern "C" fn pc_set_shared_cache_key(p: *mut pc_provider, text: *const c_char) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        // SAFETY: NULL or a live provider (the header's contract).
        let Some(p) = (unsafe { setter_target(p) }) else {
            return PC_STATUS_INVALID_ARGUMENT;
        };
        if text.is_null() {
            p.set_shared_cache_key(None);
            return PC_STATUS_OK;
        }
        // SAFETY: a NUL-terminated string, per the contract.
        match unsafe { str_arg(text, "text") } {
            Ok(t) => {
                p.set_shared_cache_key(Some(t));
                PC_STATUS_OK
            }
            Err(e) => e.status() as u32,
        }
    })
}

/// Variables whose values the shared cache's key holds too (`processcreds cache --key-env`),
/// because the helper reads them without the command line showing it (a token file, a role
/// name); the key already holds `HOME`, every `AWS_*` variable and the variables a command string
/// references. `names` holds `count` variable names; NULL with `count` 0 names none (the
/// default). The names are copied; order and repeats do not matter. A NULL `names` with a
/// non-zero `count`, a NULL element, an element that is not UTF-8, empty, or holds `=`, or a
/// NULL provider is `PC_STATUS_INVALID_ARGUMENT`, and nothing is changed.
#[no_mangle]
pub extern "C" fn pc_set_shared_cache_env(
    p: *mut pc_provider,
    names: *const *const c_char,
    count: usize,
) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        // SAFETY: NULL or a live provider (the header's contract).
        let Some(p) = (unsafe { setter_target(p) }) else {
            return PC_STATUS_INVALID_ARGUMENT;
        };
        if names.is_null() && count > 0 {
            return PC_STATUS_INVALID_ARGUMENT;
        }
        let mut list: Vec<&str> = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: names holds count pointers, each NULL or a NUL-terminated string.
            match unsafe { str_arg(*names.add(i), "variable name") } {
                Ok(n) => list.push(n),
                Err(e) => return e.status() as u32,
            }
        }
        match p.set_shared_cache_env(&list) {
            Ok(()) => PC_STATUS_OK,
            Err(e) => e.status() as u32,
        }
    })
}

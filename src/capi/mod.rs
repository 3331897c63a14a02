//! The C ABI (`include/processcreds.h`: generated from this module by cbindgen, with the status
//! constants written from `error::status_table!`, by `tests/header.rs`; `make header`).
//!
//! # Handles
//!
//! One module per C type. `pc_provider` (`provider.rs`) and `pc_error` (`error.rs`) are the Rust
//! types themselves, as in wasmtime's C API: structs (opaque to cbindgen: no `repr(C)`) made with
//! `Box::into_raw`, borrowed as `Option<&T>` (`const T *` in the header; NULL is `None`) and freed
//! as `Option<Box<T>>` (`T *`). `pc_credentials` is shared, not owned: a reference to the cached
//! `Arc<Credentials>`, made, lent and released only in `arc_handle.rs`, so nothing can free it as
//! a `Box`. No other code converts a handle pointer.
//!
//! The setters (`pc_set_*`) are declared `pc_provider *` in the header, as they always were (C and
//! C++ programs are compiled against it, and the setters do change the provider). But a provider
//! is shared by threads, and a `&mut pc_provider` made while another thread uses it would be
//! undefined behaviour; cbindgen writes `Option<&T>` as `const T *` and cannot be told to keep
//! `T *`. So the setters take `*mut pc_provider`, and one function of the provider module,
//! `setter_target`, turns it into a shared reference (every setter, in any module, goes through
//! it); the options change behind the provider's lock. `pc_request` (`request.rs`), the handle of
//! an asynchronous retrieve, is boxed like `pc_provider`; `pc_request_cancel` takes its
//! `pc_request *` through `request_target` in the same way. A test checks that no module but
//! `arc_handle.rs` casts a pointer with `as`.
//!
//! Out-parameters (`pc_provider **out`, `pc_error **err`, `int64_t *`) stay raw pointers: they may
//! point at uninitialised memory, which a reference must not. They are checked for NULL and
//! written with `write`; outputs are written only on success (an error object, when asked for,
//! only on failure). No thread-local "last error": errors are returned as objects.
//!
//! # The panic boundary
//!
//! Every `extern "C"` body is one `ffi_boundary!` or one `ffi_boundary_plain!`: a panic becomes
//! the function's fallback value and never unwinds into C. `ffi_boundary!` also defers the calling
//! thread's cancellation (`pthread_cancel`, `runner::NoCancel`) for the call, so that
//! glibc's cancellation unwinding never runs through Rust frames and no call is left half-done.
//! `ffi_boundary_plain!` skips that (it costs two atomic operations) and is allowed only for a
//! body that reaches no cancellation point (no system call that blocks, opens or closes; locks
//! and condition variables are futexes, which are not cancellation points), or that defers
//! cancellation itself where it may (`pc_retrieve`: around the helper's run and the shared cache,
//! in `ProcessProvider::fetch_observed`). The functions allowed it are listed, each with its
//! reason, in `PLAIN_BOUNDARY` (this module's tests), and a test checks that exactly these use it
//! and that every other function uses `ffi_boundary!`.

#![allow(non_camel_case_types)]
// These functions are called from C: their pointer arguments are checked for NULL and otherwise
// trusted per the contract in the header, which is what `unsafe` would say on the Rust side.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use std::ffi::{c_char, CStr};

use crate::error::{Error, Status};

mod arc_handle;
mod credentials;
mod error;
mod log;
mod options;
mod provider;
mod request;
mod shared_cache;
mod stats;

pub use arc_handle::pc_credentials;
pub use credentials::*;
pub use error::*;
pub use log::*;
pub use options::*;
pub use provider::*;
pub use request::*;
pub use shared_cache::*;
pub use stats::*;

/// Defines the `PC_STATUS_*` constants from the rows of `error::status_table!` (cbindgen does not
/// see them: `tests/header.rs` writes the header's from the same table).
macro_rules! status_constants {
    ($( $(#[doc = $doc:literal])* $variant:ident = $n:literal, $c_name:ident; )*) => {
        $( $(#[doc = $doc])* pub const $c_name: u32 = Status::$variant as u32; )*
    };
}
crate::error::status_table!(status_constants);

/// Runs an `extern "C"` body, turning a panic into `$fallback`, with the calling thread's
/// cancellation (`pthread_cancel`) deferred for its duration ([`crate::runner::NoCancel`]).
macro_rules! ffi_boundary {
    ($fallback:expr, $body:block) => {{
        let _no_cancel = $crate::runner::NoCancel::new();
        $crate::capi::ffi_boundary_plain!($fallback, $body)
    }};
}
pub(crate) use ffi_boundary;

/// [`ffi_boundary!`] without deferring cancellation: only for the functions of `PLAIN_BOUNDARY`
/// (see the module docs).
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
    // SAFETY: non-NULL, and NUL-terminated per this function's contract.
    unsafe { CStr::from_ptr(s) }.to_str().map_err(|e| {
        Error::invalid_argument(format!(
            "{what} is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })
}

/// A pointer to a static string that ends with a NUL byte.
fn static_cstr(s: &'static str) -> *const c_char {
    debug_assert!(s.ends_with('\0'));
    s.as_ptr().cast()
}

/// The library's version, e.g. `"0.1.0"`. Static; never freed.
#[no_mangle]
pub extern "C" fn pc_version() -> *const c_char {
    ffi_boundary_plain!(std::ptr::null(), {
        static_cstr(concat!(env!("CARGO_PKG_VERSION"), "\0"))
    })
}

/// The C name of a status, e.g. `"PC_STATUS_TIMEOUT"`; `"PC_STATUS_UNKNOWN"` for a number that is
/// not a status. Static; never freed.
#[no_mangle]
pub extern "C" fn pc_status_name(status: u32) -> *const c_char {
    ffi_boundary_plain!(static_cstr(UNKNOWN_STATUS), {
        static_cstr(Status::from_u32(status).map_or(UNKNOWN_STATUS, Status::name_with_nul))
    })
}

/// `pc_status_name` of a number that is not a status.
const UNKNOWN_STATUS: &str = "PC_STATUS_UNKNOWN\0";

#[cfg(test)]
mod tests {
    use super::*;

    /// The functions whose body may run in `ffi_boundary_plain!`, and why each reaches no
    /// cancellation point (or defers cancellation itself).
    const PLAIN_BOUNDARY: &[(&str, &str)] = &[
        ("pc_version", "returns a static string"),
        ("pc_status_name", "returns a static string"),
        ("pc_credentials_access_key_id", "reads the credentials"),
        ("pc_credentials_secret_access_key", "reads the credentials"),
        ("pc_credentials_session_token", "reads the credentials"),
        ("pc_credentials_account_id", "reads the credentials"),
        ("pc_credentials_provider_name", "reads the credentials"),
        ("pc_credentials_expiration", "reads the credentials"),
        (
            "pc_credentials_free",
            "a reference count; the last one wipes and frees memory",
        ),
        ("pc_error_status", "reads the error object"),
        ("pc_error_code", "reads the error object"),
        ("pc_error_message", "reads the error object"),
        ("pc_error_free", "frees memory"),
        (
            "pc_retrieve",
            "a cached retrieve reads memory and the clock; a refresh defers cancellation itself \
             (ProcessProvider::fetch_observed) around the helper's run and the shared cache",
        ),
        (
            "pc_retrieve_cached",
            "reads the cache and the clock (inside the refresh window it starts the background \
             refresh as a cached pc_retrieve does)",
        ),
        ("pc_request_free", "frees memory"),
        ("pc_is_expired", "reads the cache and the clock"),
        ("pc_provider_stats", "reads atomic counters"),
        ("pc_expires_at", "reads the cache"),
    ];

    /// The sources of `src/capi`, read at test time (a module added later is checked too).
    fn sources() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/capi");
        let mut found: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        found.sort();
        assert!(
            found.len() >= 6,
            "{:?}",
            found.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        found
    }

    /// Every `extern "C"` function of `src/capi`, with the boundary macro its body is made of.
    fn boundaries() -> Vec<(String, &'static str)> {
        const FN: &str = "pub extern \"C\" fn ";
        let mut found = Vec::new();
        for (_, src) in sources() {
            for (i, _) in src.match_indices(FN) {
                let rest = &src[i + FN.len()..];
                let name = &rest[..rest.find('(').unwrap()];
                let body = &rest[rest.find("{\n").unwrap()..rest.find("\n}\n").unwrap()];
                // The body is one macro call, after any comment lines.
                let first = body
                    .lines()
                    .skip(1)
                    .map(str::trim)
                    .find(|l| !l.is_empty() && !l.starts_with("//"))
                    .unwrap_or("");
                let kind = if first.starts_with("ffi_boundary_plain!(") {
                    "ffi_boundary_plain!"
                } else if first.starts_with("ffi_boundary!(") {
                    "ffi_boundary!"
                } else {
                    "no boundary"
                };
                found.push((name.to_owned(), kind));
            }
        }
        found
    }

    #[test]
    fn no_module_but_arc_handle_casts_a_pointer_with_as() {
        for (name, src) in sources() {
            if name == "arc_handle.rs" {
                continue;
            }
            // The code, not this test's own strings.
            let code = src.split("#[cfg(test)]").next().unwrap_or("");
            for (n, line) in code.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                assert!(
                    !code.contains(" as *const ") && !code.contains(" as *mut "),
                    "src/capi/{name}:{}: a pointer cast with `as`: handles are typed \
                     (pc_provider, pc_error) or converted in arc_handle.rs (pc_credentials)",
                    n + 1
                );
            }
        }
    }

    #[test]
    fn every_function_runs_in_the_boundary_the_list_gives_it() {
        let found = boundaries();
        assert!(found.len() >= 29, "found only {found:?}");
        for (name, kind) in &found {
            let want = if PLAIN_BOUNDARY.iter().any(|(n, _)| n == name) {
                "ffi_boundary_plain!"
            } else {
                "ffi_boundary!"
            };
            assert_eq!(*kind, want, "{name}: its body must be one {want}");
        }
        for (name, _) in PLAIN_BOUNDARY {
            assert!(
                found.iter().any(|(n, _)| n == name),
                "{name} is listed but not defined"
            );
        }
    }

    #[test]
    fn status_constants_and_names_come_from_the_table() {
        assert_eq!(PC_STATUS_TIMEOUT, 3);
        assert_eq!(Status::ALL.len(), 11);
        assert_eq!(PC_STATUS_CANCELED, 9);
        assert_eq!(PC_STATUS_NOT_CACHED, 10);
        for (i, &s) in Status::ALL.iter().enumerate() {
            assert_eq!(s as usize, i);
            assert_eq!(Status::from_u32(s as u32), Some(s));
            // SAFETY: pc_status_name returns a static NUL-terminated string.
            let name = unsafe { CStr::from_ptr(pc_status_name(s as u32)) };
            assert_eq!(name.to_str(), Ok(s.name()));
        }
        // SAFETY: as above.
        let unknown = unsafe { CStr::from_ptr(pc_status_name(Status::ALL.len() as u32)) };
        assert_eq!(unknown.to_str(), Ok("PC_STATUS_UNKNOWN"));
        assert_eq!(Status::from_u32(11), None);
    }
}

//! `pc_provider`: a credential_process provider with its cache.
//!
//! The handle is [`pc_provider`] itself, boxed: made by the constructors with [`Box::into_raw`],
//! borrowed as `Option<&pc_provider>` (`const pc_provider *` in the header), freed as
//! `Option<Box<pc_provider>>` by `pc_free`. The setters take `*mut pc_provider` (the header's
//! `pc_provider *`) and turn it into a shared reference in one place, [`setter_target`]: see
//! the module docs of `capi` for why.

use std::ffi::c_char;
use std::time::Duration;

use super::arc_handle::{self, pc_credentials};
use super::error::{fail_internal, pc_error, report};
use super::options::{shared_cache_mode, shared_config, stderr_mode, stdin_mode};
use super::*;
use crate::error::Error;
use crate::provider::{Options, ProcessProvider};

/// A provider: the helper to run, its options and its credentials cache. Thread-safe: every
/// function may be called on one provider from many threads at once, except `pc_free`, which must
/// not race with any other use of the provider.
pub struct pc_provider {
    pub(super) provider: ProcessProvider,
}

impl pc_provider {
    /// The provider behind the handle.
    pub(super) fn provider(&self) -> &ProcessProvider {
        &self.provider
    }
}

/// Writes a new provider to `*out`.
///
/// # Safety
/// `out` is non-NULL and valid for one pointer write.
unsafe fn give(out: *mut *mut pc_provider, provider: ProcessProvider) {
    let handle = Box::into_raw(Box::new(pc_provider { provider }));
    // SAFETY: per this function's contract.
    unsafe { out.write(handle) };
}

/// A provider that runs `sh -c <command>` (`sh` looked up on `PATH` at each run); on Windows
/// `cmd.exe /d /s /c "<command>"`, the command reaching cmd.exe verbatim. The command is
/// copied. An empty or blank command is accepted and fails at every retrieve with
/// `ProcessProviderExecutionError`. Returns `PC_STATUS_INVALID_ARGUMENT` for a NULL argument or a
/// command that is not UTF-8.
#[no_mangle]
pub extern "C" fn pc_provider_new(command: *const c_char, out: *mut *mut pc_provider) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        if out.is_null() {
            return PC_STATUS_INVALID_ARGUMENT;
        }
        // SAFETY: NULL or a NUL-terminated string (the header's contract).
        match unsafe { str_arg(command, "command") } {
            Ok(cmd) => {
                // SAFETY: `out` checked non-NULL; writable (the header's contract).
                unsafe { give(out, ProcessProvider::new(cmd)) };
                PC_STATUS_OK
            }
            Err(e) => e.status() as u32,
        }
    })
}

/// A provider that runs `argv[0]` with `argv[1..argc]` directly, with no shell (`argv[0]` is
/// looked up on `PATH` when it has no `/`; on Windows, as Go's `os/exec` does, with `PATHEXT`,
/// the arguments quoted by the MSVCRT rules). The strings are copied. `argc` 0, a NULL `argv` or
/// element, or an element that is not UTF-8 is `PC_STATUS_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn pc_provider_new_argv(
    argv: *const *const c_char,
    argc: usize,
    out: *mut *mut pc_provider,
) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        if out.is_null() || argv.is_null() || argc == 0 {
            return PC_STATUS_INVALID_ARGUMENT;
        }
        let mut args = Vec::with_capacity(argc);
        for i in 0..argc {
            // SAFETY: argv holds argc pointers, each NULL or a NUL-terminated string (the
            // header's contract).
            match unsafe { str_arg(argv.add(i).read(), "argv element") } {
                Ok(a) => args.push(a.to_owned()),
                Err(e) => return e.status() as u32,
            }
        }
        match ProcessProvider::from_argv(args) {
            Ok(p) => {
                // SAFETY: `out` checked non-NULL; writable (the header's contract).
                unsafe { give(out, p) };
                PC_STATUS_OK
            }
            Err(e) => e.status() as u32,
        }
    })
}

/// A provider for a shared-config profile, as aws-sdk-go v1's session resolves it: the
/// profile's `credential_process` (run as `sh -c`), or its static keys (returned as never-expiring
/// credentials named `SharedConfigCredentials: <file>`, with no helper run). `profile` NULL means
/// `AWS_PROFILE`, then `AWS_DEFAULT_PROFILE` (when shared config is on), then `default`.
/// `shared_config` is `PC_SHARED_CONFIG_ENV` (as `AWS_SDK_LOAD_CONFIG` says),
/// `PC_SHARED_CONFIG_DISABLE` or `PC_SHARED_CONFIG_ENABLE`. The environment and files are read
/// now. A profile that cannot give a provider is `PC_STATUS_CONFIG`, with an error object in
/// `*err` when `err` is not NULL.
#[no_mangle]
pub extern "C" fn pc_provider_from_profile(
    profile: *const c_char,
    shared_config: u32,
    out: *mut *mut pc_provider,
    err: *mut *mut pc_error,
) -> u32 {
    // SAFETY: `err` is NULL or writable (the header's contract).
    ffi_boundary!(unsafe { fail_internal(err) }, {
        let result = from_profile(profile, shared_config, out);
        // SAFETY: as above.
        unsafe { report(err, result) }
    })
}

/// `pc_provider_from_profile` but for the error object: the arguments' contract is the header's.
fn from_profile(
    profile: *const c_char,
    shared: u32,
    out: *mut *mut pc_provider,
) -> Result<(), Error> {
    if out.is_null() {
        return Err(Error::invalid_argument(
            "pc_provider_from_profile: out is NULL",
        ));
    }
    let Some(shared) = shared_config(shared) else {
        return Err(Error::invalid_argument(format!(
            "pc_provider_from_profile: unknown shared_config {shared}"
        )));
    };
    let profile = if profile.is_null() {
        None
    } else {
        // SAFETY: a NUL-terminated string (the header's contract).
        Some(unsafe { str_arg(profile, "profile") }?)
    };
    let p = ProcessProvider::from_profile(profile, shared)?;
    // SAFETY: `out` checked non-NULL; writable (the header's contract).
    unsafe { give(out, p) };
    Ok(())
}

/// Frees a provider. Credentials it returned stay valid. NULL is a no-op. A background refresh
/// in progress (`pc_set_refresh_window`) is cancelled: its helper is killed with its tree, and
/// `pc_free` returns within about 50 ms. Its pending asynchronous requests (`pc_retrieve_async`)
/// are cancelled: each callback still runs exactly once, with `PC_STATUS_CANCELED`, and a run
/// that only they waited for is killed with its tree. `pc_free` does not wait for callbacks: it
/// may be called from one (that of a request of this very provider included). Request handles
/// stay valid until `pc_request_free`.
#[no_mangle]
pub extern "C" fn pc_free(p: Option<Box<pc_provider>>) {
    ffi_boundary!((), { drop(p) })
}

/// The provider behind a setter's `p` (`pc_provider *` in the header), `None` for NULL: the one
/// conversion of a `pc_provider *` (see the `capi` module docs). Other threads may be using the
/// provider, so it is only ever borrowed shared; what a setter changes sits behind a lock.
///
/// # Safety
/// `p` is NULL or a live provider (the header's contract), which stays live while the borrow
/// lasts (the call).
pub(super) unsafe fn setter_target<'a>(p: *mut pc_provider) -> Option<&'a ProcessProvider> {
    // SAFETY: per this function's contract.
    unsafe { p.as_ref() }.map(|p| &p.provider)
}

/// Applies `f` to the options of the setters' provider `p`; `PC_STATUS_INVALID_ARGUMENT` for
/// NULL.
///
/// # Safety
/// As [`setter_target`].
unsafe fn set(p: *mut pc_provider, f: impl FnOnce(&mut Options)) -> u32 {
    // SAFETY: per this function's contract.
    match unsafe { setter_target(p) } {
        Some(p) => {
            p.update_options(f);
            PC_STATUS_OK
        }
        None => PC_STATUS_INVALID_ARGUMENT,
    }
}

/// How long the helper may run, in milliseconds, from spawn (default `PC_DEFAULT_TIMEOUT_MS`, one
/// minute). On timeout the helper and its descendants are killed. 0 fails every retrieve at once
/// with the timeout error.
#[no_mangle]
pub extern "C" fn pc_set_timeout(p: *mut pc_provider, timeout_ms: u64) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        // SAFETY: `p` is NULL or a live provider (the header's contract).
        unsafe { set(p, |o| o.timeout = Duration::from_millis(timeout_ms)) }
    })
}

/// How many bytes of stdout are kept (default `PC_DEFAULT_BUF_SIZE`, 8192). Trailing JSON
/// whitespace beyond it is ignored; any other byte beyond it fails the retrieve at once with a
/// parse error.
#[no_mangle]
pub extern "C" fn pc_set_max_buf_size(p: *mut pc_provider, bytes: usize) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        // SAFETY: `p` is NULL or a live provider (the header's contract).
        unsafe { set(p, |o| o.max_buf_size = bytes) }
    })
}

/// Subtracted from the credentials' expiry so that they are refreshed early (default 0).
#[no_mangle]
pub extern "C" fn pc_set_expiry_window(p: *mut pc_provider, window_ms: u64) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        // SAFETY: `p` is NULL or a live provider (the header's contract).
        unsafe { set(p, |o| o.expiry_window = Duration::from_millis(window_ms)) }
    })
}

/// Lifetime of credentials whose output has no `Expiration` (default 0: they never expire).
#[no_mangle]
pub extern "C" fn pc_set_duration(p: *mut pc_provider, duration_ms: u64) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        let duration = (duration_ms > 0).then(|| Duration::from_millis(duration_ms));
        // SAFETY: `p` is NULL or a live provider (the header's contract).
        unsafe { set(p, |o| o.duration = duration) }
    })
}

/// Where the helper's stderr goes: `PC_STDERR_INHERIT` (default), `PC_STDERR_CAPTURE` or
/// `PC_STDERR_DISCARD`. Another value is `PC_STATUS_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn pc_set_stderr(p: *mut pc_provider, mode: u32) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        let Some(mode) = stderr_mode(mode) else {
            return PC_STATUS_INVALID_ARGUMENT;
        };
        // SAFETY: `p` is NULL or a live provider (the header's contract).
        unsafe { set(p, |o| o.stderr = mode) }
    })
}

/// Where the helper's stdin comes from: `PC_STDIN_INHERIT` (default) or `PC_STDIN_NULL`. Another
/// value is `PC_STATUS_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn pc_set_stdin(p: *mut pc_provider, mode: u32) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        let Some(mode) = stdin_mode(mode) else {
            return PC_STATUS_INVALID_ARGUMENT;
        };
        // SAFETY: `p` is NULL or a live provider (the header's contract).
        unsafe { set(p, |o| o.stdin = mode) }
    })
}

/// Whether the provider shares credentials with the same user's other processes:
/// `PC_SHARED_CACHE_OFF` (default) or `PC_SHARED_CACHE_USER`. Another value is
/// `PC_STATUS_INVALID_ARGUMENT`.
///
/// With `PC_SHARED_CACHE_USER`, a refresh first looks for a valid entry in the cache directory
/// (`$PROCESSCREDS_CACHE_DIR`, else `$XDG_RUNTIME_DIR/processcreds`, else
/// `${XDG_CACHE_HOME:-$HOME/.cache}/processcreds`; created 0700), keyed on what can change the
/// helper's output: the command (or argv) and the file it runs, the working directory when a
/// path in it is relative, the variables a command string references, `HOME`, every `AWS_*`
/// variable, the duration and max buffer size, and `pc_set_shared_cache_key` and
/// `pc_set_shared_cache_env` (the README's "what separates entries"). An entry is served while
/// its expiry less this provider's expiry window is in the future, unless it holds the
/// credentials `pc_expire` cleared. Otherwise one process at a time runs the helper for a key
/// (waiting counts against the timeout) and writes its credentials when they expire; credentials
/// that never expire, static profile keys and errors are never written. A directory or entry
/// that is not private to the effective user (owner, mode 0700/0600, not a symlink) is left
/// alone and bypassed, and no cache failure ever fails a retrieve. POSIX only: elsewhere the
/// cache is always bypassed.
#[no_mangle]
pub extern "C" fn pc_set_shared_cache(p: *mut pc_provider, mode: u32) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        let Some(mode) = shared_cache_mode(mode) else {
            return PC_STATUS_INVALID_ARGUMENT;
        };
        // SAFETY: `p` is NULL or a live provider (the header's contract).
        unsafe { set(p, |o| o.shared_cache = mode) }
    })
}

/// Refresh ahead, in milliseconds (default 0: off). Let E be the credentials' expiry less the
/// expiry window. From E - `window_ms` until E, `pc_retrieve` returns the cached credentials at
/// once and starts one refresh on a thread of the library, unless one is running: its success
/// replaces the cached credentials; its failure keeps them and is retried no sooner than a
/// back-off (1 s, doubling, at most 1 min; 1 s after a success too). From E on, `pc_retrieve`
/// runs the helper itself as without a window (one run for all callers; its error is returned),
/// or waits for the background refresh in flight. `pc_free` cancels a background refresh: the
/// helper is killed with its tree and `pc_free` returns within about 50 ms. `pc_expire` during
/// one clears the cache; the refresh goes on and, when it succeeds, its credentials are cached
/// (a retrieve meanwhile waits for it). A process forked during one has no refresh in flight.
/// Applies to credentials fetched from the next run of the helper on.
#[no_mangle]
pub extern "C" fn pc_set_refresh_window(p: *mut pc_provider, window_ms: u64) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        // SAFETY: `p` is NULL or a live provider (the header's contract).
        unsafe { set(p, |o| o.refresh_window = Duration::from_millis(window_ms)) }
    })
}

/// Retrieves credentials: the cached ones while they are valid (nothing runs), else from one run
/// of the helper shared by every concurrent caller. On success writes a new reference to `*out`
/// (free it with `pc_credentials_free`). On failure returns the status and, when `err` is not
/// NULL, writes an error object to `*err` (free it with `pc_error_free`); errors are not cached.
/// Blocks while the helper runs; the calling thread's cancellation is deferred meanwhile.
/// With a refresh window (`pc_set_refresh_window`), inside it: returns the cached credentials at
/// once and starts a background refresh.
#[no_mangle]
pub extern "C" fn pc_retrieve(
    p: Option<&pc_provider>,
    out: *mut *mut pc_credentials,
    err: *mut *mut pc_error,
) -> u32 {
    // SAFETY: `err` is NULL or writable (the header's contract).
    ffi_boundary_plain!(unsafe { fail_internal(err) }, {
        let result = retrieve(p, out);
        // SAFETY: as above.
        unsafe { report(err, result) }
    })
}

/// `pc_retrieve` but for the error object: the arguments' contract is the header's.
fn retrieve(p: Option<&pc_provider>, out: *mut *mut pc_credentials) -> Result<(), Error> {
    let Some(p) = p else {
        return Err(Error::invalid_argument("pc_retrieve: provider is NULL"));
    };
    if out.is_null() {
        return Err(Error::invalid_argument("pc_retrieve: out is NULL"));
    }
    let c = p.provider.retrieve()?;
    // SAFETY: `out` checked non-NULL; writable (the header's contract).
    unsafe { out.write(arc_handle::into_raw(c)) };
    Ok(())
}

/// True when nothing is cached (before the first success, after `pc_expire`) or the cached
/// credentials have expired; true for NULL.
#[no_mangle]
pub extern "C" fn pc_is_expired(p: Option<&pc_provider>) -> bool {
    ffi_boundary_plain!(true, { p.is_none_or(|p| p.provider.is_expired()) })
}

/// Clears the cache, so that the next retrieve runs the helper. NULL is a no-op. With
/// `PC_SHARED_CACHE_USER`, that retrieve does not accept a shared entry holding the credentials
/// cleared here (a caller expires credentials the service has just rejected): it runs the helper
/// under the cross-process lock and replaces the entry, unless another process has already
/// replaced it with different credentials, which are then served. The provider keeps a
/// fingerprint of them (a hash), never the secret.
#[no_mangle]
pub extern "C" fn pc_expire(p: Option<&pc_provider>) {
    ffi_boundary!((), {
        if let Some(p) = p {
            p.provider.expire();
        }
    })
}

/// Writes the window-adjusted expiry of the cached credentials (also once expired) in Unix
/// milliseconds to `*unix_ms_out` and returns true; returns false (writing nothing) when nothing is
/// cached, the cached credentials never expire, or an argument is NULL.
#[no_mangle]
pub extern "C" fn pc_expires_at(p: Option<&pc_provider>, unix_ms_out: *mut i64) -> bool {
    ffi_boundary_plain!(false, {
        match (
            p.and_then(|p| p.provider.expires_at()),
            unix_ms_out.is_null(),
        ) {
            (Some(t), false) => {
                // SAFETY: checked non-NULL; the caller gives a writable i64.
                unsafe { unix_ms_out.write(t.as_millis()) };
                true
            }
            _ => false,
        }
    })
}

//! `pc_provider`: a credential_process provider with its cache.

use std::ffi::c_char;
use std::time::Duration;

use super::credentials::{into_handle, pc_credentials};
use super::error::{fail, fail_internal, pc_error};
use super::*;
use crate::config::SharedConfig;
use crate::error::Error;
use crate::provider::{Options, ProcessProvider};
use crate::runner::{StderrMode, StdinMode};
use crate::shared_cache::SharedCacheMode;

// Windows (GNU): std's ProcessPrng import, defined in this module's object (see src/winprng.rs).
#[cfg(all(windows, target_env = "gnu", target_arch = "x86_64"))]
crate::winprng::define_process_prng!();

/// A provider: the helper to run, its options and its credentials cache. Thread-safe: every
/// function may be called on one provider from many threads at once, except `pc_free`, which must
/// not race with any other use of the provider.
pub struct pc_provider {
    _private: [u8; 0],
}

fn provider<'a>(p: *const pc_provider) -> Option<&'a ProcessProvider> {
    // SAFETY: a non-NULL pc_provider was made by `into_raw` and is live until pc_free.
    unsafe { (p as *const ProcessProvider).as_ref() }
}

/// Writes a new provider to `*out` (checked non-NULL by the caller).
unsafe fn give(out: *mut *mut pc_provider, p: ProcessProvider) -> u32 {
    *out = Box::into_raw(Box::new(p)) as *mut pc_provider;
    PC_STATUS_OK
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
        // SAFETY: NULL or a NUL-terminated string, per the contract.
        match unsafe { str_arg(command, "command") } {
            // SAFETY: out checked non-NULL.
            Ok(cmd) => unsafe { give(out, ProcessProvider::new(cmd)) },
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
            // SAFETY: argv holds argc pointers, each NULL or a NUL-terminated string.
            match unsafe { str_arg(*argv.add(i), "argv element") } {
                Ok(a) => args.push(a.to_owned()),
                Err(e) => return e.status() as u32,
            }
        }
        match ProcessProvider::from_argv(args) {
            // SAFETY: out checked non-NULL.
            Ok(p) => unsafe { give(out, p) },
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
    // SAFETY (all `fail` calls): err is NULL or writable, per the contract.
    ffi_boundary!(unsafe { fail_internal(err) }, {
        if out.is_null() {
            return unsafe {
                fail(
                    err,
                    Error::invalid_argument("pc_provider_from_profile: out is NULL"),
                )
            };
        }
        let Some(shared) = SharedConfig::from_u32(shared_config) else {
            return unsafe {
                fail(
                    err,
                    Error::invalid_argument(format!(
                        "pc_provider_from_profile: unknown shared_config {shared_config}"
                    )),
                )
            };
        };
        let profile = if profile.is_null() {
            None
        } else {
            // SAFETY: a NUL-terminated string, per the contract.
            match unsafe { str_arg(profile, "profile") } {
                Ok(p) => Some(p),
                Err(e) => return unsafe { fail(err, e) },
            }
        };
        match ProcessProvider::from_profile(profile, shared) {
            // SAFETY: out checked non-NULL.
            Ok(p) => unsafe { give(out, p) },
            Err(e) => unsafe { fail(err, e) },
        }
    })
}

/// Frees a provider. Credentials it returned stay valid. NULL is a no-op. A background refresh
/// in progress (`pc_set_refresh_window`) is cancelled: its helper is killed with its tree, and
/// `pc_free` returns within about 50 ms.
#[no_mangle]
pub extern "C" fn pc_free(p: *mut pc_provider) {
    ffi_boundary!((), {
        if !p.is_null() {
            // SAFETY: made by `give`, freed once.
            drop(unsafe { Box::from_raw(p as *mut ProcessProvider) });
        }
    })
}

fn set(p: *mut pc_provider, f: impl FnOnce(&mut Options)) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        match provider(p) {
            Some(p) => {
                p.update_options(f);
                PC_STATUS_OK
            }
            None => PC_STATUS_INVALID_ARGUMENT,
        }
    })
}

/// How long the helper may run, in milliseconds, from spawn (default 60000). On timeout the
/// helper and its descendants are killed. 0 fails every retrieve at once with the timeout error.
#[no_mangle]
pub extern "C" fn pc_set_timeout(p: *mut pc_provider, timeout_ms: u64) -> u32 {
    set(p, |o| o.timeout = Duration::from_millis(timeout_ms))
}

/// How many bytes of stdout are kept (default 8192). Trailing JSON whitespace beyond it is
/// ignored; any other byte beyond it fails the retrieve at once with a parse error.
#[no_mangle]
pub extern "C" fn pc_set_max_buf_size(p: *mut pc_provider, bytes: usize) -> u32 {
    set(p, |o| o.max_buf_size = bytes)
}

/// Subtracted from the credentials' expiry so that they are refreshed early (default 0).
#[no_mangle]
pub extern "C" fn pc_set_expiry_window(p: *mut pc_provider, window_ms: u64) -> u32 {
    set(p, |o| o.expiry_window = Duration::from_millis(window_ms))
}

/// Lifetime of credentials whose output has no `Expiration` (default 0: they never expire).
#[no_mangle]
pub extern "C" fn pc_set_duration(p: *mut pc_provider, duration_ms: u64) -> u32 {
    set(p, |o| {
        o.duration = (duration_ms > 0).then(|| Duration::from_millis(duration_ms))
    })
}

/// Where the helper's stderr goes: `PC_STDERR_INHERIT` (default), `PC_STDERR_CAPTURE` or
/// `PC_STDERR_DISCARD`. Another value is `PC_STATUS_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn pc_set_stderr(p: *mut pc_provider, mode: u32) -> u32 {
    let mode = match mode {
        PC_STDERR_INHERIT => StderrMode::Inherit,
        PC_STDERR_CAPTURE => StderrMode::Capture,
        PC_STDERR_DISCARD => StderrMode::Discard,
        _ => return PC_STATUS_INVALID_ARGUMENT,
    };
    set(p, |o| o.stderr = mode)
}

/// Where the helper's stdin comes from: `PC_STDIN_INHERIT` (default) or `PC_STDIN_NULL`. Another
/// value is `PC_STATUS_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn pc_set_stdin(p: *mut pc_provider, mode: u32) -> u32 {
    let mode = match mode {
        PC_STDIN_INHERIT => StdinMode::Inherit,
        PC_STDIN_NULL => StdinMode::Null,
        _ => return PC_STATUS_INVALID_ARGUMENT,
    };
    set(p, |o| o.stdin = mode)
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
    let Some(mode) = SharedCacheMode::from_u32(mode) else {
        return PC_STATUS_INVALID_ARGUMENT;
    };
    set(p, |o| o.shared_cache = mode)
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
    set(p, |o| o.refresh_window = Duration::from_millis(window_ms))
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
    p: *const pc_provider,
    out: *mut *mut pc_credentials,
    err: *mut *mut pc_error,
) -> u32 {
    // SAFETY (all `fail` calls): err is NULL or writable, per the contract.
    ffi_boundary_plain!(unsafe { fail_internal(err) }, {
        let Some(p) = provider(p) else {
            return unsafe {
                fail(
                    err,
                    Error::invalid_argument("pc_retrieve: provider is NULL"),
                )
            };
        };
        if out.is_null() {
            return unsafe { fail(err, Error::invalid_argument("pc_retrieve: out is NULL")) };
        }
        match p.retrieve() {
            Ok(c) => {
                // SAFETY: out checked non-NULL.
                unsafe { *out = into_handle(c) };
                PC_STATUS_OK
            }
            Err(e) => unsafe { fail(err, e) },
        }
    })
}

/// True when nothing is cached (before the first success, after `pc_expire`) or the cached
/// credentials have expired; true for NULL.
#[no_mangle]
pub extern "C" fn pc_is_expired(p: *const pc_provider) -> bool {
    ffi_boundary_plain!(true, {
        provider(p).is_none_or(ProcessProvider::is_expired)
    })
}

/// Clears the cache, so that the next retrieve runs the helper. NULL is a no-op. With
/// `PC_SHARED_CACHE_USER`, that retrieve does not accept a shared entry holding the credentials
/// cleared here (a caller expires credentials the service has just rejected): it runs the helper
/// under the cross-process lock and replaces the entry, unless another process has already
/// replaced it with different credentials, which are then served. The provider keeps a
/// fingerprint of them (a hash), never the secret.
#[no_mangle]
pub extern "C" fn pc_expire(p: *const pc_provider) {
    ffi_boundary!((), {
        if let Some(p) = provider(p) {
            p.expire();
        }
    })
}

/// Writes the window-adjusted expiry of the cached credentials (also once expired) in Unix
/// milliseconds to `*unix_ms_out` and returns true; returns false (writing nothing) when nothing is
/// cached, the cached credentials never expire, or an argument is NULL.
#[no_mangle]
pub extern "C" fn pc_expires_at(p: *const pc_provider, unix_ms_out: *mut i64) -> bool {
    ffi_boundary_plain!(false, {
        match (
            provider(p).and_then(ProcessProvider::expires_at),
            unix_ms_out.is_null(),
        ) {
            (Some(t), false) => {
                // SAFETY: checked non-NULL.
                unsafe { *unix_ms_out = t.as_millis() };
                true
            }
            _ => false,
        }
    })
}

//! The C numbers of the options: the modes of `pc_provider_from_profile` and the `pc_set_*`
//! setters, their mapping to the core's types (the core keeps no C numbers), and the defaults
//! of a new provider (checked against the core's at compile time).

use crate::config::SharedConfig;
use crate::defaults::{DEFAULT_BUF_SIZE, DEFAULT_TIMEOUT};
use crate::runner::{StderrMode, StdinMode};
use crate::shared_cache::SharedCacheMode;

/// `pc_provider_from_profile`: shared config as `AWS_SDK_LOAD_CONFIG` says.
pub const PC_SHARED_CONFIG_ENV: u32 = 0;
/// `pc_provider_from_profile`: never read the config file.
pub const PC_SHARED_CONFIG_DISABLE: u32 = 1;
/// `pc_provider_from_profile`: read the config file.
pub const PC_SHARED_CONFIG_ENABLE: u32 = 2;

/// `pc_set_stderr`: the helper writes to the caller's stderr (default).
pub const PC_STDERR_INHERIT: u32 = 0;
/// `pc_set_stderr`: the helper's stderr is captured (at most 64 KiB kept) and its end appended to
/// the error of a failed run.
pub const PC_STDERR_CAPTURE: u32 = 1;
/// `pc_set_stderr`: the helper's stderr goes to /dev/null.
pub const PC_STDERR_DISCARD: u32 = 2;

/// `pc_set_stdin`: the helper reads the caller's stdin (default).
pub const PC_STDIN_INHERIT: u32 = 0;
/// `pc_set_stdin`: the helper's stdin is /dev/null.
pub const PC_STDIN_NULL: u32 = 1;

/// `pc_set_shared_cache`: no shared cache; every process runs the helper (default).
pub const PC_SHARED_CACHE_OFF: u32 = 0;
/// `pc_set_shared_cache`: credentials are shared with the same user's other processes through
/// a private cache directory, with one helper run at a time per key across processes.
pub const PC_SHARED_CACHE_USER: u32 = 1;

/// The timeout of a new provider, in milliseconds (Go's `DefaultTimeout`, one minute):
/// `pc_set_timeout` changes it.
pub const PC_DEFAULT_TIMEOUT_MS: u64 = 60_000;
/// The `MaxBufSize` of a new provider, in bytes (Go's `DefaultBufSize`): `pc_set_max_buf_size`
/// changes it.
pub const PC_DEFAULT_BUF_SIZE: usize = 8192;

// The header's defaults are the core's (cbindgen needs literals, so they are written above).
const _: () = assert!(PC_DEFAULT_TIMEOUT_MS as u128 == DEFAULT_TIMEOUT.as_millis());
const _: () = assert!(PC_DEFAULT_BUF_SIZE == DEFAULT_BUF_SIZE);

/// The shared-config state of a `PC_SHARED_CONFIG_*` value.
pub fn shared_config(n: u32) -> Option<SharedConfig> {
    match n {
        PC_SHARED_CONFIG_ENV => Some(SharedConfig::Env),
        PC_SHARED_CONFIG_DISABLE => Some(SharedConfig::Disable),
        PC_SHARED_CONFIG_ENABLE => Some(SharedConfig::Enable),
        _ => None,
    }
}

/// The stderr mode of a `PC_STDERR_*` value.
pub fn stderr_mode(n: u32) -> Option<StderrMode> {
    match n {
        PC_STDERR_INHERIT => Some(StderrMode::Inherit),
        PC_STDERR_CAPTURE => Some(StderrMode::Capture),
        PC_STDERR_DISCARD => Some(StderrMode::Discard),
        _ => None,
    }
}

/// The stdin mode of a `PC_STDIN_*` value.
pub fn stdin_mode(n: u32) -> Option<StdinMode> {
    match n {
        PC_STDIN_INHERIT => Some(StdinMode::Inherit),
        PC_STDIN_NULL => Some(StdinMode::Null),
        _ => None,
    }
}

/// The shared-cache mode of a `PC_SHARED_CACHE_*` value.
pub fn shared_cache_mode(n: u32) -> Option<SharedCacheMode> {
    match n {
        PC_SHARED_CACHE_OFF => Some(SharedCacheMode::Off),
        PC_SHARED_CACHE_USER => Some(SharedCacheMode::User),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_number_maps_to_one_mode() {
        assert_eq!(shared_config(0), Some(SharedConfig::Env));
        assert_eq!(shared_config(1), Some(SharedConfig::Disable));
        assert_eq!(shared_config(2), Some(SharedConfig::Enable));
        assert_eq!(shared_config(3), None);
        assert_eq!(stderr_mode(2), Some(StderrMode::Discard));
        assert_eq!(stderr_mode(3), None);
        assert_eq!(stdin_mode(1), Some(StdinMode::Null));
        assert_eq!(stdin_mode(2), None);
        assert_eq!(shared_cache_mode(1), Some(SharedCacheMode::User));
        assert_eq!(shared_cache_mode(2), None);
        assert_eq!(shared_cache_mode(u32::MAX), None);
    }
}

//! Go v1's defaults of a provider's options, in a module of their own (it uses nothing of the
//! crate): the provider's [`Options`](crate::Options), the shared cache and the C ABI's
//! `PC_DEFAULT_*` all take them from here.

use std::time::Duration;

/// Go's `DefaultTimeout`: the default [`Options::timeout`](crate::Options::timeout), one minute.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Go's `DefaultBufSize`: the default [`Options::max_buf_size`](crate::Options::max_buf_size).
pub const DEFAULT_BUF_SIZE: usize = 8192;

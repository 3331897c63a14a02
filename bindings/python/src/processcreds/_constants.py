"""The constants of the C ABI: every `#define` of include/processcreds.h, with its comment.

Generated from the header by `make header` (tests/header.rs, which fails when this file is
stale): do not edit.
"""

from typing import Dict

# Success. No error has this status.
PC_STATUS_OK = 0

# A bad argument from the caller (code `InvalidParameter`): a NULL pointer, a string
# that is not UTF-8, an empty argv, an unknown mode.
PC_STATUS_INVALID_ARGUMENT = 1

# The helper could not be started, exited non-zero or was killed by a signal, or the
# command is empty or blank (code `ProcessProviderExecutionError`).
PC_STATUS_EXECUTION = 2

# The helper did not finish within the timeout (code `ProcessProviderExecutionError`,
# message `credential process timed out`).
PC_STATUS_TIMEOUT = 3

# The helper's output is not valid JSON of the expected shape, or exceeds
# `MaxBufSize` (code `ProcessProviderParseError`).
PC_STATUS_PARSE = 4

# The output's `Version` is not 1 (code `ProcessProviderVersionError`).
PC_STATUS_VERSION = 5

# `AccessKeyId` or `SecretAccessKey` is missing or empty (code
# `ProcessProviderRequiredError`).
PC_STATUS_REQUIRED = 6

# The shared config or credentials files cannot give a provider for the profile (codes
# `SharedConfigErr`, `SharedConfigProfileNotExistsError`, `SharedConfigLoadError`,
# `CredentialRequiresARNError`).
PC_STATUS_CONFIG = 7

# A failure inside the library rather than of the helper (code `InternalError`): a
# caught panic, a system call that failed while running the helper, a thread that
# could not be started, a run cancelled by freeing its provider.
PC_STATUS_INTERNAL = 8

# The request was cancelled (code `RequestCanceled`): `pc_request_cancel`, the
# provider freed while the request was pending, a dropped future, an ended context.
PC_STATUS_CANCELED = 9

# `pc_retrieve_cached` found no valid cached credentials (nothing was run or waited
# for).
PC_STATUS_NOT_CACHED = 10

# `pc_set_logger`: failures (no event has this level today).
PC_LOG_ERROR = 1

# `pc_set_logger`: a failed run of the helper, a timeout, the shared cache bypassed, a failed
# refresh ahead.
PC_LOG_WARN = 2

# `pc_set_logger`: each run of the helper, shared-cache entries written, refreshes ahead.
PC_LOG_INFO = 3

# `pc_set_logger`: every retrieve (cache hits and misses), shared-cache hits and lock waits.
PC_LOG_DEBUG = 4

# `pc_provider_from_profile`: shared config as `AWS_SDK_LOAD_CONFIG` says.
PC_SHARED_CONFIG_ENV = 0

# `pc_provider_from_profile`: never read the config file.
PC_SHARED_CONFIG_DISABLE = 1

# `pc_provider_from_profile`: read the config file.
PC_SHARED_CONFIG_ENABLE = 2

# `pc_set_stderr`: the helper writes to the caller's stderr (default).
PC_STDERR_INHERIT = 0

# `pc_set_stderr`: the helper's stderr is captured (at most 64 KiB kept) and its end appended to
# the error of a failed run.
PC_STDERR_CAPTURE = 1

# `pc_set_stderr`: the helper's stderr goes to /dev/null.
PC_STDERR_DISCARD = 2

# `pc_set_stdin`: the helper reads the caller's stdin (default).
PC_STDIN_INHERIT = 0

# `pc_set_stdin`: the helper's stdin is /dev/null.
PC_STDIN_NULL = 1

# `pc_set_shared_cache`: no shared cache; every process runs the helper (default).
PC_SHARED_CACHE_OFF = 0

# `pc_set_shared_cache`: credentials are shared with the same user's other processes through
# a private cache directory, with one helper run at a time per key across processes.
PC_SHARED_CACHE_USER = 1

# The timeout of a new provider, in milliseconds (Go's `DefaultTimeout`, one minute):
# `pc_set_timeout` changes it.
PC_DEFAULT_TIMEOUT_MS = 60000

# The `MaxBufSize` of a new provider, in bytes (Go's `DefaultBufSize`): `pc_set_max_buf_size`
# changes it.
PC_DEFAULT_BUF_SIZE = 8192

# The C name of each status, by number (what pc_status_name returns).
STATUS_NAMES: Dict[int, str] = {
    0: "PC_STATUS_OK",
    1: "PC_STATUS_INVALID_ARGUMENT",
    2: "PC_STATUS_EXECUTION",
    3: "PC_STATUS_TIMEOUT",
    4: "PC_STATUS_PARSE",
    5: "PC_STATUS_VERSION",
    6: "PC_STATUS_REQUIRED",
    7: "PC_STATUS_CONFIG",
    8: "PC_STATUS_INTERNAL",
    9: "PC_STATUS_CANCELED",
    10: "PC_STATUS_NOT_CACHED",
}

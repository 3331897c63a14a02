"""Loads libprocesscreds and declares every function of include/processcreds.h for ctypes.

The library is looked for, in this order:

1. ``PROCESSCREDS_LIB``: the path of the shared library (or of the folder holding it), an
   override;
2. inside this package: ``libprocesscreds.so`` (``.dylib`` on macOS) in the package's folder,
   where ``pip install`` and the wheels put the library they built;
3. the system: ``ctypes.util.find_library("processcreds")`` (the dynamic linker's search path).

Functions are called through ``ctypes.CDLL``, which releases the GIL for the length of every
call, so a helper that runs for a while does not stop the other Python threads.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_int64,
    c_size_t,
    c_uint32,
    c_uint64,
    c_void_p,
)
from typing import Any, Callable, Dict, List, NoReturn, Optional, Sequence, Tuple

from ._constants import PC_STATUS_INTERNAL
from ._errors import CODE_INTERNAL, InternalError

ENV_VAR = "PROCESSCREDS_LIB"

if sys.platform == "darwin":
    FILE_NAMES: Tuple[str, ...] = ("libprocesscreds.dylib",)
elif sys.platform == "win32":
    FILE_NAMES = ("processcreds.dll",)
else:
    FILE_NAMES = ("libprocesscreds.so",)

_HERE = os.path.dirname(os.path.abspath(__file__))

HOW_TO = (
    f"`pip install ./bindings/python` in the processcreds source tree builds the library and "
    f"installs it inside the package. Or build it (`make lib` gives "
    f"target/release/{FILE_NAMES[0]}) and point {ENV_VAR} at it:\n"
    f"    export {ENV_VAR}=/path/to/processcreds/target/release/{FILE_NAMES[0]}\n"
    f"or copy {FILE_NAMES[0]} into {_HERE}, or install it where the dynamic linker finds it "
    f"(`make install`)."
)


def _load() -> Tuple[ctypes.CDLL, str]:
    env = os.environ.get(ENV_VAR)
    if env:
        path = env
        if os.path.isdir(path):
            path = os.path.join(path, FILE_NAMES[0])
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            raise ImportError(
                f"processcreds: cannot load the library named by {ENV_VAR}={env!r}: {e}\n"
                f"{ENV_VAR} must be the path of {FILE_NAMES[0]}. {HOW_TO}"
            ) from e
    for name in FILE_NAMES:
        path = os.path.join(_HERE, name)
        if os.path.exists(path):
            try:
                return ctypes.CDLL(path), path
            except OSError as e:
                raise ImportError(f"processcreds: cannot load {path}: {e}\n{HOW_TO}") from e
    found = ctypes.util.find_library("processcreds")
    if found:
        try:
            return ctypes.CDLL(found), found
        except OSError as e:
            raise ImportError(f"processcreds: cannot load {found}: {e}\n{HOW_TO}") from e
    raise ImportError(
        f"processcreds: cannot find the shared library {FILE_NAMES[0]}: {ENV_VAR} is not set, "
        f"it is not in {_HERE}, and the system has none (ctypes.util.find_library). {HOW_TO}"
    )


LIB, LIB_PATH = _load()


# Opaque handles. Distinct classes so that each argument says which handle it takes; all are
# pointer-sized like c_void_p.
class ProviderPtr(c_void_p):
    """A ``pc_provider *``."""


class CredentialsPtr(c_void_p):
    """A ``pc_credentials *``."""


class ErrorPtr(c_void_p):
    """A ``pc_error *``."""


class RequestPtr(c_void_p):
    """A ``pc_request *``."""


# The C type of each opaque handle, for the declaration check.
OPAQUE: Dict[str, Any] = {
    "pc_provider": ProviderPtr,
    "pc_credentials": CredentialsPtr,
    "pc_error": ErrorPtr,
    "pc_request": RequestPtr,
}

# `pc_retrieve_cb`: (user_data, status, creds, err). The pointers come as plain integers (None
# for NULL); the callback wraps them in their handle types.
RETRIEVE_CB = CFUNCTYPE(None, c_void_p, c_uint32, c_void_p, c_void_p)

# pc_log_cb: void (*)(void *user_data, uint32_t level, const char *event, const char *message).
LOG_CB = CFUNCTYPE(None, c_void_p, c_uint32, c_char_p, c_char_p)

# The counters of pc_stats after its size, in the header's order.
STATS_FIELDS: Tuple[str, ...] = (
    "helper_runs",
    "helper_failures",
    "helper_timeouts",
    "cache_hits",
    "cache_misses",
    "shared_cache_hits",
    "shared_cache_writes",
    "shared_cache_bypasses",
    "refreshes_started",
    "refreshes_succeeded",
    "refreshes_failed",
    "last_run_duration_us",
)


class PcStats(Structure):
    """``pc_stats``: its size, then the counters."""

    _fields_ = [("size", c_uint32)] + [(name, c_uint64) for name in STATS_FIELDS]


# name -> (restype, argtypes), as declared below.
SIGNATURES: Dict[str, Tuple[Any, Tuple[Any, ...]]] = {}
# Functions of the header that the loaded library does not export (an older build).
MISSING: List[str] = []


def _missing(name: str) -> Callable[..., NoReturn]:
    def call(*_args: object) -> NoReturn:
        raise InternalError(
            PC_STATUS_INTERNAL,
            CODE_INTERNAL,
            f"{CODE_INTERNAL}: the library at {LIB_PATH} has no {name}; "
            f"it is older than this binding, rebuild it",
        )

    return call


def _bind(name: str, restype: Any, argtypes: Sequence[Any]) -> Any:
    SIGNATURES[name] = (restype, tuple(argtypes))
    try:
        f = getattr(LIB, name)
    except AttributeError:
        MISSING.append(name)
        return _missing(name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


P_PROVIDER = POINTER(ProviderPtr)
P_CREDENTIALS = POINTER(CredentialsPtr)
P_ERROR = POINTER(ErrorPtr)

pc_version = _bind("pc_version", c_char_p, ())
pc_status_name = _bind("pc_status_name", c_char_p, (c_uint32,))

pc_credentials_access_key_id = _bind("pc_credentials_access_key_id", c_char_p, (CredentialsPtr,))
pc_credentials_secret_access_key = _bind(
    "pc_credentials_secret_access_key", c_char_p, (CredentialsPtr,)
)
pc_credentials_session_token = _bind("pc_credentials_session_token", c_char_p, (CredentialsPtr,))
pc_credentials_account_id = _bind("pc_credentials_account_id", c_char_p, (CredentialsPtr,))
pc_credentials_provider_name = _bind("pc_credentials_provider_name", c_char_p, (CredentialsPtr,))
pc_credentials_expiration = _bind(
    "pc_credentials_expiration", c_bool, (CredentialsPtr, POINTER(c_int64))
)
pc_credentials_free = _bind("pc_credentials_free", None, (CredentialsPtr,))

pc_error_status = _bind("pc_error_status", c_uint32, (ErrorPtr,))
pc_error_code = _bind("pc_error_code", c_char_p, (ErrorPtr,))
pc_error_message = _bind("pc_error_message", c_char_p, (ErrorPtr,))
pc_error_free = _bind("pc_error_free", None, (ErrorPtr,))

pc_provider_new = _bind("pc_provider_new", c_uint32, (c_char_p, P_PROVIDER))
pc_provider_new_argv = _bind(
    "pc_provider_new_argv", c_uint32, (POINTER(c_char_p), c_size_t, P_PROVIDER)
)
pc_provider_from_profile = _bind(
    "pc_provider_from_profile", c_uint32, (c_char_p, c_uint32, P_PROVIDER, P_ERROR)
)
pc_free = _bind("pc_free", None, (ProviderPtr,))

pc_set_timeout = _bind("pc_set_timeout", c_uint32, (ProviderPtr, c_uint64))
pc_set_max_buf_size = _bind("pc_set_max_buf_size", c_uint32, (ProviderPtr, c_size_t))
pc_set_expiry_window = _bind("pc_set_expiry_window", c_uint32, (ProviderPtr, c_uint64))
pc_set_duration = _bind("pc_set_duration", c_uint32, (ProviderPtr, c_uint64))
pc_set_stderr = _bind("pc_set_stderr", c_uint32, (ProviderPtr, c_uint32))
pc_set_stdin = _bind("pc_set_stdin", c_uint32, (ProviderPtr, c_uint32))
pc_set_shared_cache = _bind("pc_set_shared_cache", c_uint32, (ProviderPtr, c_uint32))
pc_set_refresh_window = _bind("pc_set_refresh_window", c_uint32, (ProviderPtr, c_uint64))
pc_set_shared_cache_key = _bind("pc_set_shared_cache_key", c_uint32, (ProviderPtr, c_char_p))
pc_set_shared_cache_env = _bind(
    "pc_set_shared_cache_env", c_uint32, (ProviderPtr, POINTER(c_char_p), c_size_t)
)

pc_set_logger = _bind("pc_set_logger", c_uint32, (ProviderPtr, LOG_CB, c_void_p, c_uint32))
pc_provider_stats = _bind("pc_provider_stats", c_uint32, (ProviderPtr, POINTER(PcStats)))

pc_retrieve = _bind("pc_retrieve", c_uint32, (ProviderPtr, P_CREDENTIALS, P_ERROR))
pc_retrieve_async = _bind(
    "pc_retrieve_async", c_uint32, (ProviderPtr, RETRIEVE_CB, c_void_p, POINTER(RequestPtr))
)
pc_request_cancel = _bind("pc_request_cancel", None, (RequestPtr,))
pc_request_free = _bind("pc_request_free", None, (RequestPtr,))
pc_retrieve_cached = _bind("pc_retrieve_cached", c_uint32, (ProviderPtr, P_CREDENTIALS))
pc_is_expired = _bind("pc_is_expired", c_bool, (ProviderPtr,))
pc_expire = _bind("pc_expire", None, (ProviderPtr,))
pc_expires_at = _bind("pc_expires_at", c_bool, (ProviderPtr, POINTER(c_int64)))

SIZE_MAX = (1 << (8 * ctypes.sizeof(c_size_t))) - 1
UINT64_MAX = (1 << 64) - 1


def library_version() -> str:
    """The loaded library's version, e.g. ``"0.1.0"``."""
    v: Optional[bytes] = pc_version()
    return v.decode() if v else ""


def status_name(status: int) -> str:
    """The C name of a status, e.g. ``"PC_STATUS_TIMEOUT"`` (from the library)."""
    v: Optional[bytes] = pc_status_name(status)
    return v.decode() if v else "PC_STATUS_UNKNOWN"

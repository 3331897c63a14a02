"""``ProcessProvider`` and ``Credentials``: the library's provider, seen from Python."""

from __future__ import annotations

import math
import os
from ctypes import c_char_p, c_int64
from datetime import datetime, timedelta, timezone
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Literal,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from . import _async
from . import _constants as C
from . import _lib, _logging, _stats
from ._errors import (
    CODE_INTERNAL,
    ProcessCredentialsError,
    invalid_argument,
    make_error,
)
from ._lib import CredentialsPtr, ErrorPtr, ProviderPtr
from ._logging import LEVELS_SEEN as _LEVELS_SEEN
from ._logging import SENTINEL as _SENTINEL
from ._stats import Stats

StderrMode = Literal["inherit", "capture", "discard"]
StdinMode = Literal["inherit", "null"]
Seconds = Union[int, float, timedelta]
StrPath = Union[str, "os.PathLike[str]"]

_STDERR_MODES: Dict[str, int] = {
    "inherit": C.PC_STDERR_INHERIT,
    "capture": C.PC_STDERR_CAPTURE,
    "discard": C.PC_STDERR_DISCARD,
}
_STDIN_MODES: Dict[str, int] = {
    "inherit": C.PC_STDIN_INHERIT,
    "null": C.PC_STDIN_NULL,
}

# The defaults of a new provider: the library's (the header's PC_DEFAULT_*).
DEFAULT_TIMEOUT: float = C.PC_DEFAULT_TIMEOUT_MS / 1000
DEFAULT_MAX_BUF_SIZE: int = C.PC_DEFAULT_BUF_SIZE

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_UTC_MAX = datetime.max.replace(tzinfo=timezone.utc)
_UTC_MIN = datetime.min.replace(tzinfo=timezone.utc)

# How many credentials objects a provider keeps for its cached path (see ProcessProvider.retrieve).
_SEEN_MAX = 64


def datetime_from_ms(ms: int) -> datetime:
    """An aware UTC datetime from Unix milliseconds (clamped to the datetime range)."""
    try:
        return _EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        return _UTC_MAX if ms > 0 else _UTC_MIN


class Credentials:
    """AWS credentials returned by :meth:`ProcessProvider.retrieve`. Immutable.

    ``session_token`` is ``""`` when there is none; ``account_id`` is ``None`` when the helper
    gave none; ``expiration`` is the helper's ``Expiration`` (or the ``duration``-derived time)
    as an aware UTC datetime, or ``None`` when the credentials never expire. ``repr()`` and
    ``str()`` never show the secret access key or the session token.
    """

    __slots__ = (
        "access_key_id",
        "secret_access_key",
        "session_token",
        "account_id",
        "provider_name",
        "expiration",
    )

    access_key_id: str
    secret_access_key: str
    session_token: str
    account_id: Optional[str]
    provider_name: str
    expiration: Optional[datetime]

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: str = "",
        account_id: Optional[str] = None,
        provider_name: str = "ProcessProvider",
        expiration: Optional[datetime] = None,
    ) -> None:
        if expiration is not None:
            if expiration.tzinfo is None or expiration.utcoffset() is None:
                raise invalid_argument("expiration must be an aware datetime")
            expiration = expiration.astimezone(timezone.utc)
        setattr_ = object.__setattr__
        setattr_(self, "access_key_id", access_key_id)
        setattr_(self, "secret_access_key", secret_access_key)
        setattr_(self, "session_token", session_token)
        setattr_(self, "account_id", account_id)
        setattr_(self, "provider_name", provider_name)
        setattr_(self, "expiration", expiration)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Credentials are immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Credentials are immutable: cannot delete {name!r}")

    def _fields(self) -> Tuple[str, str, str, Optional[str], str, Optional[datetime]]:
        return (
            self.access_key_id,
            self.secret_access_key,
            self.session_token,
            self.account_id,
            self.provider_name,
            self.expiration,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        return self._fields() == other._fields()

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash(self._fields())

    def __reduce__(self) -> Tuple[Type[Credentials], Tuple[Any, ...]]:
        return (type(self), self._fields())

    def __copy__(self) -> Credentials:
        return self

    def __deepcopy__(self, memo: Dict[int, Any]) -> Credentials:
        return self

    def __repr__(self) -> str:
        token = "<hidden>" if self.session_token else "''"
        return (
            f"Credentials(access_key_id={self.access_key_id!r}, secret_access_key=<hidden>, "
            f"session_token={token}, account_id={self.account_id!r}, "
            f"provider_name={self.provider_name!r}, expiration={self.expiration!r})"
        )

    __str__ = __repr__


def _credentials_from(h: CredentialsPtr) -> Credentials:
    """Copies the fields of a ``pc_credentials`` into a ``Credentials``."""
    account: Optional[bytes] = _lib.pc_credentials_account_id(h)
    ms = c_int64()
    expiration = datetime_from_ms(ms.value) if _lib.pc_credentials_expiration(h, ms) else None
    return Credentials(
        (_lib.pc_credentials_access_key_id(h) or b"").decode(),
        (_lib.pc_credentials_secret_access_key(h) or b"").decode(),
        (_lib.pc_credentials_session_token(h) or b"").decode(),
        account.decode() if account is not None else None,
        (_lib.pc_credentials_provider_name(h) or b"").decode(),
        expiration,
    )


def _error_from(status: int, err: ErrorPtr, what: str) -> ProcessCredentialsError:
    """The exception for a failed call; frees the error object."""
    if err.value:
        try:
            code: Optional[bytes] = _lib.pc_error_code(err)
            message: Optional[bytes] = _lib.pc_error_message(err)
        finally:
            _lib.pc_error_free(err)
        return make_error(
            status,
            (code or b"").decode("utf-8", "replace"),
            (message or b"").decode("utf-8", "replace"),
        )
    return _bare_error(status, what)


def _bare_error(status: int, what: str) -> ProcessCredentialsError:
    """The exception for a failed call that gives no error object."""
    if status == C.PC_STATUS_INVALID_ARGUMENT:
        return invalid_argument(f"{what} refused its arguments")
    code = CODE_INTERNAL
    return make_error(status, code, f"{code}: {what} failed with {_lib.status_name(status)}")


def _closed() -> ProcessCredentialsError:
    return invalid_argument("the provider is closed")


# ---- argument checks (all done before anything reaches C) ----


def _encode(what: str, value: object) -> bytes:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if "\0" in value:
        raise invalid_argument(f"{what} contains a NUL character")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise invalid_argument(f"{what} is not valid UTF-8 (at character {e.start})") from None


def _millis(what: str, value: object) -> int:
    """Seconds (a number or a timedelta) to whole milliseconds, rounded up."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise TypeError(
            f"{what} must be a number of seconds or a timedelta, not {type(value).__name__}"
        )
    if math.isnan(seconds) or math.isinf(seconds) or seconds < 0:
        raise invalid_argument(f"{what} must be a finite number of seconds >= 0, not {value!r}")
    # Rounded up, so that a small positive time does not become 0; the tolerance keeps float
    # noise (0.007 * 1000 == 7.000000000000001) from adding a millisecond.
    ms = math.ceil(seconds * 1000 - 1e-6) if seconds > 0 else 0
    if ms > _lib.UINT64_MAX:
        raise invalid_argument(f"{what} is too large: {value!r}")
    return ms


def _size(what: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < 0 or value > _lib.SIZE_MAX:
        raise invalid_argument(f"{what} must be between 0 and {_lib.SIZE_MAX}, not {value!r}")
    return value


def _mode(what: str, value: object, modes: Dict[str, int]) -> int:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    try:
        return modes[value]
    except KeyError:
        allowed = ", ".join(repr(m) for m in modes)
        raise invalid_argument(f"{what} must be one of {allowed}, not {value!r}") from None


def _shared_cache_key(value: object) -> Optional[bytes]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"shared_cache_key must be a str or None, not {type(value).__name__}")
    return _encode("shared_cache_key", value)


def _shared_cache_env(value: object) -> List[bytes]:
    if isinstance(value, (str, bytes, os.PathLike)) or not isinstance(value, Iterable):
        raise TypeError(
            "shared_cache_env must be a sequence of variable names, "
            f"not {type(value).__name__}"
        )
    names = []
    for i, n in enumerate(value):
        if not isinstance(n, str):
            raise TypeError(f"shared_cache_env[{i}] must be a str, not {type(n).__name__}")
        if not n or "=" in n:
            raise invalid_argument(f"shared_cache_env[{i}] is not a variable name: {n!r}")
        names.append(_encode(f"shared_cache_env[{i}]", n))
    return names


def _apply_shared_key(handle: ProviderPtr, key: Optional[bytes], env: List[bytes]) -> None:
    """Hands the shared cache's key text and variable names to the library."""
    status = int(_lib.pc_set_shared_cache_key(handle, key))
    if status:
        raise _bare_error(status, "pc_set_shared_cache_key")
    array = (c_char_p * len(env))(*env)
    status = int(_lib.pc_set_shared_cache_env(handle, array if env else None, len(env)))
    if status:
        raise _bare_error(status, "pc_set_shared_cache_env")


def _shared_cache_mode(value: object) -> int:
    if not isinstance(value, bool):
        raise TypeError(f"shared_cache must be True or False, not {type(value).__name__}")
    return C.PC_SHARED_CACHE_USER if value else C.PC_SHARED_CACHE_OFF


class _Options:
    __slots__ = (
        "timeout_ms",
        "max_buf_size",
        "expiry_window_ms",
        "duration_ms",
        "stderr",
        "stdin",
        "shared_cache",
        "refresh_window_ms",
        "shared_cache_key",
        "shared_cache_env",
    )

    def __init__(
        self,
        timeout: Seconds,
        max_buf_size: int,
        expiry_window: Seconds,
        duration: Optional[Seconds],
        stderr: str,
        stdin: str,
        shared_cache: bool = False,
        refresh_window: Seconds = 0.0,
        shared_cache_key: Optional[str] = None,
        shared_cache_env: Sequence[str] = (),
    ) -> None:
        self.timeout_ms = _millis("timeout", timeout)
        self.max_buf_size = _size("max_buf_size", max_buf_size)
        self.expiry_window_ms = _millis("expiry_window", expiry_window)
        self.duration_ms = 0 if duration is None else _millis("duration", duration)
        self.stderr = _mode("stderr", stderr, _STDERR_MODES)
        self.stdin = _mode("stdin", stdin, _STDIN_MODES)
        self.shared_cache = _shared_cache_mode(shared_cache)
        self.refresh_window_ms = _millis("refresh_window", refresh_window)
        self.shared_cache_key = _shared_cache_key(shared_cache_key)
        self.shared_cache_env = _shared_cache_env(shared_cache_env)


def _apply(
    handle: ProviderPtr, settings: Iterable[Tuple[Callable[[ProviderPtr, int], Any], int]]
) -> None:
    """Calls each ``pc_set_*`` setter with its value; the first refusal is raised."""
    for setter, value in settings:
        status = int(setter(handle, value))
        if status:
            raise _bare_error(status, setter.__name__)


class _ProviderHandle(ProviderPtr):
    """Owns a ``pc_provider``: freed when the last Python reference goes.

    ``close()`` drops the provider's reference; a call running in another thread holds its own
    reference until it returns, so the handle is never freed under a running call.
    """

    __slots__ = ()

    def __del__(self) -> None:
        try:
            if self.value:
                _lib.pc_free(self)
                self.value = None
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


P = TypeVar("P", bound="ProcessProvider")


class ProcessProvider:
    """Credentials from a ``credential_process`` helper, with aws-sdk-go v1's semantics.

    ``ProcessProvider(command)`` runs ``sh -c command``; :meth:`from_argv` runs a program
    directly with no shell; :meth:`from_profile` reads the shared config files as aws-sdk-go v1
    does. Times are in seconds (a number or a ``timedelta``), kept to the millisecond (rounded
    up). ``duration`` is the lifetime of credentials whose output has no ``Expiration``
    (``None`` or 0: they never expire). ``stderr``: ``"inherit"``, ``"capture"`` (its end is
    appended to the error of a failed run) or ``"discard"``; ``stdin``: ``"inherit"`` or
    ``"null"``. ``shared_cache=True`` shares the credentials with the same user's other
    processes through a private cache directory (one helper run per key across processes; see
    the README, "Sharing credentials between processes"). The cache's key holds what can change
    the helper's output (the program's file, relative paths' directory, the variables a command
    references, ``HOME``, every ``AWS_*`` variable, ``duration`` and ``max_buf_size``);
    ``shared_cache_key`` adds a text of the caller's and ``shared_cache_env`` the values of
    variables the helper reads unseen (``processcreds cache --cache-key``/``--key-env``).

    ``refresh_window`` (default 0: off) refreshes ahead: within that time before the
    credentials expire (less ``expiry_window``), :meth:`retrieve` returns the cached credentials
    at once and the library refreshes them on a thread of its own; a failed refresh keeps them
    and is retried after a back-off (1 s, doubling, at most 1 min). Only once they have expired
    does a retrieve wait for the helper (and raise its error).

    The library's events go to the standard :mod:`logging` logger ``processcreds`` (no handler
    is added; nothing crosses into Python for a level it is not enabled for), and
    :meth:`stats` gives the provider's counters: see the README, "Observability".

    One provider may be shared by threads. Use it as a context manager or call :meth:`close`.
    """

    _handle: Optional[_ProviderHandle]
    _log_level: int
    _seen: Dict[int, Tuple[Credentials, CredentialsPtr]]
    _expiry_window_ms: int
    _refresh_window_ms: int

    def __init__(
        self,
        command: str,
        *,
        timeout: Seconds = DEFAULT_TIMEOUT,
        max_buf_size: int = DEFAULT_MAX_BUF_SIZE,
        expiry_window: Seconds = 0.0,
        duration: Optional[Seconds] = None,
        stderr: StderrMode = "inherit",
        stdin: StdinMode = "inherit",
        shared_cache: bool = False,
        refresh_window: Seconds = 0.0,
        shared_cache_key: Optional[str] = None,
        shared_cache_env: Sequence[str] = (),
    ) -> None:
        self._empty()
        if isinstance(command, os.PathLike):
            raise TypeError("command must be a str; use ProcessProvider.from_argv for a path")
        cmd = _encode("command", command)
        opts = _Options(
            timeout,
            max_buf_size,
            expiry_window,
            duration,
            stderr,
            stdin,
            shared_cache,
            refresh_window,
            shared_cache_key,
            shared_cache_env,
        )
        self._create(lambda out: int(_lib.pc_provider_new(cmd, out)), "pc_provider_new", opts)

    @classmethod
    def from_argv(
        cls: Type[P],
        argv: Sequence[StrPath],
        *,
        timeout: Seconds = DEFAULT_TIMEOUT,
        max_buf_size: int = DEFAULT_MAX_BUF_SIZE,
        expiry_window: Seconds = 0.0,
        duration: Optional[Seconds] = None,
        stderr: StderrMode = "inherit",
        stdin: StdinMode = "inherit",
        shared_cache: bool = False,
        refresh_window: Seconds = 0.0,
        shared_cache_key: Optional[str] = None,
        shared_cache_env: Sequence[str] = (),
    ) -> P:
        """A provider that runs ``argv[0]`` with the other elements as its arguments, with no
        shell (``argv[0]`` is looked up on ``PATH`` when it has no ``/``)."""
        self = cls.__new__(cls)
        self._empty()
        if isinstance(argv, (str, bytes, os.PathLike)):
            raise TypeError("argv must be a sequence of strings, not a single string")
        args = [_encode(f"argv[{i}]", a) for i, a in enumerate(argv)]
        if not args:
            raise invalid_argument("argv must not be empty")
        opts = _Options(
            timeout,
            max_buf_size,
            expiry_window,
            duration,
            stderr,
            stdin,
            shared_cache,
            refresh_window,
            shared_cache_key,
            shared_cache_env,
        )
        array = (c_char_p * len(args))(*args)
        self._create(
            lambda out: int(_lib.pc_provider_new_argv(array, len(args), out)),
            "pc_provider_new_argv",
            opts,
        )
        return self

    @classmethod
    def from_profile(
        cls: Type[P],
        profile: Optional[str] = None,
        *,
        shared_config: Optional[bool] = None,
        shared_cache: bool = False,
        refresh_window: Seconds = 0.0,
        shared_cache_key: Optional[str] = None,
        shared_cache_env: Sequence[str] = (),
    ) -> P:
        """A provider for a profile of the shared config files, as aws-sdk-go v1 resolves it.

        ``profile`` ``None``: ``AWS_PROFILE``, then ``AWS_DEFAULT_PROFILE`` (when shared config
        is on), then ``default``. ``shared_config`` ``None``: the config file is read when
        ``AWS_SDK_LOAD_CONFIG`` is true; ``True``/``False`` force it on/off. Static keys in the
        profile give credentials that never expire. Raises :class:`ConfigError` when the profile
        gives no credentials. ``shared_cache``: as for the constructor (a profile's
        ``credential_process`` shares entries with a provider running the same command).
        ``refresh_window``, ``shared_cache_key``, ``shared_cache_env``: as for the constructor.
        """
        self = cls.__new__(cls)
        self._empty()
        name = None if profile is None else _encode("profile", profile)
        cache_mode = _shared_cache_mode(shared_cache)
        refresh_window_ms = _millis("refresh_window", refresh_window)
        key = _shared_cache_key(shared_cache_key)
        env = _shared_cache_env(shared_cache_env)
        if shared_config is None:
            mode = C.PC_SHARED_CONFIG_ENV
        elif shared_config is True:
            mode = C.PC_SHARED_CONFIG_ENABLE
        elif shared_config is False:
            mode = C.PC_SHARED_CONFIG_DISABLE
        else:
            raise TypeError(
                f"shared_config must be None, True or False, not {type(shared_config).__name__}"
            )
        handle = _ProviderHandle()
        err = ErrorPtr()
        status = int(_lib.pc_provider_from_profile(name, mode, handle, err))
        if status:
            raise _error_from(status, err, "pc_provider_from_profile")
        _apply(
            handle,
            (
                (_lib.pc_set_shared_cache, cache_mode),
                (_lib.pc_set_refresh_window, refresh_window_ms),
            ),
        )
        _apply_shared_key(handle, key, env)
        self._handle = handle
        self._refresh_window_ms = refresh_window_ms
        _logging.attach(self)
        return self

    # ---- construction helpers ----

    def _empty(self) -> None:
        self._handle = None
        self._log_level = 0
        self._seen = {}
        self._expiry_window_ms = 0
        self._refresh_window_ms = 0

    def _create(
        self, new: Callable[[_ProviderHandle], int], what: str, opts: _Options
    ) -> None:
        handle = _ProviderHandle()
        status = new(handle)
        if status:
            raise _bare_error(status, what)
        _apply(
            handle,
            (
                (_lib.pc_set_timeout, opts.timeout_ms),
                (_lib.pc_set_max_buf_size, opts.max_buf_size),
                (_lib.pc_set_expiry_window, opts.expiry_window_ms),
                (_lib.pc_set_duration, opts.duration_ms),
                (_lib.pc_set_stderr, opts.stderr),
                (_lib.pc_set_stdin, opts.stdin),
                (_lib.pc_set_shared_cache, opts.shared_cache),
                (_lib.pc_set_refresh_window, opts.refresh_window_ms),
            ),
        )
        _apply_shared_key(handle, opts.shared_cache_key, opts.shared_cache_env)
        self._handle = handle
        self._expiry_window_ms = opts.expiry_window_ms
        self._refresh_window_ms = opts.refresh_window_ms
        _logging.attach(self)

    def _set_log_level(self, level: int) -> None:
        """Points the provider's C logger at the logger ``processcreds`` for ``level``
        (PC_LOG_*; 0: off), unless it is there already."""
        h = self._handle
        if h is None or level == self._log_level:
            return
        self._log_level = level
        status = int(_lib.pc_set_logger(h, _logging.CALLBACK, None, level))
        if status:
            raise _bare_error(status, "pc_set_logger")

    # ---- the provider ----

    def retrieve(self) -> Credentials:
        """The cached credentials while they are valid (nothing runs), else those of one run of
        the helper, shared by every thread that asks meanwhile. Errors are not cached. The GIL
        is released while the helper runs. Within ``refresh_window`` of the expiry, the cached
        credentials, while the library refreshes them in the background."""
        if _SENTINEL not in _LEVELS_SEEN:  # a logging level changed
            _logging.resync()
        h = self._handle
        if h is None:
            raise _closed()
        out = CredentialsPtr()
        err = ErrorPtr()
        status = _lib.pc_retrieve(h, out, err)
        if status:
            raise _error_from(status, err, "pc_retrieve")
        return self._take(out)

    async def retrieve_async(self) -> Credentials:
        """:meth:`retrieve` for asyncio, never blocking the loop: cached credentials are
        returned on the loop's thread at once (nothing runs); otherwise the library runs the
        helper on its own thread (one run shared with every other caller, blocking or not) and
        the task resumes through ``loop.call_soon_threadsafe``. Cancelling the task cancels the
        request: when no other caller waits for the run, the helper's process tree is killed.
        Errors are those of :meth:`retrieve`; :class:`CanceledError` if the provider is freed
        meanwhile. The provider is kept alive while the call waits."""
        cached = self.retrieve_cached()
        if cached is not None:
            return cached
        return await _async.retrieve(self)

    def retrieve_cached(self) -> Optional[Credentials]:
        """The cached credentials while they are valid, else ``None``: never runs the helper
        nor waits for a run. Within ``refresh_window`` of the expiry it starts the background
        refresh, as :meth:`retrieve` does."""
        h = self._handle
        if h is None:
            raise _closed()
        out = CredentialsPtr()
        status = _lib.pc_retrieve_cached(h, out)
        if status:
            if status == C.PC_STATUS_NOT_CACHED:
                return None
            raise _bare_error(status, "pc_retrieve_cached")
        return self._take(out)

    def _live_handle(self) -> _ProviderHandle:
        h = self._handle
        if h is None:
            raise _closed()
        return h

    def _take(self, out: CredentialsPtr) -> Credentials:
        """The Credentials of a reference the library handed out (consumed)."""
        # While cached, the library hands the same thread the same pc_credentials until the
        # credentials change. Every pointer in _seen is one we hold a reference to, so it stays
        # allocated: the same address as `out` (which we hold too) is the same object. Then the
        # Credentials made from it before is the answer, and the new reference goes at once.
        key: int = out.value or 0
        hit = self._seen.get(key)
        if hit is not None:
            _lib.pc_credentials_free(out)
            return hit[0]
        return self._remember(key, out)

    def _remember(self, key: int, out: CredentialsPtr) -> Credentials:
        try:
            creds = _credentials_from(out)
        except BaseException:
            _lib.pc_credentials_free(out)
            raise
        entry = (creds, out)
        seen = self._seen
        kept = seen.setdefault(key, entry)
        if kept is not entry:  # another thread got there first
            _lib.pc_credentials_free(out)
            return kept[0]
        # Drop what the library no longer hands out (credentials of an earlier run) and keep
        # the table small. Whoever pops an entry frees its reference.
        for k, (c, _) in list(seen.items()):
            if k != key and (c != creds or len(seen) > _SEEN_MAX):
                old = seen.pop(k, None)
                if old is not None:
                    _lib.pc_credentials_free(old[1])
        if self._handle is None:  # closed meanwhile
            self._forget()
        return creds

    def _forget(self) -> None:
        seen = self._seen
        while True:
            try:
                _, (_, ptr) = seen.popitem()
            except KeyError:
                return
            _lib.pc_credentials_free(ptr)

    def is_expired(self) -> bool:
        """True before the first success, after :meth:`expire`, or when the cached credentials
        have expired (their expiry, less ``expiry_window``, is in the past)."""
        h = self._handle
        if h is None:
            raise _closed()
        return bool(_lib.pc_is_expired(h))

    def expire(self) -> None:
        """Clears the cache, so that the next :meth:`retrieve` runs the helper. With
        ``shared_cache=True``, that retrieve does not accept a shared entry holding the
        credentials expired here (the service just rejected them): it runs the helper and
        replaces the entry, unless another process already replaced it."""
        h = self._handle
        if h is None:
            raise _closed()
        _lib.pc_expire(h)
        self._forget()

    def expires_at(self) -> Optional[datetime]:
        """When the cached credentials expire, less ``expiry_window`` (also once passed), as an
        aware UTC datetime; ``None`` when nothing is cached or they never expire."""
        h = self._handle
        if h is None:
            raise _closed()
        ms = c_int64()
        if _lib.pc_expires_at(h, ms):
            return datetime_from_ms(ms.value)
        return None

    def stats(self) -> Stats:
        """The provider's counters since it was made (helper runs, failures, timeouts, cache
        hits and misses, shared-cache hits, writes and bypasses, refreshes ahead, the last run's
        duration): a :class:`Stats`. Cheap (atomic reads); never slows down a retrieve."""
        h = self._handle
        if h is None:
            raise _closed()
        return _stats.read(h)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._handle is None

    def close(self) -> None:
        """Frees the provider (at once, or when a call running in another thread returns).
        Credentials already returned stay valid. Calling it again does nothing."""
        handle = getattr(self, "_handle", None)
        self._handle = None
        if getattr(self, "_seen", None) is not None:
            self._forget()
        del handle  # the last reference: _ProviderHandle.__del__ frees the provider

    def __enter__(self: P) -> P:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __repr__(self) -> str:
        state = "closed" if self._handle is None else "open"
        return f"<{type(self).__name__} {state} at {id(self):#x}>"


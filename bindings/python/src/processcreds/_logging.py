"""The library's events through Python's standard :mod:`logging`: the logger ``processcreds``.

As a library should, this adds no handler: configure logging as usual (``logging.basicConfig``,
``dictConfig``, ...) and the events appear at the level they are enabled for. Each event is a
record of the logger ``processcreds`` with the message ``"<event>: <fields>"`` (e.g.
``"helper.exit: program=helper status=ok duration_ms=12.345 bytes=180"``) and two extra
attributes: ``record.event`` (the event's name) and ``record.fields`` (a dict of its fields).

Nothing crosses from the C library into Python unless the logger is enabled for the event's
level: each provider's C logger is set to the least important level the logger
``processcreds`` is enabled for (from its effective level and ``logging.disable``), so a cached
``retrieve()`` with ``cache.hit`` (debug) not enabled never takes the GIL on the C side. The level
is read when a provider is made and read again at the next ``retrieve()`` after any logger's
level changes: ``logging`` empties every logger's cache of levels on each ``setLevel`` and
``disable``, and the mark this module keeps in the ``processcreds`` logger's cache going missing
is what a retrieve checks (one dictionary lookup).

Events come on whatever thread emits them (a caller's, or the library's refresh-ahead thread or
the thread that drives asynchronous requests' runs).
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from typing import Any, Dict, Iterable, List, Optional, Protocol, Tuple

from . import _constants as C
from . import _lib

LOGGER = logging.getLogger("processcreds")

# PC_LOG_* and the logging level each is given as, most verbose first.
_LEVELS: Tuple[Tuple[int, int], ...] = (
    (C.PC_LOG_DEBUG, logging.DEBUG),
    (C.PC_LOG_INFO, logging.INFO),
    (C.PC_LOG_WARN, logging.WARNING),
    (C.PC_LOG_ERROR, logging.ERROR),
)
_TO_LOGGING: Dict[int, int] = dict(_LEVELS)

# A key no logging call uses, kept in the logger's cache of levels while nothing has changed.
SENTINEL = -0x70636C67


class _Watch:
    """Where ``logging`` keeps no per-logger cache of levels (not CPython 3.7+): ``SENTINEL in``
    it compares the effective level and ``logging.disable`` with those last seen."""

    seen: Tuple[int, int] = (-1, -1)

    def now(self) -> Tuple[int, int]:
        return (LOGGER.getEffectiveLevel(), LOGGER.manager.disable)

    def __contains__(self, key: object) -> bool:
        return self.now() == self.seen


_CACHE: Any = getattr(LOGGER, "_cache", None)
if not isinstance(_CACHE, dict):
    _CACHE = _Watch()

#: What a retrieve checks: ``SENTINEL not in LEVELS_SEEN`` means a level changed since the
#: providers' C loggers were set.
LEVELS_SEEN: Any = _CACHE


def _enabled(level: int) -> bool:
    """Whether LOGGER is enabled for ``level``, ``disabled`` aside (a disabled logger still gets
    the events it would want, and drops them, so that enabling it again needs no new level)."""
    return level > LOGGER.manager.disable and level >= LOGGER.getEffectiveLevel()


def wanted_level() -> int:
    """The PC_LOG_* level the logger is enabled for now (0: none)."""
    for pc, py in _LEVELS:
        if _enabled(py):
            return pc
    return 0


class _Observed(Protocol):
    def _set_log_level(self, level: int) -> None: ...


_PROVIDERS: "weakref.WeakSet[_Observed]" = weakref.WeakSet()
_LOCK = threading.Lock()
_LEVEL = [0]


def _mark() -> int:
    """Marks the levels as seen and returns the PC_LOG_* level wanted now."""
    with _LOCK:
        if isinstance(_CACHE, _Watch):
            _CACHE.seen = _CACHE.now()
        else:
            _CACHE[SENTINEL] = True
        _LEVEL[0] = wanted_level()
        return _LEVEL[0]


def attach(provider: _Observed) -> None:
    """Sets a new provider's C logger to the level wanted now, and keeps it in step."""
    level = _mark() if SENTINEL not in LEVELS_SEEN else _LEVEL[0]
    _PROVIDERS.add(provider)
    provider._set_log_level(level)


def resync() -> None:
    """A logger's level changed: every live provider's C logger follows (outside any lock of
    this module: the C call waits for the events in progress on other threads)."""
    level = _mark()
    for p in list(_PROVIDERS):
        p._set_log_level(level)


@atexit.register
def _stop() -> None:
    """At exit: no event crosses into a finalising interpreter (a refresh-ahead thread may
    still run)."""
    for p in list(_PROVIDERS):
        p._set_log_level(0)


def parse_fields(message: str) -> Dict[str, str]:
    """The ``key=value`` fields of an event's message (logfmt: quoted values unescaped)."""
    out: Dict[str, str] = {}
    i, n = 0, len(message)
    while i < n:
        while i < n and message[i] == " ":
            i += 1
        eq = message.find("=", i)
        if eq < 0:
            break
        key = message[i:eq]
        i = eq + 1
        if i < n and message[i] == '"':
            i += 1
            chars: List[str] = []
            while i < n and message[i] != '"':
                c = message[i]
                if c == "\\" and i + 1 < n:
                    i += 1
                    c = message[i]
                    if c == "x" and i + 2 < n:
                        chars.append(chr(int(message[i + 1 : i + 3], 16)))
                        i += 3
                        continue
                    c = {"n": "\n", "t": "\t", "r": "\r"}.get(c, c)
                chars.append(c)
                i += 1
            value = "".join(chars)
            i += 1
        else:
            end = message.find(" ", i)
            end = n if end < 0 else end
            value = message[i:end]
            i = end
        out[key] = value
    return out


def _on_event(_user_data: Optional[int], level: int, event: bytes, message: bytes) -> None:
    try:
        py = _TO_LOGGING.get(level, logging.WARNING)
        if not LOGGER.isEnabledFor(py):
            return
        name = event.decode("utf-8", "replace")
        text = message.decode("utf-8", "replace")
        LOGGER.log(
            py, "%s: %s", name, text, extra={"event": name, "fields": parse_fields(text)}
        )
    except Exception:  # never into the C library
        pass


#: The one C callback of every provider (never freed: no provider can outlive it).
CALLBACK = _lib.LOG_CB(_on_event)


def events(records: Iterable[logging.LogRecord]) -> List[Tuple[str, Dict[str, str]]]:
    """The (event, fields) of the records of this logger (a helper for tests and handlers)."""
    return [
        (getattr(r, "event"), getattr(r, "fields"))
        for r in records
        if r.name == LOGGER.name and hasattr(r, "event")
    ]


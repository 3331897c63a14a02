"""``Stats``: a provider's counters (the C library's ``pc_stats``)."""

from __future__ import annotations

import ctypes
from dataclasses import asdict, dataclass
from typing import Dict

from . import _lib


@dataclass(frozen=True)
class Stats:
    """A provider's counters since it was made (:meth:`ProcessProvider.stats`), with the names of
    the C library's ``pc_stats``. Each counter only grows; they are read one by one, so a read
    during activity may see one updated and not yet another (enough for metrics)."""

    #: Runs of the helper started (``helper.start``).
    helper_runs: int
    #: Runs that gave no credentials: a failed exit, bad output, a timeout, a failed spawn.
    helper_failures: int
    #: Runs that passed their timeout (counted in ``helper_failures`` too).
    helper_timeouts: int
    #: Retrieves answered from the cache (``cache.hit``).
    cache_hits: int
    #: Retrieves that found nothing valid cached (``cache.miss``).
    cache_misses: int
    #: Fetches served by an entry of the shared cache (``shared_cache.hit``).
    shared_cache_hits: int
    #: Entries written to the shared cache (``shared_cache.write``).
    shared_cache_writes: int
    #: Times the shared cache was bypassed or not written (``shared_cache.bypass``).
    shared_cache_bypasses: int
    #: Refreshes ahead started (``refresh.start``).
    refreshes_started: int
    #: Refreshes ahead that replaced the credentials (``refresh.ok``).
    refreshes_succeeded: int
    #: Refreshes ahead that failed (``refresh.fail``).
    refreshes_failed: int
    #: How long the last run of the helper took, in microseconds (0 before the first).
    last_run_duration_us: int

    def as_dict(self) -> Dict[str, int]:
        """The counters by name."""
        return asdict(self)


def read(handle: _lib.ProviderPtr) -> Stats:
    """The counters of a provider (``pc_provider_stats``)."""
    raw = _lib.PcStats()
    raw.size = ctypes.sizeof(_lib.PcStats)
    status = int(_lib.pc_provider_stats(handle, ctypes.byref(raw)))
    if status:
        from ._provider import _bare_error

        raise _bare_error(status, "pc_provider_stats")
    return Stats(**{name: int(getattr(raw, name)) for name in _lib.STATS_FIELDS})

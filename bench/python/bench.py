#!/usr/bin/env python3
"""Python figures, side by side in one run: processcreds against botocore on the same helper.

- cached: ``ProcessProvider.retrieve()`` on valid cached credentials, against
  ``RefreshableCredentials.get_frozen_credentials()`` on credentials loaded by botocore's own
  ``ProcessProvider`` (Expiration an hour ahead). Target: ratio <= 0.2.
- async cached: ``await ProcessProvider.retrieve_async()`` on valid cached credentials (answered on
  the loop's thread through ``pc_retrieve_cached``), against its blocking twin ``retrieve()``,
  both called from a coroutine on a running asyncio loop.
- cached, logging: the same cached ``retrieve()`` with the logger ``processcreds`` enabled at
  WARNING (the library's logger set at warn; the cached path's events are at debug, below it),
  against the logger disabled (no logger set in the library). Target: ratio <= 1.10.
- fresh: ``expire()`` then ``retrieve()`` (the helper runs each time), against botocore's
  ``ProcessProvider.load()``. botocore runs the command split into words with no shell, so the
  first fresh row uses ``ProcessProvider.from_argv`` on the same words; the second row runs the
  command string through ``sh -c``, as a ``credential_process`` line in a config is run.

Measurements are interleaved round by round (the order flips every round) and each figure is the
median over the rounds. Run with ``make bench-python``; ``--check`` exits 1 when the cached ratio
misses its target.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable, Dict, List, Sequence, Tuple, cast

import botocore
import botocore.credentials

import processcreds
from processcreds import ProcessProvider

CACHED_TARGET = 0.2
LOGGING_TARGET = 1.10


def write_helper_output(directory: str) -> str:
    expiration = datetime.now(timezone.utc) + timedelta(hours=1)
    path = os.path.join(directory, "credentials.json")
    with open(path, "w") as f:
        json.dump(
            {
                "Version": 1,
                "AccessKeyId": "AKIDBENCH",
                "SecretAccessKey": "bench-secret",
                "SessionToken": "bench-token",
                "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            f,
        )
    return path


def per_call(fn: Callable[[], object], n: int) -> float:
    """Seconds per call of fn, over n calls."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def per_await(fn: Callable[[], Awaitable[object]], n: int) -> float:
    """Seconds per ``await fn()`` on a running loop, over n calls."""

    async def calls() -> float:
        start = time.perf_counter()
        for _ in range(n):
            await fn()
        return (time.perf_counter() - start) / n

    return asyncio.run(calls())


def per_call_in_loop(fn: Callable[[], object], n: int) -> float:
    """Seconds per call of fn from a coroutine on a running loop, over n calls."""

    async def calls() -> float:
        return per_call(fn, n)

    return asyncio.run(calls())


def nothing() -> None:
    pass


def interleaved(
    a: Callable[[], object],
    b: Callable[[], object],
    n: int,
    rounds: int,
    time_a: Callable[[Callable[[], object], int], float] = per_call,
    time_b: Callable[[Callable[[], object], int], float] = per_call,
    before_a: Callable[[], None] = nothing,
    before_b: Callable[[], None] = nothing,
) -> Tuple[float, float, float]:
    """Median seconds per call of a and b (timed by time_a and time_b), and the median of the
    per-round ratios a/b (``before_a``/``before_b`` run before each round of their side,
    untimed)."""
    ta: List[float] = []
    tb: List[float] = []

    def side_a() -> None:
        before_a()
        ta.append(time_a(a, n))

    def side_b() -> None:
        before_b()
        tb.append(time_b(b, n))

    for r in range(rounds):
        gc.collect()
        if r % 2:
            side_b()
            side_a()
        else:
            side_a()
            side_b()
    ratios = [x / y for x, y in zip(ta, tb)]
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


def fmt(seconds: float) -> str:
    if seconds < 1e-5:
        return f"{seconds * 1e9:,.0f} ns"
    return f"{seconds * 1e6:,.0f} µs"


def table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(cells).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=21, help="rounds per measurement")
    parser.add_argument("--cached-calls", type=int, default=20000, help="calls per cached round")
    parser.add_argument("--fresh-calls", type=int, default=10, help="runs per fresh round")
    parser.add_argument("--check", action="store_true", help="exit 1 if the cached ratio misses")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        output = write_helper_output(tmp)
        words = ["cat", output]
        command = " ".join(words)
        config: Dict[str, object] = {"profiles": {"bench": {"credential_process": command}}}
        boto = botocore.credentials.ProcessProvider(
            profile_name="bench", load_config=lambda: config
        )
        boto_creds = boto.load()
        assert isinstance(boto_creds, botocore.credentials.RefreshableCredentials)

        with ProcessProvider.from_argv(words) as ours, ProcessProvider(command) as ours_sh:
            assert ours.retrieve().access_key_id == "AKIDBENCH"
            assert ours_sh.retrieve().access_key_id == "AKIDBENCH"
            assert boto_creds.get_frozen_credentials().access_key == "AKIDBENCH"

            cached = interleaved(
                ours.retrieve, boto_creds.get_frozen_credentials, args.cached_calls, args.rounds
            )

            async_cached = interleaved(
                ours.retrieve_async,
                ours.retrieve,
                args.cached_calls,
                args.rounds,
                time_a=lambda f, n: per_await(cast(Callable[[], Awaitable[object]], f), n),
                time_b=per_call_in_loop,
            )

            # The logger's level is followed at the next retrieve (once per round, untimed).
            logger = logging.getLogger("processcreds")
            saved = logger.level

            def at(level: int) -> Callable[[], None]:
                def set_level() -> None:
                    logger.setLevel(level)
                    ours.retrieve()

                return set_level

            logged = interleaved(
                ours.retrieve,
                ours.retrieve,
                args.cached_calls,
                args.rounds,
                before_a=at(logging.WARNING),
                before_b=at(logging.CRITICAL + 10),
            )
            logger.setLevel(saved)

            def fresh() -> object:
                ours.expire()
                return ours.retrieve()

            def fresh_sh() -> object:
                ours_sh.expire()
                return ours_sh.retrieve()

            fresh_argv = interleaved(fresh, boto.load, args.fresh_calls, args.rounds)
            fresh_shell = interleaved(fresh_sh, boto.load, args.fresh_calls, args.rounds)

    ok = cached[2] <= CACHED_TARGET
    log_ok = logged[2] <= LOGGING_TARGET
    rows = [
        ["measurement", "processcreds", "baseline", "ratio", "target"],
        ["cached retrieve() vs get_frozen_credentials()", fmt(cached[0]), fmt(cached[1]),
         f"{cached[2]:.3f}", f"<= {CACHED_TARGET} {'ok' if ok else 'MISSED'}"],
        ["cached await retrieve_async() vs retrieve()", fmt(async_cached[0]),
         fmt(async_cached[1]), f"{async_cached[2]:.3f}", "-"],
        ["cached retrieve(), logger at WARNING vs disabled", fmt(logged[0]), fmt(logged[1]),
         f"{logged[2]:.3f}", f"<= {LOGGING_TARGET} {'ok' if log_ok else 'MISSED'}"],
        ["fresh retrieve(), argv vs ProcessProvider.load()", fmt(fresh_argv[0]),
         fmt(fresh_argv[1]), f"{fresh_argv[2]:.3f}", "-"],
        ["fresh retrieve(), sh -c vs ProcessProvider.load()", fmt(fresh_shell[0]),
         fmt(fresh_shell[1]), f"{fresh_shell[2]:.3f}", "-"],
    ]
    print(
        f"processcreds Python bench: Python {platform.python_version()}, "
        f"botocore {botocore.__version__}, libprocesscreds {processcreds.library_version()}, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"medians of {args.rounds} interleaved rounds ({args.cached_calls} cached calls, "
        f"{args.fresh_calls} helper runs per round); helper: {command}"
    )
    print(table(rows))
    return 1 if args.check and not (ok and log_ok) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Threads: the GIL is released while a helper runs; one provider shared by many threads."""

from __future__ import annotations

import threading
import time
from typing import Any, List

from processcreds import Credentials, ExecutionError, ProcessProvider

from .conftest import HelperFactory, Ledger


def test_gil_released_while_helper_runs(make_helper: HelperFactory) -> None:
    h = make_helper(sleep=1)
    ticks: List[float] = []
    stop = threading.Event()

    def ticker() -> None:
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    t = threading.Thread(target=ticker)
    with ProcessProvider(h.command) as p:
        t.start()
        time.sleep(0.05)
        start = time.monotonic()
        p.retrieve()  # blocks this thread for about a second, in C
        end = time.monotonic()
    stop.set()
    t.join()
    during = [x for x in ticks if start < x < end]
    assert end - start >= 0.9
    # Held GIL: no tick at all. Released: one about every 10 ms.
    assert len(during) >= 30, f"{len(during)} ticks in {end - start:.2f}s"


def test_gil_released_pure_python_progress(make_helper: HelperFactory) -> None:
    """Another thread keeps computing (not only sleeping) while a retrieve runs."""
    h = make_helper(sleep=0.8)
    done = threading.Event()
    count = [0]

    def retrieve() -> None:
        with ProcessProvider(h.command) as p:
            p.retrieve()
        done.set()

    t = threading.Thread(target=retrieve)
    t.start()
    time.sleep(0.1)
    progressed_before_done = 0
    while not done.is_set():
        count[0] += 1
        if count[0] % 1000 == 0 and not done.is_set():
            progressed_before_done = count[0]
    t.join()
    assert progressed_before_done >= 100_000


def test_threads_share_a_cached_provider(make_helper: HelperFactory, monkeypatch: Any) -> None:
    ledger = Ledger(monkeypatch)
    h = make_helper(lifetime=3600)
    with ProcessProvider(h.command) as p:
        first = p.retrieve()
        results: List[Any] = []
        lock = threading.Lock()
        barrier = threading.Barrier(24)

        def work() -> None:
            barrier.wait()
            seen = [p.retrieve() for _ in range(500)]
            with lock:
                results.extend(seen)

        threads = [threading.Thread(target=work) for _ in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 24 * 500
        assert all(isinstance(c, Credentials) and c == first for c in results)
        assert h.runs == 1
        # Every thread gets the same credentials; the binding keeps a bounded number of
        # references to them (one per pointer the library hands out), not one per call.
        assert ledger.creds_out == 24 * 500 + 1
        assert 1 <= ledger.creds_outstanding() <= 64
    assert ledger.creds_outstanding() == 0


def test_single_flight(make_helper: HelperFactory) -> None:
    h = make_helper(sleep=0.5, lifetime=3600)
    with ProcessProvider(h.command) as p:
        barrier = threading.Barrier(16)
        results: List[Any] = []

        def work() -> None:
            barrier.wait()
            results.append(p.retrieve())

        threads = [threading.Thread(target=work) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert h.runs == 1
        assert len(results) == 16 and all(c == results[0] for c in results)


def test_single_flight_error_shared_not_cached(make_helper: HelperFactory) -> None:
    h = make_helper(sleep=0.5, exit_code=4)
    with ProcessProvider(h.command) as p:
        barrier = threading.Barrier(8)
        errors: List[Any] = []

        def work() -> None:
            barrier.wait()
            try:
                p.retrieve()
            except ExecutionError as e:
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(errors) == 8 and all(e.message.endswith("exit status 4") for e in errors)
        assert h.runs == 1
        try:
            p.retrieve()
        except ExecutionError:
            pass
        assert h.runs == 2


def test_threads_across_a_refresh(make_helper: HelperFactory, monkeypatch: Any) -> None:
    """Threads keep retrieving while the provider is expired and refreshed under them."""
    ledger = Ledger(monkeypatch)
    h = make_helper(lifetime=3600)
    with ProcessProvider(h.command) as p:
        stop = threading.Event()
        failures: List[str] = []

        def work() -> None:
            while not stop.is_set():
                c = p.retrieve()
                if c.access_key_id != "AKIDHELPER":
                    failures.append(c.access_key_id)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for _ in range(20):
            p.expire()
            time.sleep(0.02)
        stop.set()
        for t in threads:
            t.join()
        assert failures == []
        assert 2 <= h.runs <= 21
        # The binding keeps at most one reference per credentials object it remembers.
        assert ledger.creds_outstanding() <= 64
    assert ledger.creds_outstanding() == 0


def test_every_reference_is_given_back(make_helper: HelperFactory, monkeypatch: Any) -> None:
    ledger = Ledger(monkeypatch)
    ok = make_helper(lifetime=3600)
    bad = make_helper(exit_code=1)
    with ProcessProvider(ok.command) as p, ProcessProvider(bad.command) as q:
        stop = threading.Event()

        def work() -> None:
            while not stop.is_set():
                p.retrieve()
                try:
                    q.retrieve()
                except ExecutionError:
                    pass

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for _ in range(10):
            p.expire()
            time.sleep(0.03)
        stop.set()
        for t in threads:
            t.join()
        assert ledger.creds_out > 0 and ledger.errors_out > 0
        # While open, the provider keeps at most a few references (those it remembers).
        assert 0 < ledger.creds_outstanding() <= 64
    assert ledger.creds_out == ledger.creds_freed
    assert ledger.errors_out == ledger.errors_freed

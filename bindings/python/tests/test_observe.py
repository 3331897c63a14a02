"""Observability from Python: the library's events as records of the standard logger
``processcreds`` (real helpers, a real cache directory, a refresh ahead), only for the levels it
is enabled for (nothing crosses into Python otherwise), following level changes, never holding
a secret; ``stats()`` after known sequences; the README's Prometheus snippet."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import re
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import processcreds
from processcreds import ProcessProvider, Stats, _lib, _logging

from .conftest import REPO, HelperFactory, check_not_shown

SECRET = "pcOBSpySecretQ8w7E6r5T4y3U2i1O0pAzSx"
TOKEN = "pcOBSpyTokenZ1x2C3v4B5n6M7k8J9hG0fDs"
LOGGER = logging.getLogger("processcreds")


class Records(logging.Handler):
    """Keeps the records of the logger ``processcreds``."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []
        self.lock_ = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self.lock_:
            self.records.append(record)

    def events(self) -> List[Tuple[str, Dict[str, str]]]:
        with self.lock_:
            return _logging.events(list(self.records))

    def names(self) -> List[str]:
        return [e for e, _ in self.events()]

    def first(self, name: str) -> logging.LogRecord:
        with self.lock_:
            for r in self.records:
                if getattr(r, "event", None) == name:
                    return r
        raise AssertionError(f"no {name} in {self.names()}")

    def wait_for(self, name: str) -> logging.LogRecord:
        deadline = time.monotonic() + 20
        while name not in self.names() and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.first(name)

    def clear(self) -> None:
        with self.lock_:
            self.records.clear()

    def check_no_secret(self) -> None:
        with self.lock_:
            for r in self.records:
                text = r.getMessage() + repr(getattr(r, "fields", {}))
                for secret in (SECRET, TOKEN):
                    parts = [secret[i : i + 8] for i in range(len(secret) - 7)]
                    check_not_shown(f"the record of {getattr(r, 'event', '?')}", text, *parts)


@pytest.fixture
def records() -> Iterator[Records]:
    h = Records()
    LOGGER.addHandler(h)
    old = LOGGER.level
    LOGGER.setLevel(logging.DEBUG)
    try:
        yield h
    finally:
        LOGGER.removeHandler(h)
        LOGGER.setLevel(old)


def helper(make_helper: HelperFactory, **kw: Any) -> Any:
    kw.setdefault("secret", SECRET)
    kw.setdefault("token", TOKEN)
    return make_helper(**kw)


def provider(h: Any, **kw: Any) -> ProcessProvider:
    """The helper run with the secret as an argument (never shown)."""
    kw.setdefault("stderr", "capture")
    kw.setdefault("stdin", "null")
    return ProcessProvider(f"'{h.command}' --token {SECRET}", **kw)


def test_events_are_records_of_the_logger(make_helper: HelperFactory, records: Records) -> None:
    h = helper(make_helper, lifetime=3600)
    with provider(h) as p:
        for _ in range(3):
            p.retrieve()
    assert records.names() == [
        "cache.miss", "helper.start", "helper.exit", "cache.hit", "cache.hit",
    ]
    name = Path(h.command).name
    start = records.first("helper.start")
    assert start.levelno == logging.INFO
    assert start.name == "processcreds"
    assert start.getMessage() == f"helper.start: program={name}"
    exit_ = records.first("helper.exit")
    fields = getattr(exit_, "fields")
    assert fields["program"] == name and fields["status"] == "ok"
    assert float(fields["duration_ms"]) > 0 and int(fields["bytes"]) > 100
    assert list(fields) == ["program", "status", "duration_ms", "bytes"]
    assert records.first("cache.hit").levelno == logging.DEBUG
    records.check_no_secret()


def test_level_filter_and_nothing_crosses_below_it(
    make_helper: HelperFactory, records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every event that crosses into Python asks the logger whether it is enabled first.
    crossings = [0]
    real = LOGGER.isEnabledFor

    def counting(level: int) -> bool:
        crossings[0] += 1
        return real(level)

    monkeypatch.setattr(LOGGER, "isEnabledFor", counting)
    h = helper(make_helper, lifetime=3600)
    LOGGER.setLevel(logging.INFO)
    with provider(h) as p:
        p.retrieve()
        assert records.names() == ["helper.start", "helper.exit"]
        n = crossings[0]
        for _ in range(100):
            p.retrieve()  # cache.hit is at debug: not enabled, not bridged
        assert crossings[0] == n
        assert p._log_level == processcreds._constants.PC_LOG_INFO
        # Above every level: the C logger is off.
        LOGGER.setLevel(logging.CRITICAL)
        p.retrieve()
        assert p._log_level == 0
        p.expire()
        p.retrieve()
        assert crossings[0] == n
        # The level is followed at the next retrieve, whose own events are then delivered.
        LOGGER.setLevel(logging.DEBUG)
        records.clear()
        p.retrieve()
        assert records.names() == ["cache.hit"]
        # logging.disable() too.
        logging.disable(logging.INFO)
        try:
            records.clear()
            p.expire()
            p.retrieve()
            assert records.names() == []
            assert p._log_level == processcreds._constants.PC_LOG_WARN
        finally:
            logging.disable(logging.NOTSET)
        # A provider made while the logger is at WARNING: a success says nothing, a failure is
        # helper.exit at WARNING.
        LOGGER.setLevel(logging.WARNING)
        records.clear()
        bad = helper(make_helper, exit_code=3, stderr=f"no {SECRET}")
        with provider(bad) as q:
            with pytest.raises(processcreds.ExecutionError):
                q.retrieve()
        assert records.names() == ["helper.exit"]
        r = records.first("helper.exit")
        assert r.levelno == logging.WARNING
        fields = getattr(r, "fields")
        assert (fields["status"], fields["exit"]) == ("execution", "3")
    records.check_no_secret()


def test_timeout(make_helper: HelperFactory, records: Records) -> None:
    h = helper(make_helper, sleep=5)
    with provider(h, timeout=0.3) as p:
        with pytest.raises(processcreds.ProcessTimeoutError):
            p.retrieve()
        r = records.first("helper.timeout")
        assert r.levelno == logging.WARNING
        assert getattr(r, "fields")["timeout_ms"] == "300"
        s = p.stats()
        assert (s.helper_runs, s.helper_failures, s.helper_timeouts) == (1, 1, 1)
        assert s.last_run_duration_us >= 300_000
    names = records.names()
    assert names.index("helper.timeout") < names.index("helper.exit")
    assert getattr(records.first("helper.exit"), "fields")["status"] == "timeout"



def test_async_request_and_its_cancellation(make_helper: HelperFactory, records: Records) -> None:
    """An awaited retrieve's run has a blocking run's events; a task cancelled while its helper
    runs emits request.cancel (debug), and the run, killed as no caller waits any more, ends with
    helper.exit status=canceled at INFO, not counted as a failure."""
    h = helper(make_helper, lifetime=3600)
    with provider(h) as p:

        async def fetch() -> str:
            return (await p.retrieve_async()).access_key_id

        assert asyncio.run(fetch()) == "AKIDHELPER"
        assert records.names()[:3] == ["cache.miss", "helper.start", "helper.exit"]
        assert getattr(records.first("helper.exit"), "fields")["status"] == "ok"

    slow = helper(make_helper, sleep=30)
    records.clear()
    with provider(slow) as p:

        async def cancel_while_running() -> None:
            task = asyncio.ensure_future(p.retrieve_async())
            deadline = time.monotonic() + 10
            while slow.runs == 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(cancel_while_running())
        exit_ = records.wait_for("helper.exit")
        assert exit_.levelno == logging.INFO
        assert getattr(exit_, "fields")["status"] == "canceled"
        cancel = records.first("request.cancel")
        assert cancel.levelno == logging.DEBUG
        names = records.names()
        assert names.index("request.cancel") < names.index("helper.exit")
        s = p.stats()
        assert (s.helper_runs, s.helper_failures, s.cache_misses) == (1, 0, 1)
    records.check_no_secret()

def test_shared_cache_write_hit_lock_wait_and_bypass(
    make_helper: HelperFactory,
    records: Records,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("PROCESSCREDS_CACHE_DIR", str(cache))
    h = helper(make_helper, lifetime=3600)
    with provider(h, shared_cache=True) as a, provider(h, shared_cache=True) as b:
        a.retrieve()
        w = records.first("shared_cache.write")
        assert w.levelno == logging.INFO
        entry = Path(getattr(w, "fields")["path"])
        assert entry.parent == cache and entry.name.endswith(".entry") and entry.exists()
        b.retrieve()
        hit = records.first("shared_cache.hit")
        assert hit.levelno == logging.DEBUG and getattr(hit, "fields")["path"] == str(entry)
        assert h.runs == 1
        assert a.stats().shared_cache_writes == 1
        assert (b.stats().shared_cache_hits, b.stats().helper_runs) == (1, 0)
    # Two providers at once, the helper slow: one waits for the other's lock.
    slow = helper(make_helper, lifetime=3600, sleep=0.5)
    with provider(slow, shared_cache=True) as a, provider(slow, shared_cache=True) as b:
        t = threading.Thread(target=a.retrieve)
        t.start()
        time.sleep(0.1)
        b.retrieve()
        t.join()
    assert slow.runs == 1
    wait = records.first("shared_cache.lock_wait")
    assert wait.levelno == logging.DEBUG
    fields = getattr(wait, "fields")
    assert fields["path"].endswith(".lock") and fields["outcome"] in ("locked", "entry")
    # A directory others may write: bypassed, with the reason and the path.
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o777)
    monkeypatch.setenv("PROCESSCREDS_CACHE_DIR", str(open_dir))
    records.clear()
    with provider(h, shared_cache=True) as c:
        c.retrieve()
        assert c.stats().shared_cache_bypasses == 1
    by = records.first("shared_cache.bypass")
    assert by.levelno == logging.WARNING
    fields = getattr(by, "fields")
    assert fields["reason"] == "directory_untrusted"
    assert fields["path"] == str(open_dir)
    assert "mode 0777" in fields["detail"]
    records.check_no_secret()


def test_refresh_ahead_fails_then_succeeds(
    make_helper: HelperFactory, records: Records, tmp_path: Path
) -> None:
    fail = tmp_path / "fail"
    out = tmp_path / "refresh.out"
    exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 60))
    out.write_text(
        '{"Version":1,"AccessKeyId":"AKR","SecretAccessKey":"%s","SessionToken":"%s",'
        '"Expiration":"%s"}' % (SECRET, TOKEN, exp)
    )
    script = tmp_path / "refresher"
    script.write_text(f"#!/bin/sh\n[ -f '{fail}' ] && exit 3\ncat '{out}'\n")
    script.chmod(0o755)
    with ProcessProvider(str(script), refresh_window=100, stderr="capture") as p:
        p.retrieve()
        fail.write_text("")
        p.retrieve()
        start = records.wait_for("refresh.start")
        assert start.levelno == logging.INFO
        assert 50_000 < int(getattr(start, "fields")["expires_in_ms"]) <= 60_000
        r = records.wait_for("refresh.fail")
        assert r.levelno == logging.WARNING
        fields = getattr(r, "fields")
        assert fields["status"] == "execution" and fields["failures"] == "1"
        assert 500 < int(fields["backoff_ms"]) <= 1000
        s = p.stats()
        assert (s.refreshes_started, s.refreshes_failed, s.refreshes_succeeded) == (1, 1, 0)
        fail.unlink()
        deadline = time.monotonic() + 20
        while "refresh.ok" not in records.names() and time.monotonic() < deadline:
            p.retrieve()
            time.sleep(0.02)
        assert records.first("refresh.ok").levelno == logging.INFO
        assert p.stats().refreshes_succeeded == 1
    records.check_no_secret()


def test_stats_after_known_sequences(make_helper: HelperFactory) -> None:
    h = helper(make_helper, lifetime=3600)
    with provider(h) as p:
        assert p.stats() == Stats(**{n: 0 for n in _lib.STATS_FIELDS})
        for _ in range(5):
            p.retrieve()
        p.expire()
        p.retrieve()
        s = p.stats()
        assert (s.helper_runs, s.helper_failures, s.cache_hits, s.cache_misses) == (2, 0, 4, 2)
        assert s.last_run_duration_us > 0
        assert s.as_dict()["cache_hits"] == 4
        with pytest.raises(AttributeError):
            s.cache_hits = 0  # type: ignore[misc]
    with pytest.raises(processcreds.InvalidArgumentError):
        p.stats()


def test_stats_fields_are_the_headers() -> None:
    text = (REPO / "include" / "processcreds.h").read_text()
    body = re.search(r"typedef struct \{(.*?)\} pc_stats;", text, re.S)
    assert body is not None
    code = re.sub(r"/\*.*?\*/", "", body.group(1), flags=re.S)
    fields = re.findall(r"(\w+)\s+(\w+);", code)
    assert fields[0] == ("uint32_t", "size")
    assert [f for _, f in fields[1:]] == list(_lib.STATS_FIELDS)
    assert all(t == "uint64_t" for t, _ in fields[1:])
    assert list(Stats.__dataclass_fields__) == list(_lib.STATS_FIELDS)
    assert ctypes.sizeof(_lib.PcStats) == 8 + 8 * len(_lib.STATS_FIELDS)


def test_parse_fields() -> None:
    assert _logging.parse_fields('program=a status=ok path="/x y/\\"q\\"" d="\\x01"') == {
        "program": "a", "status": "ok", "path": '/x y/"q"', "d": "\x01",
    }


def test_the_readme_prometheus_snippet_runs(make_helper: HelperFactory) -> None:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Observability"):]
    code = re.search(r"```python\n(# Prometheus.*?)```", section, re.S)
    assert code is not None, "the README's Prometheus snippet"
    h = helper(make_helper, lifetime=3600)
    with provider(h) as p:
        p.retrieve()
        p.retrieve()
        scope: Dict[str, Any] = {"provider": p}
        exec(code.group(1), scope)
        text = scope["prometheus_text"](p)
    assert "# TYPE processcreds_helper_runs_total counter" in text
    assert "processcreds_helper_runs_total 1\n" in text
    assert "processcreds_cache_hits_total 1\n" in text
    assert "processcreds_last_run_duration_seconds " in text

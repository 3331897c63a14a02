"""Every case of the conformance vectors (tests/vectors/*.json, format in its README.md), run
through the Python API: one fresh provider per case, every retrieve compared exactly."""

from __future__ import annotations

import base64
import json
import re
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from processcreds import Credentials, ProcessCredentialsError, ProcessProvider
from processcreds._constants import STATUS_NAMES
from processcreds._errors import ERROR_CLASSES

from .conftest import VECTORS, check_secret

DATA = VECTORS / "data"

CASE_KEYS = {
    "name", "from", "divergence", "note", "command", "argv", "stdout", "stdout_b64",
    "options", "retrieves", "expect", "go_v1", "go_v1_windows",
}
HELPER_KEYS = ("command", "argv", "stdout", "stdout_b64")
OK_KEYS = {
    "access_key_id", "secret_access_key", "session_token", "account_id", "provider_name",
    "expiration", "expired", "expiration_tolerance_ms",
}
ERROR_KEYS = {"status", "code", "message", "message_prefix"}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def skip_reason(file: str, case: Any) -> Optional[str]:
    """Why a case does not run on this platform (None: it runs). windows*.json holds the Windows
    cases (cmd.exe); on Windows the other files' command and argv cases are POSIX shell commands
    and scripts, and stdout cases whose bytes hold a NUL cannot be printed by cmd.exe's type."""
    windows_file = file.startswith("windows")
    if sys.platform != "win32":
        return "a Windows case (cmd.exe)" if windows_file else None
    if windows_file or not isinstance(case, dict):
        return None
    if "command" in case or "argv" in case:
        return "a POSIX case (sh command or script)"
    raw = case.get("stdout", "").encode("utf-8")
    if "stdout_b64" in case:
        raw = base64.b64decode(case["stdout_b64"])
    if b"\0" in raw:
        return "output with a NUL byte, which cmd.exe's type cannot print"
    return None


def load_cases() -> List[Any]:
    params: List[Any] = []
    for f in sorted(VECTORS.glob("*.json")):
        try:
            cases = json.loads(f.read_text())
        except ValueError as e:
            params.append(pytest.param(f.name, {"unreadable": str(e)}, id=f"{f.stem}::unreadable"))
            continue
        if not isinstance(cases, list):
            params.append(pytest.param(f.name, {"unreadable": "not an array"}, id=f"{f.stem}::unreadable"))
            continue
        for i, case in enumerate(cases):
            name = case.get("name", f"case{i}") if isinstance(case, dict) else f"case{i}"
            why = skip_reason(f.name, case)
            marks = [pytest.mark.skip(reason=f"not run on {sys.platform}: {why}")] if why else []
            params.append(pytest.param(f.name, case, id=f"{f.stem}::{name}", marks=marks))
    if not params:
        params.append(pytest.param("", None, id="no-vector-files"))
    return params


CASES = load_cases()


def test_case_names_unique() -> None:
    names = [p.values[1].get("name") for p in CASES if isinstance(p.values[1], dict)]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate case names: {sorted(dup)}"


def rfc3339(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def substitute(text: str, now: int) -> str:
    text = text.replace("{data}", str(DATA))

    def now_pm(m: "re.Match[str]") -> str:
        n = int(m.group(2))
        return rfc3339(now + n if m.group(1) == "+" else now - n)

    return re.sub(r"\{now([+-])(\d+)\}", now_pm, text)


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$"
)


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def unix_ms(text: str) -> int:
    """RFC 3339 text to Unix milliseconds (fraction cut to the millisecond, as the library)."""
    m = _RFC3339.match(text)
    assert m, f"the vector's expiration {text!r} is not RFC 3339"
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "").ljust(9, "0")[:9]
    secs = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
    if m.group(8) != "Z":
        off = int(m.group(10)) * 3600 + int(m.group(11)) * 60
        secs -= off if m.group(9) == "+" else -off
    return (secs * 1_000_000_000 + int(frac)) // 1_000_000


def credentials_ms(dt: datetime) -> int:
    return (dt - EPOCH) // timedelta(milliseconds=1)


def provider_for(case: Dict[str, Any], now: int, tmp_path: Path) -> ProcessProvider:
    opts = dict(case.get("options") or {})
    unknown = set(opts) - {"timeout_ms", "max_buf_size", "expiry_window_ms", "duration_ms", "stderr", "stdin"}
    assert not unknown, f"unknown options {sorted(unknown)}: the vector format changed"
    kw: Dict[str, Any] = {}
    if "timeout_ms" in opts:
        kw["timeout"] = timedelta(milliseconds=opts["timeout_ms"])
    if "max_buf_size" in opts:
        kw["max_buf_size"] = opts["max_buf_size"]
    if "expiry_window_ms" in opts:
        kw["expiry_window"] = timedelta(milliseconds=opts["expiry_window_ms"])
    if "duration_ms" in opts:
        kw["duration"] = timedelta(milliseconds=opts["duration_ms"]) if opts["duration_ms"] else None
    if "stderr" in opts:
        kw["stderr"] = opts["stderr"]
    if "stdin" in opts:
        kw["stdin"] = opts["stdin"]

    given = [k for k in HELPER_KEYS if k in case]
    assert len(given) == 1, f"a case needs exactly one of {HELPER_KEYS}, has {given}"
    if "command" in case:
        return ProcessProvider(substitute(case["command"], now), **kw)
    if "argv" in case:
        return ProcessProvider.from_argv([substitute(a, now) for a in case["argv"]], **kw)
    out = tmp_path / "stdout"
    if "stdout" in case:
        out.write_bytes(substitute(case["stdout"], now).encode("utf-8"))
    else:
        out.write_bytes(base64.b64decode(case["stdout_b64"]))
    if sys.platform == "win32":
        return ProcessProvider(f'type "{out}"', **kw)
    return ProcessProvider(f"cat '{out}'", **kw)


def check_ok(
    provider: ProcessProvider, got: Credentials, want: Dict[str, Any], now: int, attempt: str
) -> None:
    unknown = set(want) - OK_KEYS
    assert not unknown, f"unknown keys in expect.ok: {sorted(unknown)}"
    assert got.access_key_id == want["access_key_id"], attempt
    check_secret(f"{attempt}: secret_access_key", got.secret_access_key, want["secret_access_key"])
    check_secret(f"{attempt}: session_token", got.session_token, want["session_token"])
    assert got.account_id == want["account_id"], attempt
    assert got.provider_name == want["provider_name"], attempt
    if want["expiration"] is None:
        assert got.expiration is None, f"{attempt}: expected no expiration, got {got.expiration}"
    else:
        assert got.expiration is not None, f"{attempt}: expected an expiration, got none"
        assert got.expiration.tzinfo is not None and got.expiration.utcoffset() == timedelta(0)
        want_ms = unix_ms(substitute(want["expiration"], now))
        tolerance = want.get("expiration_tolerance_ms", 0)
        got_ms = credentials_ms(got.expiration)
        assert abs(got_ms - want_ms) <= tolerance, (
            f"{attempt}: expiration {got.expiration.isoformat()} ({got_ms} ms), "
            f"want {want['expiration']} ({want_ms} ms, tolerance {tolerance} ms)"
        )
    assert provider.is_expired() is want["expired"], f"{attempt}: is_expired()"


def check_error(err: ProcessCredentialsError, want: Dict[str, Any], attempt: str) -> None:
    unknown = set(want) - ERROR_KEYS
    assert not unknown, f"unknown keys in expect.error: {sorted(unknown)}"
    assert STATUS_NAMES.get(err.status) == want["status"], f"{attempt}: {err!r}"
    assert type(err) is ERROR_CLASSES[err.status], f"{attempt}: class {type(err).__name__}"
    assert err.code == want["code"], f"{attempt}: {err!r}"
    assert str(err) == err.message
    if "message" in want:
        assert err.message == want["message"], attempt
    else:
        assert "message_prefix" in want, "expect.error needs message or message_prefix"
        assert err.message.startswith(want["message_prefix"]), (
            f"{attempt}: {err.message!r} does not start with {want['message_prefix']!r}"
        )


@pytest.mark.parametrize("file,case", CASES)
def test_vector(file: str, case: Optional[Dict[str, Any]], tmp_path: Path) -> None:
    if case is None:
        pytest.fail(f"no conformance vectors found in {VECTORS}/*.json")
    if "unreadable" in case:
        pytest.fail(f"{file}: cannot read the vectors: {case['unreadable']}")
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"unknown keys {sorted(unknown)}: the vector format changed"
    expect = case["expect"]
    assert len(set(expect) & {"ok", "error"}) == 1 and set(expect) <= {"ok", "error"}, expect

    now = int(time.time())
    provider = provider_for(case, now, tmp_path)
    retrieves = int(case.get("retrieves", 1))
    assert retrieves >= 1
    timeout_s = (case.get("options") or {}).get("timeout_ms", 60000) / 1000
    start = time.monotonic()
    with provider:
        for i in range(retrieves):
            attempt = f"retrieve {i + 1} of {retrieves}"
            try:
                got = provider.retrieve()
            except ProcessCredentialsError as e:
                if "ok" in expect:
                    pytest.fail(f"{attempt}: expected credentials, got {e!r}", pytrace=False)
                check_error(e, expect["error"], attempt)
            else:
                if "error" in expect:
                    pytest.fail(
                        f"{attempt}: expected {expect['error'].get('status')}, got credentials "
                        f"for {got.access_key_id!r}",
                        pytrace=False,
                    )
                check_ok(provider, got, expect["ok"], now, attempt)
    elapsed = time.monotonic() - start
    assert elapsed <= retrieves * timeout_s + 2, f"took {elapsed:.2f}s"

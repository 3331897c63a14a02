"""Refresh ahead (``refresh_window=``), with helpers whose runs are counted and held in files:
"no call waits for the helper" is checked as "calls complete while the helper is held"."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

from processcreds import ExecutionError, ProcessProvider

UTC = timezone.utc
GO_ERROR = "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 3"


class Helper:
    """Run N appends ``<unix time>`` to ``runs``; if ``gate.N`` exists it writes ``started.N``
    and waits for ``release.N``; it prints ``out.N``, else exits 3 if ``fail`` exists, else
    prints ``out``."""

    def __init__(self, d: Path) -> None:
        self.dir = d
        self.path = d / "helper.sh"
        self.path.write_text(
            f"""#!/bin/sh
d='{d}'
date +%s.%N >> "$d/runs"
n=$(wc -l < "$d/runs" | tr -d ' ')
if [ -f "$d/gate.$n" ]; then
  : > "$d/started.$n"
  while [ ! -f "$d/release.$n" ] && [ -d "$d" ]; do sleep 0.01; done
fi
if [ -f "$d/out.$n" ]; then cat "$d/out.$n"; exit 0; fi
[ -f "$d/fail" ] && exit 3
cat "$d/out"
"""
        )
        self.path.chmod(0o755)

    def write(self, name: str, text: str) -> None:
        (self.dir / name).write_text(text)

    def runs(self) -> List[float]:
        try:
            return [float(x) for x in (self.dir / "runs").read_text().split()]
        except FileNotFoundError:
            return []


def creds(key_id: str, expiration: datetime) -> str:
    exp = expiration.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'{{"Version":1,"AccessKeyId":"{key_id}","SecretAccessKey":"refresh-secret",'
        f'"SessionToken":"refresh-token","Expiration":"{exp}"}}'
    )


def whole_seconds(t: datetime) -> datetime:
    return t.replace(microsecond=0)


def wait_for(what: str, cond: Callable[[], bool], bound: float = 20.0) -> None:
    deadline = time.monotonic() + bound
    while not cond():
        assert time.monotonic() < deadline, f"waited {bound} s for {what}"
        time.sleep(0.002)


@pytest.fixture
def helper(tmp_path: Path) -> Helper:
    return Helper(tmp_path)


def test_retrieves_inside_the_window_do_not_wait_for_the_helper(helper: Helper) -> None:
    now = datetime.now(UTC)
    helper.write("out.1", creds("AKOLD", now + timedelta(minutes=10)))
    helper.write("out", creds("AKNEW", now + timedelta(hours=2)))
    helper.write("gate.2", "")
    with ProcessProvider(helper.path.as_posix(), refresh_window=3600) as p:
        assert p.retrieve().access_key_id == "AKOLD"
        calls = [0, 0, 0, 0]
        seen: List[List[str]] = [[], [], [], []]
        stop = threading.Event()

        def work(i: int) -> None:
            while not stop.is_set():
                key = p.retrieve().access_key_id
                if not seen[i] or seen[i][-1] != key:
                    seen[i].append(key)
                calls[i] += 1

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        wait_for("the background refresh to start", (helper.dir / "started.2").exists)
        held = list(calls)
        wait_for(
            "100 retrieves per thread while the helper is held",
            lambda: all(c >= h + 100 for c, h in zip(calls, held)),
        )
        assert len(helper.runs()) == 2
        assert not p.is_expired()
        (helper.dir / "release.2").write_text("")
        wait_for("the refresh to land", lambda: p.retrieve().access_key_id == "AKNEW")
        landed = list(calls)
        wait_for("retrieves after the refresh", lambda: all(c >= h + 10 for c, h in zip(calls, landed)))
        stop.set()
        for t in threads:
            t.join()
        assert all(s[-1] == "AKNEW" and set(s) <= {"AKOLD", "AKNEW"} for s in seen)
        assert len(helper.runs()) == 2


def test_a_failing_refresh_raises_nothing_before_expiry_then_gos_error(helper: Helper) -> None:
    expiry = whole_seconds(datetime.now(UTC) + timedelta(seconds=4))
    helper.write("out.1", creds("AKOLD", expiry))
    helper.write("fail", "")
    with ProcessProvider(helper.path.as_posix(), refresh_window=60) as p:
        assert p.retrieve().access_key_id == "AKOLD"
        results: List[Tuple[int, datetime, Optional[ExecutionError]]] = []

        def work() -> None:
            ok = 0
            while True:
                try:
                    assert p.retrieve().access_key_id == "AKOLD"
                    ok += 1
                except ExecutionError as e:
                    results.append((ok, datetime.now(UTC), e))
                    return
                time.sleep(0.001)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 3
        for ok, when, err in results:
            assert ok > 0
            assert when >= expiry, f"an error {(expiry - when).total_seconds()} s before expiry"
            assert err is not None and err.message == GO_ERROR
        # Background attempts before the expiry, 1 s then 2 s apart at least (the back-off).
        background = [t for t in helper.runs()[1:] if t < expiry.timestamp()]
        assert 2 <= len(background) <= 4, background
        for i, (a, b) in enumerate(zip(background, background[1:])):
            assert b - a >= 2**i, f"attempt {i + 2} {b - a:.3f} s after the one before"


def test_botocore_install_with_a_refresh_window(
    helper: Helper, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("botocore", reason="botocore is installed by `make test-python`")
    import botocore.auth
    import botocore.session
    from botocore.awsrequest import AWSRequest

    import processcreds.botocore as pcb

    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))

    def signed_key_id(c: Any) -> str:
        request = AWSRequest(method="POST", url="https://sts.us-east-1.amazonaws.com/", data="")
        botocore.auth.SigV4Auth(c, "sts", "us-east-1").add_auth(request)
        auth: str = request.headers["Authorization"]
        return auth.split("Credential=")[1].split("/")[0]

    # Valid for 10 minutes, inside botocore's (and the library's) 15-minute window at once.
    now = datetime.now(UTC)
    helper.write("out.1", creds("AKOLD", now + timedelta(minutes=10)))
    helper.write("out", creds("AKNEW", now + timedelta(hours=2)))
    helper.write("gate.2", "")
    session = botocore.session.Session()
    with ProcessProvider(helper.path.as_posix(), refresh_window=15 * 60) as p:
        pcb.install(session, p)
        credentials = session.get_credentials()
        assert credentials.refresh_needed()  # botocore's advisory window
        assert signed_key_id(credentials.get_frozen_credentials()) == "AKOLD"
        wait_for("the background refresh to start", (helper.dir / "started.2").exists)
        # The helper is held: requests go on being signed with the valid credentials.
        for _ in range(50):
            assert signed_key_id(credentials.get_frozen_credentials()) == "AKOLD"
        assert len(helper.runs()) == 2
        (helper.dir / "release.2").write_text("")
        wait_for(
            "botocore to get the refreshed credentials",
            lambda: signed_key_id(credentials.get_frozen_credentials()) == "AKNEW",
        )
        assert not credentials.refresh_needed()
        for _ in range(20):
            assert signed_key_id(credentials.get_frozen_credentials()) == "AKNEW"
        assert len(helper.runs()) == 2


def test_refresh_window_is_checked(helper: Helper) -> None:
    from processcreds import InvalidArgumentError

    with pytest.raises(InvalidArgumentError):
        ProcessProvider("true", refresh_window=-1)
    with pytest.raises(TypeError):
        ProcessProvider("true", refresh_window="15m")  # type: ignore[arg-type]
    ok: Dict[str, Any] = {"refresh_window": timedelta(minutes=15)}
    ProcessProvider("true", **ok).close()
    ProcessProvider.from_argv(["true"], **ok).close()

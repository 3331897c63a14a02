"""``shared_cache=True``: providers share credentials through the per-user cache directory, in
this process and in other processes (the full matrix of cases is in tests/shared_cache.rs and
cli/tests; this checks the binding's option)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path
from typing import Tuple

import pytest

import processcreds
from processcreds import ProcessProvider

from .conftest import HelperFactory, check_secret


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("PROCESSCREDS_CACHE_DIR", str(d))
    return d


def test_off_by_default(make_helper: HelperFactory, cache_dir: Path) -> None:
    h = make_helper(lifetime=3600)
    for _ in range(2):
        with ProcessProvider(h.command) as p:
            p.retrieve()
    assert h.runs == 2
    assert not cache_dir.exists()


def test_providers_share_one_run(make_helper: HelperFactory, cache_dir: Path) -> None:
    h = make_helper(lifetime=3600, secret="shared-secret")
    with ProcessProvider(h.command, shared_cache=True) as a:
        ca = a.retrieve()
    with ProcessProvider(h.command, shared_cache=True) as b:
        cb = b.retrieve()
    assert h.runs == 1
    check_secret("secret_access_key", cb.secret_access_key, ca.secret_access_key)
    assert cb.expiration == ca.expiration
    entries = [n for n in os.listdir(cache_dir) if n.endswith(".entry")]
    assert len(entries) == 1
    assert all("shared-secret" not in n for n in os.listdir(cache_dir))
    # from_argv keys on the argv, a different program from the command string.
    with ProcessProvider.from_argv([h.command], shared_cache=True) as c:
        c.retrieve()
    assert h.runs == 2


def test_another_process_is_served(make_helper: HelperFactory, lib_path: str) -> None:
    h = make_helper(lifetime=3600)
    with ProcessProvider(h.command, shared_cache=True) as a:
        first = a.retrieve()
    code = (
        "import processcreds, sys\n"
        "p = processcreds.ProcessProvider(sys.argv[1], shared_cache=True)\n"
        "print(p.retrieve().access_key_id)\n"
    )
    env = dict(os.environ, PROCESSCREDS_LIB=lib_path)
    out = subprocess.run(
        [sys.executable, "-c", code, h.command], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == first.access_key_id
    assert h.runs == 1


def test_from_profile(
    make_helper: HelperFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = make_helper(lifetime=3600)
    creds = tmp_path / "credentials"
    creds.write_text(f"[dev]\ncredential_process = {h.command}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    for _ in range(2):
        with ProcessProvider.from_profile("dev", shared_cache=True) as p:
            p.retrieve()
    assert h.runs == 1
    # The profile's command string is the key: a command-string provider shares the entry.
    with ProcessProvider(h.command, shared_cache=True) as q:
        q.retrieve()
    assert h.runs == 1


def test_never_expiring_credentials_are_not_shared(make_helper: HelperFactory) -> None:
    h = make_helper(lifetime=None)
    for _ in range(2):
        with ProcessProvider(h.command, shared_cache=True) as p:
            p.retrieve()
    assert h.runs == 2


def test_argument_checks() -> None:
    with pytest.raises(TypeError):
        ProcessProvider("true", shared_cache=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ProcessProvider.from_profile("x", shared_cache="yes")  # type: ignore[arg-type]
    # The C constants are checked too.
    from processcreds import _constants, _lib

    assert _constants.PC_SHARED_CACHE_OFF == 0 and _constants.PC_SHARED_CACHE_USER == 1
    p = _lib.ProviderPtr()
    assert _lib.pc_provider_new(b"true", p) == 0
    try:
        assert _lib.pc_set_shared_cache(p, 2) != 0
        assert _lib.pc_set_shared_cache(p, 1) == 0
    finally:
        _lib.pc_free(p)


def _counting_helper(tmp_path: Path) -> Tuple[str, Path]:
    """A helper printing the key id AKIDRUN<n> for its n-th run, valid for an hour."""
    count = tmp_path / "count"
    script = tmp_path / "counting.sh"
    script.write_text(
        "#!/bin/sh\n"
        f"echo run >> '{count}'\n"
        f"n=$(wc -l < '{count}' | tr -d ' ')\n"
        'exp=$(date -u -d "@$(( $(date +%s) + 3600 ))" +%Y-%m-%dT%H:%M:%SZ)\n'
        'printf \'{"Version":1,"AccessKeyId":"AKIDRUN%s","SecretAccessKey":"s-%s",'
        '"Expiration":"%s"}\' "$n" "$n" "$exp"\n'
    )
    script.chmod(0o755)
    return str(script), count


def _runs(count: Path) -> int:
    return len(count.read_text().splitlines()) if count.exists() else 0


def test_key_text_and_named_variables_separate_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cmd, count = _counting_helper(tmp_path)

    def akid(**kw: object) -> str:
        with ProcessProvider(cmd, shared_cache=True, **kw) as p:  # type: ignore[arg-type]
            return p.retrieve().access_key_id

    assert akid() == "AKIDRUN1"
    assert akid(shared_cache_key="prod") == "AKIDRUN2"
    assert akid(shared_cache_key="prod") == "AKIDRUN2"
    monkeypatch.setenv("TOKEN_FILE", "/a")
    assert akid(shared_cache_env=["TOKEN_FILE"]) == "AKIDRUN3"
    monkeypatch.setenv("TOKEN_FILE", "/b")
    assert akid(shared_cache_env=("TOKEN_FILE",)) == "AKIDRUN4"
    # Unnamed, the variable does not matter.
    assert akid() == "AKIDRUN1"
    # from_argv and from_profile take them too.
    with ProcessProvider.from_argv([cmd], shared_cache=True, shared_cache_key="prod") as p:
        assert p.retrieve().access_key_id == "AKIDRUN5"
    creds = tmp_path / "credentials"
    creds.write_text(f"[dev]\ncredential_process = {cmd}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    with ProcessProvider.from_profile(
        "dev", shared_cache=True, shared_cache_key="prod"
    ) as p:
        assert p.retrieve().access_key_id == "AKIDRUN6"
    with ProcessProvider.from_profile("dev", shared_cache=True, shared_cache_key="prod") as p:
        assert p.retrieve().access_key_id == "AKIDRUN6"
    assert _runs(count) == 6


def test_expire_invalidates_the_shared_entry(tmp_path: Path, lib_path: str) -> None:
    cmd, count = _counting_helper(tmp_path)
    with ProcessProvider(cmd, shared_cache=True) as a:
        assert a.retrieve().access_key_id == "AKIDRUN1"
    with ProcessProvider(cmd, shared_cache=True) as b:
        assert b.retrieve().access_key_id == "AKIDRUN1"  # served from the entry
        b.expire()  # the service rejected it
        assert b.retrieve().access_key_id == "AKIDRUN2"  # the helper ran again
        assert b.retrieve().access_key_id == "AKIDRUN2"
    assert _runs(count) == 2
    # Another process is served the replacement.
    code = (
        "import processcreds, sys\n"
        "p = processcreds.ProcessProvider(sys.argv[1], shared_cache=True)\n"
        "print(p.retrieve().access_key_id)\n"
    )
    env = dict(os.environ, PROCESSCREDS_LIB=lib_path)
    out = subprocess.run(
        [sys.executable, "-c", code, cmd], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "AKIDRUN2"
    assert _runs(count) == 2


def test_key_argument_checks() -> None:
    with pytest.raises(TypeError):
        ProcessProvider("true", shared_cache_key=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ProcessProvider("true", shared_cache_env="TOKEN_FILE")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ProcessProvider("true", shared_cache_env=[1])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        ProcessProvider.from_profile("x", shared_cache_env=None)  # type: ignore[arg-type]
    for bad in (["A=B"], [""], ["A\0B"]):
        with pytest.raises(processcreds.InvalidArgumentError):
            ProcessProvider("true", shared_cache_env=bad)
    with pytest.raises(processcreds.InvalidArgumentError):
        ProcessProvider("true", shared_cache_key="a\0b")
    # The C functions refuse what the binding would never pass.
    from processcreds import _lib

    p = _lib.ProviderPtr()
    assert _lib.pc_provider_new(b"true", p) == 0
    try:
        assert _lib.pc_set_shared_cache_key(p, None) == 0
        assert _lib.pc_set_shared_cache_key(p, b"\xff") != 0
        assert _lib.pc_set_shared_cache_env(p, None, 0) == 0
        assert _lib.pc_set_shared_cache_env(p, None, 1) != 0
        names = (ctypes.c_char_p * 2)(b"A", None)
        assert _lib.pc_set_shared_cache_env(p, names, 2) != 0
    finally:
        _lib.pc_free(p)

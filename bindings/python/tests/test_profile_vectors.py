"""Every case of the profile vectors (tests/vectors/profiles/*.json, format in its README.md),
through ProcessProvider.from_profile.

A case's environment replaces the whole process environment while the provider is made. For a
`process` outcome the provider is run with a stand-in `sh` first on PATH that prints the command
it was given back as the secret, so the command the library chose is compared exactly.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from processcreds import ProcessCredentialsError, ProcessProvider
from processcreds._constants import STATUS_NAMES
from processcreds._errors import ERROR_CLASSES

from .conftest import VECTORS, check_secret

PROFILES = VECTORS / "profiles"
DATA = PROFILES / "data"
CASE_KEYS = {
    "name", "from", "divergence", "note", "files", "files_b64", "env", "profile",
    "shared_config", "expect", "go_v1",
}
SHARED_CONFIG = {0: None, 1: False, 2: True}


def load_cases() -> List[Any]:
    params: List[Any] = []
    for f in sorted(PROFILES.glob("*.json")):
        for case in json.loads(f.read_text()):
            params.append(pytest.param(case, id=f"{f.stem}::{case['name']}"))
    if not params:
        params.append(pytest.param(None, id="no-profile-vectors"))
    return params


def substitute(value: Any, home: str) -> Any:
    if isinstance(value, str):
        return value.replace("{home}", home).replace("{data}", str(DATA))
    if isinstance(value, dict):
        return {substitute(k, home): substitute(v, home) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, home) for v in value]
    return value


class Environment:
    """Replaces os.environ (and so the C environment) and restores it."""

    def __init__(self) -> None:
        self.saved = dict(os.environ)

    def set(self, env: Dict[str, str]) -> None:
        os.environ.clear()
        os.environ.update(env)

    def restore(self) -> None:
        os.environ.clear()
        os.environ.update(self.saved)


@pytest.fixture
def environment() -> Iterator[Environment]:
    e = Environment()
    try:
        yield e
    finally:
        e.restore()


def stand_in_sh(directory: Path) -> Path:
    directory.mkdir()
    sh = directory / "sh"
    sh.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        "cmd = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == '-c' else '<not sh -c>'\n"
        "print(json.dumps({'Version': 1, 'AccessKeyId': 'STANDIN', 'SecretAccessKey': cmd}))\n"
    )
    sh.chmod(sh.stat().st_mode | stat.S_IXUSR)
    return directory


@pytest.mark.parametrize("case", load_cases())
def test_profile_vector(
    case: Optional[Dict[str, Any]], tmp_path: Path, environment: Environment
) -> None:
    if case is None:
        pytest.fail(f"no profile vectors found in {PROFILES}/*.json")
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"unknown keys {sorted(unknown)}: the vector format changed"
    home = tmp_path / "home"
    home.mkdir()
    h = str(home)
    for name, text in substitute(case.get("files") or {}, h).items():
        p = home / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode("utf-8"))
    for name, b64 in (case.get("files_b64") or {}).items():
        p = home / substitute(name, h)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(base64.b64decode(b64))
    env = {"HOME": h}
    env.update(substitute(case["env"], h))
    profile = substitute(case["profile"], h)
    expect = substitute(case["expect"], h)
    assert len(expect) == 1 and set(expect) <= {"process", "static", "error"}, expect
    shared = SHARED_CONFIG[case["shared_config"]]

    environment.set(env)
    try:
        provider = ProcessProvider.from_profile(profile, shared_config=shared)
    except ProcessCredentialsError as e:
        environment.restore()
        if "error" not in expect:
            pytest.fail(f"expected {sorted(expect)[0]}, got {e!r}", pytrace=False)
        want = expect["error"]
        assert STATUS_NAMES.get(e.status) == want["status"], repr(e)
        assert type(e) is ERROR_CLASSES[e.status]
        assert e.code == want["code"], repr(e)
        if "message" in want:
            assert e.message == want["message"]
        else:
            assert want["message_contains"] in e.message
        return
    environment.restore()
    with provider:
        assert "error" not in expect, f"expected {expect['error']['status']}, got a provider"
        if "static" in expect:
            want = expect["static"]
            got = provider.retrieve()
            assert got.access_key_id == want["access_key_id"]
            check_secret("secret_access_key", got.secret_access_key, want["secret_access_key"])
            check_secret("session_token", got.session_token, want["session_token"])
            assert got.provider_name == want["provider_name"]
            assert got.expiration is None and got.account_id is None
            assert not provider.is_expired()
            assert provider.expires_at() is None
        else:
            bin_dir = stand_in_sh(tmp_path / "bin")
            environment.set({"PATH": str(bin_dir), "HOME": h})
            got = provider.retrieve()
            environment.restore()
            assert got.access_key_id == "STANDIN"
            # The "secret" is the command the stand-in sh was given: no secret here.
            assert got.secret_access_key == expect["process"]
            assert got.provider_name == "ProcessProvider"

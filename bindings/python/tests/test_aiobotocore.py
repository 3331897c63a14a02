"""aiobotocore integration, with the real aiobotocore from PyPI against a local moto server that
checks every request's SigV4 signature (IAM authentication on): STS GetCallerIdentity signed with
the helper's credentials is accepted, a wrong secret refused, refreshes go through the library.

aiobotocore pins its own botocore, not the one the rest of the suite uses, so `make test-python`
runs this file in a virtualenv of its own (mk/python.mk) with ``MOTO_SERVER`` naming moto's
``moto_server`` (mk/rust-sdk.mk's virtualenv); elsewhere it is skipped.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest

pytest.importorskip("aiobotocore", reason="make test-python runs this in its aiobotocore venv")

import aiobotocore.credentials  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: E402
import botocore.exceptions  # noqa: E402
from aiobotocore.session import get_session  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: E402

import processcreds.aiobotocore as pca  # noqa: E402
from processcreds import ExecutionError, ProcessProvider  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"


@dataclass
class Keys:
    access_key_id: str
    secret_access_key: str
    session_token: Optional[str]
    arn: str


@dataclass
class Moto:
    endpoint: str
    user: Keys
    role: Keys


def _unsigned(endpoint: str, service: str, params: Dict[str, str]) -> str:
    """An AWS Query call accepted only before authentication is enforced."""
    version = "2010-05-08" if service == "iam" else "2011-06-15"
    body = urllib.parse.urlencode({"Version": version, **params}).encode()
    auth = (
        f"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/{REGION}/{service}/"
        "aws4_request, SignedHeaders=host, Signature=0"
    )
    req = urllib.request.Request(
        endpoint + "/",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": auth,
        },
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return str(r.read().decode())


def _xml(doc: str, tag: str) -> str:
    m = re.search(f"<{tag}>([^<]*)</{tag}>", doc)
    assert m, f"no <{tag}> in moto's answer"
    return m.group(1)


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    server = os.environ.get("MOTO_SERVER")
    if not server:
        pytest.fail("MOTO_SERVER must name moto's moto_server (make test-python sets it)")
    proc = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        port = None
        seen = []
        for line in proc.stderr:
            m = re.search(r"Running on http://127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
            seen.append(line)
        assert port, "moto_server did not start: " + "".join(seen)
        stderr = proc.stderr
        threading.Thread(target=lambda: [None for _ in stderr], daemon=True).start()
        endpoint = f"http://127.0.0.1:{port}"
        _unsigned(endpoint, "iam", {"Action": "CreateUser", "UserName": "pc-user"})
        key = _unsigned(endpoint, "iam", {"Action": "CreateAccessKey", "UserName": "pc-user"})
        user = Keys(
            _xml(key, "AccessKeyId"),
            _xml(key, "SecretAccessKey"),
            None,
            f"arn:aws:iam::{ACCOUNT}:user/pc-user",
        )
        trust = (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":'
            f'"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}'
        )
        _unsigned(
            endpoint,
            "iam",
            {"Action": "CreateRole", "RoleName": "pc-role", "AssumeRolePolicyDocument": trust},
        )
        assumed = _unsigned(
            endpoint,
            "sts",
            {
                "Action": "AssumeRole",
                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/pc-role",
                "RoleSessionName": "pc-session",
            },
        )
        role = Keys(
            _xml(assumed, "AccessKeyId"),
            _xml(assumed, "SecretAccessKey"),
            _xml(assumed, "SessionToken"),
            f"arn:aws:sts::{ACCOUNT}:assumed-role/pc-role/pc-session",
        )
        # From now on every request must be signed with a key moto knows.
        req = urllib.request.Request(
            endpoint + "/moto-api/reset-auth",
            data=b"0",
            headers={"Content-Type": "text/plain"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.status == 200
        yield Moto(endpoint, user, role)
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture(autouse=True)
def isolated_aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def helper(tmp_path: Path, keys: Keys, *, lifetime: Optional[int] = None, sleep: float = 0) -> str:
    """A helper printing `keys` (with an Expiration `lifetime` seconds ahead when given) that
    counts its runs in `runs`."""
    fields = [
        '"Version":1',
        f'"AccessKeyId":"{keys.access_key_id}"',
        f'"SecretAccessKey":"{keys.secret_access_key}"',
        f'"AccountId":"{ACCOUNT}"',
    ]
    if keys.session_token:
        fields.append(f'"SessionToken":"{keys.session_token}"')
    script = tmp_path / "helper.sh"
    lines = ["#!/bin/sh", f"echo run >> '{tmp_path}/runs'"]
    if sleep:
        lines.append(f"sleep {sleep}")
    body = ",".join(fields)
    if lifetime is not None:
        lines.append(f'exp=$(date -u -d "@$(( $(date +%s) + {lifetime} ))" +%Y-%m-%dT%H:%M:%SZ)')
        lines.append(f"printf '{{{body},\"Expiration\":\"%s\"}}' \"$exp\"")
    else:
        lines.append(f"printf '%s' '{{{body}}}'")
    script.write_text("\n".join(lines) + "\n")
    script.chmod(0o755)
    return str(script)


def runs(tmp_path: Path) -> int:
    try:
        return len((tmp_path / "runs").read_text().splitlines())
    except FileNotFoundError:
        return 0


async def who_am_i(session: Any, moto: Moto) -> Dict[str, Any]:
    async with session.create_client(
        "sts", region_name=REGION, endpoint_url=moto.endpoint
    ) as sts:
        return dict(await sts.get_caller_identity())


def test_an_iam_users_key_signs_requests(moto: Moto, tmp_path: Path) -> None:
    async def main() -> None:
        session = get_session()
        with ProcessProvider(helper(tmp_path, moto.user, sleep=0.2)) as p:
            installed = pca.install(session, p)
            assert isinstance(installed, pca.CredentialProvider)
            assert installed.METHOD == "processcreds"
            # Many tasks asking at once: one run of the helper, the loop free meanwhile.
            who = await asyncio.gather(*(who_am_i(session, moto) for _ in range(5)))
            assert {w["Arn"] for w in who} == {moto.user.arn}
            assert who[0]["Account"] == ACCOUNT
            creds = await session.get_credentials()
            assert type(creds) is aiobotocore.credentials.AioCredentials
            assert creds.method == "processcreds"
            assert (await who_am_i(session, moto))["Arn"] == moto.user.arn

    asyncio.run(main())
    assert runs(tmp_path) == 1


def test_a_wrong_secret_is_refused(moto: Moto, tmp_path: Path) -> None:
    secret = moto.user.secret_access_key
    # One character changed (a secret moto made may start with "x" itself).
    wrong = Keys(
        moto.user.access_key_id,
        ("y" if secret.startswith("x") else "x") + secret[1:],
        None,
        moto.user.arn,
    )

    async def main() -> None:
        session = get_session()
        with ProcessProvider(helper(tmp_path, wrong)) as p:
            pca.install(session, p)
            with pytest.raises(botocore.exceptions.ClientError) as e:
                await who_am_i(session, moto)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert "SignatureDoesNotMatch" in str(e.value)

    asyncio.run(main())


def test_temporary_credentials_refresh_through_the_library(moto: Moto, tmp_path: Path) -> None:
    async def main() -> None:
        session = get_session()
        with ProcessProvider(helper(tmp_path, moto.role, lifetime=2)) as p:
            pca.install(session, p)
            creds = await session.get_credentials()
            assert isinstance(creds, aiobotocore.credentials.AioRefreshableCredentials)
            frozen = await creds.get_frozen_credentials()
            assert frozen.access_key == moto.role.access_key_id
            assert frozen.token == moto.role.session_token
            assert (await who_am_i(session, moto))["Arn"] == moto.role.arn
            assert runs(tmp_path) == 1
            expiry = p.expires_at()
            assert expiry is not None
            while datetime.now(timezone.utc) <= expiry + timedelta(milliseconds=50):
                await asyncio.sleep(0.02)
            assert creds.refresh_needed()
            assert (await who_am_i(session, moto))["Arn"] == moto.role.arn
            assert runs(tmp_path) == 2
            new_expiry = p.expires_at()
            assert new_expiry is not None and new_expiry > expiry

    asyncio.run(main())


def test_errors_reach_the_caller(moto: Moto, tmp_path: Path) -> None:
    async def main() -> None:
        session = get_session()
        with ProcessProvider("exit 4", stderr="discard") as p:
            pca.install(session, p)
            with pytest.raises(ExecutionError):
                await who_am_i(session, moto)

    asyncio.run(main())
    with pytest.raises(TypeError):
        pca.CredentialProvider("echo")  # type: ignore[arg-type]


def test_install_replaces_and_reads_the_profile(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "credentials"
    config.write_text(f"[dev]\ncredential_process = {helper(tmp_path, moto.user)}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(config))

    async def main() -> None:
        session = get_session()
        session.set_config_variable("profile", "dev")
        pca.install(session)
        installed = pca.install(session)
        resolver = session.get_component("credential_provider")
        assert [p.METHOD for p in resolver.providers].count("processcreds") == 1
        assert resolver.providers[0] is installed
        assert (await who_am_i(session, moto))["Arn"] == moto.user.arn
        installed.provider.close()

    asyncio.run(main())
    assert runs(tmp_path) == 1


def test_the_loop_never_stalls_during_a_load(moto: Moto, tmp_path: Path) -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        worst = 0.0
        beating = True

        async def heartbeat() -> None:
            nonlocal worst
            last = loop.time()
            while beating:
                await asyncio.sleep(0.001)
                now = loop.time()
                worst = max(worst, now - last)
                last = now

        session = get_session()
        with ProcessProvider(helper(tmp_path, moto.user, sleep=0.5)) as p:
            pca.install(session, p)
            beat = asyncio.create_task(heartbeat())
            await asyncio.sleep(0.01)
            t0 = time.monotonic()
            creds = await session.get_credentials()
            assert time.monotonic() - t0 >= 0.4
            beating = False
            await beat
            assert (await creds.get_frozen_credentials()).access_key == moto.user.access_key_id
        return worst

    worst = asyncio.run(main())
    print(f"heartbeat during aiobotocore's load: longest stall {worst * 1000:.2f} ms")
    assert worst < 0.020

"""botocore integration, with real botocore: signing, refreshing, the session's resolver."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

pytest.importorskip("botocore", reason="botocore is installed by `make test-python`")

import botocore.auth  # noqa: E402
import botocore.credentials  # noqa: E402
import botocore.session  # noqa: E402
from botocore.awsrequest import AWSRequest, AWSResponse  # noqa: E402

import processcreds.botocore as pcb  # noqa: E402
from processcreds import ExecutionError, ProcessProvider  # noqa: E402

from .conftest import Helper, HelperFactory, check_secret  # noqa: E402

UTC = timezone.utc
STS_URL = "https://sts.us-east-1.amazonaws.com/"


@pytest.fixture(autouse=True)
def isolated_aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No real profile, key or config of the machine reaches botocore."""
    for var in (
        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN", "AWS_SDK_LOAD_CONFIG", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def sign(creds: Any) -> Dict[str, str]:
    """Signs an STS request with SigV4 and returns its headers."""
    request = AWSRequest(
        method="POST", url=STS_URL, data="Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    botocore.auth.SigV4Auth(creds, "sts", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def check_signed(headers: Dict[str, str], key_id: str, token: str) -> None:
    auth = headers["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=" + key_id + "/"), auth
    assert "/us-east-1/sts/aws4_request" in auth
    if token:
        check_secret("X-Amz-Security-Token", headers.get("X-Amz-Security-Token"), token)
    else:
        assert "X-Amz-Security-Token" not in headers


def test_provider_class() -> None:
    assert issubclass(pcb.CredentialProvider, botocore.credentials.CredentialProvider)
    assert pcb.CredentialProvider.METHOD == "processcreds"
    with pytest.raises(TypeError):
        pcb.CredentialProvider("echo")  # type: ignore[arg-type]


def test_load_never_expiring(make_helper: HelperFactory) -> None:
    h = make_helper(token="")
    with ProcessProvider(h.command) as p:
        creds = pcb.CredentialProvider(p).load()
    assert type(creds) is botocore.credentials.Credentials
    assert creds.method == "processcreds"
    frozen = creds.get_frozen_credentials()
    assert frozen.access_key == "AKIDHELPER"
    check_secret("secret_key", frozen.secret_key, "helper-secret")
    assert frozen.token is None
    check_signed(sign(frozen), "AKIDHELPER", "")


def test_load_expiring(make_helper: HelperFactory) -> None:
    h = make_helper(lifetime=3600, account_id="123456789012")
    with ProcessProvider(h.command, expiry_window=300) as p:
        creds = pcb.CredentialProvider(p).load()
        ours = p.retrieve()
    assert isinstance(creds, botocore.credentials.RefreshableCredentials)
    assert creds.method == "processcreds"
    assert ours.expiration is not None
    want = ours.expiration - timedelta(seconds=300) + timedelta(milliseconds=1)
    assert creds._expiry_time == want
    assert not creds.refresh_needed()
    frozen = creds.get_frozen_credentials()
    assert frozen.access_key == "AKIDHELPER"
    check_secret("token", frozen.token, "helper-token")
    if hasattr(frozen, "account_id"):
        assert frozen.account_id == "123456789012"
    check_signed(sign(frozen), "AKIDHELPER", "helper-token")
    assert h.runs == 1


def test_load_error_propagates(make_helper: HelperFactory) -> None:
    with ProcessProvider(make_helper(exit_code=2).command) as p:
        with pytest.raises(ExecutionError):
            pcb.CredentialProvider(p).load()


def wait_until(t: datetime) -> None:
    while datetime.now(UTC) <= t:
        time.sleep(0.02)


def test_refresh_after_expiry_reruns_helper_once(make_helper: HelperFactory) -> None:
    h = make_helper(lifetime=2)
    session = botocore.session.Session()
    with ProcessProvider(h.command) as p:
        pcb.install(session, p)
        creds = session.get_credentials()
        assert isinstance(creds, botocore.credentials.RefreshableCredentials)
        assert creds.method == "processcreds"
        for _ in range(5):
            check_signed(sign(creds.get_frozen_credentials()), "AKIDHELPER", "helper-token")
        assert h.runs == 1
        expiry = p.expires_at()
        assert expiry is not None
        wait_until(expiry + timedelta(milliseconds=50))
        assert creds.refresh_needed()
        check_signed(sign(creds.get_frozen_credentials()), "AKIDHELPER", "helper-token")
        assert h.runs == 2
        for _ in range(5):
            check_signed(sign(creds.get_frozen_credentials()), "AKIDHELPER", "helper-token")
        assert h.runs == 2
        new_expiry = p.expires_at()
        assert new_expiry is not None and new_expiry > expiry


def test_refresh_from_threads_runs_helper_once(make_helper: HelperFactory) -> None:
    h = make_helper(lifetime=2, sleep=0.2)
    with ProcessProvider(h.command) as p:
        creds = pcb.CredentialProvider(p).load()
        assert h.runs == 1
        expiry = p.expires_at()
        assert expiry is not None
        wait_until(expiry + timedelta(milliseconds=50))
        barrier = threading.Barrier(12)
        keys: List[str] = []

        def work() -> None:
            barrier.wait()
            keys.append(creds.get_frozen_credentials().access_key or "")

        threads = [threading.Thread(target=work) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert keys == ["AKIDHELPER"] * 12
        assert h.runs == 2


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


IDENTITY = (
    b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    b"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/test</Arn>"
    b"<UserId>AIDATEST</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
    b"<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId>"
    b"</ResponseMetadata></GetCallerIdentityResponse>"
)


def call_sts(session: botocore.session.Session) -> Dict[str, str]:
    """Calls STS GetCallerIdentity through a real client; the request is answered locally."""
    sent: List[Dict[str, str]] = []

    def answer(request: Any, **_: Any) -> AWSResponse:
        sent.append({k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()})
        return AWSResponse(request.url, 200, {}, _Raw(IDENTITY))  # type: ignore[arg-type]

    client = session.create_client("sts", region_name="us-east-1")
    client.meta.events.register("before-send.sts.GetCallerIdentity", answer)
    assert client.get_caller_identity()["Account"] == "123456789012"
    assert len(sent) == 1
    return sent[0]


def test_install_with_a_provider_signs_client_requests(make_helper: HelperFactory) -> None:
    h = make_helper(lifetime=3600)
    session = botocore.session.Session()
    with ProcessProvider(h.command) as p:
        installed = pcb.install(session, p)
        resolver = session.get_component("credential_provider")
        assert resolver.providers[0] is installed
        headers = call_sts(session)
        check_signed(headers, "AKIDHELPER", "helper-token")
        assert h.runs == 1


def test_install_replaces_and_drops_loaded_credentials(make_helper: HelperFactory) -> None:
    a = make_helper(access_key_id="AKIDFIRST", lifetime=3600)
    b = make_helper(access_key_id="AKIDSECOND", lifetime=3600)
    session = botocore.session.Session()
    with ProcessProvider(a.command) as pa, ProcessProvider(b.command) as pb:
        pcb.install(session, pa)
        first = session.get_credentials()
        assert first is not None and first.get_frozen_credentials().access_key == "AKIDFIRST"
        pcb.install(session, pb)
        methods = [x.METHOD for x in session.get_component("credential_provider").providers]
        assert methods.count("processcreds") == 1 and methods[0] == "processcreds"
        second = session.get_credentials()
        assert second is not None and second.get_frozen_credentials().access_key == "AKIDSECOND"


def write_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, h: Helper) -> None:
    config = tmp_path / "config"
    config.write_text(f"[profile dev]\ncredential_process = {h.command}\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))


def test_install_from_session_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_helper: HelperFactory
) -> None:
    h = make_helper(access_key_id="AKIDPROFILE", lifetime=3600)
    write_profile(tmp_path, monkeypatch, h)
    session = botocore.session.Session(profile="dev")
    installed = pcb.install(session)
    try:
        headers = call_sts(session)
        check_signed(headers, "AKIDPROFILE", "helper-token")
        assert h.runs == 1
    finally:
        installed.provider.close()


def test_install_from_aws_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_helper: HelperFactory
) -> None:
    h = make_helper(access_key_id="AKIDENVPROFILE")
    write_profile(tmp_path, monkeypatch, h)
    monkeypatch.setenv("AWS_PROFILE", "dev")
    session = botocore.session.Session()
    installed = pcb.install(session)
    try:
        creds = session.get_credentials()
        assert type(creds) is botocore.credentials.Credentials
        assert creds.method == "processcreds"
        assert creds.get_frozen_credentials().access_key == "AKIDENVPROFILE"
    finally:
        installed.provider.close()

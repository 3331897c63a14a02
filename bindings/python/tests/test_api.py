"""The Python API: ProcessProvider, Credentials, errors, options, bad inputs, lifecycle."""

from __future__ import annotations

import copy
import gc
import os
import pickle
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, List

import pytest

import processcreds
from processcreds import (
    ConfigError,
    Credentials,
    ExecutionError,
    InternalError,
    InvalidArgumentError,
    ParseError,
    ProcessCredentialsError,
    ProcessProvider,
    ProcessTimeoutError,
    RequiredError,
    VersionError,
    _lib,
    _provider,
)

from .conftest import VECTORS, HelperFactory, Ledger, check_not_shown, check_secret

DATA = VECTORS / "data"
UTC = timezone.utc


def now() -> datetime:
    return datetime.now(UTC)


# ---- module ----


def test_module_exports() -> None:
    for name in processcreds.__all__:
        assert hasattr(processcreds, name), name
    assert processcreds.library_version() == _lib.pc_version().decode()
    assert processcreds.library_version()
    assert os.path.exists(processcreds.library_path)
    assert _lib.MISSING == []


def test_error_hierarchy() -> None:
    for cls in (
        InvalidArgumentError, ExecutionError, ProcessTimeoutError, ParseError, VersionError,
        RequiredError, ConfigError, InternalError,
    ):
        assert issubclass(cls, ProcessCredentialsError)
    assert issubclass(ProcessTimeoutError, TimeoutError)
    assert issubclass(InvalidArgumentError, ValueError)
    assert not issubclass(ExecutionError, TimeoutError)


# ---- retrieving ----


def test_retrieve_fields(make_helper: HelperFactory) -> None:
    h = make_helper(access_key_id="AKIDFIELDS", secret="s3cr3t-fields", token="tok-fields",
                    account_id="123456789012")
    with ProcessProvider(h.command) as p:
        assert p.is_expired()
        assert p.expires_at() is None
        c = p.retrieve()
        assert c.access_key_id == "AKIDFIELDS"
        check_secret("secret_access_key", c.secret_access_key, "s3cr3t-fields")
        check_secret("session_token", c.session_token, "tok-fields")
        assert c.account_id == "123456789012"
        assert c.provider_name == "ProcessProvider"
        assert c.expiration is None
        assert not p.is_expired()
        assert p.expires_at() is None


def test_no_token_no_account(make_helper: HelperFactory) -> None:
    h = make_helper(token="")
    with ProcessProvider(h.command) as p:
        c = p.retrieve()
        assert c.session_token == ""
        assert c.account_id is None


def test_cached_retrieve_runs_nothing_and_reuses_the_object(
    make_helper: HelperFactory, monkeypatch: Any
) -> None:
    ledger = Ledger(monkeypatch)
    h = make_helper(lifetime=3600)
    with ProcessProvider(h.command) as p:
        first = p.retrieve()
        second = p.retrieve()
        assert second == first
        for _ in range(1000):
            assert p.retrieve() is second
        assert h.runs == 1
        # 1002 references handed out; the binding gave back all but those it remembers: one per
        # pointer the library hands out for these credentials (at most two: the run's result
        # and this thread's cached share).
        assert ledger.creds_out == 1002
        assert 1 <= ledger.creds_outstanding() <= 2
    assert ledger.creds_outstanding() == 0


def test_expire_reruns(make_helper: HelperFactory, monkeypatch: Any) -> None:
    ledger = Ledger(monkeypatch)
    h = make_helper(lifetime=3600)
    with ProcessProvider(h.command) as p:
        p.retrieve()
        assert ledger.creds_outstanding() == 1
        assert p.expires_at() is not None
        p.expire()
        assert p.is_expired()
        assert p.expires_at() is None
        assert ledger.creds_outstanding() == 0  # nothing of the old credentials kept
        p.retrieve()
        assert h.runs == 2
        assert not p.is_expired()


def test_expiration_and_window(make_helper: HelperFactory) -> None:
    h = make_helper(lifetime=3600)
    with ProcessProvider(h.command, expiry_window=600) as p:
        before = now()
        c = p.retrieve()
        assert c.expiration is not None
        assert c.expiration.tzinfo is not None and c.expiration.utcoffset() == timedelta(0)
        assert before + timedelta(seconds=3590) <= c.expiration <= now() + timedelta(seconds=3601)
        assert p.expires_at() == c.expiration - timedelta(seconds=600)
        assert not p.is_expired()


def test_window_beyond_lifetime_means_expired(make_helper: HelperFactory) -> None:
    h = make_helper(lifetime=60)
    with ProcessProvider(h.command, expiry_window=timedelta(minutes=2)) as p:
        c = p.retrieve()
        assert p.is_expired()
        assert c.expiration is not None
        assert p.expires_at() == c.expiration - timedelta(minutes=2)
        p.retrieve()
        assert h.runs == 2


def test_past_expiration_is_returned_and_expired(make_helper: HelperFactory) -> None:
    h = make_helper(lifetime=-60)
    with ProcessProvider(h.command) as p:
        c = p.retrieve()
        assert c.expiration is not None and c.expiration < now()
        assert p.is_expired()
        p.retrieve()
        assert h.runs == 2


def test_duration(make_helper: HelperFactory) -> None:
    h = make_helper()
    with ProcessProvider(h.command, duration=120) as p:
        before = now()
        c = p.retrieve()
        assert c.expiration is not None
        assert before + timedelta(seconds=119) <= c.expiration <= now() + timedelta(seconds=121)
        assert p.expires_at() == c.expiration
    with ProcessProvider(h.command, duration=0) as p:
        assert p.retrieve().expiration is None
    with ProcessProvider(h.command, duration=None) as p:
        assert p.retrieve().expiration is None


def test_from_argv_passes_arguments_verbatim() -> None:
    args = DATA / "args.sh"
    with ProcessProvider.from_argv([args, "key with spaces", "$HOME;`x`", "*"]) as p:
        c = p.retrieve()
        assert c.access_key_id == "key with spaces"
        check_secret("secret_access_key", c.secret_access_key, "$HOME;`x`")
        check_secret("session_token", c.session_token, "argc=3")
    with ProcessProvider.from_argv((str(args), "k", "s")) as p:
        assert p.retrieve().access_key_id == "k"


def test_from_argv_start_error() -> None:
    with ProcessProvider.from_argv(["/nonexistent/helper"]) as p:
        with pytest.raises(ExecutionError) as e:
            p.retrieve()
        assert e.value.message == (
            "ProcessProviderExecutionError: error in credential_process\n"
            "caused by: fork/exec /nonexistent/helper: no such file or directory"
        )


# ---- errors ----


def test_execution_error(make_helper: HelperFactory) -> None:
    h = make_helper(exit_code=3)
    with ProcessProvider(h.command) as p:
        with pytest.raises(ExecutionError) as e:
            p.retrieve()
        err = e.value
        assert err.status == 2 and err.status_name == "PC_STATUS_EXECUTION"
        assert err.code == "ProcessProviderExecutionError"
        assert err.message == (
            "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 3"
        )
        assert str(err) == err.message
        assert err.args == (err.message,)
        # Errors are not cached.
        with pytest.raises(ExecutionError):
            p.retrieve()
        assert h.runs == 2
        assert p.is_expired()


def test_error_never_shows_output(make_helper: HelperFactory) -> None:
    h = make_helper(output='{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"leak-me-not",}')
    with ProcessProvider(h.command) as p:
        with pytest.raises(ParseError) as e:
            p.retrieve()
    check_not_shown("the error message", e.value.message, "leak-me-not")
    check_not_shown("repr of the error", repr(e.value), "leak-me-not")
    assert e.value.message.startswith(
        "ProcessProviderParseError: parse failed of credential_process output\ncaused by: "
    )


@pytest.mark.parametrize(
    "output,cls,message",
    [
        ('{"Version":2}', VersionError,
         "ProcessProviderVersionError: wrong version in process output (not 1)"),
        ('{"Version":1,"SecretAccessKey":"s"}', RequiredError,
         "ProcessProviderRequiredError: missing AccessKeyId in process output"),
        ('{"Version":1,"AccessKeyId":"a"}', RequiredError,
         "ProcessProviderRequiredError: missing SecretAccessKey in process output"),
    ],
)
def test_output_errors(make_helper: HelperFactory, output: str, cls: Any, message: str) -> None:
    with ProcessProvider(make_helper(output=output).command) as p:
        with pytest.raises(cls) as e:
            p.retrieve()
        assert type(e.value) is cls
        assert e.value.message == message


def test_empty_command_fails_every_time() -> None:
    with ProcessProvider("   ") as p:
        for _ in range(2):
            with pytest.raises(ExecutionError) as e:
                p.retrieve()
            assert e.value.message == (
                "ProcessProviderExecutionError: failed to prepare command: command must not be empty"
            )


def test_timeout(make_helper: HelperFactory) -> None:
    h = make_helper(sleep=10)
    with ProcessProvider(h.command, timeout=0.3) as p:
        start = time.monotonic()
        with pytest.raises(TimeoutError) as e:
            p.retrieve()
        assert time.monotonic() - start < 5
    err = e.value
    assert isinstance(err, ProcessTimeoutError)
    assert err.status == 3 and err.code == "ProcessProviderExecutionError"
    assert err.message == "ProcessProviderExecutionError: credential process timed out"
    assert str(err) == err.message
    assert err.errno is None


def test_timeout_zero_runs_nothing(make_helper: HelperFactory) -> None:
    h = make_helper()
    with ProcessProvider(h.command, timeout=0) as p:
        with pytest.raises(ProcessTimeoutError):
            p.retrieve()
    assert h.runs == 0


def test_max_buf_size(make_helper: HelperFactory) -> None:
    h = make_helper()
    with ProcessProvider(h.command, max_buf_size=16) as p:
        with pytest.raises(ParseError) as e:
            p.retrieve()
        assert "MaxBufSize" in e.value.message


def test_stderr_capture(make_helper: HelperFactory) -> None:
    h = make_helper(exit_code=1, stderr="helper says no")
    with ProcessProvider(h.command, stderr="capture") as p:
        with pytest.raises(ExecutionError) as e:
            p.retrieve()
    assert e.value.message == (
        "ProcessProviderExecutionError: error in credential_process\n"
        "caused by: exit status 1\nstderr: helper says no"
    )


def test_stderr_inherit_and_discard(make_helper: HelperFactory, capfd: Any) -> None:
    h = make_helper(stderr="to-the-terminal")
    with ProcessProvider(h.command) as p:
        p.retrieve()
    assert "to-the-terminal" in capfd.readouterr().err
    with ProcessProvider(h.command, stderr="discard") as p:
        p.retrieve()
    assert "to-the-terminal" not in capfd.readouterr().err


@pytest.mark.parametrize("mode,ok", [("null", True), ("inherit", False)])
def test_stdin_modes(mode: str, ok: bool, lib_path: str) -> None:
    # A child Python with a line on its stdin; the helper fails when it can read one.
    code = (
        "import processcreds\n"
        f"p = processcreds.ProcessProvider({str(DATA / 'stdin_must_be_empty.sh')!r}, stdin={mode!r})\n"
        "try:\n"
        "    print(p.retrieve().access_key_id)\n"
        "except processcreds.ExecutionError as e:\n"
        "    print(e.message.splitlines()[-1])\n"
    )
    env = dict(os.environ, PROCESSCREDS_LIB=lib_path)
    r = subprocess.run([sys.executable, "-c", code], input=b"a line\n", capture_output=True,
                       env=env, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().strip() == ("accesskey" if ok else "caused by: exit status 9")


def test_error_pickles() -> None:
    e = ProcessTimeoutError(3, "ProcessProviderExecutionError", "text")
    f = pickle.loads(pickle.dumps(e))
    assert type(f) is ProcessTimeoutError
    assert (f.status, f.code, f.message) == (3, "ProcessProviderExecutionError", "text")
    assert repr(f) == repr(e)


# ---- Credentials ----


def test_credentials_repr_never_shows_secrets(make_helper: HelperFactory) -> None:
    secret, token = "SECRET-very-visible-0123", "TOKEN-very-visible-4567"
    with ProcessProvider(make_helper(secret=secret, token=token, lifetime=60).command) as p:
        c = p.retrieve()
    for text in (repr(c), str(c), f"{c}", "%s" % (c,), repr([c]), repr({"c": c})):
        check_not_shown("repr/str of Credentials", text, secret, token)
        assert "AKIDHELPER" in text
    assert "<hidden>" in repr(c)


def test_credentials_immutable() -> None:
    c = Credentials("AKID", "SECRET", "TOKEN")
    with pytest.raises(AttributeError):
        c.secret_access_key = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del c.access_key_id  # type: ignore[misc]
    with pytest.raises(AttributeError):
        c.extra = 1  # type: ignore[attr-defined]
    assert copy.copy(c) is c and copy.deepcopy(c) is c


def test_credentials_value_semantics() -> None:
    exp = datetime(2030, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    a = Credentials("AKID", "SECRET", "", "1", "ProcessProvider", exp)
    b = Credentials("AKID", "SECRET", "", "1", "ProcessProvider", exp.astimezone(UTC))
    assert a == b and hash(a) == hash(b)
    assert a.expiration is not None and a.expiration.tzinfo is UTC
    assert a != Credentials("AKID", "OTHER")
    assert pickle.loads(pickle.dumps(a)) == a
    with pytest.raises(ValueError):
        Credentials("AKID", "SECRET", expiration=datetime(2030, 1, 1))


def test_datetime_from_ms_clamps() -> None:
    assert _provider.datetime_from_ms(0) == datetime(1970, 1, 1, tzinfo=UTC)
    assert _provider.datetime_from_ms(1500) == datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)
    assert _provider.datetime_from_ms(2**62).year == 9999
    assert _provider.datetime_from_ms(-(2**62)).year == 1


def test_huge_duration_does_not_overflow(make_helper: HelperFactory) -> None:
    with ProcessProvider(make_helper().command, duration=10**12) as p:
        c = p.retrieve()
        assert c.expiration is not None and c.expiration.year == 9999
        assert not p.is_expired()


# ---- bad inputs: refused in Python, before anything reaches C ----


@pytest.fixture
def no_c_calls(monkeypatch: pytest.MonkeyPatch) -> List[str]:
    calls: List[str] = []
    for name in ("pc_provider_new", "pc_provider_new_argv", "pc_provider_from_profile"):
        def spy(*args: Any, _name: str = name) -> int:
            calls.append(_name)
            raise AssertionError(f"{_name} was called")
        monkeypatch.setattr(_lib, name, spy)
    return calls


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stderr": "bogus"}, {"stderr": "INHERIT"}, {"stdin": "discard"}, {"stdin": ""},
        {"timeout": -1}, {"timeout": float("nan")}, {"timeout": float("inf")},
        {"timeout": 1e30}, {"timeout": timedelta(seconds=-1)},
        {"expiry_window": -0.001}, {"duration": -5}, {"duration": float("nan")},
        {"max_buf_size": -1}, {"max_buf_size": 2**64},
    ],
)
def test_invalid_options(kwargs: Any, no_c_calls: List[str]) -> None:
    for make in (lambda: ProcessProvider("true", **kwargs),
                 lambda: ProcessProvider.from_argv(["true"], **kwargs)):
        with pytest.raises(InvalidArgumentError) as e:
            make()
        assert isinstance(e.value, ValueError)
        assert e.value.status == 1 and e.value.code == "InvalidParameter"
        assert e.value.message.startswith("InvalidParameter: ")
    assert no_c_calls == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout": "5"}, {"timeout": True}, {"timeout": None}, {"max_buf_size": 1.5},
        {"max_buf_size": True}, {"stderr": None}, {"stdin": 1}, {"duration": "1"},
    ],
)
def test_wrong_option_types(kwargs: Any, no_c_calls: List[str]) -> None:
    with pytest.raises(TypeError):
        ProcessProvider("true", **kwargs)
    assert no_c_calls == []


@pytest.mark.parametrize("command", ["a\0b", "\0", "caf\udce9"])
def test_invalid_command(command: str, no_c_calls: List[str]) -> None:
    with pytest.raises(InvalidArgumentError):
        ProcessProvider(command)
    assert no_c_calls == []


@pytest.mark.parametrize("command", [None, b"true", 5, Path("/bin/true")])
def test_command_type(command: Any, no_c_calls: List[str]) -> None:
    with pytest.raises(TypeError):
        ProcessProvider(command)
    assert no_c_calls == []


@pytest.mark.parametrize("argv", [[], ["ok", "a\0b"], ["\udcff"], ()])
def test_invalid_argv(argv: Any, no_c_calls: List[str]) -> None:
    with pytest.raises(InvalidArgumentError):
        ProcessProvider.from_argv(argv)
    assert no_c_calls == []


@pytest.mark.parametrize("argv", ["true", b"true", Path("/bin/true"), [1], [b"true"], None])
def test_argv_type(argv: Any, no_c_calls: List[str]) -> None:
    with pytest.raises(TypeError):
        ProcessProvider.from_argv(argv)
    assert no_c_calls == []


def test_invalid_profile_arguments(no_c_calls: List[str]) -> None:
    with pytest.raises(InvalidArgumentError):
        ProcessProvider.from_profile("a\0b")
    with pytest.raises(TypeError):
        ProcessProvider.from_profile(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ProcessProvider.from_profile("dev", shared_config=1)  # type: ignore[arg-type]
    assert no_c_calls == []


def test_millis_rounding() -> None:
    assert _provider._millis("t", 0) == 0
    assert _provider._millis("t", 0.0001) == 1
    assert _provider._millis("t", 0.007) == 7
    assert _provider._millis("t", 1.5) == 1500
    assert _provider._millis("t", timedelta(milliseconds=7)) == 7
    assert _provider._millis("t", 60) == 60000


# ---- profiles ----


def test_from_profile(tmp_path: Path, make_helper: HelperFactory,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    h = make_helper(access_key_id="AKIDPROFILE")
    config = tmp_path / "config"
    config.write_text(f"[profile dev]\ncredential_process = {h.command}\n")
    creds = tmp_path / "credentials"
    creds.write_text("[static]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = sec\n")
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SDK_LOAD_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))

    with ProcessProvider.from_profile("dev", shared_config=True) as p:
        assert p.retrieve().access_key_id == "AKIDPROFILE"
    with pytest.raises(ConfigError) as e:
        ProcessProvider.from_profile("dev", shared_config=False)
    assert e.value.status == 7 and "dev" in e.value.message
    with pytest.raises(ConfigError):
        ProcessProvider.from_profile("dev")
    monkeypatch.setenv("AWS_SDK_LOAD_CONFIG", "1")
    monkeypatch.setenv("AWS_PROFILE", "dev")
    with ProcessProvider.from_profile() as p:
        assert p.retrieve().access_key_id == "AKIDPROFILE"
    with ProcessProvider.from_profile("static") as p:
        c = p.retrieve()
        assert c.access_key_id == "AKIDSTATIC"
        assert c.provider_name == f"SharedConfigCredentials: {creds}"
        assert c.expiration is None
    with pytest.raises(ConfigError):
        ProcessProvider.from_profile("nowhere")


# ---- lifecycle ----


def test_close_is_idempotent_and_final(make_helper: HelperFactory) -> None:
    h = make_helper()
    p = ProcessProvider(h.command)
    c = p.retrieve()
    assert not p.closed
    assert h.command not in repr(p)  # a command line may hold secrets of its own
    p.close()
    p.close()
    assert p.closed
    assert "closed" in repr(p)
    for call in (p.retrieve, p.is_expired, p.expire, p.expires_at):
        with pytest.raises(InvalidArgumentError):
            call()
    # Credentials outlive their provider.
    assert c.access_key_id == "AKIDHELPER"


def test_context_manager(make_helper: HelperFactory) -> None:
    with ProcessProvider(make_helper().command) as p:
        assert isinstance(p, ProcessProvider)
    assert p.closed
    with pytest.raises(RuntimeError):
        with ProcessProvider(make_helper().command) as q:
            raise RuntimeError("boom")
    assert q.closed


def test_garbage_collected_provider(make_helper: HelperFactory, monkeypatch: Any) -> None:
    ledger = Ledger(monkeypatch)
    h = make_helper()
    for _ in range(200):
        p = ProcessProvider(h.command, duration=3600)
        del p
    assert ledger.providers_out == 200
    assert ledger.providers_live() == 0  # freed as soon as the last reference went
    p = ProcessProvider.from_argv([h.command])
    c = p.retrieve()
    del p
    gc.collect()
    assert ledger.providers_out == 201 and ledger.providers_live() == 0
    assert ledger.creds_outstanding() == 0
    assert c.access_key_id == "AKIDHELPER"  # credentials outlive their provider


def test_failed_construction_leaves_nothing(monkeypatch: Any, tmp_path: Path) -> None:
    ledger = Ledger(monkeypatch)
    with pytest.raises(InvalidArgumentError):
        ProcessProvider("true", stderr="nope")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        ProcessProvider.from_argv([])
    with pytest.raises(InvalidArgumentError):
        ProcessProvider("bad\udcff")  # not encodable as UTF-8
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("AWS_SHARED_CREDENTIALS_FILE", raising=False)
    monkeypatch.delenv("AWS_CONFIG_FILE", raising=False)
    with pytest.raises(ConfigError):
        ProcessProvider.from_profile("nowhere")
    gc.collect()
    assert ledger.providers_out == 0  # every failure came before a provider existed
    assert ledger.providers_live() == 0


def test_close_while_another_thread_retrieves(monkeypatch: Any, tmp_path: Path) -> None:
    ledger = Ledger(monkeypatch)
    started, go = tmp_path / "started", tmp_path / "go"
    helper = tmp_path / "helper.sh"
    helper.write_text(
        "#!/bin/sh\n"
        f"touch '{started}'\n"
        f"while [ ! -e '{go}' ]; do sleep 0.01; done\n"
        "printf '%s' '{\"Version\":1,\"AccessKeyId\":\"AKIDLATE\",\"SecretAccessKey\":\"s\"}'\n"
    )
    helper.chmod(0o755)
    p = ProcessProvider(str(helper))
    results: List[Any] = []

    def run() -> None:
        try:
            results.append(p.retrieve())
        except Exception as e:  # pragma: no cover - reported below
            results.append(e)

    t = threading.Thread(target=run)
    t.start()
    deadline = time.monotonic() + 30
    while not started.exists():  # the call is now inside pc_retrieve, running the helper
        assert time.monotonic() < deadline, "the helper never started"
        time.sleep(0.005)
    p.close()  # the running call keeps the handle; it is freed when that call returns
    assert p.closed
    assert ledger.providers_live() == 1
    go.touch()
    t.join(30)
    assert len(results) == 1 and isinstance(results[0], Credentials), repr(results)
    assert results[0].access_key_id == "AKIDLATE"
    assert ledger.creds_outstanding() == 0  # the reference the late call got was given back
    del p, t, run
    gc.collect()
    assert ledger.providers_live() == 0  # freed once the running call returned


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_no_fd_leak(make_helper: HelperFactory) -> None:
    ok, bad = make_helper(), make_helper(exit_code=1, stderr="x")
    def fds() -> int:
        return len(os.listdir("/proc/self/fd"))
    with ProcessProvider(ok.command) as p, ProcessProvider(bad.command, stderr="capture") as q:
        p.retrieve()
        before = fds()
        for _ in range(200):
            p.expire()
            p.retrieve()
            with pytest.raises(ExecutionError):
                q.retrieve()
        assert fds() == before

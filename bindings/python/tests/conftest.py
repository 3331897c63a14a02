"""Shared helpers of the Python suite: helper scripts that count their runs, and comparisons
that never print a secret."""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

REPO = Path(__file__).resolve().parents[3]
HEADER = REPO / "include" / "processcreds.h"
VECTORS = REPO / "tests" / "vectors"


def check_secret(field: str, got: object, want: object) -> None:
    """Fails when two secret values differ, without showing either."""
    if got != want:
        pytest.fail(f"{field} differs from the expected value (values not shown)", pytrace=False)


def check_not_shown(what: str, text: str, *secrets: str) -> None:
    """Fails when text contains any of the secrets, without showing text or secrets."""
    if any(secret in text for secret in secrets):
        pytest.fail(f"{what} shows a secret (text not shown)", pytrace=False)


@dataclass
class Helper:
    """A helper script and the file it appends one line to per run."""

    path: Path
    count_file: Path

    @property
    def command(self) -> str:
        return str(self.path)

    @property
    def runs(self) -> int:
        try:
            return len(self.count_file.read_text().splitlines())
        except FileNotFoundError:
            return 0


HelperFactory = Callable[..., Helper]


@pytest.fixture
def make_helper(tmp_path: Path) -> HelperFactory:
    """Writes a helper that appends to a count file, optionally sleeps, then prints credentials.

    ``lifetime``: seconds from the run to its ``Expiration`` (None: no Expiration).
    ``output``: print this text instead of credentials. ``exit_code``: exit with it after printing.
    """
    made = [0]

    def make(
        *,
        access_key_id: str = "AKIDHELPER",
        secret: str = "helper-secret",
        token: str = "helper-token",
        account_id: Optional[str] = None,
        lifetime: Optional[int] = None,
        sleep: float = 0.0,
        output: Optional[str] = None,
        exit_code: int = 0,
        stderr: str = "",
    ) -> Helper:
        made[0] += 1
        path = tmp_path / f"helper{made[0]}.sh"
        count = tmp_path / f"helper{made[0]}.count"
        lines = ["#!/bin/sh", f"echo run >> '{count}'"]
        if sleep:
            lines.append(f"sleep {sleep}")
        if stderr:
            lines.append(f"printf '%s' '{stderr}' >&2")
        if output is not None:
            out = tmp_path / f"helper{made[0]}.out"
            out.write_text(output)
            lines.append(f"cat '{out}'")
        else:
            fields = [
                '"Version":1',
                f'"AccessKeyId":"{access_key_id}"',
                f'"SecretAccessKey":"{secret}"',
            ]
            if token:
                fields.append(f'"SessionToken":"{token}"')
            if account_id is not None:
                fields.append(f'"AccountId":"{account_id}"')
            body = ",".join(fields)
            if lifetime is not None:
                lines.append(
                    f'exp=$(date -u -d "@$(( $(date +%s) + {lifetime} ))" +%Y-%m-%dT%H:%M:%SZ)'
                )
                lines.append(f"printf '{{{body},\"Expiration\":\"%s\"}}' \"$exp\"")
            else:
                lines.append(f"printf '%s' '{{{body}}}'")
        lines.append(f"exit {exit_code}")
        path.write_text("\n".join(lines) + "\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return Helper(path, count)

    return make


@pytest.fixture
def lib_path() -> str:
    import processcreds

    return os.path.abspath(processcreds.library_path)


class Ledger:
    """Counts, through the real library calls, the native objects the binding obtains and those
    it gives back: providers (pc_provider_new, _new_argv, _from_profile / pc_free), credentials
    references (pc_retrieve / pc_credentials_free) and errors (pc_retrieve / pc_error_free)."""

    def __init__(self, monkeypatch: Any) -> None:
        from processcreds import _lib

        self.lock = threading.Lock()
        self.providers_out = 0
        self.providers_freed = 0
        self.creds_out = 0
        self.creds_freed = 0
        self.errors_out = 0
        self.errors_freed = 0

        def counting_new(real: Any) -> Any:
            def new(*args: Any) -> int:
                status = int(real(*args))
                if status == 0:
                    with self.lock:
                        self.providers_out += 1
                return status

            return new

        free_provider = _lib.pc_free

        def pc_free(p: Any) -> None:
            assert p.value
            with self.lock:
                self.providers_freed += 1
            free_provider(p)

        retrieve, free_creds, free_error = (
            _lib.pc_retrieve, _lib.pc_credentials_free, _lib.pc_error_free)

        def pc_retrieve(p: Any, out: Any, err: Any) -> int:
            status = int(retrieve(p, out, err))
            with self.lock:
                if status == 0:
                    self.creds_out += 1
                elif err.value:
                    self.errors_out += 1
            return status

        def pc_credentials_free(c: Any) -> None:
            assert c.value
            with self.lock:
                self.creds_freed += 1
            free_creds(c)

        def pc_error_free(e: Any) -> None:
            with self.lock:
                self.errors_freed += 1
            free_error(e)

        for name in ("pc_provider_new", "pc_provider_new_argv", "pc_provider_from_profile"):
            monkeypatch.setattr(_lib, name, counting_new(getattr(_lib, name)))
        monkeypatch.setattr(_lib, "pc_free", pc_free)
        monkeypatch.setattr(_lib, "pc_retrieve", pc_retrieve)
        monkeypatch.setattr(_lib, "pc_credentials_free", pc_credentials_free)
        monkeypatch.setattr(_lib, "pc_error_free", pc_error_free)

    def providers_live(self) -> int:
        with self.lock:
            return self.providers_out - self.providers_freed

    def creds_outstanding(self) -> int:
        with self.lock:
            return self.creds_out - self.creds_freed

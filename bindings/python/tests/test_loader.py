"""Where the library is looked for: PROCESSCREDS_LIB, inside the package (where pip install and
the wheels put it), the system; and the ImportError that says how to point at it. Each case
imports the package in a fresh Python."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

import processcreds
from processcreds._lib import FILE_NAMES

PACKAGE_DIR = Path(processcreds.__file__).resolve().parent
PROBE = "import processcreds; print(processcreds.library_path)"


def run(env_lib: Optional[str], pythonpath: Optional[Path] = None) -> subprocess.CompletedProcess[str]:
    env: Dict[str, str] = {k: v for k, v in os.environ.items() if k != "PROCESSCREDS_LIB"}
    if env_lib is not None:
        env["PROCESSCREDS_LIB"] = env_lib
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, timeout=60, cwd="/")


def test_env_var_path(lib_path: str) -> None:
    r = run(lib_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == lib_path


def test_env_var_directory(lib_path: str) -> None:
    r = run(os.path.dirname(lib_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == lib_path


def test_bundled_library_without_the_variable() -> None:
    # pip install ./bindings/python and the wheels put the library inside the package.
    bundled = PACKAGE_DIR / FILE_NAMES[0]
    if not bundled.is_file():
        pytest.fail(f"the installed package has no {FILE_NAMES[0]} in {PACKAGE_DIR}", pytrace=False)
    r = run(None)
    assert r.returncode == 0, r.stderr
    assert os.path.realpath(r.stdout.strip()) == str(bundled)


def test_env_var_overrides_the_bundled_library(tmp_path: Path, lib_path: str) -> None:
    copy = tmp_path / "elsewhere" / FILE_NAMES[0]
    copy.parent.mkdir()
    shutil.copy(lib_path, copy)
    r = run(str(copy))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(copy)


def test_env_var_wrong_path_is_an_import_error() -> None:
    r = run("/nonexistent/libprocesscreds.so")
    assert r.returncode != 0
    assert "ImportError" in r.stderr
    assert "PROCESSCREDS_LIB='/nonexistent/libprocesscreds.so'" in r.stderr
    assert "export PROCESSCREDS_LIB=" in r.stderr


def test_next_to_the_package(tmp_path: Path, lib_path: str) -> None:
    copy = tmp_path / "site" / "processcreds"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    shutil.copy(lib_path, copy / "libprocesscreds.so")
    r = run(None, tmp_path / "site")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(copy / "libprocesscreds.so")


def test_not_found_says_how_to_set_the_variable(tmp_path: Path) -> None:
    if ctypes.util.find_library("processcreds"):
        pytest.skip("this machine has libprocesscreds installed system-wide")
    copy = tmp_path / "site" / "processcreds"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    r = run(None, tmp_path / "site")
    assert r.returncode != 0
    assert "ImportError: processcreds: cannot find the shared library libprocesscreds.so" in r.stderr
    assert "PROCESSCREDS_LIB is not set" in r.stderr
    assert "export PROCESSCREDS_LIB=/path/to/processcreds/target/release/libprocesscreds.so" in r.stderr
    assert "make lib" in r.stderr
    assert "pip install ./bindings/python" in r.stderr

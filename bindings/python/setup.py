"""Builds the package with libprocesscreds inside it.

The package is plain Python that loads the C library with ctypes. setuptools-rust builds that
library from the crate at the repository root (``../../Cargo.toml``, profile ``dist``: optimised
like ``release``, stripped) as an extension with no Python binding and puts it in the package
folder under its own name (``processcreds/libprocesscreds.so``), where the loader looks first
after ``PROCESSCREDS_LIB``. The wheel is tagged ``py3-none-<platform>``: one wheel per platform
serves every Python 3 version, since nothing in it depends on the interpreter's ABI.

pip builds ``./bindings/python`` in place, so the crate next to it is found. Two variables let
``make wheel`` package a library built elsewhere (a cross build for an older glibc, musl, another
architecture) instead of running cargo:

* ``PROCESSCREDS_WHEEL_LIB``: the path of that library;
* ``PROCESSCREDS_WHEEL_PLAT``: the wheel's platform tag (e.g. ``manylinux2014_x86_64``).
"""

from __future__ import annotations

import os
import sys
from typing import Any, Tuple

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools_rust import Binding, RustExtension, build_rust

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "..", "..", "Cargo.toml")
PREBUILT = os.environ.get("PROCESSCREDS_WHEEL_LIB") or None
PLAT = os.environ.get("PROCESSCREDS_WHEEL_PLAT") or None

if PREBUILT:
    # The name the loader looks for, whatever the prebuilt file is called (a dist/ tree holds
    # libprocesscreds.so.<version>).
    _base = os.path.basename(PREBUILT)
    if _base.endswith(".dll"):
        LIB_FILE = "processcreds.dll"
    elif _base.endswith(".dylib"):
        LIB_FILE = "libprocesscreds.dylib"
    else:
        LIB_FILE = "libprocesscreds.so"
elif sys.platform == "darwin":
    LIB_FILE = "libprocesscreds.dylib"
elif sys.platform == "win32":
    LIB_FILE = "processcreds.dll"
else:
    LIB_FILE = "libprocesscreds.so"

if PREBUILT and not os.path.isfile(PREBUILT):
    sys.exit(f"processcreds: PROCESSCREDS_WHEEL_LIB={PREBUILT!r} is not a file")
if PREBUILT and not PLAT:
    sys.exit("processcreds: PROCESSCREDS_WHEEL_LIB needs PROCESSCREDS_WHEEL_PLAT (the wheel's platform tag)")
if not PREBUILT and not os.path.isfile(MANIFEST):
    sys.exit(
        f"processcreds: the Rust crate is not at {os.path.normpath(MANIFEST)}. Build this package "
        "from a processcreds source tree (pip install ./bindings/python, which builds in place), "
        "or install a wheel (make wheel)."
    )


class BuildRust(build_rust):
    """Names the library as itself rather than as an extension module, and installs a prebuilt
    one instead of running cargo when ``PROCESSCREDS_WHEEL_LIB`` is set."""

    def get_dylib_ext_path(self, ext: RustExtension, target_fname: str) -> str:
        path: str = super().get_dylib_ext_path(ext, target_fname)
        return os.path.join(os.path.dirname(path), LIB_FILE)

    def run_for_extension(self, ext: RustExtension) -> None:
        if PREBUILT:
            # (module name, file) pairs, as build_extension returns them.
            built: Any = [(ext.name, os.path.abspath(PREBUILT))]
            self.install_extension(ext, built, None)
        else:
            super().run_for_extension(ext)


class BdistWheel(bdist_wheel):  # type: ignore[misc]
    """py3-none-<platform>: the library is loaded by ctypes, whatever the Python."""

    def get_tag(self) -> Tuple[str, str, str]:
        _python, _abi, plat = super().get_tag()
        return "py3", "none", PLAT or plat


cmdclass: Any = {"build_rust": BuildRust, "bdist_wheel": BdistWheel}

setup(
    rust_extensions=[
        RustExtension(
            "processcreds.libprocesscreds",
            path=os.path.relpath(MANIFEST),
            binding=Binding.NoBinding,
            args=["--profile", "dist"],
            # Only the C library: cargo's JSON lines and progress stay quiet unless pip -v.
            quiet=True,
        )
    ],
    cmdclass=cmdclass,
)

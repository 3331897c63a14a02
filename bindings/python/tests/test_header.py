"""The ctypes declarations match include/processcreds.h, function by function, type by type."""

from __future__ import annotations

import ctypes
import re
from ctypes import POINTER, c_bool, c_char_p, c_int64, c_size_t, c_uint32, c_uint64
from typing import Any, Dict, List, Tuple

import pytest

from processcreds import _constants, _errors, _lib

from .conftest import HEADER

_DECL = re.compile(
    r"^\s*(?P<ret>(?:const\s+)?[A-Za-z_]\w*(?:\s*\*)*)\s*(?P<name>pc_\w+)\s*\((?P<args>[^;{]*?)\)\s*;",
    re.M | re.S,
)


def header_functions() -> Dict[str, Tuple[str, List[str]]]:
    text = HEADER.read_text()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)  # comments
    text = re.sub(r"//[^\n]*", " ", text)
    found: Dict[str, Tuple[str, List[str]]] = {}
    for m in _DECL.finditer(text):
        args = " ".join(m.group("args").split())
        params = [] if args in ("", "void") else [a.strip() for a in args.split(",")]
        found[m.group("name")] = (" ".join(m.group("ret").split()), params)
    return found


def _strip_name(param: str) -> str:
    """`const char *const *argv` -> `const char *const *`."""
    m = re.match(r"^(?P<type>.*?[\s*])(?P<name>[A-Za-z_]\w*)$", param)
    assert m, f"cannot read the parameter {param!r}"
    return m.group("type").strip()


def _normalize(ctype: str) -> str:
    t = re.sub(r"\s*\*\s*", "*", ctype.strip())  # `char *const *` -> `char*const*`
    t = re.sub(r"\s+", " ", t)
    return t


def expected_ctype(ctype: str) -> Any:
    """The ctypes type a C type must be declared as."""
    t = _normalize(ctype)
    scalars: Dict[str, Any] = {
        "void": None,
        "bool": c_bool,
        "uint32_t": c_uint32,
        "uint64_t": c_uint64,
        "size_t": c_size_t,
        "const char*": c_char_p,
        "int64_t*": POINTER(c_int64),
        "const char*const*": POINTER(c_char_p),
        "void*": ctypes.c_void_p,
        "pc_retrieve_cb": _lib.RETRIEVE_CB,
        "pc_log_cb": _lib.LOG_CB,
        "pc_stats*": POINTER(_lib.PcStats),
    }
    if t in scalars:
        return scalars[t]
    m = re.fullmatch(r"(?:const )?(pc_\w+)(\*+)", t)
    if m and m.group(1) in _lib.OPAQUE:
        base = _lib.OPAQUE[m.group(1)]
        for _ in range(len(m.group(2)) - 1):
            base = POINTER(base)
        return base
    raise AssertionError(f"no ctypes mapping for the C type {ctype!r}: extend this test")


HEADER_FUNCTIONS = header_functions()


def test_header_has_functions() -> None:
    assert len(HEADER_FUNCTIONS) >= 27, sorted(HEADER_FUNCTIONS)
    assert "pc_retrieve" in HEADER_FUNCTIONS


def test_same_function_names() -> None:
    declared = set(_lib.SIGNATURES)
    in_header = set(HEADER_FUNCTIONS)
    assert in_header - declared == set(), "functions of the header without ctypes declarations"
    assert declared - in_header == set(), "ctypes declarations of functions not in the header"


@pytest.mark.parametrize("name", sorted(HEADER_FUNCTIONS))
def test_declaration_matches_header(name: str) -> None:
    ret, params = HEADER_FUNCTIONS[name]
    assert name in _lib.SIGNATURES, f"{name} is not declared"
    restype, argtypes = _lib.SIGNATURES[name]
    assert restype is expected_ctype(ret), f"{name}: restype {restype} for C {ret!r}"
    want = [expected_ctype(_strip_name(p)) for p in params]
    assert list(argtypes) == want, f"{name}: argtypes {argtypes} for C ({', '.join(params)})"
    # The function object of the loaded library carries exactly these declarations.
    assert name not in _lib.MISSING, f"{name} is not exported by {_lib.LIB_PATH}"
    f = getattr(_lib.LIB, name)
    assert f.restype is restype
    assert list(f.argtypes or []) == want
    assert getattr(_lib, name) is f


def test_opaque_handles_are_pointer_sized() -> None:
    for t in _lib.OPAQUE.values():
        assert issubclass(t, ctypes.c_void_p)
        assert ctypes.sizeof(t) == ctypes.sizeof(ctypes.c_void_p)


def _header_defines() -> Dict[str, int]:
    return {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^#define (\w+) (\d+)\s*$", HEADER.read_text(), re.M)
    }


def test_constants_match_header() -> None:
    """_constants.py holds every #define of the header (it is generated from it: tests/header.rs
    fails when it is stale); the loaded library names each status as they do."""
    defines = _header_defines()
    ours = {n: v for n, v in vars(_constants).items() if n.startswith("PC_")}
    assert ours == defines
    statuses = {v: n for n, v in defines.items() if n.startswith("PC_STATUS_")}
    assert _constants.STATUS_NAMES == statuses
    for value, name in statuses.items():
        assert _lib.status_name(value) == name
    assert _lib.status_name(max(statuses) + 1) == "PC_STATUS_UNKNOWN"


def test_defaults_are_the_headers() -> None:
    """The constructors' defaults are the library's (PC_DEFAULT_*), not numbers of their own."""
    import inspect

    from processcreds import ProcessProvider

    defines = _header_defines()
    for f in (ProcessProvider.__init__, ProcessProvider.from_argv):
        params = inspect.signature(f).parameters
        assert params["timeout"].default * 1000 == defines["PC_DEFAULT_TIMEOUT_MS"]
        assert params["max_buf_size"].default == defines["PC_DEFAULT_BUF_SIZE"]


def test_error_classes_cover_every_failure_status() -> None:
    failures = {v for n, v in _header_defines().items() if n.startswith("PC_STATUS_") and v}
    assert set(_errors.ERROR_CLASSES) == failures

#!/bin/sh
# wheel-test.sh WHEEL_DIR AUDITWHEEL: checks the wheels `make wheel` built, as a new user gets
# them.
#
# Every wheel: `auditwheel show` says it is consistent with the platform tag in its name, and it
# holds processcreds/libprocesscreds.so, stripped (no .symtab, no .debug_*), for the tag's
# architecture. The musllinux and aarch64 libraries are also used from examples/demo.c, built by
# musl-gcc (run natively) and by the aarch64 cross compiler (run under qemu-aarch64).
#
# The wheel this machine can run (its architecture, glibc): installed with pip into a new
# virtualenv in an empty temporary directory, in an environment holding only PATH and a
# temporary HOME (no PROCESSCREDS_LIB, no checkout: nothing imports from it), with pytest and
# botocore from PyPI; the package must load the library inside it; then the binding's test
# suite (API, threads, loader, botocore, conformance vectors, header declarations), copied
# into that directory with the vectors, the header and the README it reads, runs from there.
#
# Run from the repository root by `make test-wheel`. Prints `ok`/`FAIL` lines and
# `N passed, N failed`.
set -u
wheels=$(cd "$1" && pwd) || exit 1
auditwheel=$2
: "${PYTHON3:=python3}"
top=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/processcreds-wheel.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$top/tools/checks.sh"

# The manylinux/musllinux policy name auditwheel prints for a wheel's platform tag.
policy() {
    case $1 in
        manylinux2014_*) echo "manylinux_2_17_${1#manylinux2014_}" ;;
        *) echo "$1" ;;
    esac
}
# The ELF machine readelf prints for a platform tag's architecture.
machine() {
    case $1 in
        *_x86_64) echo "Advanced Micro Devices X86-64" ;;
        *_aarch64) echo "AArch64" ;;
        *) echo "unknown" ;;
    esac
}

# foreign_demo LABEL SO KIND: examples/demo.c linked against the wheel's library SO by the C
# toolchain of KIND (musl: Debian's musl-gcc, run natively by musl's loader; aarch64: the cross
# gcc, run under qemu-aarch64), run on the sample helper.
foreign_demo() {
    d="$tmp/demo-$3"
    mkdir -p "$d/lib"
    cp "$2" "$d/lib/libprocesscreds.so"
    ln -sf libprocesscreds.so "$d/lib/libprocesscreds.so.0"
    case $3 in
        musl)
            sh tools/ensure-debs musl-tools >/dev/null 2>&1
            # For the link only: the name the musllinux library asks for is musl's libc.
            ln -sf /usr/lib/x86_64-linux-musl/libc.so "$d/lib/libc.musl-x86_64.so.1"
            cc="musl-gcc" run="" ;;
        aarch64)
            sh tools/ensure-debs gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user >/dev/null 2>&1
            cc="aarch64-linux-gnu-gcc" run="qemu-aarch64 -L /usr/aarch64-linux-gnu" ;;
    esac
    check "$1: examples/demo.c links its library ($cc)" $cc -std=c99 -O1 -Iinclude -o "$d/demo" examples/demo.c \
        -L"$d/lib" -lprocesscreds -Wl,-rpath,"$d/lib" -Wl,-rpath-link,"$d/lib"
    check "$1: the demo retrieves the sample credentials through it${run:+ ($run)}" sh -c \
        "env -u LD_LIBRARY_PATH $run '$d/demo' '$top/examples/sample-helper.sh' | grep -q 'AccessKeyId *AKIDEXAMPLESAMPLE01'"
}

host_arch=$(uname -m)
host_libc=glibc
ldd --version 2>&1 | grep -qi musl && host_libc=musl
runnable=""
count=0
for whl in "$wheels"/processcreds-*.whl; do
    [ -e "$whl" ] || continue
    count=$((count + 1))
    name=$(basename "$whl")
    plat=${name%.whl}
    plat=${plat##*-}
    want=$(policy "$plat")
    "$auditwheel" show "$whl" >"$tmp/show.out" 2>&1
    shown=$(tr -s ' \n' '  ' <"$tmp/show.out")
    case $shown in
        *"is consistent with the following platform tag: \"$want\""*) ok "$name: auditwheel show: consistent with $want" ;;
        *) fail "$name: auditwheel show: consistent with $want"; cat "$tmp/show.out" ;;
    esac
    x="$tmp/unzipped-$plat"
    mkdir -p "$x"
    check "$name: unpacks" "${PYTHON3}" -m zipfile -e "$whl" "$x"
    so="$x/processcreds/libprocesscreds.so"
    check "$name: holds processcreds/libprocesscreds.so" test -f "$so"
    check "$name: the library is stripped" sh -c "readelf -S '$so' >'$tmp/sections' && ! grep -Eq '\\.symtab|\\.debug_' '$tmp/sections'"
    check "$name: the library is for $(machine "$plat")" sh -c "readelf -h '$so' | grep -q 'Machine: *$(machine "$plat")'"
    check "$name: tagged py3-none" sh -c "case '$name' in *-py3-none-*) exit 0;; esac; exit 1"
    case $plat in
        manylinux*_"$host_arch") [ "$host_libc" = glibc ] && runnable=$whl ;;
        musllinux*_"$host_arch") [ "$host_libc" = musl ] && runnable=$whl ;;
    esac
    # The library of a wheel this machine's Python cannot install, used from C on its platform.
    case $plat in
        musllinux_*_x86_64) [ "$host_arch" = x86_64 ] && foreign_demo "$name" "$so" musl ;;
        manylinux*_aarch64) [ "$host_arch" != aarch64 ] && foreign_demo "$name" "$so" aarch64 ;;
    esac
done
check "make wheel built wheels (found $count in $wheels)" test "$count" -gt 0

if [ -z "$runnable" ]; then
    fail "no wheel for this machine ($host_arch, $host_libc) to install"
    summary
    exit 1
fi

# ---- install into a new virtualenv, in an empty directory, with a clean environment
py=$("$PYTHON3" -c 'import sys; print(sys.executable)')
pipcache=$("$PYTHON3" -m pip cache dir 2>/dev/null || echo "$tmp/pip-cache")
home="$tmp/home"
work="$tmp/work"
mkdir -p "$home" "$work"
clean() { (cd "$work" && env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" TMPDIR="$tmp" "$@"); }
name=$(basename "$runnable")
check "a new virtualenv" clean "$py" -m venv "$work/venv"
vpy="$work/venv/bin/python"
check "pip install $name pytest botocore" clean "$vpy" -m pip install --quiet --disable-pip-version-check \
    --cache-dir "$pipcache" "$runnable" pytest botocore
check "pip list shows processcreds" sh -c "cd '$work' && '$vpy' -m pip list 2>/dev/null | grep -q '^processcreds '"
clean "$vpy" -c 'import processcreds, sys; print(processcreds.library_path); print(processcreds.library_version())' \
    >"$tmp/import.out" 2>&1
libpath=$(sed -n 1p "$tmp/import.out")
check "import processcreds loads the library inside the installed package" sh -c "case '$libpath' in '$work/venv/lib/'*/site-packages/processcreds/libprocesscreds.so) exit 0;; esac; cat '$tmp/import.out'; exit 1"
check "library_version() is the crate's" test "$(sed -n 2p "$tmp/import.out")" = "$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)"

# ---- the binding's suite, from a copy in the empty directory
mkdir -p "$work/t/bindings/python" "$work/t/tests" "$work/t/include"
cp -R bindings/python/tests "$work/t/bindings/python/tests"
cp -R tests/vectors "$work/t/tests/vectors"
cp include/processcreds.h "$work/t/include/"
cp README.md "$work/t/"
find "$work/t" -name __pycache__ -prune -exec rm -rf {} +
# (test_aiobotocore.py needs aiobotocore's own botocore and a moto server: `make test-python`
# runs it in a virtualenv of its own.)
if clean sh -c "cd '$work/t' && '$vpy' -m pytest -q -p no:cacheprovider --junit-xml='$tmp/junit.xml' --ignore=bindings/python/tests/test_aiobotocore.py bindings/python/tests" >"$tmp/pytest.out" 2>&1; then
    ok "the binding's test suite passes against the installed wheel: $(tail -n 1 "$tmp/pytest.out")"
else
    fail "the binding's test suite passes against the installed wheel"
    tail -n 40 "$tmp/pytest.out"
fi
# What ran, from pytest's own report: each suite ran and passed, and the loader found the
# library inside the package with no PROCESSCREDS_LIB.
cat >"$tmp/junit.py" <<'EOF'
import collections, sys, xml.etree.ElementTree as ET
ran = collections.Counter()
bad = []
passed = set()
for case in ET.parse(sys.argv[1]).iter("testcase"):
    modules = [part for part in case.get("classname", "").split(".") if part.startswith("test_")]
    ran[modules[0] if modules else ""] += 1
    # A skip is allowed only for a vector of another platform (test_vectors: "not run on ...").
    if any(
        child.tag in ("failure", "error")
        or (child.tag == "skipped" and not (child.get("message") or "").startswith("not run on "))
        for child in case
    ):
        bad.append(f"{case.get('classname')}.{case.get('name')}")
    else:
        passed.add(case.get("name"))
for module in ("test_api", "test_botocore", "test_loader", "test_threads", "test_vectors", "test_header"):
    if ran[module] == 0:
        sys.exit(f"no test of {module} ran")
if bad:
    sys.exit("failed or skipped: " + ", ".join(bad[:20]))
if "test_bundled_library_without_the_variable" not in passed:
    sys.exit("test_loader.test_bundled_library_without_the_variable did not pass")
print(", ".join(f"{m} {n}" for m, n in sorted(ran.items())))
EOF
check "each suite ran and passed, none skipped but other platforms' vectors; the bundled library was loaded" "$PYTHON3" "$tmp/junit.py" "$tmp/junit.xml"

summary

#!/bin/sh
# `make install` as a user does it, then programs built through pkg-config and run with no
# LD_LIBRARY_PATH:
#
# - a prefix outside the dynamic linker's search path (a temporary directory): make install
#   prints the rpath to use instead of running ldconfig; examples/demo.c, bindings/c/example.c
#   and a C++ program linked with `pkg-config --libs processcreds` plus that rpath run; the
#   static route `pkg-config --libs processcreds-static` links the archive (no
#   libprocesscreds.so in ldd) and needs nothing at run time;
# - the default prefix, /usr/local, which is in the search path: make install runs ldconfig and
#   a program linked with plain `pkg-config --libs processcreds` runs as it is. This part runs
#   in a private mount namespace in which /etc and /usr/local are overlays on a temporary
#   directory, so the machine's /usr/local and loader cache are untouched; where no such
#   namespace can be made (no unshare, no overlayfs) it says SKIP loudly.
#
# Also the installed files (stripped libraries, soname, pkg-config files), DESTDIR staging,
# `make uninstall`, and that the README's example is bindings/c/example.c.
#
# Run from the repository root by `make test-c`, with MAKE, CC, CXX, PC_VERSION, PC_SOMAJOR and
# STATIC_LIBS in the environment. Prints `ok`/`FAIL` lines and a final `N passed, N failed`.
set -u
: "${MAKE:=make}" "${CC:=cc}" "${CXX:=c++}"
top=$(pwd)
STRICT="-std=c99 -Wall -Wextra -Werror -pedantic"
helper="$top/examples/sample-helper.sh"
. "$top/tools/checks.sh"

# run PROGRAM ARGS...: runs a program with no LD_LIBRARY_PATH.
run() { env -u LD_LIBRARY_PATH "$@"; }
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }
# The directories the dynamic linker's cache is built from.
ldso_dirs() { ldconfig -v -N -X 2>/dev/null | sed -n 's|^\(/[^:]*\):.*|\1|p'; }

# ---- the default prefix, inside the private mount namespace made below (`$0 --system TMP`)
if [ "${1:-}" = --system ]; then
    tmp=$2
    ns="$tmp/ns"
    # overlayfs wants its upper layer on a file system such as tmpfs.
    mkdir -p "$ns" && mount -t tmpfs none "$ns" || exit 3
    mkdir -p "$ns/etc/upper" "$ns/etc/work" "$ns/usrlocal/upper" "$ns/usrlocal/work" "$ns/build"
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$ns/etc/upper,workdir=$ns/etc/work" /etc || exit 3
    mount -t overlay overlay -o "lowerdir=/usr/local,upperdir=$ns/usrlocal/upper,workdir=$ns/usrlocal/work" /usr/local || exit 3
    unset PREFIX LIBDIR INCLUDEDIR PKGCONFIGDIR BINDIR DESTDIR PKG_CONFIG_PATH PKG_CONFIG_LIBDIR LD_LIBRARY_PATH
    if ! ldso_dirs | grep -qx /usr/local/lib; then
        echo "SKIP default prefix: /usr/local/lib is not in this system's dynamic linker search path"
        summary
        exit 0
    fi
    check "make install (PREFIX=/usr/local, as root)" sh -c "$MAKE --no-print-directory -s install >'$ns/install.out' 2>&1"
    check "make install said it ran ldconfig" grep -q '^make install: ran .*ldconfig (/usr/local/lib is in the dynamic linker' "$ns/install.out"
    check "the loader's cache has libprocesscreds.so.$PC_SOMAJOR in /usr/local/lib" sh -c "ldconfig -p | grep -q 'libprocesscreds.so.$PC_SOMAJOR .*=> /usr/local/lib/libprocesscreds.so.$PC_SOMAJOR'"
    # shellcheck disable=SC2046
    check "demo.c builds with pkg-config --libs processcreds" $CC $STRICT -o "$ns/build/demo-shared" examples/demo.c $(pkg-config --cflags --libs processcreds)
    check "demo (shared) runs with no LD_LIBRARY_PATH and no rpath" sh -c "env -u LD_LIBRARY_PATH '$ns/build/demo-shared' '$helper' | grep -q 'AccessKeyId *AKIDEXAMPLESAMPLE01'"
    check "demo (shared) loads /usr/local/lib/libprocesscreds.so.$PC_SOMAJOR" sh -c "env -u LD_LIBRARY_PATH ldd '$ns/build/demo-shared' | grep -q '=> /usr/local/lib/libprocesscreds.so.$PC_SOMAJOR'"
    # shellcheck disable=SC2046
    check "demo.c builds with pkg-config --libs processcreds-static" $CC $STRICT -o "$ns/build/demo-static" examples/demo.c $(pkg-config --cflags --libs processcreds-static)
    check "demo (static): no libprocesscreds.so in ldd" sh -c "ldd '$ns/build/demo-static' >'$ns/ldd-static' && ! grep -q libprocesscreds '$ns/ldd-static'"
    check "demo (static) runs" sh -c "env -u LD_LIBRARY_PATH '$ns/build/demo-static' '$helper' | grep -q 'AccessKeyId *AKIDEXAMPLESAMPLE01'"
    check "make uninstall (PREFIX=/usr/local)" $MAKE --no-print-directory -s uninstall
    check "uninstall: the loader's cache no longer lists libprocesscreds" sh -c "! ldconfig -p | grep -q libprocesscreds"
    check "uninstall: nothing of processcreds left in /usr/local" sh -c "test -z \"\$(find /usr/local -name '*processcreds*')\""
    summary
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/processcreds-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
lib="$prefix/lib"
# pkg-config on the temporary prefix only, its output with whitespace normalised.
pcfg() {
    out=$(PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_LIBDIR="$lib/pkgconfig" pkg-config "$@") || return 1
    # shellcheck disable=SC2086
    set -- $out
    printf '%s' "$*"
}

# ---- make install PREFIX=<a directory outside the loader's search path>
check "make install PREFIX=<tmp>" sh -c "$MAKE --no-print-directory -s install PREFIX='$prefix' >'$tmp/install.out' 2>&1"
check "real file lib/libprocesscreds.so.$PC_VERSION" test -f "$lib/libprocesscreds.so.$PC_VERSION" -a ! -L "$lib/libprocesscreds.so.$PC_VERSION"
check "soname link lib/libprocesscreds.so.$PC_SOMAJOR" test "$(readlink "$lib/libprocesscreds.so.$PC_SOMAJOR")" = "libprocesscreds.so.$PC_VERSION"
check "dev link lib/libprocesscreds.so" test "$(readlink "$lib/libprocesscreds.so")" = "libprocesscreds.so.$PC_SOMAJOR"
check "installed library's soname is libprocesscreds.so.$PC_SOMAJOR" test "$(soname "$lib/libprocesscreds.so.$PC_VERSION")" = "libprocesscreds.so.$PC_SOMAJOR"
check "installed .so is stripped (no .symtab, no .debug_*)" sh -c "! readelf -S '$lib/libprocesscreds.so.$PC_VERSION' | grep -Eq '\.symtab|\.debug_'"
check "installed .so exports the C ABI" sh -c "readelf --dyn-syms '$lib/libprocesscreds.so.$PC_VERSION' | grep -q ' pc_retrieve$'"
check "lib/libprocesscreds.a" test -f "$lib/libprocesscreds.a"
check "installed .a has no debug info" sh -c "! readelf -S '$lib/libprocesscreds.a' | grep -q '\.debug_'"
check "include/processcreds.h" cmp "$prefix/include/processcreds.h" include/processcreds.h
check "include/processcreds.hpp" cmp "$prefix/include/processcreds.hpp" bindings/c/processcreds.hpp
check "lib/pkgconfig/processcreds.pc" test -f "$lib/pkgconfig/processcreds.pc"
check "lib/pkgconfig/processcreds-static.pc" test -f "$lib/pkgconfig/processcreds-static.pc"
check "make install did not run ldconfig on a private prefix" sh -c "! grep -q 'ran .*ldconfig' '$tmp/install.out'"
check "make install printed the rpath to use" grep -qF -- "pkg-config --cflags --libs processcreds) -Wl,-rpath,$lib" "$tmp/install.out"
check "make install printed the static route" grep -qF -- "pkg-config --cflags --libs processcreds-static)" "$tmp/install.out"
rpath=$(sed -n 's/.*processcreds) \(-Wl,-rpath,[^ ]*\)$/\1/p' "$tmp/install.out")
if [ -f cli/Cargo.toml ]; then
    check "bin/processcreds (the command)" test -x "$prefix/bin/processcreds"
    check "bin/processcreds runs: --version" sh -c "env -u LD_LIBRARY_PATH '$prefix/bin/processcreds' --version | grep -qx 'processcreds $PC_VERSION'"
    check "bin/processcreds is stripped" sh -c "! readelf -S '$prefix/bin/processcreds' | grep -Eq '\.symtab|\.debug_'"
fi

# ---- pkg-config
check "pkg-config --modversion" test "$(pcfg --modversion processcreds)" = "$PC_VERSION"
check "pkg-config --cflags" test "$(pcfg --cflags processcreds)" = "-I$prefix/include"
check "pkg-config --libs" test "$(pcfg --libs processcreds)" = "-L$lib -lprocesscreds"
check "pkg-config --static --libs has the system libraries" test "$(pcfg --static --libs processcreds)" = "-L$lib -lprocesscreds $STATIC_LIBS"
check "pkg-config --variable=prefix" test "$(pcfg --variable=prefix processcreds)" = "$prefix"
check "pkg-config --libs processcreds-static names the archive" test "$(pcfg --libs processcreds-static)" = "$lib/libprocesscreds.a $STATIC_LIBS"
check "pkg-config --cflags processcreds-static" test "$(pcfg --cflags processcreds-static)" = "-I$prefix/include"

# ---- shared: `pkg-config --libs processcreds` and the rpath make install printed
# shellcheck disable=SC2046
check "demo.c builds against the shared library" $CC $STRICT -o "$tmp/demo-shared" examples/demo.c $(pcfg --cflags --libs processcreds) $rpath
check "demo (shared) needs libprocesscreds.so.$PC_SOMAJOR" sh -c "readelf -d '$tmp/demo-shared' | grep -q 'NEEDED.*\[libprocesscreds.so.$PC_SOMAJOR\]'"
check "demo (shared) runs with no LD_LIBRARY_PATH" sh -c "env -u LD_LIBRARY_PATH '$tmp/demo-shared' '$helper' >'$tmp/out-shared'"
check "demo (shared) got the sample credentials" grep -q 'AccessKeyId *AKIDEXAMPLESAMPLE01' "$tmp/out-shared"
check "demo (shared) does not print the secret" sh -c "! grep -q 'sample/secret/key/EXAMPLEKEY0123456789' '$tmp/out-shared'"
check "demo (shared) loaded the installed library" sh -c "env -u LD_LIBRARY_PATH ldd '$tmp/demo-shared' | grep -q '=> $lib/libprocesscreds.so.$PC_SOMAJOR'"
# shellcheck disable=SC2046
check "example.c builds against the shared library" $CC $STRICT -o "$tmp/example-shared" bindings/c/example.c $(pcfg --cflags --libs processcreds) $rpath
check "example (shared) runs" sh -c "env -u LD_LIBRARY_PATH '$tmp/example-shared' '$helper' >'$tmp/out-example' && grep -q 'AKIDEXAMPLESAMPLE01' '$tmp/out-example'"
check "example (shared) reports a failing helper" sh -c "env -u LD_LIBRARY_PATH '$tmp/example-shared' 'echo oops >&2; exit 3' >'$tmp/out-example-fail' 2>&1; test \$? -eq 1 && grep -q 'caused by: exit status 3' '$tmp/out-example-fail'"

# ---- static: `pkg-config --libs processcreds-static`
# shellcheck disable=SC2046
check "demo.c builds against the static library" $CC $STRICT -o "$tmp/demo-static" examples/demo.c $(pcfg --cflags --libs processcreds-static)
check "demo (static) does not need libprocesscreds.so" sh -c "! readelf -d '$tmp/demo-static' | grep -q 'NEEDED.*libprocesscreds'"
check "demo (static): no libprocesscreds.so in ldd" sh -c "ldd '$tmp/demo-static' >'$tmp/ldd-static' && ! grep -q libprocesscreds '$tmp/ldd-static'"
check "demo (static) runs with no library path" sh -c "env -u LD_LIBRARY_PATH '$tmp/demo-static' '$helper' >'$tmp/out-static'"
check "demo (static) got the sample credentials" grep -q 'AccessKeyId *AKIDEXAMPLESAMPLE01' "$tmp/out-static"
# shellcheck disable=SC2046
check "example.c builds against the static library" $CC $STRICT -o "$tmp/example-static" bindings/c/example.c $(pcfg --cflags --libs processcreds-static)
check "example (static) runs" sh -c "env -u LD_LIBRARY_PATH '$tmp/example-static' '$helper' | grep -q AKIDEXAMPLESAMPLE01"

# ---- C++ from the installed headers
printf '#include <processcreds.hpp>\nint main() { processcreds::provider p("true"); return p.is_expired() ? 0 : 1; }\n' >"$tmp/hpp.cpp"
# shellcheck disable=SC2046
check "processcreds.hpp from the prefix builds and links" $CXX -std=c++17 -Wall -Wextra -Werror -pedantic -o "$tmp/hpp" "$tmp/hpp.cpp" $(pcfg --cflags --libs processcreds) $rpath
check "processcreds.hpp program runs" run "$tmp/hpp"

# ---- the default prefix (/usr/local) with ldconfig, in a private mount namespace
if [ "$(id -u)" = 0 ]; then userns=""; else userns="-r"; fi
if command -v unshare >/dev/null 2>&1 && unshare $userns -m sh -c "mount -t tmpfs none '$tmp'" 2>/dev/null; then
    unshare $userns -m sh "$top/bindings/c/tests/install-test.sh" --system "$tmp" >"$tmp/system.out" 2>&1
    rc=$?
    while IFS= read -r line; do
        case $line in
            "ok   "*) ok "${line#ok   }" ;;
            "FAIL "*) fail "${line#FAIL }" ;;
            "SKIP "*) echo "$line" ;;
            [0-9]*" passed, "*" failed") ;;
            *) echo "    $line" ;;
        esac
    done <"$tmp/system.out"
    if [ $rc -ne 0 ] || ! grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$tmp/system.out"; then
        fail "default prefix: the namespace run ended early (exit status $rc)"
        tail -n 20 "$tmp/system.out"
    fi
else
    echo "SKIP default prefix (/usr/local) with ldconfig: no private mount namespace here (unshare -m fails)"
fi

# ---- DESTDIR staging
stage="$tmp/stage"
check "make install DESTDIR=<tmp> PREFIX=/opt/processcreds" $MAKE --no-print-directory -s install DESTDIR="$stage" PREFIX=/opt/processcreds
check "DESTDIR: files under the stage" test -f "$stage/opt/processcreds/lib/libprocesscreds.so.$PC_VERSION" -a -L "$stage/opt/processcreds/lib/libprocesscreds.so" -a -f "$stage/opt/processcreds/include/processcreds.h"
check "DESTDIR: the .pc names the final prefix" grep -qx 'prefix=/opt/processcreds' "$stage/opt/processcreds/lib/pkgconfig/processcreds.pc"
check "DESTDIR: processcreds-static.pc" grep -qx 'prefix=/opt/processcreds' "$stage/opt/processcreds/lib/pkgconfig/processcreds-static.pc"
check "DESTDIR: libdir relative to prefix" grep -qx 'libdir=${prefix}/lib' "$stage/opt/processcreds/lib/pkgconfig/processcreds.pc"

# ---- make uninstall
check "make uninstall PREFIX=<tmp>" $MAKE --no-print-directory -s uninstall PREFIX="$prefix"
check "uninstall removed every file" sh -c "test -z \"\$(find '$prefix' -type f -o -type l)\""

# ---- the README's example is example.c
sed -n '/<!-- example.c -->/,/^```$/p' bindings/c/README.md | sed '1,2d;$d' >"$tmp/readme-example.c"
check "bindings/c/README.md shows bindings/c/example.c verbatim" cmp "$tmp/readme-example.c" bindings/c/example.c

summary

#!/bin/sh
# `make install` into a temporary prefix, then examples/demo.c and bindings/c/example.c built
# against the installed copy through pkg-config, shared and static, and run against
# examples/sample-helper.sh. Also DESTDIR staging, `make uninstall`, the installed C++ header,
# and that the README's example is bindings/c/example.c.
#
# Run from the repository root by `make test-c`, with MAKE, CC, CXX, PC_VERSION, PC_SOMAJOR and
# STATIC_LIBS in the environment. Prints `ok`/`FAIL` lines and a final `N passed, N failed`.
set -u
: "${MAKE:=make}" "${CC:=cc}" "${CXX:=c++}"
top=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/processcreds-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
lib="$prefix/lib"
passed=0
failed=0
STRICT="-std=c99 -Wall -Wextra -Werror -pedantic"

ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
# check NAME COMMAND...: runs the command (output to the log), ok if it succeeds.
check() {
    name=$1
    shift
    if "$@" >>"$tmp/log" 2>&1; then ok "$name"; else fail "$name"; tail -n 15 "$tmp/log"; fi
}
# pkg-config on the temporary prefix only, its output with whitespace normalised.
pcfg() {
    out=$(PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_LIBDIR="$lib/pkgconfig" pkg-config "$@") || return 1
    # shellcheck disable=SC2086
    set -- $out
    printf '%s' "$*"
}
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }

# ---- make install PREFIX=...
check "make install PREFIX=<tmp>" $MAKE --no-print-directory -s install PREFIX="$prefix"
check "real file lib/libprocesscreds.so.$PC_VERSION" test -f "$lib/libprocesscreds.so.$PC_VERSION" -a ! -L "$lib/libprocesscreds.so.$PC_VERSION"
check "soname link lib/libprocesscreds.so.$PC_SOMAJOR" test "$(readlink "$lib/libprocesscreds.so.$PC_SOMAJOR")" = "libprocesscreds.so.$PC_VERSION"
check "dev link lib/libprocesscreds.so" test "$(readlink "$lib/libprocesscreds.so")" = "libprocesscreds.so.$PC_SOMAJOR"
check "installed library's soname is libprocesscreds.so.$PC_SOMAJOR" test "$(soname "$lib/libprocesscreds.so.$PC_VERSION")" = "libprocesscreds.so.$PC_SOMAJOR"
check "lib/libprocesscreds.a" test -f "$lib/libprocesscreds.a"
check "include/processcreds.h" cmp "$prefix/include/processcreds.h" include/processcreds.h
check "include/processcreds.hpp" cmp "$prefix/include/processcreds.hpp" bindings/c/processcreds.hpp
check "lib/pkgconfig/processcreds.pc" test -f "$lib/pkgconfig/processcreds.pc"

# ---- pkg-config
check "pkg-config --modversion" test "$(pcfg --modversion processcreds)" = "$PC_VERSION"
check "pkg-config --cflags" test "$(pcfg --cflags processcreds)" = "-I$prefix/include"
check "pkg-config --libs" test "$(pcfg --libs processcreds)" = "-L$lib -lprocesscreds"
static_libs=$(pcfg --static --libs processcreds)
check "pkg-config --static --libs has the system libraries" test "$static_libs" = "-L$lib -lprocesscreds $STATIC_LIBS"
check "pkg-config --variable=prefix" test "$(pcfg --variable=prefix processcreds)" = "$prefix"

# ---- shared: demo.c and example.c with `pkg-config --cflags --libs`, run with LD_LIBRARY_PATH
helper="$top/examples/sample-helper.sh"
# shellcheck disable=SC2046
check "demo.c builds against the shared library" $CC $STRICT -o "$tmp/demo-shared" examples/demo.c $(pcfg --cflags --libs processcreds)
check "demo (shared) needs libprocesscreds.so.$PC_SOMAJOR" sh -c "readelf -d '$tmp/demo-shared' | grep -q 'NEEDED.*\[libprocesscreds.so.$PC_SOMAJOR\]'"
check "demo (shared) runs from the prefix" sh -c "LD_LIBRARY_PATH='$lib' '$tmp/demo-shared' '$helper' >'$tmp/out-shared'"
check "demo (shared) got the sample credentials" grep -q 'AccessKeyId *AKIDEXAMPLESAMPLE01' "$tmp/out-shared"
check "demo (shared) does not print the secret" sh -c "! grep -q 'sample/secret/key/EXAMPLEKEY0123456789' '$tmp/out-shared'"
check "demo (shared) loaded the installed library" sh -c "LD_LIBRARY_PATH='$lib' ldd '$tmp/demo-shared' | grep -q '$lib/libprocesscreds.so.$PC_SOMAJOR'"
check "example.c builds against the shared library" $CC $STRICT -o "$tmp/example-shared" bindings/c/example.c $(pcfg --cflags --libs processcreds)
check "example (shared) runs" sh -c "LD_LIBRARY_PATH='$lib' '$tmp/example-shared' '$helper' >'$tmp/out-example' && grep -q 'AKIDEXAMPLESAMPLE01' '$tmp/out-example'"
check "example (shared) reports a failing helper" sh -c "LD_LIBRARY_PATH='$lib' '$tmp/example-shared' 'echo oops >&2; exit 3' >'$tmp/out-example-fail' 2>&1; test \$? -eq 1 && grep -q 'caused by: exit status 3' '$tmp/out-example-fail'"

# ---- static: `pkg-config --static`, asking for the archive by name (-l:libprocesscreds.a)
static_flags=$(printf '%s' "$static_libs" | sed 's/-lprocesscreds/-l:libprocesscreds.a/')
check "demo.c builds against the static library" $CC $STRICT -o "$tmp/demo-static" examples/demo.c $(pcfg --cflags processcreds) $static_flags
check "demo (static) does not need libprocesscreds.so" sh -c "! readelf -d '$tmp/demo-static' | grep -q 'NEEDED.*libprocesscreds'"
check "demo (static) runs with no library path" sh -c "env -u LD_LIBRARY_PATH '$tmp/demo-static' '$helper' >'$tmp/out-static'"
check "demo (static) got the sample credentials" grep -q 'AccessKeyId *AKIDEXAMPLESAMPLE01' "$tmp/out-static"
check "example.c builds against the static library" $CC $STRICT -o "$tmp/example-static" bindings/c/example.c $(pcfg --cflags processcreds) $static_flags
check "example (static) runs" sh -c "'$tmp/example-static' '$helper' | grep -q AKIDEXAMPLESAMPLE01"

# ---- C++ from the installed headers
printf '#include <processcreds.hpp>\nint main() { processcreds::provider p("true"); return p.is_expired() ? 0 : 1; }\n' >"$tmp/hpp.cpp"
check "processcreds.hpp from the prefix builds and links" $CXX -std=c++17 -Wall -Wextra -Werror -pedantic -o "$tmp/hpp" "$tmp/hpp.cpp" $(pcfg --cflags --libs processcreds)
check "processcreds.hpp program runs" sh -c "LD_LIBRARY_PATH='$lib' '$tmp/hpp'"

# ---- DESTDIR staging
stage="$tmp/stage"
check "make install DESTDIR=<tmp> PREFIX=/opt/processcreds" $MAKE --no-print-directory -s install DESTDIR="$stage" PREFIX=/opt/processcreds
check "DESTDIR: files under the stage" test -f "$stage/opt/processcreds/lib/libprocesscreds.so.$PC_VERSION" -a -L "$stage/opt/processcreds/lib/libprocesscreds.so" -a -f "$stage/opt/processcreds/include/processcreds.h"
check "DESTDIR: the .pc names the final prefix" grep -qx 'prefix=/opt/processcreds' "$stage/opt/processcreds/lib/pkgconfig/processcreds.pc"
check "DESTDIR: libdir relative to prefix" grep -qx 'libdir=${prefix}/lib' "$stage/opt/processcreds/lib/pkgconfig/processcreds.pc"

# ---- make uninstall
check "make uninstall PREFIX=<tmp>" $MAKE --no-print-directory -s uninstall PREFIX="$prefix"
check "uninstall removed every file" sh -c "test -z \"\$(find '$prefix' -type f -o -type l)\""

# ---- the README's example is example.c
sed -n '/<!-- example.c -->/,/^```$/p' bindings/c/README.md | sed '1,2d;$d' >"$tmp/readme-example.c"
check "bindings/c/README.md shows bindings/c/example.c verbatim" cmp "$tmp/readme-example.c" bindings/c/example.c

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

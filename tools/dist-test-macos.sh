# dist-test-macos.sh: sourced by tools/dist-test (with tools/checks.sh, $tmp, $top, $STRICT,
# $PC_VERSION, $PC_SOMAJOR) for the checks of a macOS tarball, which nothing here can run:
#
# macos_tarball_checks DIR TRIPLE: DIR is the unpacked processcreds-<version>-TRIPLE/.
# - its dylib, static library and command are dist/TRIPLE/'s, byte for byte (mk/macos.mk checked
#   those with tools/macho-check before packing: architecture, oldest macOS, install name,
#   libraries, exports, signature), and lib/libprocesscreds.dylib links to the versioned dylib;
# - examples/demo.c, compiled for the dylib's architecture and oldest macOS (tools/macos-cc: zig
#   with macOS's headers), links through the tarball's own pkg-config files, as a user on a Mac
#   would: against the dylib (the program loads @rpath/libprocesscreds.<major>.dylib and takes
#   every pc_ function from it) and against the static library (it loads system libraries only).
macos_tarball_checks() {
    mac_r=$1 mac_t=$2
    mac_name=processcreds-$PC_VERSION-$mac_t
    mac_dylib=libprocesscreds.$PC_SOMAJOR.dylib
    check "$mac_name: lib/libprocesscreds.dylib -> $mac_dylib" test "$(readlink "$mac_r/lib/libprocesscreds.dylib")" = "$mac_dylib"
    check "$mac_name: lib/$mac_dylib, lib/libprocesscreds.a, bin/processcreds are dist/$mac_t/'s, checked there" \
        sh -c "cmp '$mac_r/lib/$mac_dylib' 'dist/$mac_t/lib/$mac_dylib' && cmp '$mac_r/lib/libprocesscreds.a' dist/$mac_t/lib/libprocesscreds.a && cmp '$mac_r/bin/processcreds' dist/$mac_t/bin/processcreds"
    mac_facts=$(python3 "$top/tools/macho-check" "$mac_r/lib/$mac_dylib")
    mac_arch=$(echo "$mac_facts" | sed -n 's/.*: Mach-O \([a-z0-9_]*\) dylib.*/\1/p')
    mac_minos=$(echo "$mac_facts" | sed -n 's/.*; macOS \([0-9.]*\) and later.*/\1/p')
    case $mac_arch in
        arm64) mac_zig=aarch64-macos.$mac_minos-none mac_sign=--signed ;;
        x86_64) mac_zig=x86_64-macos.$mac_minos-none mac_sign= ;;
        *) fail "$mac_name: lib/$mac_dylib is not an arm64 or x86_64 Mach-O dylib: $mac_facts"; return ;;
    esac
    mac_d="$tmp/$mac_t-demo"
    mkdir -p "$mac_d"
    pcm() { PKG_CONFIG_PATH="$mac_r/lib/pkgconfig" PKG_CONFIG_LIBDIR="$mac_r/lib/pkgconfig" pkg-config "$@"; }
    check "$mac_name: pkg-config --modversion" test "$(pcm --modversion processcreds)" = "$PC_VERSION"
    mac_sys=/usr/lib/libSystem.B.dylib
    # shellcheck disable=SC2046
    check "$mac_name: demo.c links the dylib (pkg-config processcreds; zig, $mac_zig)" \
        sh "$top/tools/macos-cc" -target "$mac_zig" $STRICT -o "$mac_d/demo-shared" examples/demo.c \
        $(pcm --cflags --libs processcreds) -Wl,-rpath,@executable_path/../lib
    check "$mac_name: demo (shared) loads @rpath/$mac_dylib and takes every pc_ function from it" \
        python3 "$top/tools/macho-check" --kind exec --arch "$mac_arch" --minos "$mac_minos" $mac_sign \
        --dylibs "$mac_sys,@rpath/$mac_dylib" --undefined-from "$mac_sys,@rpath/$mac_dylib" --bind "_pc_=@rpath/$mac_dylib" \
        "$mac_d/demo-shared"
    # shellcheck disable=SC2046
    check "$mac_name: demo.c links the static library (pkg-config processcreds-static: $(echo $(pcm --libs-only-l processcreds-static)))" \
        sh "$top/tools/macos-cc" -target "$mac_zig" $STRICT -o "$mac_d/demo-static" examples/demo.c \
        $(pcm --cflags --libs processcreds-static)
    check "$mac_name: demo (static) loads system libraries only, binds every symbol to libSystem" \
        python3 "$top/tools/macho-check" --kind exec --arch "$mac_arch" --minos "$mac_minos" $mac_sign \
        --dylibs "$mac_sys,/usr/lib/libiconv.2.dylib,/usr/lib/libcharset.1.dylib" --undefined-from "$mac_sys" \
        "$mac_d/demo-static"
}

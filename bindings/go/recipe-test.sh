#!/bin/sh
# Runs the README's build recipes (bindings/go/README.md, "Building") as they are written: the
# blocks marked `<!-- go-recipe: ... -->`, with /path/to/processcreds replaced by this checkout,
# in a new module in an empty temporary directory, HOME another empty one (the Rust toolchain
# and Go's module and build caches stay where they are, so nothing is downloaded twice), and of
# the environment only PATH kept (no GOFLAGS, CGO_*, PKG_CONFIG_*, LD_LIBRARY_PATH):
#
# - static: make lib, go mod init, go mod edit -require/-replace, go mod tidy, go build, run;
#   the program must print the sample helper's key id and need no libprocesscreds.so;
# - system: make install PREFIX=$HOME/.local, then go build -tags processcreds_system through
#   pkg-config with the rpath the README gives; the program must need libprocesscreds.so.<major>,
#   load it from $HOME/.local/lib and print the key id, with no LD_LIBRARY_PATH;
# - the top README's Install block (`<!-- go-recipe: readme -->` in README.md), in an existing
#   module: the program `go build` makes must print the key id.
#
# Run from the repository root (`make test-go-recipe`, part of `make test`). Prints `ok`/`FAIL`
# lines and `N passed, N failed`.
set -u
: "${GO:=go}"
top=$(pwd)
readme=bindings/go/README.md
tmp=$(mktemp -d "${TMPDIR:-/tmp}/processcreds-go-recipe.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$top/tools/checks.sh"
# block NAME [FILE]: the fenced block after `<!-- go-recipe: NAME -->` in FILE (the Go README),
# the checkout's path filled in.
block() {
    sed -n "/^<!-- go-recipe: $1 -->\$/,/^\`\`\`\$/p" "${2:-$readme}" | sed '1,2d;$d' |
        sed "s|/path/to/processcreds|$top|g"
}

command -v "$GO" >/dev/null || { echo "FAIL go not found"; echo "0 passed, 1 failed"; exit 1; }
# The toolchains and Go's caches as configured now, so that a temporary HOME finds them and
# downloads nothing twice.
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
cargo_home=${CARGO_HOME:-$HOME/.cargo}
gomodcache=$("$GO" env GOMODCACHE)
gocache=$("$GO" env GOCACHE)
gopath=$("$GO" env GOPATH)
goproxy=$("$GO" env GOPROXY)
home="$tmp/home"
app="$tmp/myapp"
mkdir -p "$home" "$app"

block static >"$tmp/static.sh"
block system >"$tmp/system.sh"
block main.go >"$app/main.go"
block readme README.md >"$tmp/readme.sh"
check "README has the static recipe" test -s "$tmp/static.sh"
check "the top README has the Go install recipe" test -s "$tmp/readme.sh"
check "README has the system recipe" test -s "$tmp/system.sh"
check "README has main.go" grep -q '^package main$' "$app/main.go"

# recipe FILE [DIR]: runs a recipe in the module's directory (or DIR), in a clean environment,
# stopping at the first failing command.
recipe() {
    (cd "${2:-$app}" && env -i PATH="$PATH" HOME="$home" TMPDIR="${TMPDIR:-/tmp}" \
        RUSTUP_HOME="$rustup_home" CARGO_HOME="$cargo_home" \
        GOMODCACHE="$gomodcache" GOCACHE="$gocache" GOPATH="$gopath" GOPROXY="$goproxy" \
        GOTOOLCHAIN=local sh -eu "$1")
}

# ---- static (default)
if recipe "$tmp/static.sh" >"$tmp/static.out" 2>&1; then ok "static recipe runs as written"; else
    fail "static recipe runs as written"; tail -n 25 "$tmp/static.out"; fi
check "static: go.sum was written" test -s "$app/go.sum"
check "static: the program printed the sample key id" grep -qx 'AKIDEXAMPLESAMPLE01 ProcessProvider' "$tmp/static.out"
check "static: the program does not need libprocesscreds.so" sh -c "! readelf -d '$app/myapp' | grep -q 'NEEDED.*libprocesscreds'"

# ---- system (tag processcreds_system, pkg-config, rpath)
rm -f "$app/myapp"
if recipe "$tmp/system.sh" >"$tmp/system.out" 2>&1; then ok "system recipe runs as written"; else
    fail "system recipe runs as written"; tail -n 25 "$tmp/system.out"; fi
check "system: the program printed the sample key id" grep -qx 'AKIDEXAMPLESAMPLE01 ProcessProvider' "$tmp/system.out"
check "system: the program needs libprocesscreds.so" sh -c "readelf -d '$app/myapp' | grep -q 'NEEDED.*\\[libprocesscreds.so.[0-9]*\\]'"
check "system: it loads the library from \$HOME/.local/lib, no LD_LIBRARY_PATH" sh -c "env -u LD_LIBRARY_PATH ldd '$app/myapp' | grep -q '=> $home/.local/lib/libprocesscreds.so'"

# ---- the top README's Install block, in an existing module (go mod init, main.go)
mod="$tmp/existing"
mkdir -p "$mod"
cp "$app/main.go" "$mod/main.go"
printf 'go mod init example.com/myapp\n' >"$tmp/init.sh"
check "an existing module (go mod init)" recipe "$tmp/init.sh" "$mod"
if recipe "$tmp/readme.sh" "$mod" >"$tmp/readme.out" 2>&1; then ok "top README's Go recipe runs as written"; else
    fail "top README's Go recipe runs as written"; tail -n 25 "$tmp/readme.out"; fi
check "top README: go build made the program, which prints the sample key id" sh -c "'$mod/myapp' | grep -qx 'AKIDEXAMPLESAMPLE01 ProcessProvider'"

summary

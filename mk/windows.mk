# Windows (x86_64-pc-windows-gnu): cross-built with MinGW-w64 and tested under Wine (Debian's
# wine64), included by the top-level Makefile. Installs what it needs itself (the Rust target
# through rustup, the Debian packages through tools/ensure-debs).
#
#   make windows        dist/x86_64-pc-windows-gnu/ (below): processcreds.dll, its import library
#                       libprocesscreds.dll.a and the static library libprocesscreds.a (same
#                       header, same C ABI), built with the Cargo profile `dist`; checks that the
#                       DLL and the command import only Windows' own DLLs (tools/windows-imports).
#                       The Go binding links this static library on Windows.
#   make test-windows   (part of `make test`) under Wine, in the prefix build/wineprefix:
#                       - clippy for the Windows target; `cargo check` of the library for the
#                         MSVC target (x86_64-pc-windows-msvc: it type-checks; nothing here can
#                         link or run it);
#                       - the Rust suites: unit tests, the conformance vectors (windows.json and
#                         the output cases of the others), tests/windows_runner.rs (timeout and
#                         tree kill, flood, drain rule, stdio modes, inherited handles),
#                         tests/windows_env.rs (program lookup, environment, %USERPROFILE%) and
#                         tests/windows_shared_cache.rs (the shared cache);
#                       - the C ABI tests (bindings/c/tests/test_capi_windows.c, which share a
#                         shared-cache entry with the shipped processcreds.exe, copied next to
#                         them) and the C example, built with MinGW against the DLL and against
#                         the static library, run in the tests' Wine prefix (with its
#                         test-only bcryptprimitives.dll);
#                       - the Go binding's tests (cgo, MinGW gcc, against what `make windows`
#                         made), aws-sdk-go v1's own processcreds on the vectors among them (the
#                         differential suite).
#                       - the processcreds command as shipped (bin/processcreds.exe):
#                         tests/windows/cli-test.sh (get, exec, check, Go's texts on failure, no
#                         secret on stderr) and tests/windows/cli-shared-cache.sh (cache and clear
#                         with the shared cache: one run for two and for five at once, %ROLE%,
#                         %LOCALAPPDATA%\processcreds, untrusted directories, a killed command).
#   make dist/x86_64-pc-windows-gnu/
#                       what ships (Cargo profile `dist`: no debug info, symbols stripped; the
#                       archive stripped of debug info): bin/processcreds.dll, bin/processcreds.exe
#                       (the command),
#                       lib/libprocesscreds.dll.a (import library) and lib/libprocesscreds.a,
#                       include/ (processcreds.h, processcreds.hpp). The C tests of test-windows
#                       run against these; `make dist` packs them (tools/dist-archive).

WIN_TRIPLE  := x86_64-pc-windows-gnu
WIN_CC      := x86_64-w64-mingw32-gcc
WIN_DEBS    := gcc-mingw-w64-x86-64 wine64
WIN_DEBUG   := target/$(WIN_TRIPLE)/debug
WIN_SHIP    := target/$(WIN_TRIPLE)/dist
WIN_DIST    := dist/$(WIN_TRIPLE)
WIN_LIB_A   := $(WIN_DIST)/lib/libprocesscreds.a
WIN_OUT     := $(BUILD)/windows
WIN_C_DIR   := bindings/c
WIN_GO_DIR  := bindings/go
WIN_GO      ?= go
# The system libraries the static library needs (rustc's, Makefile).
WIN_STATIC_LIBS = $(call native_static_libs,$(WIN_TRIPLE))
# Runs a Windows program in the test prefix (build/wineprefix), which `make wine-prefix` gives the
# bcryptprimitives.dll that Debian's Wine 8.0 lacks (tools/wine-prefix; Windows 10 and Wine 8.13
# and later have their own).
WINE_RUN    := $(CURDIR)/tools/wine-run
WIN_CARGO_ENV := CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=$(WIN_CC) \
                 CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=$(WINE_RUN)
WIN_GO_ENV   = GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=$(WIN_CC) \
               CGO_CFLAGS="-O2 -g -DPROCESSCREDS_BUILD=$$(cat $(CURDIR)/$(WIN_LIB_A) $(CURDIR)/include/processcreds.h | sha256sum | cut -c1-16)"
WIN_C_FLAGS := -Wall -Wextra -Werror -pedantic -O1 -g -Iinclude -I$(WIN_C_DIR)/tests

TEST_TARGETS += test-windows
DIST_TARGETS += $(WIN_TRIPLE)

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
WIN_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: windows windows-toolchain test-windows test-windows-rust test-windows-c \
        test-windows-go test-windows-cli wine-prefix check-windows-msvc $(WIN_DIST)/

windows-toolchain:
	@tools/ensure-debs $(WIN_DEBS)
	@rustup target list --installed 2>/dev/null | grep -qx $(WIN_TRIPLE) || rustup target add $(WIN_TRIPLE)

check-windows-msvc:
	@rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-msvc || rustup target add x86_64-pc-windows-msvc
	$(CARGO) check --quiet --target x86_64-pc-windows-msvc --lib

windows: $(WIN_DIST)/

$(WIN_OUT)/bcryptprimitives.dll: tools/wine-bcryptprimitives.c | windows-toolchain
	@mkdir -p $(@D)
	$(WIN_CC) -Wall -Wextra -Werror -O2 -shared -o $@ $< -ladvapi32

wine-prefix: $(WIN_OUT)/bcryptprimitives.dll
	tools/wine-prefix $(WIN_OUT)/bcryptprimitives.dll

test-windows: test-windows-rust test-windows-c test-windows-go test-windows-cli
	@tools/wine-run --kill

test-windows-rust: windows-toolchain wine-prefix check-windows-msvc
	$(WIN_CARGO_ENV) $(CARGO) clippy --quiet --target $(WIN_TRIPLE) --all-targets -- -D warnings
	$(WIN_CARGO_ENV) $(CARGO) clippy --quiet --target $(WIN_TRIPLE) -p processcreds-cli --bins \
	    -- -D warnings
	$(WIN_CARGO_ENV) $(CARGO) build --quiet --target $(WIN_TRIPLE) --example windows_helper
	$(WIN_CARGO_ENV) $(CARGO) test --quiet --target $(WIN_TRIPLE) --lib --test vectors \
	    --test windows_runner --test windows_env --test windows_shared_cache

# The processcreds command as `make dist` ships it (bin/processcreds.exe), run under Wine.
test-windows-cli: windows wine-prefix
	WINE_RUN="$(WINE_RUN)" PC_VERSION="$(PC_VERSION)" sh tests/windows/cli-test.sh \
	    $(WIN_DIST)/bin/processcreds.exe

# The C programs are built against what `make dist` ships.
test-windows-c: windows wine-prefix
	@mkdir -p $(WIN_OUT)/c
	$(WIN_CC) -std=c11 $(WIN_C_FLAGS) -o $(WIN_OUT)/c/test_capi_static.exe \
	    $(WIN_C_DIR)/tests/test_capi_windows.c $(WIN_DIST)/lib/libprocesscreds.a $(WIN_STATIC_LIBS)
	$(WIN_CC) -std=c11 $(WIN_C_FLAGS) -o $(WIN_OUT)/c/test_capi_dll.exe \
	    $(WIN_C_DIR)/tests/test_capi_windows.c $(WIN_DIST)/lib/libprocesscreds.dll.a
	$(WIN_CC) -std=c99 $(WIN_C_FLAGS) -o $(WIN_OUT)/c/example.exe $(WIN_C_DIR)/example.c \
	    $(WIN_DIST)/lib/libprocesscreds.a $(WIN_STATIC_LIBS)
	cp $(WIN_DIST)/bin/processcreds.dll $(WIN_DIST)/bin/processcreds.exe $(WIN_OUT)/c/
	tools/windows-imports $(WIN_OUT)/c/test_capi_static.exe $(WIN_OUT)/c/example.exe
	cd $(WIN_OUT)/c && $(WINE_RUN) test_capi_static.exe
	cd $(WIN_OUT)/c && $(WINE_RUN) test_capi_dll.exe
	printf '{"Version":1,"AccessKeyId":"AKIDEXAMPLE","SecretAccessKey":"x"}' > $(WIN_OUT)/c/example.json
	cd $(WIN_OUT)/c && $(WINE_RUN) example.exe "type example.json" | tee example.out
	tr -d '\r' < $(WIN_OUT)/c/example.out | grep -qx 'AccessKeyId: AKIDEXAMPLE'

# The Go test programs run from their package's folder (the vectors are found relative to it).
test-windows-go: windows wine-prefix
	CARGO="$(CARGO)" sh tools/go-static-libs check $(GO_STATIC_LIBS) windows
	@mkdir -p $(WIN_OUT)/go
	cd $(WIN_GO_DIR) && $(WIN_GO_ENV) $(WIN_GO) vet ./...
	cd $(WIN_GO_DIR) && $(WIN_GO_ENV) $(WIN_GO) test -c -o $(CURDIR)/$(WIN_OUT)/go/processcreds.test.exe .
	cd $(WIN_GO_DIR) && $(WIN_GO_ENV) $(WIN_GO) test -c -o $(CURDIR)/$(WIN_OUT)/go/awsv2.test.exe ./awsv2
	cd $(WIN_GO_DIR) && $(WIN_GO_ENV) $(WIN_GO) test -c -o $(CURDIR)/$(WIN_OUT)/go/vectors.test.exe ./internal/vectors
	cd $(WIN_GO_DIR)/internal/vectors && $(WINE_RUN) $(CURDIR)/$(WIN_OUT)/go/vectors.test.exe -test.count=1
	cd $(WIN_GO_DIR)/awsv2 && $(WINE_RUN) $(CURDIR)/$(WIN_OUT)/go/awsv2.test.exe -test.count=1 \
	    -test.skip 'TestVectors'
	cd $(WIN_GO_DIR) && $(WINE_RUN) $(CURDIR)/$(WIN_OUT)/go/processcreds.test.exe -test.count=1 \
	    -test.parallel=4 -test.v > $(CURDIR)/$(WIN_OUT)/go/processcreds.log 2>&1; st=$$?; \
	  if [ $$st -ne 0 ]; then grep -v -e '^=== ' -e '--- PASS' $(CURDIR)/$(WIN_OUT)/go/processcreds.log | tail -n 80; fi; \
	  grep -E -e '--- FAIL|^(FAIL|PASS)$$|cases through the binding|not run on|D[0-9]+: aws-sdk-go v1 gave' \
	    $(CURDIR)/$(WIN_OUT)/go/processcreds.log; exit $$st

$(WIN_DIST)/: windows-toolchain
	$(WIN_CARGO_ENV) $(CARGO) build --profile dist --quiet --target $(WIN_TRIPLE)
	tools/windows-imports $(WIN_SHIP)/processcreds.dll
	rm -rf $@
	mkdir -p $@bin $@lib $@include
	cp $(WIN_SHIP)/processcreds.dll $@bin/
	cp $(WIN_SHIP)/libprocesscreds.dll.a $@lib/
	@# The archive without debug info: the split-debug members of Rust's std archives (*.dwo,
	@# which strip refuses) are removed first; binutils' LTO plugin complains about the Rust
	@# bitcode it cannot read (into the log, shown only on failure).
	cp $(WIN_SHIP)/libprocesscreds.a $@lib/libprocesscreds.a
	@mkdir -p $(WIN_OUT)
	{ x86_64-w64-mingw32-ar t $@lib/libprocesscreds.a | grep '\.dwo$$' \
	    | xargs -r x86_64-w64-mingw32-ar d $@lib/libprocesscreds.a && \
	  x86_64-w64-mingw32-strip --strip-debug $@lib/libprocesscreds.a; } > $(WIN_OUT)/strip.log 2>&1 \
	  || { cat $(WIN_OUT)/strip.log; exit 1; }
	cp include/processcreds.h bindings/c/processcreds.hpp $@include/
	$(WIN_CARGO_ENV) $(CARGO) build --profile dist --quiet --target $(WIN_TRIPLE) \
	    -p processcreds-cli --bins
	tools/windows-imports $(WIN_SHIP)/processcreds.exe
	cp $(WIN_SHIP)/processcreds.exe $@bin/

.DEFAULT_GOAL := $(WIN_SAVED_GOAL)

# Linux targets beyond the build machine (docs/PLATFORMS.md), included by the top-level Makefile.
#
#   make dist
#       dist/<target>/ for every target in DIST_TARGETS (another mk file adds a target with
#       `DIST_TARGETS += <triple>` and a rule `dist/<triple>/`). Here: x86_64-unknown-linux-gnu
#       and aarch64-unknown-linux-gnu built against glibc 2.17 (cargo-zigbuild), and
#       x86_64-unknown-linux-musl. Each holds lib/ (libprocesscreds.a, and
#       libprocesscreds.so.<version> with its soname link .so.<major> and its dev link .so) and
#       include/ (processcreds.h, processcreds.hpp). A glibc library is not shipped unless
#       tools/audit-so passes it: no symbol newer than GLIBC_2.17, soname libprocesscreds.so.<major>.
#       DIST_PROFILE (default dist, Cargo.toml) is the Cargo profile the libraries are built
#       with; the archives are also stripped of the standard library's debug info, as build/ship's.
#   make test-platforms (part of `make test`), made of:
#       test-so-audit  the audit's self-test, then the audit of every shipped .so
#       test-musl      the vector, runner, cache and fault suites built for musl and run natively;
#                      the C ABI tests linked against the shipped musl .a (a static program) and .so
#       test-aarch64   the vector, runner and cache suites under qemu-aarch64; the C ABI tests
#                      linked against the shipped aarch64 .a and .so, under qemu-aarch64
#       test-gnu217    the C ABI tests against the shipped x86_64 glibc-2.17 .a and .so, natively
#   make check-macos (part of `make test`)
#       the library type-checked for aarch64-apple-darwin and x86_64-apple-darwin: clippy with
#       -D warnings (every feature), and its unit tests; needs no SDK or linker (the macOS
#       builds are linked by mk/macos.mk)
#
# What they need is installed on first use: Rust targets (tools/ensure-rust-targets), Debian
# packages (tools/ensure-debs), ziglang and cargo-zigbuild from PyPI (the venv of `make wheel`,
# mk/python.mk's dist-tools). The x86_64 glibc build is the very one `make wheel` packages (same
# profile, target and directory: built once). The native builds (`make lib`, build/ship) are
# untouched: they keep serving the other suites and `make install`.

DIST_PROFILE ?= dist
PLAT_PROFILE_DIR := $(if $(filter dev test,$(DIST_PROFILE)),debug,$(DIST_PROFILE))

PLAT_VERSION := $(PC_VERSION)
PLAT_SONAME  := libprocesscreds.so.$(firstword $(subst ., ,$(PLAT_VERSION)))
PLAT_GLIBC   := 2.17

# cargo-zigbuild and the zig toolchain it drives: the venv of `make wheel` (mk/python.mk).
PLAT_VENV      = $(DIST_VENV)
PLAT_ZIGBUILD  = PATH="$(abspath $(PLAT_VENV))/bin:$$PATH" $(CARGO) zigbuild --quiet \
                 --profile $(DIST_PROFILE) --lib
# The musl build (without crt-static) has a target directory of its own, so that no plain
# `cargo build --target x86_64-unknown-linux-musl` (with crt-static) overwrites it.
PLAT_MUSL_DIR  := target/musl-dynamic

PLAT_OUT   := $(BUILD)/platforms
PLAT_AUDIT := sh tools/audit-so
PLAT_QEMU  := qemu-aarch64 -L /usr/aarch64-linux-gnu
PLAT_AARCH64_ENV := CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
                    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="$(PLAT_QEMU)" PC_TEST_UNDER_QEMU=1
# Rust's own musl unwinder (Debian's libgcc_eh.a is built for glibc and does not link into a
# static musl program); the static library asks for it as -lunwind.
PLAT_MUSL_UNWIND = $(shell rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-musl/lib/self-contained/libunwind.a

PLAT_RUST_SUITES_NATIVE := --test vectors --test runner --test cache --test faults
# Under qemu-user (docs/PLATFORMS.md): no fault suite, and none of the runner suite's cases that
# run in a fresh copy of the test binary (isolated_case!, found in the source): a copy is an
# aarch64 binary the kernel cannot execute, and it makes itself a child subreaper, which qemu-user
# refuses (EINVAL). Nor the test of the exact text of an exec failure: qemu-user runs glibc's
# posix_spawn, a vfork-style clone, as a plain fork, so the error cannot reach the parent and
# shows as exit status 127 (PC_TEST_UNDER_QEMU tells the vector and C ABI tests to accept that in
# place of Go's "fork/exec" text).
PLAT_RUST_SUITES_QEMU := vectors runner cache
PLAT_QEMU_ISOLATED = $(shell cat $(PLAT_RUST_SUITES_QEMU:%=tests/%.rs) | tr '\n' ' ' | \
                       grep -o 'isolated_case!. *[a-z0-9_]*' | sed 's/^isolated_case!. *//')
PLAT_QEMU_SKIPS     = --exact $(addprefix --skip ,argv_spawn_errors_read_as_go_os_exec $(PLAT_QEMU_ISOLATED))

DIST_TARGETS += x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl
TEST_TARGETS += test-platforms check-macos

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
PLAT_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: test-platforms test-so-audit test-musl test-aarch64 test-gnu217 plat-zig \
        dist/x86_64-unknown-linux-gnu/ dist/aarch64-unknown-linux-gnu/ dist/x86_64-unknown-linux-musl/

plat-zig: dist-tools

# plat_dist_layout TRIPLE STATIC-LIB SHARED-LIB(optional) STRIP: dist/TRIPLE/ made afresh. STRIP
# (the target's own: another architecture's objects are passed over by the host's strip, without
# failing) takes the debug info out of the archive; the check after it makes sure it did.
define plat_dist_layout
	rm -rf dist/$(1)
	mkdir -p dist/$(1)/lib dist/$(1)/include
	cp $(2) dist/$(1)/lib/libprocesscreds.a
	$(4) --strip-debug dist/$(1)/lib/libprocesscreds.a
	! objdump -h dist/$(1)/lib/libprocesscreds.a | grep -q '\.debug_info'
	$(if $(3),cp $(3) dist/$(1)/lib/libprocesscreds.so.$(PLAT_VERSION))
	$(if $(3),ln -s libprocesscreds.so.$(PLAT_VERSION) dist/$(1)/lib/$(PLAT_SONAME))
	$(if $(3),ln -s $(PLAT_SONAME) dist/$(1)/lib/libprocesscreds.so)
	cp include/processcreds.h bindings/c/processcreds.hpp dist/$(1)/include/
endef

# A glibc target (TRIPLE, its strip, the Debian package holding that strip): built against
# glibc 2.17 by zig, in cargo's default target directory (target/TRIPLE/<profile>), audited
# before it is shipped.
define PLAT_GLIBC_RULE
dist/$(1)/: plat-zig
	sh tools/ensure-rust-targets $(1)
	sh tools/ensure-debs binutils $(3)
	$$(PLAT_ZIGBUILD) --target $(1).$(PLAT_GLIBC)
	$$(PLAT_AUDIT) --glibc $(PLAT_GLIBC) --soname $(PLAT_SONAME) \
	    target/$(1)/$$(PLAT_PROFILE_DIR)/libprocesscreds.so
	$$(call plat_dist_layout,$(1),target/$(1)/$$(PLAT_PROFILE_DIR)/libprocesscreds.a,target/$(1)/$$(PLAT_PROFILE_DIR)/libprocesscreds.so,$(2))
endef
$(eval $(call PLAT_GLIBC_RULE,x86_64-unknown-linux-gnu,strip,))
$(eval $(call PLAT_GLIBC_RULE,aarch64-unknown-linux-gnu,aarch64-linux-gnu-strip,binutils-aarch64-linux-gnu))

# musl: one zig build without crt-static gives both libraries. The .so then links musl's libc.so
# dynamically (and zig's libunwind statically: it needs no libgcc_s); the .a is the same code
# (what crt-static changes is only how rustc itself would link an executable or a cdylib).
PLAT_MUSL_REL = $(PLAT_MUSL_DIR)/x86_64-unknown-linux-musl/$(PLAT_PROFILE_DIR)
dist/x86_64-unknown-linux-musl/: plat-zig
	sh tools/ensure-rust-targets x86_64-unknown-linux-musl
	sh tools/ensure-debs binutils
	RUSTFLAGS="-C target-feature=-crt-static" $(PLAT_ZIGBUILD) \
	    --target x86_64-unknown-linux-musl --target-dir $(PLAT_MUSL_DIR)
	$(PLAT_AUDIT) --soname $(PLAT_SONAME) $(PLAT_MUSL_REL)/libprocesscreds.so
	$(call plat_dist_layout,x86_64-unknown-linux-musl,$(PLAT_MUSL_REL)/libprocesscreds.a,$(PLAT_MUSL_REL)/libprocesscreds.so,strip)

# ---- tests ------------------------------------------------------------------------------------

# PLAT_C_RULE NAME TRIPLE CC STATIC-LINK-FLAGS RUN-PREFIX DEBIAN-PACKAGES CFLAGS: plat-c-NAME builds
# $(PLAT_OUT)/TRIPLE/test_capi_{static,shared} with CC (and CFLAGS) against dist/TRIPLE/lib and
# runs both (under RUN-PREFIX).
define PLAT_C_RULE
.PHONY: plat-c-$(1)
plat-c-$(1): dist/$(2)/
	$(if $(6),sh tools/ensure-debs $(6))
	@mkdir -p $(PLAT_OUT)/$(2)
	$(3) $$(CFLAGS_STRICT) $$(C_TEST_FLAGS) $(7) -DPC_TEST_SHARED=0 -o $(PLAT_OUT)/$(2)/test_capi_static \
	    $$(C_TEST_SRC) dist/$(2)/lib/libprocesscreds.a $(4)
	$(3) $$(CFLAGS_STRICT) $$(C_TEST_FLAGS) $(7) -DPC_TEST_SHARED=1 -o $(PLAT_OUT)/$(2)/test_capi_shared \
	    $$(C_TEST_SRC) -Ldist/$(2)/lib -lprocesscreds -Wl,-rpath,$(CURDIR)/dist/$(2)/lib
	sh $$(C_TDIR)/run.sh $(PLAT_OUT)/$(2)/logs \
	  "C on $(2), static library" "$(5) $(PLAT_OUT)/$(2)/test_capi_static" \
	  "C on $(2), shared library" "$(5) $(PLAT_OUT)/$(2)/test_capi_shared"
endef
PLAT_AARCH64_DEBS := gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
$(eval $(call PLAT_C_RULE,musl,x86_64-unknown-linux-musl,musl-gcc,-static $$(PLAT_MUSL_UNWIND),,musl-tools))
# Under qemu the thread tests run one worker thread, not 16: when several threads start helpers at
# once, qemu 7.2's emulated fork (its vfork) now and then leaves the forked emulator stuck in futex
# waits before the exec, and the run times out (seen with 16 threads in about 1 run of 80, and
# still with 4). Their concurrency is tested natively.
PLAT_AARCH64_LIBS = $(call native_static_libs,aarch64-unknown-linux-gnu)
$(eval $(call PLAT_C_RULE,aarch64,aarch64-unknown-linux-gnu,aarch64-linux-gnu-gcc,$$(PLAT_AARCH64_LIBS),PC_TEST_UNDER_QEMU=1 $(PLAT_QEMU),$(PLAT_AARCH64_DEBS),-DPC_TEST_THREADS=1))
PLAT_X86_64_LIBS = $(call native_static_libs,x86_64-unknown-linux-gnu)
$(eval $(call PLAT_C_RULE,gnu217,x86_64-unknown-linux-gnu,$$(CC),$$(PLAT_X86_64_LIBS),,))

.PHONY: plat-rust-musl plat-rust-aarch64

# The audit's self-test, then the shipped libraries; the last lines show each glibc library's
# newest symbol version.
test-so-audit: dist/x86_64-unknown-linux-gnu/ dist/aarch64-unknown-linux-gnu/ dist/x86_64-unknown-linux-musl/
	sh tools/ensure-debs binutils
	CC="$(CC)" sh tools/audit-so-selftest $(PLAT_OUT)/audit-selftest
	$(PLAT_AUDIT) --glibc $(PLAT_GLIBC) --soname $(PLAT_SONAME) \
	    dist/x86_64-unknown-linux-gnu/lib/libprocesscreds.so dist/aarch64-unknown-linux-gnu/lib/libprocesscreds.so
	$(PLAT_AUDIT) --soname $(PLAT_SONAME) dist/x86_64-unknown-linux-musl/lib/libprocesscreds.so
	@for t in x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu; do \
	  printf '%s: ' "dist/$$t/lib/libprocesscreds.so"; \
	  objdump -T dist/$$t/lib/libprocesscreds.so | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -1; \
	done

plat-rust-musl: dist/x86_64-unknown-linux-musl/
	$(CARGO) test --quiet --target x86_64-unknown-linux-musl $(PLAT_RUST_SUITES_NATIVE)

plat-rust-aarch64: dist/aarch64-unknown-linux-gnu/
	sh tools/ensure-debs $(PLAT_AARCH64_DEBS)
	$(PLAT_AARCH64_ENV) $(CARGO) test --quiet --target aarch64-unknown-linux-gnu \
	    $(PLAT_RUST_SUITES_QEMU:%=--test %) -- $(PLAT_QEMU_SKIPS)

test-musl: plat-rust-musl plat-c-musl
test-aarch64: plat-rust-aarch64 plat-c-aarch64
test-gnu217: plat-c-gnu217
test-platforms: test-so-audit test-musl test-aarch64 test-gnu217

# Whether the library type-checks for macOS (linking: mk/macos.mk; nothing runs macOS code here,
# docs/PLATFORMS.md). Clippy does what `cargo check` does, and more: the library with
# every feature, then its unit tests (--profile test), for each Apple target.
PLAT_APPLE_TARGETS := aarch64-apple-darwin x86_64-apple-darwin
.PHONY: check-macos
check-macos:
	sh tools/ensure-rust-targets $(PLAT_APPLE_TARGETS)
	@set -e; for t in $(PLAT_APPLE_TARGETS); do \
	  echo "$(CARGO) clippy --lib --target $$t (--all-features; --profile test)"; \
	  $(CARGO) clippy --quiet --lib --all-features --target $$t -- -D warnings; \
	  $(CARGO) clippy --quiet --lib --profile test --target $$t -- -D warnings; \
	done
	CARGO="$(CARGO)" sh tools/go-static-libs check $(GO_STATIC_LIBS) darwin
	@echo "check-macos: the library type-checks for $(PLAT_APPLE_TARGETS) (not built, linked or run here)"

.DEFAULT_GOAL := $(PLAT_SAVED_GOAL)

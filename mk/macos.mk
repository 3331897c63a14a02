# macOS (aarch64-apple-darwin, x86_64-apple-darwin): linked here without a Mac and without Apple's
# SDK, checked without running anything; included by the top-level Makefile. How far that goes,
# and what it cannot show: docs/PLATFORMS.md (macOS).
#
#   make macos (= make dist/aarch64-apple-darwin/ dist/x86_64-apple-darwin/; `make dist` packs them)
#       dist/<triple>/, Cargo profile DIST_PROFILE (`dist`), for macOS 11.0 (arm64) and 10.12
#       (x86_64), Rust's own floors, passed as MACOSX_DEPLOYMENT_TARGET:
#         lib/libprocesscreds.<major>.dylib, install name @rpath/libprocesscreds.<major>.dylib,
#             and its link lib/libprocesscreds.dylib;
#         lib/libprocesscreds.a, without debug info (rust-objcopy --strip-debug);
#         bin/processcreds, the command;
#         include/processcreds.h, processcreds.hpp.
#       The command is linked by cargo-zigbuild (zig's linker, zig's stub of libSystem). The
#       library is linked by rust-lld (LLVM's ld64.lld, part of the Rust toolchain) against a
#       stand-in SDK that tools/macos-sdk makes from the same stubs: zig's linker ignores the
#       -exported_symbols_list rustc passes, so a zig-linked dylib exports every Rust symbol
#       (1813 on arm64) where Apple's linker, and lld, export the header's functions only.
#       Every file is checked by tools/macho-check before it is shipped: architecture, oldest
#       macOS, install name, the libraries loaded, every undefined symbol bound to libSystem,
#       the exports (exactly the header's functions), no debug info, and on arm64 a valid ad-hoc
#       code signature (both linkers sign arm64 output; an unsigned arm64 binary is killed by
#       macOS on Apple silicon).
#   make test-macos (part of `make test`)
#       examples/demo.c and bindings/c/example.c compiled for each target against macOS's
#       headers (zig cc, -Werror) and linked against the shipped .dylib and .a (with the
#       target's native_static_libs, the static-library line of its pkg-config file), every program
#       checked by tools/macho-check; then tools/macho-check-selftest (each check can fail).
#       Nothing here runs them.
#
# cargo-zigbuild, zig and rust-lld need no Apple file; the venv is `make wheel`'s (mk/python.mk's
# dist-tools). rustc warns, for each zig link, that `xcrun` is missing: harmless here (zig brings
# its own stubs).

MAC_TARGETS := aarch64-apple-darwin x86_64-apple-darwin
MAC_ARCH_aarch64-apple-darwin  := arm64
MAC_ARCH_x86_64-apple-darwin   := x86_64
MAC_MINOS_aarch64-apple-darwin := 11.0
MAC_MINOS_x86_64-apple-darwin  := 10.12
# zig's name of the target, for the C programs.
MAC_ZIG_aarch64-apple-darwin   := aarch64-macos.11.0-none
MAC_ZIG_x86_64-apple-darwin    := x86_64-macos.10.12-none
# macOS on Apple silicon runs no unsigned arm64 code; x86_64 needs no signature.
MAC_SIGN_aarch64-apple-darwin  := --signed
MAC_SIGN_x86_64-apple-darwin   :=
# The system libraries of the static library, as rustc names them (`--print native-static-libs`):
# the dist rule's own build of the library prints them and keeps them where
# tools/native-static-libs (the Makefile's native_static_libs) looks, so they are computed once
# and read from there by the C link below, the pkg-config file (mk/dist.mk) and Go.

MAC_OUT       := $(BUILD)/macos
MAC_LLD_DIR   := target/macos-lld
MAC_PROFILE_DIR = $(if $(filter dev test,$(DIST_PROFILE)),debug,$(DIST_PROFILE))
MAC_DYLIB      = libprocesscreds.$(PC_SOMAJOR).dylib
MAC_VENV_PATH  = PATH="$(abspath $(DIST_VENV))/bin:$$PATH"
MAC_ZIGBUILD   = $(MAC_VENV_PATH) $(CARGO) zigbuild --quiet --profile $(DIST_PROFILE)
MAC_ZIGCC      = PC_ZIG_VENV=$(abspath $(DIST_VENV)) sh tools/macos-cc
MAC_CHECK     := python3 tools/macho-check
MAC_SYSROOT    = $(shell rustc --print sysroot)
MAC_HOST       = $(shell rustc -vV | sed -n 's/^host: //p')
# rust-objcopy needs the toolchain's libLLVM, which rustc finds for it and a shell does not.
MAC_OBJCOPY    = LD_LIBRARY_PATH="$(MAC_SYSROOT)/lib" "$(MAC_SYSROOT)/lib/rustlib/$(MAC_HOST)/bin/rust-objcopy"
MAC_LLD_FLAGS  = -C linker=rust-lld -C linker-flavor=ld64.lld \
                 -C link-arg=-install_name -C link-arg=@rpath/$(MAC_DYLIB) \
                 -C link-arg=-current_version -C link-arg=$(PC_VERSION)
MAC_C_FLAGS   := -std=c99 -Wall -Wextra -Werror -pedantic -O2 -Iinclude
MAC_LIBSYSTEM  = /usr/lib/libSystem.B.dylib
MAC_ICONV      = /usr/lib/libiconv.2.dylib
# zig records libiconv's re-exported libcharset as a library of its own; both are in macOS.
MAC_CHARSET    = /usr/lib/libcharset.1.dylib

DIST_TARGETS += $(MAC_TARGETS)
TEST_TARGETS += test-macos
# tools/dist-test links the macOS tarballs' demo through their pkg-config files (tools/macos-cc).
test-dist: export PC_ZIG_VENV = $(abspath $(DIST_VENV))

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
MAC_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: macos test-macos $(MAC_TARGETS:%=dist/%/) $(MAC_TARGETS:%=mac-c-%)

macos: $(MAC_TARGETS:%=dist/%/)

# MAC_DIST_RULE TRIPLE: dist/TRIPLE/, built, laid out and checked.
define MAC_DIST_RULE
dist/$(1)/: dist-tools
	sh tools/ensure-rust-targets $(1)
	@echo "processcreds command for $(1) (cargo-zigbuild, macOS $(MAC_MINOS_$(1)))"
	MACOSX_DEPLOYMENT_TARGET=$(MAC_MINOS_$(1)) $$(MAC_ZIGBUILD) -p processcreds-cli --bins --target $(1)
	@mkdir -p $(MAC_OUT)/$(1)
	$$(DIST_PY) tools/macos-sdk $(MAC_OUT)/$(1)/sdk \
	    "$$$$($$(DIST_PY) -c 'import os, ziglang; print(os.path.dirname(ziglang.__file__))')/lib/libc/darwin/libSystem.tbd" \
	    target/$(1)/$$(MAC_PROFILE_DIR)/deps
	@echo "libprocesscreds.dylib and .a for $(1) (rust-lld, macOS $(MAC_MINOS_$(1)))"
	SDKROOT=$(CURDIR)/$(MAC_OUT)/$(1)/sdk MACOSX_DEPLOYMENT_TARGET=$(MAC_MINOS_$(1)) \
	  $(CARGO) rustc --quiet --profile $(DIST_PROFILE) -p processcreds --lib --crate-type cdylib,staticlib \
	    --target $(1) --target-dir $(MAC_LLD_DIR) -- $$(MAC_LLD_FLAGS) --print native-static-libs \
	    2>$(MAC_OUT)/$(1)/lib-build.log || { cat $(MAC_OUT)/$(1)/lib-build.log; exit 1; }
	@grep -v -e 'native-static-libs\|link against the following' -e '^$$$$' $(MAC_OUT)/$(1)/lib-build.log || true
	@libs=$$$$(sed -n 's/^note: native-static-libs: //p' $(MAC_OUT)/$(1)/lib-build.log | tail -n 1); \
	  if [ -z "$$$$libs" ]; then echo "rustc named no system library for $(1)"; exit 1; fi; \
	  mkdir -p $(BUILD)/native-static-libs && printf '%s\n' "$$$$libs" >$(BUILD)/native-static-libs/$(1)
	rm -rf dist/$(1)
	mkdir -p dist/$(1)/lib dist/$(1)/bin dist/$(1)/include
	cp $(MAC_LLD_DIR)/$(1)/$$(MAC_PROFILE_DIR)/libprocesscreds.dylib dist/$(1)/lib/$$(MAC_DYLIB)
	ln -s $$(MAC_DYLIB) dist/$(1)/lib/libprocesscreds.dylib
	cp $(MAC_LLD_DIR)/$(1)/$$(MAC_PROFILE_DIR)/libprocesscreds.a dist/$(1)/lib/libprocesscreds.a
	$$(MAC_OBJCOPY) --strip-debug dist/$(1)/lib/libprocesscreds.a
	cp target/$(1)/$$(MAC_PROFILE_DIR)/processcreds dist/$(1)/bin/processcreds
	cp include/processcreds.h bindings/c/processcreds.hpp dist/$(1)/include/
	$(MAC_CHECK) --kind dylib --arch $(MAC_ARCH_$(1)) --minos $(MAC_MINOS_$(1)) $(MAC_SIGN_$(1)) --no-debug \
	    --install-name @rpath/$$(MAC_DYLIB) --dylibs $$(MAC_LIBSYSTEM),$$(MAC_ICONV) \
	    --undefined-from $$(MAC_LIBSYSTEM) --exports include/processcreds.h dist/$(1)/lib/$$(MAC_DYLIB)
	$(MAC_CHECK) --kind archive --arch $(MAC_ARCH_$(1)) --minos $(MAC_MINOS_$(1)) --no-debug \
	    --exports include/processcreds.h dist/$(1)/lib/libprocesscreds.a
	$(MAC_CHECK) --kind exec --arch $(MAC_ARCH_$(1)) --minos $(MAC_MINOS_$(1)) $(MAC_SIGN_$(1)) --no-debug \
	    --dylibs $$(MAC_LIBSYSTEM),$$(MAC_ICONV),$$(MAC_CHARSET) --undefined-from $$(MAC_LIBSYSTEM) \
	    dist/$(1)/bin/processcreds
endef
$(foreach t,$(MAC_TARGETS),$(eval $(call MAC_DIST_RULE,$(t))))

# MAC_C_RULE TRIPLE: the two C programs, each linked against the .dylib and against the .a of
# dist/TRIPLE/, and checked: the shared ones load @rpath/libprocesscreds.<major>.dylib and take
# every pc_ function from it; the static ones load only system libraries.
define MAC_C_RULE
mac-c-$(1): dist/$(1)/
	@mkdir -p $(MAC_OUT)/$(1)/c
	@set -e; for prog in examples/demo.c bindings/c/example.c; do \
	  name=$$$$(basename $$$$prog .c); out=$(MAC_OUT)/$(1)/c/$$$$name; \
	  echo "$$$$prog for $(1): $$$$name-shared, $$$$name-static"; \
	  $$(MAC_ZIGCC) -target $(MAC_ZIG_$(1)) $(MAC_C_FLAGS) -o $$$$out-shared $$$$prog \
	      -Ldist/$(1)/lib -lprocesscreds -Wl,-rpath,@executable_path/../lib; \
	  $$(MAC_ZIGCC) -target $(MAC_ZIG_$(1)) $(MAC_C_FLAGS) -o $$$$out-static $$$$prog \
	      dist/$(1)/lib/libprocesscreds.a $$(call native_static_libs,$(1)); \
	  $(MAC_CHECK) --kind exec --arch $(MAC_ARCH_$(1)) --minos $(MAC_MINOS_$(1)) $(MAC_SIGN_$(1)) \
	      --dylibs $$(MAC_LIBSYSTEM),@rpath/$$(MAC_DYLIB) --undefined-from $$(MAC_LIBSYSTEM),@rpath/$$(MAC_DYLIB) \
	      --bind _pc_=@rpath/$$(MAC_DYLIB) $$$$out-shared; \
	  $(MAC_CHECK) --kind exec --arch $(MAC_ARCH_$(1)) --minos $(MAC_MINOS_$(1)) $(MAC_SIGN_$(1)) \
	      --dylibs $$(MAC_LIBSYSTEM),$$(MAC_ICONV),$$(MAC_CHARSET) --undefined-from $$(MAC_LIBSYSTEM) \
	      $$$$out-static; \
	done
endef
$(foreach t,$(MAC_TARGETS),$(eval $(call MAC_C_RULE,$(t))))

test-macos: $(MAC_TARGETS:%=mac-c-%)
	PC_ZIG_VENV=$(abspath $(DIST_VENV)) sh tools/macho-check-selftest $(MAC_OUT)/selftest \
	    dist/aarch64-apple-darwin dist/x86_64-apple-darwin \
	    $(MAC_LLD_DIR)/aarch64-apple-darwin/$(MAC_PROFILE_DIR)/libprocesscreds.a

.DEFAULT_GOAL := $(MAC_SAVED_GOAL)

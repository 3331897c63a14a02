# The libraries as shipped, included by the top-level Makefile.
#
#   make ship-lib (and `make`)
#       build/ship/: libprocesscreds.so and libprocesscreds.a of the Cargo profile `dist`
#       (release without debug info, symbol tables stripped), the archive stripped of the debug
#       info of the Rust standard library it holds, and bin/processcreds when the command's
#       crate (cli/) exists. `make install`, `make wheel` and `make dist` ship these.
#   make dist (targets and their dist/<triple>/: mk/platforms.mk and the DIST_TARGETS seam)
#       then, per target, dist/processcreds-<version>-<triple>.tar.gz (tools/dist-archive: the
#       stripped libraries, relocatable pkg-config files, headers, README.md, LICENSE, and on
#       Linux targets the processcreds command built for the target; Windows' and macOS's
#       dist/<triple>/ hold their own, mk/windows.mk and mk/macos.mk), and dist/SHA256SUMS over
#       the tarballs.
#   make test-dist
#       tools/dist-test: checksums and contents of every tarball; the build machine's tarball
#       unpacked in a temporary directory and a C program linked against it through its
#       pkg-config files, shared (with an rpath) and static, run without LD_LIBRARY_PATH.
#   make bench-stripped
#       bench/stripped.c: the shipped .so (profile dist) against the development one (release),
#       loaded side by side in one process: cached and fresh retrieves, alternating rounds.
#   make test-go-recipe
#       bindings/go/recipe-test.sh: the Go README's build recipes, as written, in a new module
#       outside the repository, static and through pkg-config (tag processcreds_system).

STRIP     ?= strip
SHIP_DIR  := $(BUILD)/ship
SHIP_SO   := $(SHIP_DIR)/libprocesscreds.so
SHIP_A    := $(SHIP_DIR)/libprocesscreds.a
SHIP_CLI  := $(if $(wildcard cli/Cargo.toml),$(SHIP_DIR)/bin/processcreds)
SHIP_STAMP := $(SHIP_DIR)/.built
# The Cargo profile of the per-target builds of `make dist` (mk/platforms.mk reads it).
DIST_PROFILE ?= dist
# The command in the tarballs of Linux targets, built by cargo-zigbuild (from the venv of
# mk/python.mk's dist-tools): against glibc DIST_GLIBC for a glibc target (in cargo's default
# target directory, next to the library of mk/platforms.mk's build), and as a static executable
# (Rust's default for musl) for a musl target, in a directory of its own (the musl libraries are
# built with crt-static off).
DIST_GLIBC        := 2.17
DIST_ZIGBUILD      = PATH="$(abspath $(DIST_VENV))/bin:$$PATH" $(CARGO) zigbuild --quiet --profile $(DIST_PROFILE)
DIST_PROFILE_OUT   = $(if $(filter dev test,$(DIST_PROFILE)),debug,$(DIST_PROFILE))
DIST_CLI_MUSL_DIR := target/musl-static
DIST_PROFILE_DIR := target/dist
SHIP_SRCS := Cargo.toml $(wildcard Cargo.lock .cargo/config.toml) build.rs \
             $(shell find src $(if $(SHIP_CLI),cli) -type f -not -path 'cli/target/*' 2>/dev/null)

TEST_TARGETS += test-go-recipe test-dist

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
DIST_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: ship-lib test-go-recipe test-dist bench-stripped dist

# `make` builds what `make install` installs, so that `sudo make install` compiles nothing.
all: ship-lib

ship-lib: $(SHIP_STAMP)

# Rebuilt when a source of the crate (or of the command) is newer than the last build; cargo
# itself decides what to recompile.
$(SHIP_STAMP): $(SHIP_SRCS)
	$(CARGO) build --profile dist --quiet
	@mkdir -p $(SHIP_DIR)
	$(INSTALL) -m 0755 $(DIST_PROFILE_DIR)/libprocesscreds.so $(SHIP_SO)
	$(INSTALL) -m 0644 $(DIST_PROFILE_DIR)/libprocesscreds.a $(SHIP_A).tmp
	$(STRIP) --strip-debug $(SHIP_A).tmp
	mv -f $(SHIP_A).tmp $(SHIP_A)
ifneq ($(SHIP_CLI),)
	$(CARGO) build --profile dist --quiet --manifest-path cli/Cargo.toml --bins
	@mkdir -p $(dir $(SHIP_CLI))
	$(INSTALL) -m 0755 $(DIST_PROFILE_DIR)/processcreds $(SHIP_CLI)
endif
	@touch $@

# The recipe of `make dist`, whose prerequisites (every dist/<triple>/) the top-level Makefile
# gives: it runs once they are all made.
dist: dist-tools
	@if [ -z "$(strip $(DIST_TARGETS))" ]; then \
	  echo "make dist: no target in DIST_TARGETS: nothing to pack"; exit 0; fi; \
	set -e; \
	rm -f dist/processcreds-$(PC_VERSION)-*.tar.gz dist/SHA256SUMS; \
	for t in $(DIST_TARGETS); do \
	  libs=$$(CARGO="$(CARGO)" sh tools/native-static-libs $$t $(BUILD)/native-static-libs); \
	  cli=""; \
	  if [ -n "$(SHIP_CLI)" ]; then case $$t in \
	    *-linux-gnu) \
	      echo "processcreds command for $$t (glibc $(DIST_GLIBC))"; \
	      $(DIST_ZIGBUILD) -p processcreds-cli --bins --target $$t.$(DIST_GLIBC); \
	      cli=target/$$t/$(DIST_PROFILE_OUT)/processcreds ;; \
	    *-linux-musl) \
	      echo "processcreds command for $$t (static)"; \
	      $(DIST_ZIGBUILD) -p processcreds-cli --bins --target $$t --target-dir $(DIST_CLI_MUSL_DIR); \
	      cli=$(DIST_CLI_MUSL_DIR)/$$t/$(DIST_PROFILE_OUT)/processcreds ;; \
	  esac; fi; \
	  sh tools/dist-archive $$t $(PC_VERSION) "$$libs" $$cli; \
	done; \
	cd dist && sha256sum processcreds-$(PC_VERSION)-*.tar.gz > SHA256SUMS && cat SHA256SUMS

test-dist: dist
	@if [ -z "$(strip $(DIST_TARGETS))" ]; then echo "SKIP test-dist: no target in DIST_TARGETS"; else \
	  CC="$(CC)" PC_VERSION="$(PC_VERSION)" PC_SOMAJOR="$(PC_SOMAJOR)" \
	  DIST_TARGETS="$(DIST_TARGETS)" sh tools/dist-test; fi

$(BUILD)/bench-stripped: bench/stripped.c bench/common.h include/processcreds.h | $(BUILD)
	$(CC) -O2 -Wall -Wextra -Werror -Iinclude -o $@ bench/stripped.c -ldl

bench-stripped: $(BUILD)/bench-stripped $(BUILD)/bench-helper lib ship-lib
	./$(BUILD)/bench-stripped $(CURDIR)/$(LIB_SO) $(CURDIR)/$(SHIP_SO) $(CURDIR)/$(BUILD)/bench-helper

test-go-recipe:
	GO="$(GO)" sh bindings/go/recipe-test.sh

.DEFAULT_GOAL := $(DIST_SAVED_GOAL)

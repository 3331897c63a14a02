# The libraries as shipped, included by the top-level Makefile.
#
#   make ship-lib (and `make`)
#       build/ship/: libprocesscreds.so and libprocesscreds.a of the Cargo profile `dist`
#       (release without debug info, symbol tables stripped), the archive stripped of the debug
#       info of the Rust standard library it holds, and bin/processcreds when the command's
#       crate (cli/) exists. `make install`, `make wheel` and `make dist` ship these.
#   make test-go-recipe
#       bindings/go/recipe-test.sh: the Go README's build recipes, as written, in a new module
#       outside the repository, static and through pkg-config (tag processcreds_system).

STRIP     ?= strip
SHIP_DIR  := $(BUILD)/ship
SHIP_SO   := $(SHIP_DIR)/libprocesscreds.so
SHIP_A    := $(SHIP_DIR)/libprocesscreds.a
SHIP_CLI  := $(if $(wildcard cli/Cargo.toml),$(SHIP_DIR)/bin/processcreds)
SHIP_STAMP := $(SHIP_DIR)/.built
DIST_PROFILE_DIR := target/dist
SHIP_SRCS := Cargo.toml $(wildcard Cargo.lock .cargo/config.toml) build.rs \
             $(shell find src $(if $(SHIP_CLI),cli) -type f -not -path 'cli/target/*' 2>/dev/null)

TEST_TARGETS += test-go-recipe

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
DIST_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: ship-lib test-go-recipe

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

test-go-recipe:
	GO="$(GO)" sh bindings/go/recipe-test.sh

.DEFAULT_GOAL := $(DIST_SAVED_GOAL)

# processcreds — build, demo and tests. `make demo` and `make test` need nothing installed by hand
# beyond the machine's toolchains (Rust, a C compiler; Python and Go for their bindings).

CARGO   ?= cargo
CC      ?= cc
BUILD   := build
RELEASE := target/release
LIB_A   := $(RELEASE)/libprocesscreds.a
LIB_SO  := $(RELEASE)/libprocesscreds.so
CFLAGS_STRICT := -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude
# The crate's version (Cargo.toml), for the mk files.
PC_VERSION  := $(shell sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
# The system libraries that a program linking the static library built for a target needs, as
# rustc names them (`--print native-static-libs`): `$(call native_static_libs,TRIPLE)`, computed
# once per target by tools/native-static-libs and kept in build/native-static-libs/TRIPLE (the
# Makefile, the pkg-config files, `make dist` and the Go binding's static_libs.go all take them
# from there). STATIC_LIBS: the build machine's.
HOST_TRIPLE := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
native_static_libs = $(or $(shell CARGO="$(CARGO)" sh tools/native-static-libs $(1) $(BUILD)/native-static-libs),\
                          $(error the system libraries of the static library for $(1) are unknown: see above))
STATIC_LIBS = $(call native_static_libs,$(HOST_TRIPLE))

# `make` alone builds `all`, whatever the mk/*.mk files define first.
.DEFAULT_GOAL := all

# Test suites of the bindings add themselves to TEST_TARGETS in mk/*.mk.
TEST_TARGETS :=
# Each mk/*.mk that builds libraries for a target adds it with `DIST_TARGETS += <triple>` and a rule
# `dist/<triple>/` (mk/platforms.mk describes the layout); `make dist` builds them all.
DIST_TARGETS :=
-include mk/*.mk

.PHONY: all lib header demo test lint test-rust test-goref test-demo clean
all: lib

# The library and the `processcreds` command (cli/, a crate of its own).
lib:
	$(CARGO) build --release --quiet -p processcreds -p processcreds-cli
	@# The soname is libprocesscreds.so.0: let programs linked in the build tree find it too.
	ln -sf libprocesscreds.so $(RELEASE)/libprocesscreds.so.0

# include/processcreds.h and the Python binding's _constants.py, which tests/header.rs generates.
header:
	PC_UPDATE_HEADER=1 $(CARGO) test --quiet --test header

$(BUILD):
	mkdir -p $(BUILD)

$(BUILD)/demo: examples/demo.c include/processcreds.h lib | $(BUILD)
	$(CC) $(CFLAGS_STRICT) -O2 -o $@ examples/demo.c $(LIB_A) $(STATIC_LIBS)

demo: $(BUILD)/demo
	./$(BUILD)/demo "$(CURDIR)/examples/sample-helper.sh"

# The demo runs, and shows no character of a secret: a helper with a two-character secret and a
# three-character token whose output must contain neither.
test-demo: $(BUILD)/demo
	@out=$$(./$(BUILD)/demo 'printf "{\"Version\":1,\"AccessKeyId\":\"AKIDDEMO\",\"SecretAccessKey\":\"Qz\",\"SessionToken\":\"Wv7\"}"') || \
	  { echo "test-demo: the demo failed"; exit 1; }; \
	echo "$$out" | grep -q 'AKIDDEMO' || { echo "test-demo: no key id in the demo's output"; exit 1; }; \
	if echo "$$out" | grep -q -e 'Qz' -e 'Wv7'; then echo "test-demo: a secret is shown"; exit 1; fi; \
	echo "test-demo: ok (key id shown, secret and token not)"

# The crate's modules depend on each other one way (tools/module-cycles: its self-test, then the
# check of src/).
lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --quiet --all-targets -- -D warnings
	$(CARGO) clippy --quiet -p processcreds --lib --test observe --features log,tracing -- -D warnings
	python3 tools/module-cycles --self-test
	python3 tools/module-cycles src

test-rust:
	$(CARGO) test --quiet
	$(CARGO) test --quiet --features log,tracing --test observe

# The profile vectors checked against the real aws-sdk-go v1 session (the processcreds vectors are
# checked against aws-sdk-go v1 by the Go binding's differential suite, in test-go); the quoting
# table and vectors of src/runner/quote checked against Go's strconv (PC_UPDATE_GOREF=1 rewrites
# them).
test-goref:
	cd tests/goref_session && go test -count=1 ./...
	cd tests/goref_quote && go test -count=1 ./...

TEST_SUITES = lint test-rust test-goref test-demo $(TEST_TARGETS)

# `make test` prints one line a suite and a failed suite's whole log (every log is kept in
# build/test-logs/); `make test VERBOSE=1` runs the same suites with all their output.
# (MAKE through a variable expanded here, so that `make -n test` does not run the suites.)
SUITES_MAKE := $(MAKE)
ifeq ($(VERBOSE),1)
test: $(TEST_SUITES)
else
test:
	@python3 tools/test-suites $(BUILD)/test-logs "$(SUITES_MAKE)" $(TEST_SUITES)
endif

.PHONY: dist
dist: $(DIST_TARGETS:%=dist/%/)

clean:
	$(CARGO) clean
	rm -rf $(BUILD) $(DIST_TARGETS:%=dist/%)

# Benchmarks: ratios measured side by side in one run (bench/README.md).
$(BUILD)/bench-helper: bench/helper.c | $(BUILD)
	$(CC) -O2 -static -o $@ $< 2>/dev/null || $(CC) -O2 -o $@ $<

$(BUILD)/bench: bench/bench.c bench/common.h include/processcreds.h lib | $(BUILD)
	$(CC) -O2 -Wall -Wextra -Werror -Iinclude -o $@ bench/bench.c $(LIB_A) $(STATIC_LIBS)

.PHONY: bench bench-c
bench-c: $(BUILD)/bench $(BUILD)/bench-helper
	./$(BUILD)/bench "$(CURDIR)/$(BUILD)/bench-helper"

bench: bench-c bench-python bench-go bench-shared

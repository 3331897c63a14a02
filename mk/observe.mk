# Observability (README.md, "Observability"), included by the top-level Makefile.
#
#   make test-observe   (part of `make test-c`)
#       the C ABI tests of the events and counters (bindings/c/tests/test_observe.c) against the
#       static library, natively and under valgrind. The Rust tests (tests/observe.rs, the
#       secrets suite) run in test-rust, the bindings' in test-python and test-go, the
#       command's -v/-vv in cli/tests/cli.rs.
#   make bench-observe  (part of `make bench` and `make bench-c`)
#       bench/observe.c: a cached retrieve with no logger, with a logger at PC_LOG_WARN, and with
#       no logger in the library of another revision ("today"), each loaded with dlopen, side by
#       side. PC_BENCH_BASELINE names that revision (default main); its library is built once
#       from `git archive` into build/baseline/<commit>/ (release profile, as target/release).
#       PC_BENCH_BASELINE= (empty) skips it.

OBSERVE_OUT := $(BUILD)/observe
OBSERVE_TEST_SRC := bindings/c/tests/test_observe.c
OBSERVE_TEST_DEPS := bindings/c/tests/check.h bindings/c/tests/fixture.h include/processcreds.h

PC_BENCH_BASELINE ?= main
BASELINE_COMMIT := $(if $(PC_BENCH_BASELINE),$(shell git rev-parse --verify --quiet '$(PC_BENCH_BASELINE)^{commit}' 2>/dev/null))
BASELINE_DIR := $(BUILD)/baseline/$(BASELINE_COMMIT)
BASELINE_SO := $(if $(BASELINE_COMMIT),$(BASELINE_DIR)/target/release/libprocesscreds.so)

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
OBSERVE_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: test-observe bench-observe

$(OBSERVE_OUT)/test_observe: $(OBSERVE_TEST_SRC) $(OBSERVE_TEST_DEPS) lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_STRICT) -Ibindings/c/tests -g -O1 -pthread -o $@ $(OBSERVE_TEST_SRC) \
	    $(LIB_A) $(STATIC_LIBS)

test-observe: $(OBSERVE_OUT)/test_observe
	@tools/ensure-debs valgrind >/dev/null
	@echo "observability, C ABI:"
	@./$(OBSERVE_OUT)/test_observe
	@echo "observability, C ABI, valgrind:"
	@PC_TEST_UNDER_VALGRIND=1 valgrind -q --fair-sched=yes --child-silent-after-fork=yes --leak-check=full \
	    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	    --error-exitcode=1 --trace-children=no --log-file=$(OBSERVE_OUT)/valgrind.log \
	    ./$(OBSERVE_OUT)/test_observe || { cat $(OBSERVE_OUT)/valgrind.log; exit 1; }

# The other revision's library: its sources from git, built once per commit.
$(BASELINE_DIR)/target/release/libprocesscreds.so:
	rm -rf $(BASELINE_DIR)/src
	mkdir -p $(BASELINE_DIR)/src
	git archive $(BASELINE_COMMIT) | tar -x -C $(BASELINE_DIR)/src
	cd $(BASELINE_DIR)/src && CARGO_TARGET_DIR=$(CURDIR)/$(BASELINE_DIR)/target \
	    $(CARGO) build --release --quiet -p processcreds --lib

$(BUILD)/bench-observe: bench/observe.c bench/common.h include/processcreds.h | $(BUILD)
	$(CC) -O2 -Wall -Wextra -Werror -Iinclude -o $@ bench/observe.c -ldl

bench-observe: $(BUILD)/bench-observe $(BUILD)/bench-helper lib $(BASELINE_SO)
	@$(if $(PC_BENCH_BASELINE),$(if $(BASELINE_COMMIT),echo "today: $(PC_BENCH_BASELINE) ($(BASELINE_COMMIT))",echo "PC_BENCH_BASELINE=$(PC_BENCH_BASELINE) is not a revision of this repository"))
	./$(BUILD)/bench-observe $(CURDIR)/$(LIB_SO) "$(CURDIR)/$(BUILD)/bench-helper" $(if $(BASELINE_SO),$(CURDIR)/$(BASELINE_SO))

bench-c: bench-observe
test-c: test-observe

.DEFAULT_GOAL := $(OBSERVE_SAVED_GOAL)

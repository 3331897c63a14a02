# Refresh ahead (SEMANTICS.md, "Refresh ahead"), included by the top-level Makefile.
#
#   make test-refresh   (part of `make test`)
#       the C ABI tests of refresh ahead (bindings/c/tests/test_refresh.c) against the static
#       library, natively and under valgrind. The Rust tests (tests/refresh.rs, tests/cache*.rs)
#       run in test-rust, the bindings' in test-python and test-go.
#   make bench-refresh  (part of `make bench`)
#       worst retrieve latency of 8 threads across an expiry, with and without a refresh window.

REFRESH_OUT := $(BUILD)/refresh
REFRESH_TEST_SRC := bindings/c/tests/test_refresh.c
REFRESH_TEST_DEPS := bindings/c/tests/check.h bindings/c/tests/fixture.h include/processcreds.h

TEST_TARGETS += test-refresh

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
REFRESH_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: test-refresh bench-refresh

$(REFRESH_OUT)/test_refresh: $(REFRESH_TEST_SRC) $(REFRESH_TEST_DEPS) lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_STRICT) -Ibindings/c/tests -g -O1 -pthread -o $@ $(REFRESH_TEST_SRC) \
	    $(LIB_A) $(STATIC_LIBS)

# valgrind's own notes go to a log shown only on failure; forked children are checked natively
# (in a child forked during a refresh, the parent's refresh thread owns memory it cannot free).
# --fair-sched=yes: valgrind runs one thread at a time, and by default a thread that keeps
# retrieving rarely lets another in, so the background refresh the eight retrieving threads wait
# for could take minutes to run (4 min 44 s instead of 7 s for the whole program here).
test-refresh: $(REFRESH_OUT)/test_refresh
	@tools/ensure-debs valgrind >/dev/null
	@echo "refresh ahead, C ABI:"
	@./$(REFRESH_OUT)/test_refresh
	@echo "refresh ahead, C ABI, valgrind:"
	@PC_TEST_UNDER_VALGRIND=1 valgrind -q --fair-sched=yes --child-silent-after-fork=yes --leak-check=full \
	    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	    --error-exitcode=1 --trace-children=no --log-file=$(REFRESH_OUT)/valgrind.log \
	    ./$(REFRESH_OUT)/test_refresh || { cat $(REFRESH_OUT)/valgrind.log; exit 1; }

$(BUILD)/bench-refresh: bench/refresh.c bench/common.h include/processcreds.h lib | $(BUILD)
	$(CC) -O2 -Wall -Wextra -Werror -Iinclude -o $@ bench/refresh.c $(LIB_A) $(STATIC_LIBS)

bench-refresh: $(BUILD)/bench-refresh
	./$(BUILD)/bench-refresh

bench: bench-refresh

.DEFAULT_GOAL := $(REFRESH_SAVED_GOAL)

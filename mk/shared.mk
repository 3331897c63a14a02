# The shared cache and the `processcreds` command (README.md, "Sharing credentials between processes"), included by the top-level Makefile.
#
#   make test-shared   (part of `make test`)
#       clippy of the command's crate (cli/); the shared cache across real processes through the
#       C ABI (tests/shared_cache.rs); the command (cli/tests/cli.rs: cache, get, exec, check,
#       clear, conventions); real botocore (cli/tests/botocore.rs: 20 processes through
#       `processcreds cache`, and check's botocore verdicts against botocore itself), with the
#       Python of the binding's virtualenv (mk/python.mk).
#   make bench-shared  (part of `make bench`)
#       a warm `processcreds cache` vs spawning /bin/true, and an in-library shared-cache hit from
#       a fresh process, side by side (bench/shared.c). PC_CLI_BASELINE=<another build of the
#       command> adds a row: its warm `cache` vs this build's.
#   `make lib` builds the command (target/release/processcreds: no debug info, stripped, see
#       Cargo.toml); `make install` ships it (mk/c.mk, mk/dist.mk).

PC_CLI  := $(RELEASE)/processcreds

TEST_TARGETS += test-shared

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
SHARED_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: test-shared bench-shared

test-shared: python-venv
	$(CARGO) clippy --quiet -p processcreds-cli --all-targets -- -D warnings
	$(CARGO) test --quiet --test shared_cache --test shared_cache_rules
	PC_PYTHON=$(CURDIR)/$(PY) $(CARGO) test --quiet -p processcreds-cli

$(BUILD)/bench-shared: bench/shared.c bench/common.h include/processcreds.h lib | $(BUILD)
	$(CC) -O2 -Wall -Wextra -Werror -Iinclude -o $@ bench/shared.c $(LIB_A) $(STATIC_LIBS)

# The command timed is a copy, as `make install` makes one: the file the linker wrote, while its
# pages stay in the page cache as written, starts measurably slower than a copy of it (0.1 to
# 0.15 of a /bin/true spawn on the 2-core machine this was measured on).
$(BUILD)/bench-processcreds: lib | $(BUILD)
	install -m 0755 $(PC_CLI) $@

bench-shared: $(BUILD)/bench-shared $(BUILD)/bench-helper $(BUILD)/bench-processcreds
	PC_BENCH_BASELINE_CLI="$(PC_CLI_BASELINE)" \
	  ./$(BUILD)/bench-shared "$(CURDIR)/$(BUILD)/bench-processcreds" "$(CURDIR)/$(BUILD)/bench-helper"

.DEFAULT_GOAL := $(SHARED_SAVED_GOAL)

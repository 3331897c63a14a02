# Reliability suite (docs/RELIABILITY.md), included by the top-level Makefile.
#
#   make test-reliability   (part of `make test`)
#       the fault matrix, host conditions (Rust and C), secrets and the stable fuzz properties,
#       then `soak`.
#   make test-host-c
#       host conditions through the C ABI: pthread_cancel, an EINTR storm, a SIGCHLD reaper.
#   make test-fallbacks   (part of `make test`)
#       the runner, fault, vector and host suites with posix_spawn's closefrom action, pidfd_open,
#       close_range and /proc/self/fd taken away (tests/shim/), so that each fallback runs.
#   make soak [SOAK_FRESH=10000] [SOAK_CACHED=1000000] [SOAK_VG_FRESH=1000] [SOAK_VG_CACHED=100000]
#       fresh and cached retrieves through the Rust API (descriptors, threads, zombies, live heap
#       and RSS unchanged), and through the C ABI under valgrind.
#   make fuzz [FUZZ_SECONDS=60]
#       each cargo-fuzz target (fuzz/) for FUZZ_SECONDS on the nightly toolchain, installing
#       cargo-fuzz if it is missing; without a nightly toolchain (or if the install fails), the
#       stable property run (release build) with FUZZ_CASES cases a property: 3,000,000 inputs a
#       parser.

FUZZ_SECONDS   ?= 60
FUZZ_CASES     ?= 1000000
SOAK_FRESH     ?= 10000
SOAK_CACHED    ?= 1000000
SOAK_VG_FRESH  ?= 1000
SOAK_VG_CACHED ?= 100000

TEST_TARGETS += test-reliability test-fallbacks

.PHONY: test-reliability test-host-c test-fallbacks soak fuzz fuzz-props

test-reliability: test-host-c
	$(CARGO) test --quiet --test faults --test host --test secrets --test fuzz_props
	@$(MAKE) --no-print-directory soak

# Host conditions through the C ABI: pthread_cancel during calls, an EINTR storm, a host reaping
# every child (bindings/c/tests/test_host.c).
REL_C_OUT := $(BUILD)/c
$(REL_C_OUT)/test_host: bindings/c/tests/test_host.c bindings/c/tests/check.h \
		bindings/c/tests/fixture.h include/processcreds.h lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_STRICT) -Ibindings/c/tests -g -O1 -pthread -o $@ $< $(LIB_A) $(STATIC_LIBS)

test-host-c: $(REL_C_OUT)/test_host
	@sh bindings/c/tests/run.sh $(REL_C_OUT)/logs "C host conditions" "$(REL_C_OUT)/test_host"

# The fallbacks of the run-time facilities (docs/RELIABILITY.md): an LD_PRELOAD shim takes away
# posix_spawn's closefrom action, pidfd_open, close_range and the /proc/self/fd listing, and the
# runner, fault, vector and host suites run on what is left.
REL_SHIM := $(BUILD)/nofacilities.so
$(REL_SHIM): tests/shim/nofacilities.c | $(BUILD)
	$(CC) -std=c99 -O2 -Wall -Wextra -Werror -shared -fPIC -o $@ $< -ldl

test-fallbacks: $(REL_SHIM) $(REL_C_OUT)/test_host
	@sh tests/shim/run-fallbacks.sh $(abspath $(REL_SHIM)) closefrom,pidfd runner faults vectors host
	@sh tests/shim/run-fallbacks.sh $(abspath $(REL_SHIM)) closefrom,close_range runner faults vectors
	@# The last resort (no close_range, no /proc/self/fd: every number below RLIMIT_NOFILE).
	@ulimit -n 4096 && sh tests/shim/run-fallbacks.sh $(abspath $(REL_SHIM)) \
	  closefrom,close_range,procfd,pidfd runner vectors
	@sh bindings/c/tests/run.sh $(REL_C_OUT)/logs \
	  "C host conditions without closefrom,pidfd,close_range" \
	  "env LD_PRELOAD=$(abspath $(REL_SHIM)) PC_SHIM_OFF=closefrom,pidfd,close_range $(REL_C_OUT)/test_host"

soak:
	PC_SOAK_FRESH=$(SOAK_FRESH) PC_SOAK_CACHED=$(SOAK_CACHED) \
	PC_SOAK_VG_FRESH=$(SOAK_VG_FRESH) PC_SOAK_VG_CACHED=$(SOAK_VG_CACHED) \
	$(CARGO) test --quiet --test soak -- --ignored --nocapture --test-threads 1

fuzz-props:
	PC_FUZZ_CASES=$(FUZZ_CASES) $(CARGO) test --release --test fuzz_props -- --nocapture

fuzz:
	@if cargo +nightly --version >/dev/null 2>&1 && \
	    { cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked; }; then \
	  for t in output ini; do \
	    mkdir -p fuzz/work/$$t; \
	    echo "fuzzing $$t for $(FUZZ_SECONDS) s (seeds: fuzz/corpus/$$t, new inputs: fuzz/work/$$t)"; \
	    if ! (cd fuzz && cargo +nightly fuzz run -O $$t work/$$t corpus/$$t -- \
	          -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -print_final_stats=1) \
	          > fuzz/work/$$t.log 2>&1; then \
	      tail -n 60 fuzz/work/$$t.log; \
	      echo "fuzz target $$t failed: the input is in fuzz/artifacts/$$t/"; exit 1; \
	    fi; \
	    grep -E '^Done|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
	      fuzz/work/$$t.log; \
	  done; \
	else \
	  echo "no nightly toolchain or cargo-fuzz: running the stable property test"; \
	  $(MAKE) --no-print-directory fuzz-props; \
	fi

# The differential test of `processcreds check` against the real SDKs, included by the top-level
# Makefile.
#
#   make test-check-sdks   (part of `make test`)
#       tests/check-sdks/run.py: the corpus of tests/check-sdks/gen.py (about 800 helper outputs:
#       field types, key spellings and duplicates, Expiration forms, encodings, sizes around 8192,
#       exit statuses, seeded random cases) through the real aws-sdk-go v1.55.8 and aws-sdk-go-v2
#       (credentials v1.21.3; tests/check-sdks/go), the real botocore 1.44.18 with dateutil
#       2.9.0 (tests/check-sdks/python, in a virtualenv of its own under build/) and the real
#       aws-sdk-rust aws-config 1.13.0 (tests/check-sdks/rust, built into target/aws-sdk-rust
#       beside tests/aws-sdk-rust, whose dependencies it shares), one process per SDK for the
#       whole corpus; each SDK's verdict must be check's, and check's "processcreds:" line what
#       `processcreds get` does. The Go and Rust drivers are vetted/formatted and built first.

CHECK_SDKS_DIR   := tests/check-sdks
CHECK_SDKS_GO    := $(BUILD)/check-sdks-go
CHECK_SDKS_VENV  := $(BUILD)/venv-check
CHECK_SDKS_PY    := $(CHECK_SDKS_VENV)/bin/python
# botocore's Expiration reader, modelled by cli/src/check/dateutil/.
DATEUTIL_VERSION := 2.9.0.post0
# The Rust driver shares tests/aws-sdk-rust's target directory (mk/rust-sdk.mk).
CHECK_SDKS_RUST   = $(CURDIR)/target/aws-sdk-rust/debug/check-sdks-rust

TEST_TARGETS += test-check-sdks

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
CHECK_SDKS_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: test-check-sdks check-sdks-drivers check-sdks-venv

# botocore and dateutil pinned to the versions check models (BOTOCORE_VERSION: mk/python.mk);
# reinstalled only when the virtualenv holds others.
check-sdks-venv:
	@test -x $(CHECK_SDKS_PY) || $(PYTHON3) -m venv $(CHECK_SDKS_VENV)
	@$(CHECK_SDKS_PY) -c 'import sys, botocore, importlib.metadata as m; \
	  sys.exit(botocore.__version__ != "$(BOTOCORE_VERSION)" or \
	  m.version("python-dateutil") != "$(DATEUTIL_VERSION)")' 2>/dev/null || \
	  $(CHECK_SDKS_PY) -m pip install --quiet --disable-pip-version-check \
	  'botocore==$(BOTOCORE_VERSION)' 'python-dateutil==$(DATEUTIL_VERSION)'

check-sdks-drivers: | $(BUILD)
	cd $(CHECK_SDKS_DIR)/go && $(GO) vet ./... && $(GO) build -o $(CURDIR)/$(CHECK_SDKS_GO) .
	cd $(CHECK_SDKS_DIR)/rust && $(CARGO) fmt --check && \
	  $(CARGO) build --quiet --target-dir $(CURDIR)/target/aws-sdk-rust

test-check-sdks: lib check-sdks-drivers check-sdks-venv
	$(PYTHON3) $(CHECK_SDKS_DIR)/run.py --dir $(CURDIR)/$(BUILD)/check-sdks \
	  --processcreds $(CURDIR)/$(PC_CLI) --go $(CURDIR)/$(CHECK_SDKS_GO) \
	  --python $(CURDIR)/$(CHECK_SDKS_PY) --rust $(CHECK_SDKS_RUST)

.DEFAULT_GOAL := $(CHECK_SDKS_SAVED_GOAL)

# Python binding (bindings/python): tests and bench in a virtualenv of their own under build/,
# with pytest, mypy and botocore from PyPI, against the library built by `make lib`.
#
#   make wheel
#       dist/wheels/processcreds-<version>-py3-none-<platform>.whl for each platform of
#       WHEEL_PLATS, each with the library built for it by cargo-zigbuild (profile dist,
#       stripped; zig links against the oldest glibc the tag allows), packaged by setup.py
#       (PROCESSCREDS_WHEEL_LIB/PLAT) and checked with `auditwheel show`. The tools (cargo-zigbuild,
#       ziglang, auditwheel) come from PyPI into build/venv-dist.
#   make test-wheel
#       bindings/python/wheel-test.sh: auditwheel, contents, and the wheel this machine runs
#       installed into a new virtualenv in an empty directory, the binding's suite run there.

PYTHON3    ?= python3
PY_VENV    := $(BUILD)/venv-python
PY         := $(PY_VENV)/bin/python
PY_DEPS    := pytest mypy botocore botocore-stubs
PY_ENV     := PROCESSCREDS_LIB=$(CURDIR)/$(LIB_SO)
PY_MYPY    := MYPY_CACHE_DIR=$(CURDIR)/$(PY_VENV)/mypy-cache $(CURDIR)/$(PY) -m mypy --strict

# Wheels: platform tag -> the Rust target given to cargo-zigbuild (`.2.17`: link against glibc
# 2.17, manylinux2014's).
WHEEL_DIR   := dist/wheels
WHEEL_PLATS := manylinux2014_x86_64=x86_64-unknown-linux-gnu.2.17
DIST_VENV   := $(BUILD)/venv-dist
DIST_PY     := $(DIST_VENV)/bin/python
DIST_TOOLS  := cargo-zigbuild ziglang auditwheel

TEST_TARGETS += test-python test-wheel

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
PY_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: test-python bench-python python-venv wheel test-wheel dist-tools

$(PY):
	$(PYTHON3) -m venv $(PY_VENV)

# Reinstalls the binding every time, so the venv always holds the working tree's version. This is
# the user's `pip install ./bindings/python`: setuptools-rust builds the library into the package
# (cargo's output under target/python, so that it does not rebuild what `make install` builds).
python-venv: $(PY)
	CARGO_TARGET_DIR=$(CURDIR)/target/python \
	$(PY) -m pip install --quiet --disable-pip-version-check $(PY_DEPS) ./bindings/python

# mypy checks the sources, then the installed package and a user of it (the bench), which are
# typed only if py.typed was installed.
test-python: lib python-venv
	cd bindings/python && $(PY_MYPY) src/processcreds
	cd $(BUILD) && $(PY_MYPY) -p processcreds
	cd $(BUILD) && $(PY_MYPY) $(CURDIR)/bench/python/bench.py
	$(PY_ENV) $(PY) -m pytest -q -p no:cacheprovider bindings/python/tests

bench-python: lib python-venv
	$(PY_ENV) $(PY) bench/python/bench.py

$(DIST_PY):
	$(PYTHON3) -m venv $(DIST_VENV)

dist-tools: $(DIST_PY)
	$(DIST_PY) -m pip install --quiet --disable-pip-version-check $(DIST_TOOLS)

# bindings/python/build is setuptools' in-place build directory: emptied so that no file of
# another platform's build ends up in a wheel.
wheel: dist-tools
	@mkdir -p $(WHEEL_DIR)
	rm -f $(WHEEL_DIR)/processcreds-*.whl
	@set -e; for pt in $(WHEEL_PLATS); do \
	  plat=$${pt%%=*}; target=$${pt#*=}; triple=$${target%%.[0-9]*}; \
	  echo "wheel $$plat: cargo zigbuild --profile dist --lib --target $$target"; \
	  PATH="$(CURDIR)/$(DIST_VENV)/bin:$$PATH" $(CARGO) zigbuild --quiet --profile dist --lib --target $$target; \
	  rm -rf bindings/python/build; \
	  PROCESSCREDS_WHEEL_LIB=$(CURDIR)/target/$$triple/dist/libprocesscreds.so PROCESSCREDS_WHEEL_PLAT=$$plat \
	    $(DIST_PY) -m pip wheel --quiet --disable-pip-version-check --no-deps -w $(WHEEL_DIR) ./bindings/python; \
	  $(DIST_VENV)/bin/auditwheel show $(WHEEL_DIR)/processcreds-*-$$plat.whl | tr -s ' \n' '  ' | \
	    grep -o 'is consistent with the following platform tag: "[^"]*"'; \
	done
	rm -rf bindings/python/build
	@ls -l $(WHEEL_DIR)/processcreds-*.whl

test-wheel: wheel
	PYTHON3="$(PYTHON3)" sh bindings/python/wheel-test.sh $(WHEEL_DIR) $(DIST_VENV)/bin/auditwheel

.DEFAULT_GOAL := $(PY_SAVED_GOAL)

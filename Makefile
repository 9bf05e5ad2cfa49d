# shiftguard: two commands on a fresh machine.
#   make demo   runs the pre-traffic hook for real against a local AWS stand-in
#   make test   installs what is missing, then runs every check and test
# Everything Python lives in the project venv (.venv); versions are pinned in tests/aws/requirements.txt.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
VENV_STAMP := $(VENV)/.installed-$(shell cat tests/aws/requirements.txt | sha256sum | cut -c1-12)
CARGO ?= cargo

.PHONY: all demo test unit e2e fmt clippy bins venv toolchain clean-venv

all: test

venv: $(VENV_STAMP)

$(VENV_STAMP): tests/aws/requirements.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tests/aws/requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

toolchain:
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt

bins:
	$(CARGO) build --workspace --bins

fmt: toolchain
	$(CARGO) fmt --all --check

clippy: toolchain
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace --exclude shiftguard-e2e

e2e: venv bins
	$(CARGO) test -p shiftguard-e2e

test: fmt clippy venv bins
	$(CARGO) test --workspace

demo: venv bins
	$(CARGO) run --quiet -p shiftguard-e2e --bin demo

clean-venv:
	rm -rf $(VENV)

# shiftguard: two commands on a fresh machine.
#   make demo   rehearses a canary deployment locally, with the real hooks
#   make test   installs what is missing, then runs every check and test (and builds dist/)
# Python tools live in project venvs, pinned: .venv (tests/aws/requirements.txt: moto),
# .venv-lint (tools/lint-requirements.txt: cfn-lint, checkov) and .venv-sam
# (tools/sam-requirements.txt: aws-sam-cli, cargo-lambda, ziglang, cargo-zigbuild, and aws-sam-translator and
# parliament for tools/iam_audit.py). checkov and aws-sam-cli pin different boto3 versions, hence
# two venvs.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
VENV_STAMP := $(VENV)/.installed-$(shell cat tests/aws/requirements.txt | sha256sum | cut -c1-12)
LINT_VENV := .venv-lint
LINT_STAMP := $(LINT_VENV)/.installed-$(shell cat tools/lint-requirements.txt | sha256sum | cut -c1-12)
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed-$(shell cat tools/sam-requirements.txt | sha256sum | cut -c1-12)
CARGO ?= cargo
# cargo-lambda finds zig through `python3 -m ziglang`, so the SAM venv's bin comes first on PATH.
SAM_ENV := PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" AWS_DEFAULT_REGION="$${AWS_DEFAULT_REGION:-us-east-1}" \
	SAM_CLI_TELEMETRY=0 __SAM_CLI_APP_DIR="$(CURDIR)/.aws-sam/cli"

.PHONY: all demo test unit e2e fmt clippy bins venv toolchain clean-venv lint build deploy arm64-target bench bench-judge dist musl-targets

all: test

venv: $(VENV_STAMP)

$(VENV_STAMP): tests/aws/requirements.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tests/aws/requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

$(LINT_STAMP): tools/lint-requirements.txt
	@test -x $(LINT_VENV)/bin/python || $(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tools/lint-requirements.txt
	@rm -f $(LINT_VENV)/.installed-* && touch $@

$(SAM_STAMP): tools/sam-requirements.txt
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tools/sam-requirements.txt
	@rm -f $(SAM_VENV)/.installed-* && touch $@

# iam_audit.py: the template through AWS's SAM translator (100- and 128-character stack names),
# hook FunctionNames within Lambda's 64 characters, and every generated IAM policy through
# parliament and a strict ARN-format check; exceptions in tools/iam-audit-exceptions.yaml.
lint: $(LINT_STAMP) $(SAM_STAMP)
	$(LINT_VENV)/bin/cfn-lint template.yaml
	$(LINT_VENV)/bin/checkov --config-file .checkov.yaml --quiet --compact
	$(SAM_ENV) sam validate --lint
	$(SAM_ENV) $(SAM_VENV)/bin/python tools/iam_audit.py

arm64-target:
	@rustup target list --installed | grep -qx 'aarch64-unknown-linux-gnu' || rustup target add aarch64-unknown-linux-gnu

# An arm64 bootstrap per function, built by sam with cargo-lambda, then checked.
build: $(SAM_STAMP) arm64-target
	$(SAM_ENV) sam build
	$(SAM_VENV)/bin/python tools/check_bootstraps.py

# The shiftguard CLI for EC2 and on-premises instances (shiftguard validate): a static Linux
# executable (musl, linked by zig through cargo-zigbuild) per architecture in dist/, checked.
MUSL := x86_64-unknown-linux-musl aarch64-unknown-linux-musl
musl-targets:
	@for t in $(MUSL); do rustup target list --installed | grep -qx $$t || rustup target add $$t; done

dist: $(SAM_STAMP) musl-targets
	@for t in $(MUSL); do $(SAM_ENV) $(CARGO) zigbuild --release -p shiftguard-cli --target $$t || exit 1; done
	@mkdir -p dist
	cp target/x86_64-unknown-linux-musl/release/shiftguard dist/shiftguard-x86_64-linux
	cp target/aarch64-unknown-linux-musl/release/shiftguard dist/shiftguard-arm64-linux
	$(SAM_VENV)/bin/python tools/check_static.py

deploy: build
	$(SAM_ENV) sam deploy --guided

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

# The local AWS stand-in's own tests: stdlib unittest against the stand-in served in-process.
.PHONY: standin-test
standin-test: venv
	$(VENV)/bin/python -m unittest discover -s tests/aws/standin/tests -t tests/aws

test: fmt clippy lint venv bins standin-test
	$(CARGO) test --workspace
	$(MAKE) build
	$(MAKE) dist

# Cold start, warm path, peak RSS and AWS calls of each function beside the floor and the seed's
# Python hooks (release builds for this machine), then the pure core's own time (criterion), then
# the arm64 sizes where `make build` has run.
bench: venv
	$(CARGO) build --release --workspace --bins
	$(CARGO) run --release --quiet -p shiftguard-e2e --bin bench
	$(CARGO) bench -p shiftguard --bench core
	@if [ -d .aws-sam/build ]; then $(SAM_VENV)/bin/python tools/check_bootstraps.py; else echo "arm64 sizes: run make build first"; fi

# The canary judge against the alternatives on simulated deployments (fixed seed, release, a
# few minutes on two cores): Markdown tables, shown in docs/canary-judge.md.
bench-judge:
	$(CARGO) bench -p shiftguard --bench judge

demo: venv bins
	$(CARGO) run --quiet -p shiftguard-e2e --bin demo

clean-venv:
	rm -rf $(VENV) $(LINT_VENV) $(SAM_VENV)

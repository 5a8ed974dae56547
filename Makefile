# GCP Log Bridge. `make demo` shows it working end to end; `make test` runs every test.
# Each target is self-contained on a fresh machine: `make install` first is enough.

PYTHON ?= python
STACK := $(PYTHON) tools/stack.py

.PHONY: install stack-install stack-up stack-down stack-status test terraform-check demo bench

## install: the package with its dev extras, its native core (Rust, built by maturin), then the
## local stack's prerequisites (idempotent)
install:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e '.[dev]' ./native
	@$(MAKE) --no-print-directory stack-install

## stack-install: Java and Maven if missing, the Elasticsearch zip (Maven), its user, the pstest binary (go build)
stack-install:
	@command -v java >/dev/null && command -v mvn >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless maven; }
	@command -v go >/dev/null || test -x /usr/local/go/bin/go || \
		{ echo "Go 1.26 or newer is needed to build tools/pubsub-emulator (the machine image ships it in /usr/local/go)" >&2; exit 1; }
	$(STACK) install

## stack-up / stack-down: start or stop Elasticsearch, Pub/Sub, BigQuery and the functions (ports: tools/README.md)
stack-up:
	$(STACK) up

stack-down:
	$(STACK) down

stack-status:
	$(STACK) status

## test: unit and integration tests; the integration tests start their own stack on free ports
test: terraform-check
	$(PYTHON) -m pytest tests -q --ignore=tests/terraform

## terraform-check: fmt, offline `terraform validate` of both examples, provider schema, wiring, every variable
## validation, the BigQuery schema shared with the bridge, least privilege, checkov (see terraform/README.md)
terraform-check:
	CHECKPOINT_DISABLE=1 terraform fmt -check -recursive terraform
	$(PYTHON) -m pytest tests/terraform -q

## demo: start the stack, publish GKE-style logs like a sink, deliver like push, print one line of counts
demo: install
	$(PYTHON) -m demo.run

## bench: every figure of issue 7 with its baseline, on the real stack (free ports); results in bench/results/
bench: install
	$(PYTHON) -m bench.run

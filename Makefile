# Data Exchange: build, test and run.
#   make run    install what is missing, build, create development certificates and the audit
#               signing key in Config/pki if there are none, run the daemon on Config/exchange.yaml
#   make test   install what is missing, build, run every test
#   make bench  release build of exchange-bench, store benchmark
#   make api-fuzz  build, validate docs/openapi.yaml and fuzz the live daemon's API (Tests/API)

SWIFT ?= swift
CONFIG ?= Config/exchange.yaml
# Departments to issue development client certificates for, besides Config/departments.yaml.
PKI_DEPARTMENTS ?= --department market-regulation --department tax-bureau

.PHONY: deps build test run bench clean api-fuzz

deps:
	@Deploy/dev/install-dependencies.sh

build: deps
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	Tests/API/run-schemathesis.sh .build/debug

run: deps
	$(SWIFT) build
	@test -f Config/pki/server.crt || $(SWIFT) run --skip-build exchangectl pki init --config-dir Config $(PKI_DEPARTMENTS)
	@test -f Config/pki/audit.key || $(SWIFT) run --skip-build exchangectl audit keygen --out Config/pki/audit.key
	$(SWIFT) run --skip-build exchanged --config $(CONFIG)

bench: deps
	$(SWIFT) run -c release exchange-bench store --count 200000 --concurrency 64

api-fuzz: deps
	$(SWIFT) build
	Tests/API/run-schemathesis.sh .build/debug

clean:
	rm -rf .build

# Data Exchange: build, test and run.
#   make run    install what is missing, build, create development certificates and the audit
#               signing key in Config/pki if there are none, run the daemon on Config/exchange.yaml
#   make test   install what is missing, check the layering, build, run every test, the API checks,
#               the deployment checks (Tests/Deploy), then the fuzz smoke run
#   make deploy-test  build, check the deployment recipes in Deploy/ and run the deployment smoke
#               test (Tests/Deploy/run.sh; the smoke test needs root)
#   make layering  check every target's imports against the map (Tests/layering.sh)
#   make fuzz   release build of the libFuzzer harness, each target for FUZZ_SECONDS (Fuzz/fuzz.sh)
#   make fuzz-smoke  replay the committed fuzz inputs, each target for FUZZ_SECONDS (20 s)
#   make bench  release build of exchange-bench, store benchmark
#   make api-fuzz  build, validate docs/openapi.yaml and fuzz the live daemon's API (Tests/API)
#   make console-test  build, drive the web console in headless Chromium against a live daemon
#               (Tests/Console); screenshots in .build/console-screenshots/

SWIFT ?= swift
CONFIG ?= Config/exchange.yaml
# Departments to issue development client certificates for, besides Config/departments.yaml.
PKI_DEPARTMENTS ?= --department market-regulation --department tax-bureau
# Seconds each fuzz target runs in `make fuzz`; `make fuzz-smoke` runs each for FUZZ_SMOKE_SECONDS.
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 20
# Fuzz targets to run (all when empty), e.g. FUZZ_TARGETS="json rfc3339".
FUZZ_TARGETS ?=

.PHONY: deps build layering alerts test run bench fuzz-build fuzz fuzz-smoke api-fuzz deploy-test console-test clean

deps:
	@Deploy/dev/install-dependencies.sh

build: deps
	$(SWIFT) build

layering:
	Tests/layering.sh --package

alerts: deps
	Tests/alerts.sh

test: deps layering alerts
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	Tests/API/run-schemathesis.sh .build/debug
	Tests/Deploy/run.sh .build/debug
	Tests/Console/run-console-tests.sh .build/debug
	$(MAKE) fuzz-smoke

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

deploy-test: deps
	$(SWIFT) build --product exchanged
	$(SWIFT) build --product exchangectl
	Tests/Deploy/run.sh .build/debug

console-test: deps
	$(SWIFT) build
	Tests/Console/run-console-tests.sh .build/debug

# The harness in Fuzz/Sources, built with libFuzzer in its own scratch path.
fuzz-build: deps
	$(SWIFT) build -c release --sanitize=fuzzer --scratch-path .build-fuzz --product exchange-fuzz

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/fuzz.sh run $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) Fuzz/fuzz.sh smoke $(FUZZ_TARGETS)

clean:
	rm -rf .build .build-fuzz

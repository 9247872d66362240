# Data Exchange: build, test and run.
#   make run    install what is missing, build, run the daemon on Config/exchange.yaml
#   make test   install what is missing, build, run every test
#   make bench  release build of exchange-bench, store benchmark

SWIFT ?= swift
CONFIG ?= Config/exchange.yaml

.PHONY: deps build test run bench clean

deps:
	@Deploy/dev/install-dependencies.sh

build: deps
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

run: deps
	$(SWIFT) build --product exchanged
	$(SWIFT) run --skip-build exchanged --config $(CONFIG)

bench: deps
	$(SWIFT) run -c release exchange-bench store --count 200000 --concurrency 64

clean:
	rm -rf .build

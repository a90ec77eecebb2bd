# The two set-up commands of the README are `make serve` and `make test`.
SHELL := /bin/bash
DATA ?= alco-data
SWIFT ?= swift
APT_PACKAGES := liblz4-dev librabbitmq-dev libhiredis-dev zlib1g-dev libre2-dev libmariadb-dev libzstd-dev libbz2-dev pkg-config
# What the integration tests need: the mysql client, mysqlclient's headers, real Sphinx,
# a RabbitMQ broker and its command-line publisher, a Redis server, headless Chromium for the web UI,
# nginx as the TLS proxy in front of alco serve that the remote CLI is tested through.
TEST_APT_PACKAGES := mariadb-client zstd bzip2 sphinxsearch rabbitmq-server amqp-tools redis-server chromium chromium-driver wrk sysbench gdb nginx-light
PYTHON ?= python3

.PHONY: deps test-deps build build-tests format format-check release serve loghub test unit integration fuzz bench clean stop-servers apt

# Installs the Debian packages the build needs when they are missing (needs root or sudo).
deps:
	@$(MAKE) --no-print-directory apt PACKAGES="$(APT_PACKAGES)"

# The build's packages plus the real clients and servers the integration tests start.
test-deps: deps
	@$(MAKE) --no-print-directory apt PACKAGES="$(TEST_APT_PACKAGES)"
	@$(PYTHON) -m pip install -q --disable-pip-version-check -r Tests/Integration/requirements.txt
	@Tests/Integration/start-servers.sh

apt:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Builds and runs `alco serve` on the embedded default data directory.
serve: release
	.build/release/alco serve --data $(DATA)

# Sends the 16 LogHub samples to a running `alco serve` (make serve, in another terminal)
# as index `loghub`, each line tagged with its system: then open http://$(HTTP)/grep/loghub/.
HTTP ?= 127.0.0.1:8080
LOGHUB ?= Fixtures/loghub
loghub:
	@ls $(LOGHUB)/*_2k.log >/dev/null 2>&1 || { echo "make loghub: no LogHub samples (*_2k.log) in $(LOGHUB); set LOGHUB=DIR" >&2; exit 1; }
	@curl -sS -o /dev/null --max-time 5 "http://$(HTTP)/health" 2>/dev/null || { echo "make loghub: no alco server answers on http://$(HTTP) (start one with make serve, or set HTTP=HOST:PORT)" >&2; exit 1; }
	@set -eo pipefail; for f in $(LOGHUB)/*_2k.log; do \
	  system=$$(basename $$f _2k.log); \
	  printf '%-12s ' $$system; \
	  curl -sS --fail-with-body --data-binary @$$f "http://$(HTTP)/api/v1/ingest/loghub?format=text&create=true&field=system:$$system" | cut -c1-80; \
	done
	@echo "open http://$(HTTP)/grep/loghub/"

# Runs every test: unit, property, crash and LogHub tests; the real clients against
# `alco serve` and the differential test against Sphinx; then each fuzz target for 20 s.
# Every stage runs even when an earlier one fails, so one run reports every failure; the
# target fails if any stage did.
test: test-deps
	@$(MAKE) --no-print-directory build-tests
	@failed=""; \
	$(SWIFT) test || failed="$$failed swift-test"; \
	$(PYTHON) -m pytest -q Tests/Integration || failed="$$failed integration"; \
	Fuzz/run.sh $(TEST_FUZZ_SECONDS) || failed="$$failed fuzz"; \
	if [ -n "$$failed" ]; then echo "make test: failed:$$failed" >&2; exit 1; fi

# Builds everything the tests run; a compiler warning in our sources or tests fails it (the
# packages we depend on may warn), and so does code swift-format would lay out otherwise.
build-tests: format-check
	@mkdir -p .build
	@set -o pipefail; $(SWIFT) build --build-tests 2>&1 | tee .build/build-tests.log
	@if grep -E "^$(CURDIR)/(Sources|Tests)/[^:]+:[0-9]+:[0-9]+: warning:" .build/build-tests.log; then \
	  echo "make: the compiler warned about our code (above); warnings are errors here" >&2; exit 1; fi

# The layout .swift-format describes (4-space indent, 180 columns, ordered imports), checked
# with the swift-format of the Swift toolchain; `make format` applies it.
format-check:
	@swift-format lint --strict --recursive Sources Tests Fuzz/Sources Package.swift || \
	  { echo "make: swift-format found code laid out otherwise (above); run make format" >&2; exit 1; }

format:
	swift-format format --in-place --recursive Sources Tests Fuzz/Sources Package.swift

# Seconds each fuzz target runs in `make test`.
TEST_FUZZ_SECONDS ?= 20

# Stops the RabbitMQ and Redis servers `make test` started on loopback.
stop-servers:
	@Tests/Integration/stop-servers.sh

unit: deps
	$(SWIFT) test

integration: test-deps
	$(SWIFT) build
	$(PYTHON) -m pytest -q Tests/Integration

# libFuzzer on each fuzz target (Fuzz/run.sh; FUZZ_SECONDS bounds each).
FUZZ_SECONDS ?= 300
fuzz:
	Fuzz/run.sh $(FUZZ_SECONDS)

bench: release
	Benchmarks/run.sh

clean:
	rm -rf .build

# The two set-up commands of the README are `make serve` and `make test`.
SHELL := /bin/bash
DATA ?= alco-data
SWIFT ?= swift
APT_PACKAGES := liblz4-dev pkg-config

.PHONY: deps build release serve test fuzz bench clean

# Installs the Debian packages the build needs when they are missing (needs root or sudo).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
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

# Runs every test (unit, property, crash and LogHub tests), then the parser fuzzer for 30 s.
test: deps
	$(SWIFT) build
	$(SWIFT) test
	Fuzz/run.sh 30

# libFuzzer on the SphinxQL parser (FUZZ_SECONDS bounds it).
FUZZ_SECONDS ?= 300
fuzz:
	Fuzz/run.sh $(FUZZ_SECONDS)

bench: release
	Benchmarks/run.sh

clean:
	rm -rf .build

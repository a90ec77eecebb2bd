#!/usr/bin/env bash
# Builds alco in release mode, installs Sphinx 2.2.11, the broker and the Python clients when
# missing, and runs the three side-by-side benchmarks (results in Benchmarks/RESULTS.md):
#   sidebyside.py  the engine in process against Sphinx (default 1,000,000 lines; --lines N)
#   protocol.py    both over the MySQL protocol with PyMySQL (anchors, 64 connections, INSERT)
#   collector.py   RabbitMQ and HTTP into a searchable index, beside ALCO's Sphinx path
#   http_api.py    the v1 HTTP API against the engine in process (anchors, 64 connections, export)
#   protocol_native.py  SphinxQL under 64 connections from sysbench (a native client)
#   ingest_shapes.py    one timestamp and keys of one line, each beside its ordinary twin
#   clickhouse.py  the engine in process against ClickHouse (chdb from PyPI) on the same corpus
#   scale.py       1M against 10M lines: ingest, disk, memory and queries before and after merges
#                  (generates a 4.2 GB corpus once; ~10 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory test-deps
swift build -c release
python3 Benchmarks/sidebyside.py "$@"
python3 Benchmarks/protocol.py "$@"
python3 Benchmarks/collector.py
python3 Benchmarks/http_api.py "$@"
python3 Benchmarks/protocol_native.py "$@"
python3 Benchmarks/ingest_shapes.py
python3 -c "import chdb" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check chdb
python3 Benchmarks/clickhouse.py "$@"
python3 Benchmarks/scale.py

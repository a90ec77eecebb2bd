#!/usr/bin/env bash
# Builds alco in release mode, installs Sphinx 2.2.11 and PyMySQL when missing, and runs the
# side-by-side benchmark (default 1,000,000 lines; pass --lines N for another size).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v searchd >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sphinxsearch; }
python3 -c "import pymysql" 2>/dev/null || pip install -q pymysql
swift build -c release
python3 Benchmarks/sidebyside.py "$@"

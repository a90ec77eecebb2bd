#!/usr/bin/env bash
# Builds each fuzz target with libFuzzer and runs it for a bounded time (default 30 s each),
# seeded from Fuzz/corpus/<target>/ (kept in the repository) plus what earlier runs here found
# (.build/fuzz/<target>/found). Prints one line per target,
#   fuzz <target>: N runs, C crashes
# and fails if any target crashed; the crashing input is kept in .build/fuzz/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
out=.build/fuzz
mkdir -p "$out"

# Seeds from the captured clients: one file per statement they sent.
seed_statements() {
  local dir=$1 n=0
  mkdir -p "$dir"
  while IFS='|' read -r _ cmd stmt _; do
    [ "$cmd" = "3" ] || continue
    n=$((n + 1)); printf '%s' "$stmt" > "$dir/client-$n"
  done < <(grep -v '^#' Fixtures/compat/client-statements.txt)
}

# run NAME BINARY: fuzzes BINARY for $seconds over its kept corpus and the found inputs.
crashed=0
run() {
  local name=$1 binary=$2 work="$out/$1"
  mkdir -p "$work/found"
  local seeds=()
  [ -d "Fuzz/corpus/$name" ] && seeds+=("Fuzz/corpus/$name")
  [ -d "$work/seeds" ] && seeds+=("$work/seeds")
  local status=0
  "$binary" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/found" "${seeds[@]}" > "$work/log" 2>&1 || status=$?
  local runs crashes=0
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$work/log" | grep -oE '[0-9]+$' || echo 0)
  if [ "$status" -ne 0 ]; then
    crashes=1; crashed=1
    tail -n 40 "$work/log"
  fi
  echo "fuzz $name: ${runs:-0} runs, $crashes crashes"
}

seed_statements "$out/sphinxql/seeds"
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name SphinxQLFuzz \
  Sources/SphinxQL/*.swift Fuzz/SphinxQLFuzz.swift -o "$out/sphinxql-fuzz"
run sphinxql "$out/sphinxql-fuzz"

exit "$crashed"

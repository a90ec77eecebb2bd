#!/usr/bin/env bash
# Builds the SphinxQL parser with libFuzzer and runs it for a bounded time (default 30 s),
# seeded with every statement the captured clients sent.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
out=.build/fuzz
mkdir -p "$out/corpus"
# Seed corpus: one file per captured client statement.
n=0
while IFS='|' read -r _ cmd stmt _; do
  [ "$cmd" = "3" ] || continue
  n=$((n + 1)); printf '%s' "$stmt" > "$out/corpus/seed-$n"
done < <(grep -v '^#' ../shared/compat/client-statements.txt)
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name SphinxQLFuzz \
  Sources/SphinxQL/*.swift Fuzz/SphinxQLFuzz.swift -o "$out/sphinxql-fuzz"
"$out/sphinxql-fuzz" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$out/corpus" 2>&1 | tail -n 12

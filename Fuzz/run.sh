#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer (Fuzz/ is a package of its own) and runs each for a
# bounded time (default 30 s each): the SphinxQL parser, the MATCH query parser, the MySQL
# packet decoder and connection state machine, the HTTP search parameters, the logstash
# decoder, WAL replay, the SphinxAPI agent protocol, text log files (format detection, times,
# multiline records), the gzip/zstd/bzip2 readers and segment readers over damaged bytes. Seeds: Fuzz/corpus/<target>/ (kept in the repository), the
# captured client statements and logcollect bodies from Fixtures/, and what earlier runs here
# found (.build/fuzz/<target>/found). Prints one line per target,
#   fuzz <target>: N runs, C crashes
# and fails if any crashed; the crashing input is kept in .build/fuzz/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
targets="${FUZZ_TARGETS:-sphinxql match mysql http-query logstash wal sphinxapi logfile compressed segment}"
out=.build/fuzz
mkdir -p "$out"

# Seeds from the captured clients: their statements, the MATCH texts in them, and what
# logcollect published.
mkdir -p "$out/sphinxql/seeds" "$out/match/seeds" "$out/logstash/seeds"
n=0
while IFS='|' read -r _ cmd stmt _; do
  [ "$cmd" = "3" ] || continue
  n=$((n + 1)); printf '%s' "$stmt" > "$out/sphinxql/seeds/client-$n"
done < <(grep -v '^#' Fixtures/compat/client-statements.txt)
grep -o "MATCH('[^']*')" Fixtures/compat/client-statements.txt | sed "s/^MATCH('//; s/')\$//" | sort -u | head -200 |
  { k=0; while IFS= read -r m; do k=$((k + 1)); printf '%s' "$m" > "$out/match/seeds/client-$k"; done; }
k=0
while IFS= read -r line; do k=$((k + 1)); printf '%s' "$line" > "$out/logstash/seeds/logcollect-$k"; done < Fixtures/compat/logcollect-bodies.jsonl

# What a real Sphinx master sent its agents (after the handshake, which the target adds).
mkdir -p "$out/sphinxapi/seeds"
python3 - "$out/sphinxapi/seeds" <<'PY'
import json, sys
captures = json.load(open("Fixtures/sphinxapi/captures.json"))
k = 0
for e in captures["exchanges"]:
    for agent in e["agents"]:
        for c in agent:
            frames = [f for f in c["up"] if len(f) > 8]
            if frames:
                k += 1
                open("%s/master-%d" % (sys.argv[1], k), "wb").write(bytes.fromhex("".join(frames)))
PY

# Log files: the start of each LogHub sample (the first byte picks the ingest mode), and the
# same compressed each way, whole and cut short.
mkdir -p "$out/logfile/seeds" "$out/compressed/seeds"
for f in Fixtures/loghub/*_2k.log; do
  name=$(basename "$f" _2k.log)
  { printf '\000'; head -c 6000 "$f"; } > "$out/logfile/seeds/$name"
  head -c 6000 "$f" > "$out/compressed/seeds/$name.txt"
  gzip -c "$out/compressed/seeds/$name.txt" > "$out/compressed/seeds/$name.gz"
  command -v zstd > /dev/null && zstd -q -c "$out/compressed/seeds/$name.txt" > "$out/compressed/seeds/$name.zst"
  command -v bzip2 > /dev/null && bzip2 -c "$out/compressed/seeds/$name.txt" > "$out/compressed/seeds/$name.bz2"
  for c in gz zst bz2; do
    [ -f "$out/compressed/seeds/$name.$c" ] && head -c 300 "$out/compressed/seeds/$name.$c" > "$out/compressed/seeds/$name.cut.$c"
  done
done

echo "== building the fuzz targets (libFuzzer)"
swift build --package-path Fuzz --scratch-path "$out/build" --sanitize=fuzzer -c release 2>&1 | tail -n 3
binary="$out/build/release/alco-fuzz"

crashed=0
for name in $targets; do
  work="$out/$name"
  mkdir -p "$work/found"
  seeds=()
  [ -d "Fuzz/corpus/$name" ] && seeds+=("Fuzz/corpus/$name")
  [ -d "$work/seeds" ] && seeds+=("$work/seeds")
  status=0
  ALCO_FUZZ_TARGET="$name" "$binary" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/found" "${seeds[@]}" > "$work/log" 2>&1 || status=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$work/log" | grep -oE '[0-9]+$' || echo 0)
  crashes=0
  if [ "$status" -ne 0 ]; then
    crashes=1; crashed=1
    tail -n 40 "$work/log"
  fi
  echo "fuzz $name: ${runs:-0} runs, $crashes crashes"
done
exit "$crashed"

#!/usr/bin/env python3
"""alco and ClickHouse (chdb, the embedded engine from PyPI) on the same corpus, machine and run.

ClickHouse gets a MergeTree table ordered by the same time-ordered id alco uses, the message as
`logline`, the rest of the logstash record as `js` (the text alco keeps), and the two fields
the anchor queries filter on as LowCardinality columns; its default LZ4 compression. It is
loaded with one `INSERT ... SELECT` from the JSON file (bulk, no fsync per batch: the fastest
way ClickHouse loads a file), then `OPTIMIZE TABLE ... FINAL`. Queries are written out below
in ClickHouse's SQL; a word is matched as alco's MATCH matches it (a whole token of alco's
charset, any case: a regular expression, since ClickHouse's tokens split at `_` and `-`).

Both engines run in process and are timed the same way: median of 20 runs after 2 warm-ups,
wall time around the call (alco: `alco bench queries`; chdb: `Session.query`). ClickHouse runs
in a child process so its peak RSS is its own.

    python3 Benchmarks/clickhouse.py [--lines 1000000] [--binary .build/release/alco]
"""
import argparse, json, os, shutil, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import ensure_corpus, replace_section  # noqa: E402
from sidebyside import anchors, bench_alco  # noqa: E402

SCHEMA = """
CREATE TABLE logs (
    id UInt64,
    logline String,
    js String,
    levelname LowCardinality(String),
    host LowCardinality(String)
) ENGINE = MergeTree ORDER BY id
"""

LOAD = """
INSERT INTO logs
SELECT
    toUInt64(toUnixTimestamp64Micro(parseDateTime64BestEffort(JSONExtractString(json, '@timestamp'), 6, 'UTC'))) * 1000
        + (rowNumberInAllBlocks() % 1000) AS id,
    JSONExtractString(json, 'message') AS logline,
    -- The record without what alco takes out of js (the time, the message, the version).
    concat('{{', arrayStringConcat(arrayMap(kv -> concat(toJSONString(kv.1), ':', kv.2),
        arrayFilter(kv -> kv.1 NOT IN ('@timestamp', '@version', 'message', 'seq'), JSONExtractKeysAndValuesRaw(json))), ','), '}}') AS js,
    JSONExtractString(json, 'levelname') AS levelname,
    JSONExtractString(json, 'host') AS host
FROM file('{corpus}', 'JSONAsString')
"""


def words(word):
    """A word in either field as alco's MATCH finds it: a whole token of alco's charset
    (letters, digits, `_`, `-` and `.` make words), in any case. ClickHouse's own
    `hasToken` splits at `_` and `-`, so it would also find `info` in `stack_info`."""
    pattern = "(?i)(^|[^0-9a-z_.-])" + word.replace(".", "\\\\.") + "([^0-9a-z_.-]|$)"
    return f"(match(logline, '{pattern}') OR match(js, '{pattern}'))"


def queries(meta):
    """The anchor queries in ClickHouse's SQL, by name (as in sidebyside.anchors)."""
    ids = (meta["first_us"] * 1000, meta["last_us"] * 1000)
    lo, hi = ids[0] + (ids[1] - ids[0]) * 3 // 4, ids[1]
    w, ph, rq, host = meta["frequent_word"], meta["phrase"], meta["unique_request_id"], meta["host"]
    cols = "id, logline, js"
    return {
        "Q1": f"SELECT {cols} FROM logs ORDER BY id DESC LIMIT 100",
        "Q2": f"SELECT {cols} FROM logs WHERE {words(w)} ORDER BY id DESC LIMIT 100",
        "Q3": f"SELECT {cols} FROM logs WHERE positionCaseInsensitive(logline, '{ph}') > 0 ORDER BY id DESC LIMIT 100",
        "Q4": f"SELECT {cols} FROM logs WHERE {words(rq)} ORDER BY id DESC LIMIT 100",
        "Q5": f"SELECT {cols} FROM logs WHERE levelname = 'ERROR' ORDER BY id DESC LIMIT 100",
        "Q6": f"SELECT {cols} FROM logs WHERE {words(w)} AND host = '{host}' AND id BETWEEN {lo} AND {hi} ORDER BY id DESC LIMIT 100",
        "Q7": f"SELECT count() FROM logs WHERE {words(w)}",
        "Q8": "SELECT levelname, count() AS c FROM logs GROUP BY levelname ORDER BY c DESC LIMIT 20",
        "Q9": None,  # snippets: no ClickHouse counterpart
        "Q10": f"SELECT {cols} FROM logs WHERE id BETWEEN {lo} AND {hi} ORDER BY id ASC LIMIT 9900, 100",
        "Q11": f"SELECT {cols} FROM logs WHERE position(logline, '{meta['substring']}') > 0 ORDER BY id DESC LIMIT 100",
        "Q12": f"SELECT {cols} FROM logs WHERE match(logline, '{meta['regex']}') ORDER BY id DESC LIMIT 100",
    }


def child(corpus, meta_path, path):
    """Runs in the child: load, optimize, time the queries; prints one JSON line."""
    from chdb import session
    meta = json.load(open(meta_path))
    shutil.rmtree(path, ignore_errors=True)
    s = session.Session(path)
    s.query(SCHEMA)
    t0 = time.perf_counter()
    s.query(LOAD.format(corpus=corpus))
    loaded = time.perf_counter() - t0
    rows = int(str(s.query("SELECT count() FROM logs", "CSV")).strip())
    t1 = time.perf_counter()
    s.query("OPTIMIZE TABLE logs FINAL")
    optimized = time.perf_counter() - t1
    disk = int(str(s.query("SELECT sum(bytes_on_disk) FROM system.parts WHERE table = 'logs' AND active", "CSV")).strip())
    results = []
    for name, sql in queries(meta).items():
        if sql is None:
            results.append({"name": name, "median_ms": None, "rows": None})
            continue
        times = []
        got = None
        for k in range(22):
            t = time.perf_counter()
            got = s.query(sql, "JSONCompact")
            if k >= 2:
                times.append((time.perf_counter() - t) * 1000)
        times.sort()
        data = json.loads(str(got))["data"]
        results.append({"name": name, "median_ms": times[len(times) // 2],
                        "rows": int(data[0][0]) if name == "Q7" else len(data)})
    s.close()
    print(json.dumps({"lines": rows, "seconds": loaded, "optimize_seconds": optimized, "disk_bytes": disk,
                      "queries": results}))


def bench_clickhouse(corpus, meta_path, work):
    path = os.path.join(work, "chdb-data")
    proc = subprocess.Popen([sys.executable, __file__, "--child", corpus, meta_path, path], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out, err = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("chdb run failed: " + err[-2000:])
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss"] = usage.ru_maxrss * 1024
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    shutil.rmtree(path, ignore_errors=True)
    return result


def chdb_version():
    try:
        import chdb
        return chdb.__version__ + " (ClickHouse " + chdb.engine_version + ")"
    except Exception:
        return "?"


def report(meta, alco, ch, path):
    ai, aq = alco
    mb = meta["bytes"] / 1e6
    ch_rate = ch["lines"] / ch["seconds"]
    lines = [
        "<!-- clickhouse:start -->",
        "## alco and ClickHouse side by side (Benchmarks/clickhouse.py)", "",
        f"Corpus: {meta['lines']:,} logstash JSON lines ({mb:.0f} MB), the engine benchmark's. ClickHouse: chdb "
        f"{chdb_version()}, MergeTree ordered by id, LZ4 (its default), loaded with one `INSERT ... SELECT` "
        "from the file (no fsync), then `OPTIMIZE ... FINAL`; schema and queries in the script. alco: `alco bench "
        "ingest` (WAL fsync per batch) then optimize. Queries in process for both, median of 20 after 2 warm-ups.", "",
        "| | alco | ClickHouse | alco vs ClickHouse |", "|---|---|---|---|",
        f"| ingest lines/s | {ai['lines_per_second']:,.0f} | {ch_rate:,.0f} | {ai['lines_per_second'] / ch_rate:.2f}× |",
        f"| disk after merge / raw | {ai['disk_bytes'] / meta['bytes']:.2f}× | {ch['disk_bytes'] / meta['bytes']:.2f}× | "
        f"{ai['disk_bytes'] / ch['disk_bytes']:.2f}× the size |",
        f"| peak RSS (VmHWM) | {ai['peak_rss'] / 1e6:.0f} MB | {ch['peak_rss'] / 1e6:.0f} MB | {ai['peak_rss'] / ch['peak_rss']:.2f}× |",
        f"| of which alco's: peak anonymous / file-backed (sampled) | {ai.get('peak_rss_anon', 0) / 1e6:.0f} / "
        f"{ai.get('peak_rss_file', 0) / 1e6:.0f} MB | | |",
        f"| disk right after ingest / raw (alco: flushed, before merges) | {ai.get('disk_bytes_flushed', 0) / meta['bytes']:.2f}× | | |",
        "", "| query | alco ms | rows | ClickHouse ms | rows | alco faster by |", "|---|---|---|---|---|---|",
    ]
    by_name = {q["name"]: q for q in ch["queries"]}
    for a in aq:
        key = a["name"].split()[0]
        c = by_name.get(key)
        if c is None or c["median_ms"] is None:
            lines.append(f"| {a['name']} | {a['median_ms']:.3f} | {a['rows']} | n/a | | |")
            continue
        lines.append(f"| {a['name']} | {a['median_ms']:.3f} | {a['rows']} | {c['median_ms']:.2f} | {c['rows']} | "
                     f"{c['median_ms'] / a['median_ms']:.1f}× |")
    lines.append("<!-- clickhouse:end -->")
    replace_section(path, "clickhouse", "\n".join(lines))
    print("\n".join(lines))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(*sys.argv[2:5])
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "alco"))
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args()
    corpus = ensure_corpus(args.work, args.lines)
    meta = json.load(open(corpus + ".meta.json"))
    ch = bench_clickhouse(os.path.abspath(corpus), os.path.abspath(corpus + ".meta.json"), args.work)
    print(json.dumps(ch, indent=1), file=sys.stderr)
    alco = bench_alco(args.binary, args.work, corpus, meta)
    print(json.dumps(alco, indent=1), file=sys.stderr)
    report(meta, alco, ch, args.out)


if __name__ == "__main__":
    main()

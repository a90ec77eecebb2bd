#!/usr/bin/env python3
"""Side-by-side benchmark: alco and Sphinx 2.2.11 on the same corpus, machine and run.

alco: `alco bench ingest` (logstash JSON lines through the real decoder, WAL fsync on,
then optimize) and `alco bench queries` (the anchor queries in process).
Sphinx: an RT index configured as ALCO configured it (rt_field logline and js,
rt_attr_string logline, rt_attr_json js, ALCO's charset_table, binlog fsync per commit), loaded
the way ALCO's collector did (logstash JSON -> REPLACE INTO batches of 1000 over SphinxQL),
queried over SphinxQL with PyMySQL. Prints JSON and writes a Markdown report.
"""
from common import ensure_corpus, replace_section
import argparse, json, os, platform, re, shutil, signal, socket, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CHARSET = "0..9, A..Z->a..z, _, a..z, -, ., U+410..U+42F->U+430..U+44F, U+430..U+44F, U+401->U+451, U+451"
RESERVED = {"pk", "id", "ts", "ms", "seq", "model"}


def anchors(meta):
    """The anchor queries, in alco's spec form and as SphinxQL."""
    ids = (meta["first_us"] * 1000, meta["last_us"] * 1000)
    quarter = (ids[0] + (ids[1] - ids[0]) * 3 // 4, ids[1])
    w, ph, rq, host = meta["frequent_word"], meta["phrase"], meta["unique_request_id"], meta["host"]
    cols = "id, logline, js"
    return [
        ("Q1 newest 100", {"text": "", "limit": 100},
         f"SELECT {cols} FROM logs ORDER BY id DESC LIMIT 100"),
        ("Q2 newest 100 with a frequent word", {"text": w, "limit": 100},
         f"SELECT {cols} FROM logs WHERE MATCH('{w}') ORDER BY id DESC LIMIT 100"),
        ("Q3 phrase", {"text": f'"{ph}"', "limit": 100},
         f"SELECT {cols} FROM logs WHERE MATCH('\"{ph}\"') ORDER BY id DESC LIMIT 100"),
        ("Q4 unique request id", {"text": rq, "limit": 100},
         f"SELECT {cols} FROM logs WHERE MATCH('{rq}') ORDER BY id DESC LIMIT 100"),
        ("Q5 js.levelname = ERROR", {"text": "", "filter": {"levelname": "ERROR"}, "limit": 100},
         f"SELECT {cols}, IN(js.levelname, 'ERROR') AS f FROM logs WHERE f = 1 ORDER BY id DESC LIMIT 100"),
        ("Q6 word + js.host + id range", {"text": w, "filter": {"host": host}, "id_min": quarter[0], "id_max": quarter[1], "limit": 100},
         f"SELECT {cols}, IN(js.host, '{host}') AS f FROM logs WHERE MATCH('{w}') AND f = 1 AND id BETWEEN {quarter[0]} AND {quarter[1]} ORDER BY id DESC LIMIT 100"),
        ("Q7 count of a frequent word", {"text": w, "count": True},
         f"SELECT COUNT(*) FROM logs WHERE MATCH('{w}')"),
        ("Q8 lines per js.levelname", {"text": "", "group_by": "levelname", "limit": 20},
         "SELECT js.levelname AS l, COUNT(*) AS c FROM logs GROUP BY l ORDER BY c DESC LIMIT 20"),
        ("Q9 Q2 with snippets", {"text": w, "limit": 100, "snippet": True},
         f"SELECT {cols}, SNIPPET(logline, '{w}') AS s FROM logs WHERE MATCH('{w}') ORDER BY id DESC LIMIT 100"),
        ("Q10 rows 9900-10000 ascending in an id range", {"text": "", "id_min": quarter[0], "id_max": quarter[1], "order": "asc",
                                                         "offset": 9900, "limit": 100, "max_matches": 10000},
         f"SELECT {cols} FROM logs WHERE id BETWEEN {quarter[0]} AND {quarter[1]} ORDER BY id ASC LIMIT 9900, 100 OPTION max_matches=10000"),
        ("Q11 substring inside a token", {"text": meta["substring"], "mode": "substring", "limit": 100}, None),
        ("Q12 regex", {"text": meta["regex"], "mode": "regex", "limit": 100}, None),
    ]


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_alco(binary, work, corpus, meta):
    data = os.path.join(work, "alco-data")
    shutil.rmtree(data, ignore_errors=True)
    ingest = run_json([binary, "bench", "ingest", "--data", data, "--corpus", corpus])
    spec = [dict(q, name=name) for name, q, _ in anchors(meta)]
    spec_path = os.path.join(work, "anchors.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    queries = run_json([binary, "bench", "queries", "--data", data, "--spec", spec_path])["queries"]
    return ingest, queries


def wait_port(port, timeout=30):
    t = time.time()
    while time.time() - t < timeout:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("searchd did not start")


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def peak_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def alco_js(rec):
    """ALCO's collector: take out @timestamp, @version, message, seq; rename reserved keys."""
    js = {}
    for k, v in rec.items():
        if k in ("@timestamp", "@version", "message", "seq"):
            continue
        js[k + "_x" if k in RESERVED else k] = v
    return js


def bench_sphinx(work, corpus, meta, port=9317):
    import pymysql
    sdir = os.path.join(work, "sphinx")
    shutil.rmtree(sdir, ignore_errors=True)
    os.makedirs(os.path.join(sdir, "data"))
    conf = os.path.join(sdir, "sphinx.conf")
    with open(conf, "w") as f:
        f.write(f"""
index logs
{{
    type = rt
    path = {sdir}/data/logs
    rt_field = logline
    rt_field = js
    rt_attr_string = logline
    rt_attr_json = js
    charset_table = {CHARSET}
    rt_mem_limit = 256M
}}
searchd
{{
    listen = 127.0.0.1:{port}:mysql41
    log = {sdir}/searchd.log
    query_log = {sdir}/query.log
    query_log_format = sphinxql
    pid_file = {sdir}/searchd.pid
    binlog_path = {sdir}/data
    binlog_flush = 1
    workers = threads
    max_matches = 10000
}}
""")
    proc = subprocess.Popen(["searchd", "--config", conf, "--nodetach"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        conn = pymysql.connect(host="127.0.0.1", port=port, autocommit=True)
        cur = conn.cursor()
        t0 = time.time()
        batch = []
        lines = 0
        with open(corpus, encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                ts = rec["@timestamp"]
                us = int(time.mktime(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone) * 1_000_000 + int(ts[20:26])
                batch.append((us * 1000, rec.get("message", ""), json.dumps(alco_js(rec))))
                if len(batch) == 1000:
                    cur.execute("REPLACE INTO logs (id, logline, js) VALUES " + ",".join(["(%s,%s,%s)"] * len(batch)),
                                [x for row in batch for x in row])
                    lines += len(batch)
                    batch = []
        if batch:
            cur.execute("REPLACE INTO logs (id, logline, js) VALUES " + ",".join(["(%s,%s,%s)"] * len(batch)),
                        [x for row in batch for x in row])
            lines += len(batch)
        loaded = time.time() - t0
        rss_ingest = peak_rss(proc.pid)
        cur.execute("FLUSH RTINDEX logs")
        cur.execute("OPTIMIZE INDEX logs")
        time.sleep(5)
        disk = dir_bytes(os.path.join(sdir, "data"))
        results = []
        log_start = os.path.getsize(os.path.join(sdir, "query.log"))
        for name, _, sql in anchors(meta):
            if sql is None:
                results.append({"name": name, "median_ms": None, "rows": None, "note": "not expressible in ALCO's Sphinx config"})
                continue
            times, rows = [], 0
            try:
                for k in range(22):
                    t = time.perf_counter()
                    cur.execute(sql)
                    got = cur.fetchall()
                    dt = (time.perf_counter() - t) * 1000
                    if k >= 2:
                        times.append(dt)
                    rows = got[0][0] if name.startswith("Q7") else len(got)
                times.sort()
                results.append({"name": name, "median_ms": times[len(times) // 2], "rows": rows, "runs": 22})
            except Exception as e:
                results.append({"name": name, "median_ms": None, "rows": None, "note": str(e)[:120]})
        add_server_times(os.path.join(sdir, "query.log"), log_start, results)
        return {"lines": lines, "seconds": loaded, "lines_per_second": lines / loaded, "disk_bytes": disk,
                "peak_rss_ingest": rss_ingest, "peak_rss": peak_rss(proc.pid)}, results
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


SERVER_TIME = re.compile(r"^/\* .* real (\d+\.\d+) wall (\d+\.\d+) ")


def add_server_times(log_path, start, results):
    """Sphinx's own time for each query (`real` in its sphinxql query log, in ms to its 1 ms
    resolution), beside the PyMySQL round trip: the figure to set against alco's in-process time.
    The anchors ran one after another on one connection, `runs` times each, so the log's
    SELECTs are theirs in order."""
    with open(log_path, encoding="utf-8", errors="replace") as f:
        f.seek(start)
        reals = [float(m.group(1)) * 1000 for m in map(SERVER_TIME.match, f) if m]
    ran = [r for r in results if r.get("runs")]
    if len(reals) != sum(r["runs"] for r in ran):
        print(f"sphinx query log: {len(reals)} entries for {len(ran)} queries; no server times", file=sys.stderr)
        return
    at = 0
    for r in ran:
        times = sorted(reals[at + 2:at + r["runs"]])
        at += r["runs"]
        r["server_ms"] = times[len(times) // 2]


def grep_baseline(corpus, meta):
    out = {}
    for name, args in (("Q11", ["-F", "-c", meta["substring"]]), ("Q12", ["-E", "-c", meta["regex"]])):
        times = []
        for _ in range(5):
            t = time.perf_counter()
            subprocess.run(["grep"] + args + [corpus], capture_output=True, env={"LC_ALL": "C"})
            times.append((time.perf_counter() - t) * 1000)
        out[name] = statistics.median(times)
    return out


def report(meta, alco, sphinx, grep, path):
    ai, aq = alco
    si, sq = sphinx
    mb = meta["bytes"] / 1e6

    def ratio(a, b, higher_better=False):
        if a is None or b is None or a == 0 or b == 0:
            return "n/a"
        return "%.1f×" % ((a / b) if higher_better else (b / a))

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    lines = [
        "# Benchmark results", "",
        f"Machine: {os.cpu_count()} cores ({cpu}), {int(mem) // 1024 // 1024} GiB RAM, {platform.platform()}.",
        f"Corpus: {meta['lines']:,} logstash JSON lines ({mb:.0f} MB) generated by `Benchmarks/make_corpus.py` from the LogHub samples.",
        "Sphinx 2.2.11 (Debian `sphinxsearch`): RT index as ALCO configured it, loaded with `REPLACE INTO` batches of 1000 over SphinxQL (PyMySQL), binlog fsync per commit; queries over SphinxQL.",
        "alco: `alco bench ingest` (WAL fsync on; rate measured to searchable) then optimize; queries in process (`alco bench queries`), median of 20 after 2 warm-ups.",
        "Like with like: alco's in-process time is set against Sphinx's own time for the query (`real` in its query log, "
        "1 ms resolution: `< 1` is a query it timed at 0), not against the PyMySQL round trip (in brackets). Both "
        "engines through the same client: the protocol section below.",
        "", "## Ingest and storage", "",
        "| | alco | Sphinx 2.2.11 | alco vs Sphinx | target |", "|---|---|---|---|---|",
        f"| lines/s (alco from a file in process, Sphinx `REPLACE` over PyMySQL: both over PyMySQL in the protocol section) | {ai['lines_per_second']:,.0f} | {si['lines_per_second']:,.0f} | {ratio(ai['lines_per_second'], si['lines_per_second'], True)} faster | ≥ 150,000 |",
        f"| MB/s | {ai['mb_per_second']:.1f} | {mb / si['seconds']:.1f} | | |",
        f"| disk after merge | {ai['disk_bytes'] / 1e6:.0f} MB ({ai['disk_bytes'] / meta['bytes']:.2f}× raw) | {si['disk_bytes'] / 1e6:.0f} MB ({si['disk_bytes'] / meta['bytes']:.2f}× raw) | {ratio(ai['disk_bytes'], si['disk_bytes'])} smaller | ≤ 0.40× raw |",
        f"| peak RSS during ingest | {ai['peak_rss_ingest'] / 1e6:.0f} MB | {si['peak_rss_ingest'] / 1e6:.0f} MB | {ratio(ai['peak_rss_ingest'], si['peak_rss_ingest'])} less | ≤ 300 MB |",
        f"| peak RSS incl. merge | {ai['peak_rss'] / 1e6:.0f} MB | {si['peak_rss'] / 1e6:.0f} MB | | |",
        f"| of alco's: peak anonymous memory during ingest / incl. merge (sampled; the rest is mapped input and segment pages) "
        f"| {ai.get('peak_rss_anon_ingest', 0) / 1e6:.0f} / {ai.get('peak_rss_anon', 0) / 1e6:.0f} MB | | | |",
        f"| disk right after ingest, before merges | {ai.get('disk_bytes_flushed', 0) / 1e6:.0f} MB "
        f"({ai.get('disk_bytes_flushed', 0) / meta['bytes']:.2f}× raw) | | | ≤ 0.55× raw |",
        "", "## Anchor queries (median ms)", "",
        "| query | alco in process | rows | Sphinx server-side (PyMySQL round trip) | rows | alco vs Sphinx server-side |", "|---|---|---|---|---|---|",
    ]
    for a, s in zip(aq, sq):
        sm = s["median_ms"]
        note = s.get("note", "")
        if a["name"].startswith("Q11") or a["name"].startswith("Q12"):
            key = a["name"][:3]
            sm_text = f"n/a (grep on the raw file: {grep[key]:.0f} ms)"
            vs = f"{grep[key] / a['median_ms']:.0f}× faster than grep"
        else:
            server = s.get("server_ms")
            if sm is None:
                sm_text, vs = f"n/a ({note})", "n/a"
            elif server is None:
                sm_text, vs = f"n/a ({sm:.2f})", "n/a (no server time)"
            elif server == 0:
                sm_text, vs = f"< 1 ({sm:.2f})", "n/a (under Sphinx's 1 ms)"
            else:
                sm_text, vs = f"{server:.0f} ({sm:.2f})", ratio(a["median_ms"], server) + " faster"
        lines.append(f"| {a['name']} | {a['median_ms']:.3f} | {a['rows']} | {sm_text} | {s['rows'] if s['rows'] is not None else ''} | {vs} |")
    lines.append("")
    lines.append("Sections of alco's segments (bytes): " + ", ".join(f"{k} {v:,}" for k, v in sorted(ai.get("sections", {}).items())))
    # Only this benchmark's part of the report: the other benchmarks keep their sections.
    section = "\n".join(["<!-- engine:start -->"] + lines + ["<!-- engine:end -->"])
    text = open(path).read() if os.path.exists(path) else ""
    if "<!-- engine:start -->" in text:
        replace_section(path, "engine", section)
    else:
        with open(path, "w") as f:
            f.write(section + "\n\n" + text)
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "alco"))
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--skip-sphinx", action="store_true")
    ap.add_argument("--rerun-sphinx", action="store_true", help="ignore Sphinx results cached in the work folder")
    args = ap.parse_args()
    corpus = ensure_corpus(args.work, args.lines)
    meta = json.load(open(corpus + ".meta.json"))
    alco = bench_alco(args.binary, args.work, corpus, meta)
    print(json.dumps(alco, indent=1), file=sys.stderr)
    cache = os.path.join(args.work, f"sphinx-results-{args.lines}.json")
    if args.skip_sphinx:
        sphinx = ({"lines_per_second": 0, "seconds": 1, "disk_bytes": 0, "peak_rss_ingest": 0, "peak_rss": 0},
                  [{"name": n, "median_ms": None, "rows": None} for n, _, _ in anchors(meta)])
    elif os.path.exists(cache) and not args.rerun_sphinx:
        sphinx = json.load(open(cache))
    else:
        sphinx = bench_sphinx(args.work, corpus, meta)
        json.dump(sphinx, open(cache, "w"))
    print(json.dumps(sphinx, indent=1), file=sys.stderr)
    report(meta, alco, sphinx, grep_baseline(corpus, meta), args.out)


if __name__ == "__main__":
    main()

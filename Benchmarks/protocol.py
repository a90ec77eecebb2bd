#!/usr/bin/env python3
"""SphinxQL over the MySQL protocol: alco and Sphinx 2.2.11 side by side, same corpus, client,
machine and run.

For each server in turn (alco's `alco serve`, then Debian's searchd with ALCO's RT config):
1. ingest: the corpus as `INSERT INTO logs (id, js, logline)` batches of 1000 lines sent with
   PyMySQL (statements built before the clock starts, so only the server is timed);
2. anchor queries: each sent 22 times with PyMySQL, the median of the last 20;
3. load: 64 connections (8 processes x 8 threads) sending the anchor mix for 60 s:
   queries per second and latency percentiles.
Writes work/protocol-results-N.json and the "Over the protocol" section of RESULTS.md.
"""
import argparse, json, multiprocessing, os, random, shutil, signal, subprocess, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "Tests", "Integration"))
from sidebyside import anchors  # noqa: E402
from servers import SphinxServer, free_port, logstash_row, wait_port  # noqa: E402

from common import ensure_corpus, replace_section  # noqa: E402

import pymysql  # noqa: E402


def statements(corpus, batch=1000):
    """INSERT statements of `batch` lines, escaped as PyMySQL escapes them."""
    conn_escape = pymysql.converters.escape_string
    out, rows, lines = [], [], 0
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            doc_id, logline, js = logstash_row(json.loads(line))
            rows.append("(%d,'%s','%s')" % (doc_id, conn_escape(js), conn_escape(logline)))
            lines += 1
            if len(rows) == batch:
                out.append("INSERT INTO logs (id, js, logline) VALUES " + ",".join(rows))
                rows = []
    if rows:
        out.append("INSERT INTO logs (id, js, logline) VALUES " + ",".join(rows))
    return out, lines


def ingest(port, stmts, lines):
    conn = pymysql.connect(host="127.0.0.1", port=port, user="bench", autocommit=True, max_allowed_packet=64 << 20)
    cur = conn.cursor()
    t0 = time.perf_counter()
    for s in stmts:
        cur.execute(s)
    seconds = time.perf_counter() - t0
    conn.close()
    return {"lines": lines, "seconds": seconds, "lines_per_second": lines / seconds}


def cpu_seconds(pid):
    """The process's user + system CPU time so far (all its threads), from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(port):
    conn = pymysql.connect(host="127.0.0.1", port=port, user="bench", autocommit=True)
    cur = conn.cursor()
    cur.execute("FLUSH RTINDEX logs")
    cur.execute("OPTIMIZE INDEX logs")
    conn.close()
    time.sleep(10)


def anchor_latencies(port, queries):
    conn = pymysql.connect(host="127.0.0.1", port=port, user="bench", autocommit=True)
    cur = conn.cursor()
    out = []
    for name, sql in queries:
        times, rows = [], None
        try:
            for k in range(22):
                t = time.perf_counter()
                cur.execute(sql)
                got = cur.fetchall()
                if k >= 2:
                    times.append((time.perf_counter() - t) * 1000)
                rows = got[0][0] if name.startswith("Q7") else len(got)
            times.sort()
            out.append({"name": name, "median_ms": times[len(times) // 2], "rows": rows})
        except pymysql.MySQLError as e:
            out.append({"name": name, "median_ms": None, "rows": None, "note": str(e)[:120]})
    conn.close()
    return out


def _load_worker(port, queries, seconds, threads, seed, result_queue):
    latencies, errors = [], [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def run(k):
        rnd = random.Random(seed * 100 + k)
        conn = pymysql.connect(host="127.0.0.1", port=port, user="load", autocommit=True)
        cur = conn.cursor()
        mine = []
        while time.perf_counter() < stop_at:
            sql = queries[rnd.randrange(len(queries))]
            t = time.perf_counter()
            try:
                cur.execute(sql)
                cur.fetchall()
                mine.append(time.perf_counter() - t)
            except pymysql.MySQLError:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    ts = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    result_queue.put((latencies, errors[0]))


def concurrent_load(port, queries, connections, seconds, processes=8):
    q = multiprocessing.Queue()
    per = connections // processes
    procs = [multiprocessing.Process(target=_load_worker, args=(port, queries, seconds, per, p, q)) for p in range(processes)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [q.get() for _ in procs]
    for p in procs:
        p.join()
    wall = time.perf_counter() - t0
    lat = sorted(x for r in results for x in r[0])
    errors = sum(r[1] for r in results)

    def pct(p):
        return lat[min(len(lat) - 1, int(len(lat) * p))] * 1000 if lat else None

    return {"connections": connections, "seconds": seconds, "queries": len(lat), "errors": errors,
            "qps": len(lat) / wall, "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": lat[-1] * 1000 if lat else None}


def start_alco(binary):
    d = tempfile.mkdtemp(prefix="alco-bench-")
    subprocess.run([binary, "index", "create", "logs", "--data", d + "/data"], check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--data", d + "/data", "--sphinxapi", "off", "--mysql", "127.0.0.1:%d" % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc, port, d


def bench(name, port, stmts, lines, queries, args, pid):
    from sidebyside import peak_rss
    print("%s: ingest" % name, file=sys.stderr)
    cpu = cpu_seconds(pid)
    ing = ingest(port, stmts, lines)
    # The server's own time: CPU it spent while the client sent the lines (wall time above
    # includes PyMySQL building and sending them).
    ing["server_cpu_seconds"] = cpu_seconds(pid) - cpu
    ing["peak_rss"] = peak_rss(pid)
    print("%s: %s" % (name, ing), file=sys.stderr)
    settle(port)
    print("%s: anchors" % name, file=sys.stderr)
    lat = anchor_latencies(port, queries)
    print("%s: %d connections for %d s" % (name, args.connections, args.seconds), file=sys.stderr)
    load = concurrent_load(port, [sql for _, sql in queries], args.connections, args.seconds)
    print("%s: %s" % (name, load), file=sys.stderr)
    return {"ingest": ing, "anchors": lat, "load": load}


def report(meta, alco, sphinx, path):
    def fmt(x, unit=""):
        return "–" if x is None else ("%.2f%s" % (x, unit) if x < 10 else "%.0f%s" % (x, unit))

    lines = ["<!-- protocol:start -->", "## Over the protocol (SphinxQL, PyMySQL client)", "",
             "`Benchmarks/protocol.py --lines %d`: the same corpus loaded into `alco serve` and into Sphinx 2.2.11 "
             "(ALCO's RT config) with INSERT batches of 1000 lines over the MySQL protocol, then the anchor queries "
             "and a 64-connection load, all sent with PyMySQL from this machine. Medians of 20 runs; the client's "
             "own time (PyMySQL decoding rows) is in both columns." % meta["lines"], "",
             "| | alco | Sphinx 2.2.11 | alco vs Sphinx | target |", "|---|---|---|---|---|"]
    a_in, s_in = alco["ingest"]["lines_per_second"], sphinx["ingest"]["lines_per_second"]
    lines.append("| ingest, INSERT batches of 1000 | %s lines/s | %s lines/s | %.1f× faster | 5× |" % (
        "{:,.0f}".format(a_in), "{:,.0f}".format(s_in), a_in / s_in))
    a_cpu, s_cpu = alco["ingest"].get("server_cpu_seconds"), sphinx["ingest"].get("server_cpu_seconds")
    if a_cpu and s_cpu:
        a_rate, s_rate = alco["ingest"]["lines"] / a_cpu, sphinx["ingest"]["lines"] / s_cpu
        lines.append("| ingest: lines per second of the server's own CPU (user + system, all threads) | %s | %s | %.1f× less CPU a line | |" % (
            "{:,.0f}".format(a_rate), "{:,.0f}".format(s_rate), a_rate / s_rate))
    for a, s in zip(alco["anchors"], sphinx["anchors"]):
        ratio = "%.0f× faster" % (s["median_ms"] / a["median_ms"]) if a["median_ms"] and s["median_ms"] else "–"
        rows = "" if a["rows"] == s["rows"] else " (rows %s vs %s)" % (a["rows"], s["rows"])
        lines.append("| %s | %s ms | %s ms | %s%s | 10× |" % (a["name"], fmt(a["median_ms"]), fmt(s["median_ms"]), ratio, rows))
    al, sl = alco["load"], sphinx["load"]
    lines.append("| 64 connections, anchor mix: queries/s | %s | %s | %.1f× | |" % (
        "{:,.0f}".format(al["qps"]), "{:,.0f}".format(sl["qps"]), al["qps"] / sl["qps"]))
    lines.append("| 64 connections: p50 / p99 latency | %s / %s ms | %s / %s ms | | p99 < 20 ms |" % (
        fmt(al["p50_ms"]), fmt(al["p99_ms"]), fmt(sl["p50_ms"]), fmt(sl["p99_ms"])))
    lines.append("| peak RSS after protocol ingest | %d MB | %d MB | | |" % (
        alco["ingest"]["peak_rss"] / 2**20, sphinx["ingest"]["peak_rss"] / 2**20))
    lines += ["", "<!-- protocol:end -->"]
    section = "\n".join(lines)
    replace_section(path, "protocol", section)
    print(section)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "alco"))
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args()
    corpus = ensure_corpus(args.work, args.lines)
    meta = json.load(open(corpus + ".meta.json"))
    queries = [(name, sql) for name, _, sql in anchors(meta) if sql is not None]
    stmts, lines = statements(corpus)
    results = {}
    proc, port, d = start_alco(args.binary)
    try:
        results["alco"] = bench("alco", port, stmts, lines, queries, args, proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        shutil.rmtree(d, ignore_errors=True)
    sphinx = SphinxServer(indexes=("logs",))
    try:
        results["sphinx"] = bench("sphinx", sphinx.port, stmts, lines, queries, args, sphinx.proc.pid)
    finally:
        sphinx.stop()
    json.dump(results, open(os.path.join(args.work, f"protocol-results-{args.lines}.json"), "w"), indent=1)
    report(meta, results["alco"], results["sphinx"], args.out)


if __name__ == "__main__":
    main()

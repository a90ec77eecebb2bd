#!/usr/bin/env python3
"""SphinxQL under 64 connections from a native client (sysbench, C, libmariadb), beside the
Python-client load in protocol.py: with 64 PyMySQL threads on a 2-core machine the clients
take most of the CPU, so their p99 measures the clients as much as the server.

The corpus is indexed with `alco bench ingest`; `alco serve` answers the anchor queries that
SphinxQL can express (Q1-Q10) sent in random order by `Benchmarks/anchor_mix.lua` for 30 s.
Sphinx 2.2.11 gets the same load on the index `sidebyside.py` loaded from the same corpus
(work/sphinx; skipped when that run has not happened). The server's CPU time per query is read
from /proc, since this VM's speed drifts between runs.
Writes work/native-results-N.json and the "Native client" section of RESULTS.md.
"""
import argparse, json, os, re, shutil, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "Tests", "Integration"))
from sidebyside import anchors, run_json  # noqa: E402
from servers import free_port, wait_port  # noqa: E402

from common import ensure_corpus, replace_section  # noqa: E402


def cpu_seconds(pid):
    """User + system CPU of a process so far, from /proc."""
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sysbench(port, queries_file, connections, seconds, pid):
    env = dict(os.environ, ANCHOR_QUERIES=queries_file)
    cpu_before = cpu_seconds(pid)
    out = subprocess.run(["sysbench", os.path.join(HERE, "anchor_mix.lua"), "--db-driver=mysql",
                          "--mysql-host=127.0.0.1", "--mysql-port=%d" % port, "--mysql-user=bench", "--mysql-db=logs",
                          "--threads=%d" % connections, "--time=%d" % seconds, "--percentile=99", "run"],
                         capture_output=True, text=True, env=env, check=True).stdout
    cpu = cpu_seconds(pid) - cpu_before

    def number(pattern):
        m = re.search(pattern, out)
        return float(m.group(1)) if m else None

    queries = number(r"transactions:\s+(\d+)")
    return {"connections": connections, "seconds": seconds,
            "server_cpu_ms_per_query": 1000.0 * cpu / queries if queries else None,
            "qps": number(r"transactions:\s+\d+\s+\(([\d.]+) per sec"),
            "errors": number(r"ignored errors:\s+(\d+)"),
            "avg_ms": number(r"avg:\s+([\d.]+)"), "p99_ms": number(r"99th percentile:\s+([\d.]+)"),
            "max_ms": number(r"max:\s+([\d.]+)")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--alco", default=os.path.join(ROOT, ".build", "release", "alco"))
    ap.add_argument("--seconds", type=int, default=30)
    args = ap.parse_args()
    corpus = ensure_corpus(args.work, args.lines)
    meta = json.load(open(corpus + ".meta.json"))
    data = os.path.join(args.work, "native-data")
    shutil.rmtree(data, ignore_errors=True)
    run_json([args.alco, "bench", "ingest", "--data", data, "--corpus", corpus])
    queries_file = os.path.join(args.work, "anchor-queries.sql")
    with open(queries_file, "w") as f:
        for _, _, sql in anchors(meta):
            if sql:
                f.write(sql + "\n")
    port = free_port()
    log = open(os.path.join(args.work, "native-serve.log"), "w")
    proc = subprocess.Popen([args.alco, "serve", "--data", data, "--sphinxapi", "off", "--mysql", "127.0.0.1:%d" % port, "--http", "off"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port, proc)
        results = {"lines": args.lines,
                   "runs": [sysbench(port, queries_file, c, args.seconds, proc.pid) for c in (64, 16)]}
    finally:
        proc.terminate()
        proc.wait(timeout=120)
        log.close()
    results["sphinx"] = sphinx_runs(args.work, queries_file, args.seconds)
    print(json.dumps(results, indent=1), file=sys.stderr)
    json.dump(results, open(os.path.join(args.work, "native-results-%d.json" % args.lines), "w"), indent=1)
    replace_section(os.path.join(HERE, "RESULTS.md"), "native", report(results))


def sphinx_runs(work, queries_file, seconds):
    """The same load against Sphinx 2.2.11 on the index sidebyside.py loaded, if it is there."""
    conf = os.path.join(work, "sphinx", "sphinx.conf")
    if not os.path.exists(conf) or shutil.which("searchd") is None:
        return None
    port = int(re.search(r"listen = 127\.0\.0\.1:(\d+):mysql41", open(conf).read()).group(1))
    proc = subprocess.Popen(["searchd", "--config", conf, "--nodetach"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        return [sysbench(port, queries_file, 64, seconds, proc.pid)]
    finally:
        proc.terminate()
        proc.wait(timeout=120)


def reading(runs):
    """What the figures say, computed from them: the CPU per query and the queueing it implies."""
    busiest = max(runs, key=lambda x: x["connections"])
    qps = busiest["qps"]
    cpu_ms = busiest.get("server_cpu_ms_per_query") or float("nan")
    queue_ms = busiest["connections"] * 1000.0 / qps if qps else float("nan")
    return [
        "Reading: the server and sysbench share the 2 cores and the server is the busier: %.2f ms of its CPU"
        % cpu_ms,
        "per query of this mix at %.0f queries/s. %d closed-loop connections wait ~%d ÷ %.0f/s ≈ %.0f ms on average"
        % (qps, busiest["connections"], busiest["connections"], qps, queue_ms),
        "(Little's law), so the p99 tracks the CPU per query. Session 7 took the mix from 2,634 to",
        "~5,000–5,900 queries/s (p99 56 → 19–22 ms across its runs): reads run on the listener's event loops",
        "instead of a queue per connection (64 threads on 2 cores, and a hand-off each way that cost a",
        "quarter of each query in context switches), the select list is compiled once per SELECT and",
        "decodes only the js members it reads, SHOW META's keyword counts are looked up only when asked,",
        "a frequent word's posting-list headers are parsed once per segment, and replies are framed in place.",
    ]


def report(r):
    rows = ["| server | connections | queries/s | avg (ms) | p99 (ms) | max (ms) | server CPU per query (ms) | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, runs in (("alco", r["runs"]), ("Sphinx 2.2.11", r.get("sphinx") or [])):
        for x in runs:
            rows.append("| %s | %d | %.0f | %.2f | %.2f | %.1f | %.2f | %d |" % (
                name, x["connections"], x["qps"], x["avg_ms"], x["p99_ms"], x["max_ms"],
                x.get("server_cpu_ms_per_query") or float("nan"), x["errors"] or 0))
    if r.get("sphinx"):
        a, b = r["runs"][0], r["sphinx"][0]
        rows += ["", "At 64 connections alco answers %.0f× the queries per second of Sphinx, with a p99 %.0f× lower." % (
            a["qps"] / b["qps"], b["p99_ms"] / a["p99_ms"])]
    return "\n".join([
        "<!-- native:start -->",
        "## Over the protocol with a native client (%s lines)" % format(r["lines"], ","),
        "",
        "`Benchmarks/protocol_native.py`: sysbench (C, libmariadb) sends Q1–Q10 as SphinxQL in random order",
        "(`anchor_mix.lua`) for %d s to `alco serve` and to Sphinx 2.2.11 on the same corpus (the index" % r["runs"][0]["seconds"],
        "`sidebyside.py` loaded). Target of issue 3: p99 ≤ 20 ms at 64 connections.",
        "",
        *rows,
        "",
        *reading(r["runs"]),
        "<!-- native:end -->",
    ])


if __name__ == "__main__":
    main()

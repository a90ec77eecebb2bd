#!/usr/bin/env python3
"""What the latency histograms cost: two builds of alco on the same corpus, machine and run,
over the protocol and over HTTP.

`--baseline` is a build without them (the commit before swift-metrics came in), `--binary`
the build with them. Each round runs both, in alternating order (A B, then B A), so drift of
the machine falls on both alike:
1. SphinxQL ingest: the corpus as INSERT batches of 1000 lines over PyMySQL (lines/s);
2. SphinxQL load: 64 connections (8 processes x 8 threads) sending the anchor mix (queries/s,
   p50 and p99), as `protocol.py` does;
3. HTTP load: wrk with 64 connections cycling the anchor queries' v1 forms over a data
   directory indexed once by `alco bench ingest` (requests/s, p50 and p99), as `http_api.py`.
Reports each figure's median over the rounds and the ratio with/without, and writes the
"Cost of the metrics" section of RESULTS.md. Machines are noisy: the run-to-run spread of
each build is reported beside the ratios, so a ratio inside it is noise.
"""
import argparse, json, os, shutil, signal, statistics, subprocess, sys, tempfile, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "Tests", "Integration"))
from common import ensure_corpus, replace_section  # noqa: E402
from http_api import http_form, wait_ready, wrk  # noqa: E402
from protocol import concurrent_load, ingest, settle, start_alco, statements  # noqa: E402
from servers import free_port, wait_port  # noqa: E402
from sidebyside import anchors, run_json  # noqa: E402


def protocol_round(binary, stmts, lines, queries, seconds):
    proc, port, d = start_alco(binary)
    try:
        ing = ingest(port, stmts, lines)
        settle(port)
        load = concurrent_load(port, [sql for _, sql in queries], 64, seconds)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        shutil.rmtree(d, ignore_errors=True)
    return {"ingest_lines_per_second": ing["lines_per_second"], "sphinxql_qps": load["qps"],
            "sphinxql_p50_ms": load["p50_ms"], "sphinxql_p99_ms": load["p99_ms"]}


def http_round(binary, data, paths, seconds):
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--data", data, "--mysql", "off", "--sphinxapi", "off", "--http", "127.0.0.1:%d" % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        wait_ready(port)
        load = wrk(port, paths, seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    return {"http_rps": load["requests_per_second"], "http_p50_ms": load["p50_ms"], "http_p99_ms": load["p99_ms"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", required=True, help="alco built without the metrics")
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "alco"))
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    corpus = ensure_corpus(args.work, args.lines)
    meta = json.load(open(corpus + ".meta.json"))
    queries = [(name, sql) for name, _, sql in anchors(meta) if sql is not None]
    stmts, lines = statements(corpus)
    # One data directory for the HTTP load, indexed by the baseline (both read the format).
    data = tempfile.mkdtemp(prefix="alco-metrics-cost-")
    run_json([args.baseline, "bench", "ingest", "--data", data + "/data", "--corpus", corpus])
    paths = []
    for name, q, _ in anchors(meta):
        form = http_form(name, q)
        if form is not None and not name.startswith(("Q11", "Q12")):
            paths.append(form[0] + "?" + urllib.parse.urlencode(form[1]))
    runs = {"without": [], "with": []}
    try:
        for r in range(args.rounds):
            order = [("without", args.baseline), ("with", args.binary)]
            for label, binary in (order if r % 2 == 0 else order[::-1]):
                figures = protocol_round(binary, stmts, lines, queries, args.seconds)
                figures.update(http_round(binary, data + "/data", paths, args.seconds))
                print(label, figures, file=sys.stderr)
                runs[label].append(figures)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    json.dump(runs, open(os.path.join(args.work, "metrics-cost-%d.json" % args.lines), "w"), indent=1)
    replace_section(os.path.join(HERE, "RESULTS.md"), "metrics", report(runs, args))


def report(runs, args):
    names = [("ingest_lines_per_second", "SphinxQL ingest, lines/s", True),
             ("sphinxql_qps", "SphinxQL, 64 connections, queries/s", True),
             ("sphinxql_p50_ms", "SphinxQL p50 (ms)", False), ("sphinxql_p99_ms", "SphinxQL p99 (ms)", False),
             ("http_rps", "HTTP, 64 connections, requests/s", True),
             ("http_p50_ms", "HTTP p50 (ms)", False), ("http_p99_ms", "HTTP p99 (ms)", False)]
    rows = ["| figure | without | with | with / without | spread without | spread with |", "|---|---:|---:|---:|---:|---:|"]
    for key, title, _ in names:
        without = [r[key] for r in runs["without"]]
        with_ = [r[key] for r in runs["with"]]
        a, b = statistics.median(without), statistics.median(with_)

        def spread(xs, m):
            return (max(xs) - min(xs)) / m * 50 if m else 0

        fmt = "{:,.0f}" if a >= 100 else "{:.2f}"
        rows.append("| %s | %s | %s | %.3f | ±%.1f%% | ±%.1f%% |" % (
            title, fmt.format(a), fmt.format(b), b / a if a else 0, spread(without, a), spread(with_, b)))
    return "\n".join([
        "<!-- metrics:start -->",
        "## Cost of the metrics (%s lines)" % format(args.lines, ","),
        "",
        "`Benchmarks/metrics_cost.py --rounds %d --seconds %d`: the build before swift-metrics and swift-prometheus"
        " came in (without) and the build with every latency histogram (with), in alternating order on the same"
        " corpus and machine; medians over the rounds. A spread is half a build's own range between rounds:"
        " a ratio within the spreads is noise." % (args.rounds, args.seconds),
        "",
        *rows,
        "<!-- metrics:end -->",
    ])


if __name__ == "__main__":
    main()

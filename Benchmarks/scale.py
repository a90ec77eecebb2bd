#!/usr/bin/env python3
"""From 1M to 10M lines: does alco stay flat? (issue 19, goal 1)

For each size, one generated corpus (`make_corpus.py`, the engine benchmark's generator) is
loaded with `alco bench ingest --no-merge` (WAL fsync per batch), the anchor queries run in
process on what ingest left (every sealed segment, no merge yet: the moment right after ingest),
then the same data directory is merged (`alco bench ingest` of an empty corpus: flush, then
optimize every day) and the queries run again. Reported side by side with the ratio of the
larger size to the smaller: ingest rate, bytes on disk before and after merges, segments, the
peak of anonymous memory (what alco allocated) apart from file-backed (mapped input and
segment pages, which the kernel drops as it needs), every query's median, and every query's
first run with the segment files evicted from the page cache (issue 19, goal 4), at both moments.

  Benchmarks/scale.py [--lines 1000000,10000000] [--binary .build/release/alco]

A 10M corpus is 4.2 GB and takes ~8 minutes here (ingest ~2, merges ~3.5).
"""
import argparse, json, os, shutil, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import ensure_corpus, replace_section  # noqa: E402
from sidebyside import anchors  # noqa: E402


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def queries(binary, data, spec_path):
    got = run_json([binary, "bench", "queries", "--data", data, "--spec", spec_path])["queries"]
    return {q["name"]: q for q in got}


def cold_queries(binary, data, spec_path):
    """Each query's first run with the segment files evicted from the page cache (issue 19,
    goal 4): one process per query (what a run reads stays mapped), its cold time and the bytes
    it read from disk."""
    out = {}
    for q in json.load(open(spec_path)):
        # Pages of files written moments ago did not leave the cache through fadvise alone
        # here (read_bytes stayed 0): as root, the whole page cache goes first.
        if os.geteuid() == 0:
            subprocess.run(["sync"], check=True)
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("1\n")
        one = spec_path + ".one"
        with open(one, "w") as f:
            json.dump([q], f)
        got = run_json([binary, "bench", "queries", "--cold", "--data", data, "--spec", one])["queries"][0]
        out[q["name"]] = got
        os.unlink(one)
    return out


def measure(binary, work, lines):
    corpus = ensure_corpus(work, lines)
    meta = json.load(open(corpus + ".meta.json"))
    data = os.path.join(work, f"scale-{lines}")
    shutil.rmtree(data, ignore_errors=True)
    spec_path = os.path.join(work, f"scale-anchors-{lines}.json")
    with open(spec_path, "w") as f:
        json.dump([dict(q, name=name) for name, q, _ in anchors(meta)], f)
    ingest = run_json([binary, "bench", "ingest", "--no-merge", "--data", data, "--corpus", corpus])
    fresh = queries(binary, data, spec_path)
    fresh_cold = cold_queries(binary, data, spec_path)
    merge = run_json([binary, "bench", "ingest", "--data", data, "--corpus", os.devnull])
    merged = queries(binary, data, spec_path)
    merged_cold = cold_queries(binary, data, spec_path)
    shutil.rmtree(data, ignore_errors=True)
    return {"lines": lines, "raw_bytes": meta["bytes"], "ingest": ingest, "fresh": fresh, "merge": merge, "merged": merged,
            "fresh_cold": fresh_cold, "merged_cold": merged_cold}


def report(runs, path):
    small, large = runs[0], runs[-1]
    label = lambda r: f"{r['lines'] // 1_000_000}M"

    def row(name, f, fmt, ratio=True):
        cells = [fmt(f(r)) for r in runs]
        tail = f"{f(large) / f(small):.2f}×" if ratio and f(small) else ""
        return f"| {name} | " + " | ".join(cells) + f" | {tail} |"

    mb = lambda b: f"{b / 1e6:,.0f} MB"
    lines = [
        "<!-- scale:start -->",
        "## From 1M to 10M lines (Benchmarks/scale.py)", "",
        "Generated corpora (`make_corpus.py`); `alco bench ingest --no-merge` (WAL fsync per batch), the anchor "
        "queries in process right after it (every sealed segment, before any merge), then every day merged and the "
        "queries again. Medians of 20 after 2 warm-ups. Anonymous memory is what alco allocated; file-backed is mapped "
        "input and segment pages (the kernel's VmHWM adds both).", "",
        "| | " + " | ".join(label(r) for r in runs) + f" | {label(large)} / {label(small)} |",
        "|---|" + "---|" * len(runs) + "---|",
        row("ingest lines/s (to searchable)", lambda r: r["ingest"]["lines_per_second"], lambda v: f"{v:,.0f}"),
        row("disk right after ingest / raw", lambda r: r["ingest"]["disk_bytes_flushed"] / r["raw_bytes"], lambda v: f"{v:.3f}×"),
        row("segments right after ingest", lambda r: r["ingest"]["segments_flushed"], lambda v: f"{v}"),
        row("disk after merges / raw", lambda r: r["merge"]["disk_bytes"] / r["raw_bytes"], lambda v: f"{v:.3f}×"),
        row("segments after merges", lambda r: r["merge"]["segments"], lambda v: f"{v}"),
        row("merge seconds", lambda r: r["merge"]["seconds_merged"], lambda v: f"{v:.0f}"),
        row("peak anonymous memory, ingest", lambda r: r["ingest"]["peak_rss_anon"], mb),
        row("peak anonymous memory, merges", lambda r: r["merge"]["peak_rss_anon"], mb),
        row("peak file-backed memory, ingest", lambda r: r["ingest"]["peak_rss_file"], mb),
        "", "| query (median ms) | " + " | ".join(f"{label(r)} after ingest" for r in runs) + " | ratio | "
        + " | ".join(f"{label(r)} merged" for r in runs) + " | ratio |",
        "|---|" + "---|" * (2 * len(runs) + 2),
    ]
    for name in small["fresh"]:
        f = [r["fresh"][name]["median_ms"] for r in runs]
        m = [r["merged"][name]["median_ms"] for r in runs]
        lines.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in f) + f" | {f[-1] / f[0]:.2f}× | "
                     + " | ".join(f"{v:.3f}" for v in m) + f" | {m[-1] / m[0]:.2f}× |")
    lines += ["", "First runs with every segment file evicted from the page cache (`bench queries --cold`: a process per "
              "query, which opens the index, evicts, then runs it once; the pages opening mapped stay, as in a server), "
              "in ms and KiB read from disk (`read_bytes`):", "",
              "| query (cold) | " + " | ".join(f"{label(r)} after ingest | {label(r)} merged" for r in runs) + " |",
              "|---|" + "---|" * (2 * len(runs))]
    cell = lambda q: f"{q['cold_ms']:.1f} ms, {q['read_bytes'] / 1024:,.0f} KiB"
    for name in small["fresh"]:
        lines.append(f"| {name} | " + " | ".join(f"{cell(r['fresh_cold'][name])} | {cell(r['merged_cold'][name])}" for r in runs) + " |")
    lines.append("<!-- scale:end -->")
    replace_section(path, "scale", "\n".join(lines))
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", default="1000000,10000000")
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--binary", default=os.path.join(HERE, "..", ".build", "release", "alco"))
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args()
    runs = []
    for n in (int(x) for x in args.lines.split(",")):
        runs.append(measure(args.binary, args.work, n))
        print(json.dumps({k: v for k, v in runs[-1].items() if k in ("lines", "ingest", "merge")}, default=str)[:2000], file=sys.stderr)
    report(runs, args.out)


if __name__ == "__main__":
    main()

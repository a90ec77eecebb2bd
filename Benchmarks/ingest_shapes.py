#!/usr/bin/env python3
"""Ingest shapes real logs have, each beside its ordinary twin, through `alco ingest`:

  one timestamp      100,000 lines stamped with the same second (a file with second
                     resolution), against the same lines with spread timestamps;
  keys of one line   20,000 lines with 20 js keys that no other line has (request-scoped
                     keys, user ids as keys), against the same lines with 20 shared keys.

Reports wall time, disk after flush (the data directory's segments) and peak RSS for each,
and the ratios the hostile-input issue bounds (time <= 3x, disk <= 3x). Results go to the
"Ingest shapes" section of RESULTS.md.

    python3 Benchmarks/ingest_shapes.py [--alco .build/release/alco] [--lines 100000] [--keyed 20000]
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import replace_section  # noqa: E402

BASE = 1764028800  # 2025-11-25 00:00:00 UTC


def stamp(seconds, micros=0):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".%06dZ" % micros


def one_timestamp(path, n, spread):
    with open(path, "w") as f:
        for i in range(n):
            t = stamp(BASE + (i // 100 if spread else 0), (i % 100) * 10_000 if spread else 0)
            f.write(json.dumps({"@timestamp": t, "message": "request %d served in %d ms" % (i, i % 997),
                                "host": "web%d" % (i % 4)}) + "\n")


def keyed(path, n, keys, unique):
    with open(path, "w") as f:
        for i in range(n):
            rec = {"@timestamp": stamp(BASE + i // 10, (i % 10) * 100_000), "message": "event %d" % i}
            for k in range(keys):
                name = ("req_%d_%d" % (i, k)) if unique else ("field_%d" % k)
                rec[name] = "v%d-%d" % (i, k)
            f.write(json.dumps(rec) + "\n")


def ingest(alco, corpus):
    """(seconds, disk bytes of segments + WAL after the process flushed, peak RSS bytes)."""
    data = tempfile.mkdtemp(prefix="alco-shapes-")
    try:
        subprocess.run([alco, "index", "create", "--data", data, "logs", "--retention-days", "100000"],
                       check=True, capture_output=True)
        err = tempfile.TemporaryFile()
        started = time.time()
        proc = subprocess.Popen([alco, "ingest", "--data", data, "--index", "logs", "--format", "json", corpus],
                                stdout=subprocess.DEVNULL, stderr=err)
        # This child's own rusage (RUSAGE_CHILDREN would be the maximum over every run).
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.time() - started
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError("alco ingest failed: %s" % err.read().decode(errors="replace"))
        disk = 0
        for root, _, files in os.walk(os.path.join(data, "indexes")):
            disk += sum(os.path.getsize(os.path.join(root, f)) for f in files)
        return elapsed, disk, usage.ru_maxrss * 1024
    finally:
        shutil.rmtree(data, ignore_errors=True)


def measure(alco, corpus):
    """Each figure of the fastest of three runs (peak RSS is the children's maximum)."""
    runs = [ingest(alco, corpus) for _ in range(3)]
    return min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alco", default=os.path.join(ROOT, ".build", "release", "alco"))
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--keyed", type=int, default=20_000)
    ap.add_argument("--report", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="alco-shapes-corpus-")
    try:
        same, spread = os.path.join(work, "same.jsonl"), os.path.join(work, "spread.jsonl")
        unique, shared = os.path.join(work, "unique.jsonl"), os.path.join(work, "shared.jsonl")
        one_timestamp(same, args.lines, spread=False)
        one_timestamp(spread, args.lines, spread=True)
        keyed(unique, args.keyed, 20, unique=True)
        keyed(shared, args.keyed, 20, unique=False)
        rows = {}
        for name, path in [("one timestamp", same), ("spread timestamps", spread),
                           ("20 keys of one line each", unique), ("20 shared keys", shared)]:
            rows[name] = measure(args.alco, path)
            t, d, r = rows[name]
            print("%-26s %7.2f s  %9.1f MB disk  %7.1f MB peak RSS" % (name, t, d / 1e6, r / 1e6), flush=True)
        time_ratio = rows["one timestamp"][0] / rows["spread timestamps"][0]
        disk_ratio = rows["20 keys of one line each"][1] / rows["20 shared keys"][1]
        time_ratio_keys = rows["20 keys of one line each"][0] / rows["20 shared keys"][0]
        print("one timestamp / spread: time %.2fx (bound 3x)" % time_ratio)
        print("keys of one line / shared: disk %.2fx (bound 3x), time %.2fx" % (disk_ratio, time_ratio_keys))
        lines = ["<!-- ingest-shapes:start -->", "## Ingest shapes (Benchmarks/ingest_shapes.py)", "",
                 "`alco ingest` of each corpus into a fresh data directory, fastest of three runs; disk is the",
                 "index directory after the process flushed. Bounds from the hostile-input issue: 3x.", "",
                 "| corpus | lines | time s | disk MB | peak RSS MB |", "|---|---|---|---|---|"]
        for name, (t, d, r) in rows.items():
            n = args.lines if "timestamp" in name else args.keyed
            lines.append("| %s | %d | %.2f | %.1f | %.1f |" % (name, n, t, d / 1e6, r / 1e6))
        lines += ["", "One timestamp against spread timestamps: %.2fx the time." % time_ratio,
                  "Keys of one line against shared keys: %.2fx the disk, %.2fx the time." % (disk_ratio, time_ratio_keys),
                  "<!-- ingest-shapes:end -->"]
        replace_section(args.report, "ingest-shapes", "\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""What message patterns cost at ingest: `alco ingest` of the same lines with patterns off and
on (`ALCO_PATTERNS=on`), instructions per line under callgrind (repeatable on this noisy
machine) and CPU per line (lowest of three runs). Issue 22's bound: within 10%.

The corpora are those of ingest_formats.py (logstash JSON lines and Python `logging` text,
the same records) and the LogHub HDFS sample repeated (real message shapes). Results go to the
"Log patterns" section of RESULTS.md.

    python3 Benchmarks/patterns_cost.py [--alco .build/release/alco] [--lines 200000]
"""
import argparse, datetime, glob, os, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import replace_section  # noqa: E402
from ingest_formats import corpus  # noqa: E402


def write_hdfs(path, copies):
    """The LogHub HDFS sample `copies` times, each copy three days after the one before (the
    sample spans three days): repeated times would make every later copy's ids collide with
    the earlier ones', and measure the id probe, not patterns."""
    lines = open(os.path.join(ROOT, "Fixtures", "loghub", "HDFS_2k.log")).read().splitlines()
    with open(path, "w") as f:
        for k in range(copies):
            for line in lines:
                day = datetime.datetime.strptime(line[:6], "%y%m%d") + datetime.timedelta(days=3 * k)
                f.write(day.strftime("%y%m%d") + line[6:] + "\n")


def paths(path):
    return path if isinstance(path, list) else [path]


def cpu(alco, path, env, runs=3):
    best = None
    for _ in range(runs):
        data = tempfile.mkdtemp(prefix="alco-patterns-")
        try:
            proc = subprocess.Popen([alco, "ingest", "--data", data, "--index", "logs", "--retention-days", "100000", "--no-progress"] + paths(path),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            _, status, usage = os.wait4(proc.pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                raise RuntimeError(proc.stderr.read().decode(errors="replace"))
            t = usage.ru_utime + usage.ru_stime
            best = t if best is None else min(best, t)
        finally:
            shutil.rmtree(data, ignore_errors=True)
    return best


def instructions(alco, path, env):
    data = tempfile.mkdtemp(prefix="alco-patterns-cg-")
    try:
        stripped = os.path.join(data, "alco")
        shutil.copy(alco, stripped)
        subprocess.run(["strip", stripped], check=True)
        out = os.path.join(data, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, stripped, "ingest", "--data", data + "/d",
                        "--index", "logs", "--retention-days", "100000", "--no-progress"] + paths(path), check=True, capture_output=True, env=env)
        for line in open(out):
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alco", default=os.path.join(ROOT, ".build", "release", "alco"))
    ap.add_argument("--lines", type=int, default=200_000)
    # Enough lines that creating the first patterns (bounded: `maxPatterns`) is not the figure.
    ap.add_argument("--callgrind-lines", type=int, default=100_000)
    ap.add_argument("--report", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="alco-patterns-corpus-")
    try:
        for name in ("big", "small"):
            os.makedirs(os.path.join(work, name))
        big = corpus(os.path.join(work, "big"), args.lines)
        small = corpus(os.path.join(work, "small"), args.callgrind_lines)
        for name, n in (("big", args.lines), ("small", args.callgrind_lines)):
            write_hdfs(os.path.join(work, name, "hdfs.log"), max(1, n // 2000))
        big["hdfs"], small["hdfs"] = os.path.join(work, "big", "hdfs.log"), os.path.join(work, "small", "hdfs.log")
        # Every LogHub system once (16 formats, each line as it was logged; 32,000 lines).
        loghub = sorted(glob.glob(os.path.join(ROOT, "Fixtures", "loghub", "*_2k.log")))
        big["loghub"] = small["loghub"] = loghub
        on = dict(os.environ, ALCO_PATTERNS="on")
        off = dict(os.environ, ALCO_PATTERNS="off")
        rows = []
        for label, key, lines_big, lines_small in (("JSON lines", "jsonl", args.lines, args.callgrind_lines),
                                                   ("Python logging text", "python.log", args.lines, args.callgrind_lines),
                                                   ("LogHub HDFS text", "hdfs", 2000 * max(1, args.lines // 2000),
                                                    2000 * max(1, args.callgrind_lines // 2000)),
                                                   ("LogHub, all 16 systems once", "loghub", 2000 * len(loghub), 2000 * len(loghub))):
            runs = 3 if lines_big >= 100_000 else 7  # a short run is noisier
            c_on, c_off = cpu(args.alco, big[key], on, runs), cpu(args.alco, big[key], off, runs)
            i_on, i_off = instructions(args.alco, small[key], on), instructions(args.alco, small[key], off)
            row = "| %s | %d | %d | %.3fx | %.2f | %.2f | %.2fx |" % (
                label, i_off / lines_small, i_on / lines_small, i_on / i_off, c_off / lines_big * 1e6, c_on / lines_big * 1e6, c_on / c_off)
            print(row, flush=True)
            rows.append(row)
        lines = ["<!-- patterns-cost:start -->", "### What patterns cost at ingest (Benchmarks/patterns_cost.py)", "",
                 "`alco ingest` of the same lines with patterns off and on (`ALCO_PATTERNS=on`); instructions per",
                 "line under callgrind (%d lines) and CPU per line (%d lines, lowest of three runs; the LogHub row: its" % (
                     args.callgrind_lines, args.lines),
                 "32,000 lines for both, lowest of seven). Bound: within 10%.", "",
                 "| input | instructions/line off | on | on/off | µs/line off | on | on/off |", "|---|---|---|---|---|---|---|"]
        lines += rows + ["<!-- patterns-cost:end -->"]
        replace_section(args.report, "patterns-cost", "\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

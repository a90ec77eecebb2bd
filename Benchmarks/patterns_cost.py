#!/usr/bin/env python3
"""What message patterns cost at ingest: `alco ingest` of the same lines with patterns off and
on (`ALCO_PATTERNS=on`), instructions per line under callgrind (repeatable on this noisy
machine) and CPU per line (lowest of three runs). Issue 22's bound: within 10%.

Every run is `alco ingest --no-background`: segments are sealed as the buffer fills and never
merged while loading, so both modes do the same work in the same order (with the background
timer, when merges start depends on timing, and one run's merge is another's none).

The corpora: the benchmark corpus (make_corpus.py: LogHub messages with perturbed digits, as
logstash JSON lines), those of ingest_formats.py (six words drawn from twelve, as JSON lines
and as Python `logging` text: nearly every line a new shape), the LogHub HDFS sample repeated
and every LogHub system once (real message shapes). For the six-words JSON lines, a second row
counts only the lines after the first N (run of 2N less run of N): creating patterns is
bounded (`maxPatterns`), so this is what every later line costs. Results go to the
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
            proc = subprocess.Popen([alco, "ingest", "--no-background", "--data", data, "--index", "logs", "--retention-days", "100000", "--no-progress"] + paths(path),
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
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, stripped, "ingest", "--no-background", "--data", data + "/d",
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
        for name in ("big", "small", "double"):
            os.makedirs(os.path.join(work, name))
        big = corpus(os.path.join(work, "big"), args.lines)
        small = corpus(os.path.join(work, "small"), args.callgrind_lines)
        double = corpus(os.path.join(work, "double"), 2 * args.callgrind_lines)
        for name, n in (("big", args.lines), ("small", args.callgrind_lines)):
            path = os.path.join(work, name, "bench.jsonl")
            subprocess.run([sys.executable, os.path.join(HERE, "make_corpus.py"), "--lines", str(n), "--out", path],
                           check=True, capture_output=True)
            (big if name == "big" else small)["bench"] = path
        for name, n in (("big", args.lines), ("small", args.callgrind_lines)):
            write_hdfs(os.path.join(work, name, "hdfs.log"), max(1, n // 2000))
        big["hdfs"], small["hdfs"] = os.path.join(work, "big", "hdfs.log"), os.path.join(work, "small", "hdfs.log")
        # Every LogHub system once (16 formats, each line as it was logged; 32,000 lines).
        loghub = sorted(glob.glob(os.path.join(ROOT, "Fixtures", "loghub", "*_2k.log")))
        big["loghub"] = small["loghub"] = loghub
        on = dict(os.environ, ALCO_PATTERNS="on")
        off = dict(os.environ, ALCO_PATTERNS="off")
        rows = []
        for label, key, lines_big, lines_small in (("benchmark corpus (LogHub messages, JSON lines)", "bench", args.lines, args.callgrind_lines),
                                                   ("six words of twelve, JSON lines", "jsonl", args.lines, args.callgrind_lines),
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
            if key == "jsonl":
                # The first half of the same file, so the two runs differ only by the later lines.
                n = args.callgrind_lines
                half = os.path.join(work, "double", "half.jsonl")
                with open(double[key]) as f, open(half, "w") as h:
                    for _, line in zip(range(n), f):
                        h.write(line)
                d_on, d_off = instructions(args.alco, double[key], on), instructions(args.alco, double[key], off)
                h_on, h_off = instructions(args.alco, half, on), instructions(args.alco, half, off)
                m_on, m_off = d_on - h_on, d_off - h_off
                row = "| six words of twelve, lines %s-%s only | %d | %d | %.3fx | | | |" % (
                    "{:,}".format(n + 1), "{:,}".format(2 * n), m_off / n, m_on / n, m_on / m_off)
                print(row, flush=True)
                rows.append(row)
        lines = ["<!-- patterns-cost:start -->", "### What patterns cost at ingest (Benchmarks/patterns_cost.py)", "",
                 "`alco ingest --no-background` of the same lines with patterns off and on (`ALCO_PATTERNS=on`); instructions per",
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

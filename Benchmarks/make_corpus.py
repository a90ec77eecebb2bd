#!/usr/bin/env python3
"""Builds a benchmark corpus of logstash JSON lines from the LogHub samples.

Each line is a LogHub message (digits perturbed so numbers vary like real traffic) with the
fields logcollect sends: strictly increasing @timestamp (about 12 lines per second over the
corpus, so 1M lines span ~1 day and cross a day boundary), host, levelname, logger, process,
a request_id per request (1-4 lines share one), duration and status numbers. Writes FILE and
FILE.meta.json with the words and ids the anchor queries use.
"""
import argparse, json, os, random, sys

LEVELS = [("INFO", 70), ("DEBUG", 15), ("WARNING", 10), ("ERROR", 4), ("CRITICAL", 1)]
LOGGERS = ["app.views.api", "app.views.web", "app.tasks", "db.pool", "cache.redis", "auth",
           "billing.payments", "search.indexer", "nginx.access", "hdfs.datanode", "spark.executor",
           "openstack.nova", "zookeeper.quorum", "kernel", "sshd", "root"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--loghub", default=os.path.join(os.path.dirname(__file__), "..", "Fixtures", "loghub"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--start", type=float, default=1795564800.0 + 3600 * 5, help="first timestamp (unix seconds)")
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    messages = []
    for name in sorted(os.listdir(args.loghub)):
        if name.endswith(".log"):
            with open(os.path.join(args.loghub, name), encoding="utf-8", errors="replace") as f:
                messages.extend(l.rstrip("\r\n") for l in f if l.strip())
    hosts = ["web%02d" % i for i in range(1, 41)] + ["db%02d" % i for i in range(1, 7)] + ["worker%02d" % i for i in range(1, 9)]
    level_pool = [l for l, w in LEVELS for _ in range(w)]
    digits = "0123456789"
    t_us = int(args.start * 1e6)
    step_us = int(86400e6 / 1_000_000 * 1.1)  # ~1.1 days for 1M lines
    unique_request = None
    request = None
    remaining = 0
    total_bytes = 0
    first_us = t_us
    with open(args.out, "w", encoding="utf-8") as out:
        for i in range(args.lines):
            if remaining == 0:
                request = "req-%08x-%04x" % (rnd.getrandbits(32), rnd.getrandbits(16))
                remaining = rnd.randint(1, 4)
            remaining -= 1
            base = messages[rnd.randrange(len(messages))]
            # Perturb some digits so numbers (block ids, ports, pids) vary like real traffic.
            chars = list(base)
            for k in range(len(chars)):
                if chars[k] in digits and rnd.random() < 0.15:
                    chars[k] = digits[rnd.randrange(10)]
            t_us += rnd.randint(1, 2 * step_us - 1)
            ts = t_us / 1e6
            import datetime
            stamp = datetime.datetime.utcfromtimestamp(int(ts)).strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (t_us % 1_000_000)
            level = level_pool[rnd.randrange(len(level_pool))]
            rec = {
                "@timestamp": stamp, "@version": 1, "message": "".join(chars),
                "host": hosts[min(len(hosts) - 1, int(rnd.paretovariate(1.2)) - 1)],
                "tags": [], "type": "Logstash", "levelname": level,
                "logger": LOGGERS[rnd.randrange(len(LOGGERS))], "stack_info": None,
                "process": rnd.randint(1000, 65000), "request_id": request,
                "duration_ms": round(rnd.expovariate(1 / 40.0), 3), "status": rnd.choice([200, 200, 200, 201, 204, 301, 400, 404, 500]),
            }
            if i == args.lines // 2:
                unique_request = request
            line = json.dumps(rec)
            total_bytes += len(line) + 1
            out.write(line + "\n")
    meta = {
        "lines": args.lines, "bytes": total_bytes, "first_us": first_us, "last_us": t_us,
        "unique_request_id": unique_request,
        "frequent_word": "info", "phrase": "for block", "host": "web03",
        "substring": "lk_-69", "regex": "blk_-69[0-9]{3}5",
    }
    with open(args.out + ".meta.json", "w") as f:
        json.dump(meta, f, indent=2)
    print("wrote %d lines, %.1f MB to %s" % (args.lines, total_bytes / 1e6, args.out), file=sys.stderr)


if __name__ == "__main__":
    main()

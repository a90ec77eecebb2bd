#!/usr/bin/env python3
"""Restart and cold reads: how long `alco serve` takes from exec to listening on a large data
directory, and how long the first run of each anchor query takes with the segment files out of
the page cache, with the bytes the server read from disk for it.

Start: exec -> the SphinxQL, HTTP and SphinxAPI ports all accept, five runs each warm (files
in the page cache) and cold (`sync; echo 3 > /proc/sys/vm/drop_caches` first, root only); the
server's own "opened ... replay ..." line gives the write-ahead log replay time apart.

Cold queries (issue 24, part 3): per anchor query a fresh server, then
`posix_fadvise(POSIX_FADV_DONTNEED)` on every segment file, then the query once over PyMySQL;
its time is the server's (`SHOW META` time) beside the client's wall time of the statement
(PyMySQL included), and its disk reads are the server process's `read_bytes` from /proc/PID/io
before and after.

WAL replay after a crash (`--crash-corpus FILE`): a fresh data directory, INSERT batches of
1000 lines over PyMySQL for `--crash-seconds` (past the 30 s persist interval, so the replay
is what one interval leaves), `kill -9`, then a start: its replay time and records are the
server's own figures.

  Benchmarks/restart.py --data DIR --meta CORPUS.meta.json [--binary .build/release/alco]
      [--crash-corpus CORPUS.jsonl]
"""
import argparse, glob, json, os, re, signal, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sidebyside import anchors  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.05).close()
        return True
    except OSError:
        return False


def drop_caches():
    subprocess.run(["sync"], check=True)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def segment_files(data):
    return glob.glob(os.path.join(data, "indexes", "*", "segments", "*.seg"))


def evict(data):
    for path in segment_files(data):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def read_bytes(pid):
    with open("/proc/%d/io" % pid) as f:
        for line in f:
            if line.startswith("read_bytes:"):
                return int(line.split()[1])
    return 0


class Server:
    def __init__(self, binary, data):
        # A port found free may be taken (by a client's ephemeral port) before the server
        # binds it: such a start is tried again on other ports.
        for attempt in range(5):
            if self.start(binary, data):
                return
        raise RuntimeError("alco serve found no free ports: " + open(self.log.name).read()[-2000:])

    def start(self, binary, data):
        self.ports = [free_port() for _ in range(3)]
        self.log = tempfile.NamedTemporaryFile(prefix="alco-restart-", suffix=".log", delete=False)
        args = [binary, "serve", "--data", data, "--mysql", "127.0.0.1:%d" % self.ports[0],
                "--http", "127.0.0.1:%d" % self.ports[1], "--sphinxapi", "127.0.0.1:%d" % self.ports[2],
                "--verify-rate", "0"]
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        waiting = list(self.ports)
        while waiting:
            if self.proc.poll() is not None:
                text = open(self.log.name).read()
                if "Address already in use" in text:
                    return False
                raise RuntimeError("alco serve exited: " + text[-2000:])
            waiting = [p for p in waiting if not accepts(p)]
            if waiting:
                time.sleep(0.002)
        self.listening = time.perf_counter() - self.started
        return True

    def opened(self):
        """(seconds opening took, WAL records replayed, seconds replaying) from the server's log."""
        self.log.flush()
        text = open(self.log.name).read()
        m = re.search(r"opened .* in ([0-9.]+) s; the write-ahead log replay read (\d+) records in ([0-9.]+) s", text)
        return (float(m.group(1)), int(m.group(2)), float(m.group(3))) if m else (None, None, None)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)
        os.unlink(self.log.name)


def start_times(binary, data, runs, cold):
    out = []
    for _ in range(runs):
        if cold:
            drop_caches()
        s = Server(binary, data)
        opened, records, replay = s.opened()
        out.append({"listening_s": s.listening, "open_s": opened, "replayed_records": records, "replay_s": replay})
        s.stop()
    return out


def cold_queries(binary, data, meta, index):
    import pymysql
    rows = []
    for name, _, sql in anchors(meta):
        if sql is None or not name.split()[0] in ("Q1", "Q2", "Q4", "Q5", "Q7", "Q8"):
            continue
        sql = sql.replace("FROM logs", "FROM " + index)
        s = Server(binary, data)
        try:
            conn = pymysql.connect(host="127.0.0.1", port=s.ports[0], user="bench")
            cur = conn.cursor()
            evict(data)
            before = read_bytes(s.proc.pid)
            t0 = time.perf_counter()
            cur.execute(sql)
            got = cur.fetchall()
            ms = (time.perf_counter() - t0) * 1000
            read = read_bytes(s.proc.pid) - before
            cur.execute("SHOW META")
            server_ms = next((float(v) * 1000 for k, v in cur.fetchall() if k == "time"), None)
            conn.close()
        finally:
            s.stop()
        rows.append({"query": name, "server_ms": server_ms, "client_ms": ms, "read_bytes": read, "rows": len(got)})
        print("  %-40s server %8.1f ms, client %8.1f ms, %10.1f KiB read" % (name, server_ms or -1, ms, read / 1024), file=sys.stderr)
    return rows


def crash_replay(binary, corpus, seconds):
    import pymysql
    sys.path.insert(0, os.path.join(HERE, "..", "Tests", "Integration"))
    from servers import logstash_row
    data = tempfile.mkdtemp(prefix="alco-crash-")
    subprocess.run([binary, "index", "create", "--data", data, "logs", "--retention-days", "36500"], check=True,
                   capture_output=True)
    s = Server(binary, data)
    conn = pymysql.connect(host="127.0.0.1", port=s.ports[0], user="bench", autocommit=True, max_allowed_packet=64 << 20)
    cur = conn.cursor()
    escape = pymysql.converters.escape_string
    sent, rows = 0, []
    t0 = time.perf_counter()
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            doc_id, logline, js = logstash_row(json.loads(line))
            rows.append("(%d,'%s','%s')" % (doc_id, escape(js), escape(logline)))
            if len(rows) == 1000:
                cur.execute("INSERT INTO logs (id, js, logline) VALUES " + ",".join(rows))
                sent += len(rows)
                rows = []
                if time.perf_counter() - t0 >= seconds:
                    break
    rate = sent / (time.perf_counter() - t0)
    s.proc.kill()
    s.proc.wait()
    os.unlink(s.log.name)
    again = Server(binary, data)
    opened, records, replay = again.opened()
    listening = again.listening
    again.stop()
    subprocess.run(["rm", "-rf", data])
    out = {"inserted_lines": sent, "lines_per_second": rate, "listening_s": listening, "replayed_records": records,
           "replay_s": replay, "open_s": opened}
    print("  crash after %d lines (%.0f lines/s): listening in %.3f s, WAL replay %s records in %s s" % (
        sent, rate, listening, records, replay), file=sys.stderr)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--binary", default=os.path.join(HERE, "..", ".build", "release", "alco"))
    ap.add_argument("--index", default="logs")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-queries", action="store_true")
    ap.add_argument("--query-runs", type=int, default=3, help="rounds of cold queries (medians reported)")
    ap.add_argument("--crash-corpus", help="measure WAL replay after kill -9 during ingest of this corpus")
    ap.add_argument("--crash-seconds", type=float, default=40)
    args = ap.parse_args()
    meta = json.load(open(args.meta))
    files = segment_files(args.data)
    result = {"segments": len(files), "segment_bytes": sum(os.path.getsize(f) for f in files)}
    print("%d segments, %.2f GB" % (result["segments"], result["segment_bytes"] / 1e9), file=sys.stderr)
    for mode in ("warm", "cold"):
        if mode == "cold" and os.geteuid() != 0:
            continue
        runs = start_times(args.binary, args.data, args.runs, cold=(mode == "cold"))
        result["start_" + mode] = runs
        print("  start %s: listening median %.3f s (runs %s), WAL replay %s s" % (
            mode, statistics.median(r["listening_s"] for r in runs),
            ", ".join("%.3f" % r["listening_s"] for r in runs), runs[0]["replay_s"]), file=sys.stderr)
    if not args.no_queries:
        rounds = [cold_queries(args.binary, args.data, meta, args.index) for _ in range(args.query_runs)]
        result["cold_queries"] = rounds
        print("  medians of %d rounds:" % len(rounds), file=sys.stderr)
        for k, first in enumerate(rounds[0]):
            med = lambda key: statistics.median(r[k][key] for r in rounds)
            print("  %-40s server %6.1f ms, client %6.1f ms, %8.1f KiB read" % (
                first["query"], med("server_ms"), med("client_ms"), med("read_bytes") / 1024), file=sys.stderr)
    if args.crash_corpus:
        result["crash"] = crash_replay(args.binary, args.crash_corpus, args.crash_seconds)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

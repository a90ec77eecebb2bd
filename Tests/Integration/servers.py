"""Starts the real servers the integration tests talk to: `alco serve` and Sphinx 2.2.11.

Both get the same corpus over the MySQL protocol, in the shape ALCO's collector wrote it:
REPLACE INTO <table> (id, js, logline) batches.
"""
import datetime, json, os, shutil, signal, socket, subprocess, sys, tempfile, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ALCO = os.environ.get("ALCO_BIN", os.path.join(ROOT, ".build", "debug", "alco"))
# ALCO's charset_table, as its generated sphinx.conf had it.
CHARSET = "0..9, A..Z->a..z, _, a..z, -, ., U+410..U+42F->U+430..U+44F, U+430..U+44F, U+401->U+451, U+451"
RESERVED = {"pk", "id", "ts", "ms", "seq", "model"}


_handed_out = set()


def free_port():
    """A port nothing listens on, never one handed out before in this run: the kernel may
    give a just-closed port again, and a server given one port for two listeners fails."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def wait_port(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on port %d" % port)


def wait_ready(http_port, proc, timeout=60, headers=None):
    """Until `/health` answers 200: the HTTP listener binds before the data directory opens
    and answers 503 "opening" until every part of the server runs."""
    import http.client
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=5)
            c.request("GET", "/health", headers=headers or {})
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("alco on HTTP port %d did not become ready" % http_port)


def logstash_row(rec):
    """(id, logline, js) of a logstash record, as ALCO's collector made them: the id from
    @timestamp (µs × 1000), reserved keys renamed, the rest of the record as js."""
    ts = rec["@timestamp"]
    dt = datetime.datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    us = int(dt.timestamp()) * 1_000_000 + int(ts[20:26])
    js = {(k + "_x" if k in RESERVED else k): v for k, v in rec.items() if k not in ("@timestamp", "@version", "message", "seq")}
    return us * 1000, rec.get("message", ""), json.dumps(js)


def corpus(lines, seed=7):
    """Rows (id, logline, js text) from Benchmarks/make_corpus.py, ids from the timestamps."""
    out = tempfile.mktemp(suffix=".jsonl")
    subprocess.run([sys.executable, os.path.join(ROOT, "Benchmarks", "make_corpus.py"), "--lines", str(lines),
                    "--seed", str(seed), "--out", out], check=True, stderr=subprocess.DEVNULL)
    rows = []
    with open(out, encoding="utf-8") as f:
        for line in f:
            rows.append(logstash_row(json.loads(line)))
    os.unlink(out)
    os.unlink(out + ".meta.json")
    return rows


def load(conn, table, rows, batch=1000):
    cur = conn.cursor()
    for k in range(0, len(rows), batch):
        chunk = rows[k:k + batch]
        cur.execute("REPLACE INTO %s (id, js, logline) VALUES " % table + ",".join(["(%s,%s,%s)"] * len(chunk)),
                    [x for (i, l, j) in chunk for x in (i, j, l)])
    conn.commit()


class AlcoServer:
    """`alco serve` on a fresh data directory with the indexes ALCO used in its tests."""

    def __init__(self, indexes=("logs",), prepare=(), extra_args=(), data=None):
        self.dir = tempfile.mkdtemp(prefix="alco-it-")
        self.data = data or os.path.join(self.dir, "data")
        for name in indexes:
            self.alco("index", "create", name)
        for command in prepare:
            self.alco(*command)
        self.port = free_port()
        self.http_port = free_port()
        self.api_port = free_port()
        self.log = open(os.path.join(self.dir, "serve.log"), "w")
        self.args = ["serve", "--data", self.data, "--mysql", "127.0.0.1:%d" % self.port,
                     "--http", "127.0.0.1:%d" % self.http_port, "--sphinxapi", "127.0.0.1:%d" % self.api_port,
                     *extra_args]
        self.start()

    def start(self):
        """(Re)starts `alco serve` on the same data directory and ports."""
        self.proc = subprocess.Popen([ALCO, *self.args], stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, self.proc)
        wait_ready(self.http_port, self.proc)

    def alco(self, *args):
        return subprocess.run([ALCO, *args, "--data", self.data], check=True, capture_output=True, text=True).stdout

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    raise AssertionError("alco serve did not stop within 60 s of SIGTERM\n" + self.diagnosis())
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.log.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def diagnosis(self):
        """The end of the server's log and every thread's stack: what a hang is waiting on."""
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            tail = "".join(f.readlines()[-40:])
        try:
            stacks = subprocess.run(["gdb", "-p", str(self.proc.pid), "-batch", "-ex", "thread apply all bt 30"],
                                    capture_output=True, text=True, timeout=120).stdout
        except (OSError, subprocess.TimeoutExpired) as e:
            stacks = "(no stacks: %s)" % e
        return "--- serve.log (end)\n%s\n--- threads\n%s" % (tail, stacks[-30000:])


class SphinxServer:
    """Real Sphinx 2.2.11 (Debian's searchd) with RT indexes configured as ALCO configured them."""

    def __init__(self, indexes=("logs",), day_tables=None, agents=None, port=None):
        """day_tables: days (YYYYMMDD) to declare as ALCO's generated sphinx.conf did: per index,
        one rt table per day, `<index>_<day>_distr` distributed over that day and every later
        one, and `<index>` distributed over them all. Without it, each index is one rt table.
        agents: {name: ["host:port:index", ...]} declares `name` distributed over those remote
        agents (a master); names ending in `_persistent` use `agent_persistent`. Every server
        also listens for the SphinxAPI protocol on `api_port`. port: its SphinxQL port, when
        something started earlier must know it."""
        self.dir = tempfile.mkdtemp(prefix="sphinx-it-")
        self.port = port or free_port()
        self.api_port = free_port()
        conf = os.path.join(self.dir, "sphinx.conf")
        os.makedirs(os.path.join(self.dir, "data"))
        with open(conf, "w") as f:
            for name, remotes in (agents or {}).items():
                kind = "agent_persistent" if name.endswith("_persistent") else "agent"
                f.write("\nindex %s\n{\n    type = distributed\n%s    agent_connect_timeout = 2000\n"
                        "    agent_query_timeout = 10000\n}\n" % (name, "".join("    %s = %s\n" % (kind, r) for r in remotes)))
            for name in indexes:
                if day_tables is None:
                    f.write(self.rt_index(name))
                    continue
                days = sorted(day_tables)
                for day in days:
                    f.write(self.rt_index("%s_%s" % (name, day)))
                for k, day in enumerate(days):
                    f.write(self.distributed_index("%s_%s_distr" % (name, day), ["%s_%s" % (name, d) for d in days[k:]]))
                f.write(self.distributed_index(name, ["%s_%s" % (name, d) for d in days]))
            f.write(f"""
searchd
{{
    listen = 127.0.0.1:{self.port}:mysql41
    listen = 127.0.0.1:{self.api_port}
    log = {self.dir}/searchd.log
    query_log = {self.dir}/query.log
    pid_file = {self.dir}/searchd.pid
    binlog_path = {self.dir}/data
    workers = threads
    max_matches = 10000
    persistent_connections_limit = 4
}}
""")
        self.proc = subprocess.Popen(["searchd", "--config", conf, "--nodetach"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    def rt_index(self, name):
        return f"""
index {name}
{{
    type = rt
    path = {self.dir}/data/{name}
    rt_field = logline
    rt_field = js
    rt_attr_string = logline
    rt_attr_json = js
    charset_table = {CHARSET}
    rt_mem_limit = 128M
}}
"""

    @staticmethod
    def distributed_index(name, locals_):
        return "\nindex %s\n{\n    type = distributed\n%s}\n" % (name, "".join("    local = %s\n" % l for l in locals_))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)

"""The v1 API over real sockets: the live tail (Server-Sent Events) in arrival order and
resumed with Last-Event-ID, NDJSON export, and the refusal to serve the network without
credentials."""
import http.client
import json
import re
import signal
import os
import socket
import subprocess
import time

import pytest

from servers import ALCO, AlcoServer, free_port, wait_ready


@pytest.fixture(scope="module")
def server():
    s = AlcoServer(indexes=("api",))
    yield s
    s.stop()


def ingest(server, *records):
    body = "".join(json.dumps(r) + "\n" for r in records).encode()
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    c.request("POST", "/api/v1/ingest/api", body=body)
    r = c.getresponse()
    out = json.loads(r.read())
    c.close()
    assert r.status == 200 and out["stored"] == len(records), out
    return out


def record(message, at, **fields):
    return dict({"@timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + ".000000Z", "message": message}, **fields)


class EventStream:
    """A Server-Sent Events reader on a raw socket, so the test sees exactly what is sent."""

    def __init__(self, server, path, headers=()):
        self.sock = socket.create_connection(("127.0.0.1", server.http_port), timeout=10)
        extra = "".join("%s: %s\r\n" % h for h in headers)
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n%s\r\n" % (path, server.http_port, extra)).encode())
        self.buffer = b""
        head = self._until(b"\r\n\r\n")
        assert b" 200 " in head.split(b"\r\n")[0], head
        assert b"text/event-stream" in head.lower()

    def _until(self, marker):
        while marker not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("stream closed")
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def events(self, count, timeout=10):
        """The next `count` data events as (id, hit) pairs; chunk framing is stripped."""
        out = []
        deadline = time.time() + timeout
        text, self.buffer = self.buffer, b""
        while True:
            # Chunked transfer: events use bare \n, so every \r\n-separated piece that is
            # only hex digits is a chunk size.
            joined = b"".join(part for part in text.split(b"\r\n") if not _is_hex(part))
            out = []
            for block in joined.decode("utf-8", "replace").split("\n\n"):
                fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line and not line.startswith(":"))
                if "data" in fields and "id" in fields:
                    out.append((fields["id"], json.loads(fields["data"])))
            if len(out) >= count:
                return out
            assert time.time() < deadline, "only %d of %d events" % (len(out), count)
            self.sock.settimeout(max(0.1, deadline - time.time()))
            text += self.sock.recv(65536)

    def close(self):
        self.sock.close()


def _is_hex(part):
    return part != b"" and all(c in b"0123456789abcdefABCDEF" for c in part)


def test_tail_follows_arrivals_even_out_of_time_order_and_resumes(server):
    now = int(time.time())
    ingest(server, record("before the tail started", now - 5, host="a"))
    # Once its headers are in, the tail has fixed where it starts: what is ingested now follows.
    stream = EventStream(server, "/api/v1/tail?index=api&field=host:a")
    ingest(server, record("first tailed", now, host="a"), record("other host", now, host="b"))
    # Arrives second but is stamped a minute earlier: a tail by id would never show it.
    ingest(server, record("late, stamped earlier", now - 60, host="a"))
    got = stream.events(2)
    assert [h["logline"] for _, h in got] == ["first tailed", "late, stamped earlier"]
    last_id = got[-1][0]
    stream.close()
    # Lines sent while the client was away come when it reconnects with Last-Event-ID.
    ingest(server, record("while away", now + 1, host="a"))
    again = EventStream(server, "/api/v1/tail?index=api&field=host:a", headers=[("Last-Event-ID", last_id)])
    assert [h["logline"] for _, h in again.events(1)] == ["while away"]
    again.close()


def test_tail_backlog_and_bad_resume(server):
    now = int(time.time())
    ingest(server, *[record("backlog %d" % i, now + 10 + i, host="bk") for i in range(5)])
    stream = EventStream(server, "/api/v1/tail?index=api&field=host:bk&backlog=3")
    assert [h["logline"] for _, h in stream.events(3)] == ["backlog 2", "backlog 3", "backlog 4"]
    stream.close()
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
    c.request("GET", "/api/v1/tail?index=api", headers={"Last-Event-ID": "not-an-id"})
    r = c.getresponse()
    assert r.status == 400 and json.loads(r.read())["error"] == "bad_request"
    c.close()


def test_ndjson_export_streams(server):
    now = int(time.time()) - 7200
    ingest(server, *[record("export line %d" % i, now + i, host="ex") for i in range(2500)])
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    c.request("GET", "/api/v1/search?index=api&field=host:ex&format=ndjson")
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Content-Type") == "application/x-ndjson"
    rows = [json.loads(line) for line in r.read().splitlines()]
    assert [x["logline"] for x in rows] == ["export line %d" % i for i in range(2500)]
    c.close()


def test_network_listener_needs_credentials(tmp_path):
    port = free_port()
    args = [ALCO, "serve", "--data", str(tmp_path / "d"), "--mysql", "off", "--sphinxapi", "off", "--http", "0.0.0.0:%d" % port]
    refused = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "--insecure" in refused.stderr
    proc = subprocess.Popen(args + ["--http-token", "t0ken"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_ready(port, proc)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/api/v1/indexes")
        r = c.getresponse()
        assert r.status == 401, (r.status, r.read())
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/api/v1/indexes", headers={"Authorization": "Bearer t0ken"})
        r = c.getresponse()
        assert r.status == 200, (r.status, r.read())
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/health")
        r = c.getresponse()
        assert r.status == 200, (r.status, r.read())
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_cli_search_through_a_running_server(tmp_path):
    """`alco search --server` while `alco serve` owns the data directory: the same output a
    local search prints (checked against a copy searched locally after the server stops)."""
    s = AlcoServer(indexes=("cli",))
    try:
        now = int(time.time()) - 600
        records = [record("request %d %s" % (i, "failed: timeout" if i % 7 == 0 else "ok"), now + i,
                          host="web%d" % (i % 3), levelname="ERROR" if i % 7 == 0 else "INFO") for i in range(200)]
        body = "".join(json.dumps(r) + "\n" for r in records).encode()
        c = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=30)
        c.request("POST", "/api/v1/ingest/cli", body=body)
        assert c.getresponse().status == 200
        server = "http://127.0.0.1:%d" % s.http_port
        cases = [["timeout"], ["-F", "failed: time", "-C", "1"], ["-E", "request [0-9]+ ok", "--count"],
                 ["--field", "host=web1", "--limit", "3", "--json", "timeout"], ["nothing-matches-this"]]
        remote = [subprocess.run([ALCO, "search", "--server", server, "--index", "cli", *a], capture_output=True, text=True)
                  for a in cases]
        missing = subprocess.run([ALCO, "search", "--server", server, "--index", "nope", "x"], capture_output=True, text=True)
        assert missing.returncode == 2 and "no index 'nope'" in missing.stderr
    finally:
        s.proc.send_signal(2)
        s.proc.wait(timeout=60)
    local = [subprocess.run([ALCO, "search", "--data", s.data, "--index", "cli", *a], capture_output=True, text=True)
             for a in cases]
    s.stop()
    for args, r, l in zip(cases, remote, local):
        assert (r.returncode, r.stdout) == (l.returncode, l.stdout), args
    assert remote[0].stdout.count("\n") == len([i for i in range(200) if i % 7 == 0])
    assert remote[2].stdout.strip() == str(len([i for i in range(200) if i % 7 != 0]))
    assert remote[4].returncode == 1


def test_cli_follow_prints_the_last_lines_then_new_ones(server):
    now = int(time.time()) + 100
    ingest(server, *[record("follow me %d" % i, now + i, host="fo") for i in range(15)])
    proc = subprocess.Popen([ALCO, "search", "--server", "http://127.0.0.1:%d" % server.http_port, "--index", "api",
                             "--field", "host=fo", "-f", "follow"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = [proc.stdout.readline() for _ in range(10)]
        assert [l.rsplit(" ", 1)[-1].strip() for l in first] == [str(i) for i in range(5, 15)], first
        ingest(server, *[record("follow me %d" % i, now + i, host="fo") for i in range(15, 18)])
        more = [proc.stdout.readline() for _ in range(3)]
        assert [l.rsplit(" ", 1)[-1].strip() for l in more] == ["15", "16", "17"], more
    finally:
        proc.kill()
        proc.wait()
    alone = subprocess.run([ALCO, "search", "--data", "/nonexistent", "--index", "api", "-f", "x"], capture_output=True, text=True)
    assert alone.returncode == 2 and "--server" in alone.stderr


def test_query_strings_are_read_as_browsers_encode_them(server):
    """`+` is a space and keys may be percent-encoded, as URLSearchParams and HTML forms send
    them: a substring with a space and an ALCO-style time with a space both work."""
    now = int(time.time())
    ingest(server, record("plus test alpha beta", now - 30), record("plus test alphabeta", now - 20))

    def search(query):
        c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
        c.request("GET", "/api/v1/search?" + query)
        r = c.getresponse()
        body = json.loads(r.read())
        c.close()
        assert r.status == 200, body
        return [h["logline"] for h in body["hits"]]

    assert search("index=api&mode=substring&q=alpha+beta") == ["plus test alpha beta"]
    assert search("index=api&mode=substring&q=alpha%2Bbeta") == []
    assert search("%69ndex=api&mode=substring&q=alpha%20beta") == ["plus test alpha beta"]
    since = time.strftime("%Y-%m-%d+%H:%M:%S", time.gmtime(now - 25))
    assert search("index=api&q=plus&since=" + since) == ["plus test alphabeta"]


def test_restart_after_kill_logs_the_replay_and_health_says_live_then_ready():
    """After `kill -9`, the lines are in the write-ahead log only: the next start replays them
    and says how many records it read and how long that took; `/health/live` answers 200 at
    any moment the process runs, `/health` 200 once it serves."""
    s = AlcoServer(indexes=("api",))
    try:
        now = int(time.time())
        for i in range(3):
            ingest(s, *[record("replay me %d %d" % (i, k), now - 10 + k) for k in range(5)])
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        s.start()
        s.log.flush()
        with open(s.log.name) as f:
            log = f.read()
        replays = re.findall(r"the write-ahead log replay read (\d+) records in ([0-9.]+) s", log)
        assert len(replays) == 2, log  # the first start and the restart
        assert int(replays[0][0]) == 0 and int(replays[1][0]) >= 3, replays  # one record per batch at least
        for path in ("/health/live", "/health"):
            c = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=5)
            c.request("GET", path)
            r = c.getresponse()
            assert r.status == 200, (path, r.status, r.read())
        c = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=30)
        c.request("GET", "/api/v1/search?index=api&q=replay&limit=100")
        assert len(json.loads(c.getresponse().read())["hits"]) == 15
    finally:
        s.stop()


def test_json_logs_are_logstash_lines_alco_can_collect(tmp_path):
    """`--log-format json`: every line the server logs is one JSON object with `@timestamp`,
    `levelname`, `logger` and `message`, and `alco ingest` takes the log as it is."""
    s = AlcoServer(indexes=("api",), extra_args=("--log-format", "json"))
    try:
        s.log.flush()
        with open(s.log.name) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
    finally:
        s.stop()
    records = [json.loads(l) for l in lines]
    assert records and all({"@timestamp", "levelname", "logger", "message"} <= set(r) for r in records), lines
    assert any("write-ahead log replay read" in r["message"] for r in records), lines
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", r["@timestamp"]) for r in records)
    log = tmp_path / "alco.log"
    log.write_text("\n".join(lines) + "\n")
    data = str(tmp_path / "data")
    subprocess.run([ALCO, "ingest", "--data", data, "--index", "self", "--no-progress", str(log)], check=True, capture_output=True)
    found = subprocess.run([ALCO, "search", "--data", data, "--index", "self", "--since", "1h", "replay"], check=True,
                           capture_output=True, text=True).stdout
    assert "write-ahead log replay read" in found, found
    bad = subprocess.run([ALCO, "serve", "--data", data, "--log-format", "xml"], capture_output=True, text=True)
    assert bad.returncode == 2 and "text or json" in bad.stderr

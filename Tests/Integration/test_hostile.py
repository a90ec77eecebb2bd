"""No input crashes or stalls alco: each class of hostile input, generated (hostile.py), sent
to a real `alco serve` through its real listeners. Every member gets a result or a clear
error within a bound, and after each the server is alive and answers a normal query."""
import json
import os
import socket
import struct
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pymysql
import pytest

from hostile import REGEXES, http_parameters, ingest_lines, sphinxql_numbers, sphinxql_recursion
from servers import ALCO, AlcoServer, free_port, load
from test_robustness import logged_in, read_packet

BOUND = 15  # seconds any one member may take, with the machine busy


@pytest.fixture(scope="module")
def server():
    s = AlcoServer(indexes=("h",))
    conn = pymysql.connect(host="127.0.0.1", port=s.port, user="t", autocommit=True)
    base = 1795630800000000000
    rows = [(base + k * 1000, "alpha beta line %d gamma%d" % (k, k % 7), json.dumps({"host": "web%d" % (k % 3), "n": k}))
            for k in range(3000)]
    load(conn, "h", rows)
    conn.close()
    yield s
    assert s.alive(), "alco serve died during the hostile-input suite"
    s.stop()


def normal_query(server):
    c = pymysql.connect(host="127.0.0.1", port=server.port, user="t", read_timeout=BOUND)
    cur = c.cursor()
    cur.execute("SELECT id FROM h WHERE MATCH('alpha') LIMIT 3")
    assert len(cur.fetchall()) == 3
    c.close()
    assert server.alive()


def sphinxql(server, sql):
    """(rows or None, error text or None, seconds)."""
    c = pymysql.connect(host="127.0.0.1", port=server.port, user="t", read_timeout=BOUND, write_timeout=BOUND,
                        max_allowed_packet=64 << 20)
    started = time.time()
    try:
        cur = c.cursor()
        cur.execute(sql)
        return cur.fetchall(), None, time.time() - started
    except pymysql.err.OperationalError as e:
        if e.args and e.args[0] in (2013, 2006):  # lost connection: the server hung up or died
            raise AssertionError("the connection was lost on: %s" % sql[:120])
        return None, str(e), time.time() - started
    except pymysql.err.MySQLError as e:
        return None, str(e), time.time() - started
    finally:
        c.close()


def http(server, route, params=None, method="GET", body=None, headers=None):
    url = "http://127.0.0.1:%d%s" % (server.http_port, route)
    if params:
        url += "?" + urllib.parse.urlencode(params)
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    started = time.time()
    try:
        with urllib.request.urlopen(req, timeout=BOUND) as r:
            return r.status, r.read(), time.time() - started
    except urllib.error.HTTPError as e:
        return e.code, e.read(), time.time() - started


def test_sphinxql_recursion_class(server):
    for name, sql in sphinxql_recursion("h"):
        rows, error, seconds = sphinxql(server, sql)
        assert seconds < BOUND, "%s took %.1f s" % (name, seconds)
        assert rows is not None or error, name
        if error:
            assert len(error) > 10 and len(error) < 4096, (name, error[:200])
        normal_query(server)


def test_sphinxql_numbers_class(server):
    for sql in sphinxql_numbers("h"):
        rows, error, seconds = sphinxql(server, sql)
        assert seconds < BOUND, "%s took %.1f s" % (sql, seconds)
    normal_query(server)
    rows, error, _ = sphinxql(server, "SELECT * FROM h LIMIT 0, 10 OPTION max_matches=2000000000")
    assert error and "out of bounds" in error


def test_http_parameters_class(server):
    for route, params in http_parameters("h"):
        status, body, seconds = http(server, route, params)
        assert seconds < BOUND, (route, params, seconds)
        assert status in (200, 400, 404), (route, params, status, body[:200])
        if status == 400 and len(urllib.parse.urlencode(params)) < 64 << 10:
            # (a request line past 64 KiB is refused by the HTTP parser itself, before any route)
            assert json.loads(body)["detail"], (route, params)
    normal_query(server)


def test_regular_expressions_class(server):
    for pattern in REGEXES:
        for case in ("sensitive", "insensitive"):
            status, body, seconds = http(server, "/api/v1/search", {"index": "h", "mode": "regex", "q": pattern, "case": case})
            assert seconds < 2, (pattern, seconds)
            assert status in (200, 400), (pattern, status)
            if pattern.startswith("(|)(\\1"):
                assert status == 400 and b"backreferences" in body, body
        rows, error, seconds = sphinxql(server, "SELECT id FROM h WHERE MATCH('alpha') LIMIT 1")
        assert rows is not None
    normal_query(server)


def test_ingest_shapes_class(server):
    for name, body in ingest_lines():
        status, out, seconds = http(server, "/api/v1/ingest/h", {"format": "auto"}, method="POST", body=body)
        assert seconds < 60, (name, seconds)
        assert status == 200, (name, status, out[:300])
        report = json.loads(out)
        if name in ("invalid utf-8 json", "invalid utf-8 text"):
            assert report["rejected"] == 1 and "invalid_utf8" in json.dumps(report), report
        if name in ("year 9999", "year 2555", "epoch huge"):
            assert report["rejected"] == 1 and "bad_timestamp" in json.dumps(report), report
        if name == "megabyte line":
            assert report["stored"] == 1, report
        normal_query(server)
    # Stored exactly as sent: the 2 MiB message and the escaped NUL come back byte for byte.
    status, out, _ = http(server, "/api/v1/search", {"index": "h", "mode": "substring", "q": "x" * 100, "limit": 1})
    assert status == 200 and json.loads(out)["hits"][0]["logline"] == "x" * (2 << 20)
    status, out, _ = http(server, "/api/v1/search", {"index": "h", "mode": "substring", "q": "nul", "limit": 1})
    assert json.loads(out)["hits"][0]["logline"] == "nul \u0000 escaped"
    status, out, _ = http(server, "/api/v1/search", {"index": "h", "q": "same second", "count": "true"})
    assert json.loads(out)["count"] == 20000


def test_pipelined_commands_do_not_pile_up(server):
    """A client that sends thousands of commands without reading a reply is slowed by its
    own socket, and everyone else is served meanwhile."""
    s = logged_in(server)
    query = b"\x03SELECT id, logline, js FROM h LIMIT 1000"
    packet = struct.pack("<I", len(query))[:3] + b"\x00" + query
    s.setblocking(False)
    sent = 0
    deadline = time.time() + 5
    while time.time() < deadline and sent < 200_000:
        try:
            s.send(packet)
            sent += 1
        except BlockingIOError:
            time.sleep(0.01)
    normal_query(server)
    s.close()
    normal_query(server)


def test_slow_query_does_not_stall_other_connections(server):
    """While connections run regexes over every line, a cheap query on another connection
    answers quickly."""
    def slow():
        sphinxql(server, "SELECT id FROM h WHERE MATCH('alpha') OPTION max_query_time=3000")
        http(server, "/api/v1/search", {"index": "h", "mode": "regex", "q": "(a|b|c|d|e)+[0-9]{3}z", "count": "true"})
    threads = [threading.Thread(target=slow) for _ in range(4)]
    for t in threads:
        t.start()
    started = time.time()
    normal_query(server)
    assert time.time() - started < 5
    for t in threads:
        t.join()


def test_access_checks(server, tmp_path):
    # DNS rebinding: a loopback server answers only for loopback names.
    status, body, _ = http(server, "/api/v1/indexes", headers={"Host": "evil.example:%d" % server.http_port})
    assert status == 421, (status, body)
    status, _, _ = http(server, "/api/v1/indexes", headers={"Host": "localhost:%d" % server.http_port})
    assert status == 200
    # Cross-site writes are refused; the same site and non-browser clients are not.
    ingest = b'{"@timestamp": "2026-11-25T10:00:00.000000Z", "message": "csrf"}\n'
    status, _, _ = http(server, "/api/v1/ingest/h", method="POST", body=ingest, headers={"Origin": "http://evil.example"})
    assert status == 403
    status, _, _ = http(server, "/api/v1/ingest/h", method="POST", body=ingest, headers={"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    status, _, _ = http(server, "/api/v1/ingest/h", method="POST", body=ingest,
                        headers={"Origin": "http://127.0.0.1:%d" % server.http_port})
    assert status == 200
    status, _, _ = http(server, "/api/v1/indexes/h", method="DELETE", headers={"Origin": "null"})
    assert status == 403
    # Shortcuts lead only to paths here.
    for url in ["/\\evil.example", "//evil.example", "http://evil.example/", "/ok\r\nLocation: x"]:
        status, _, _ = http(server, "/api/v1/shortcuts/bad", method="PUT", body=json.dumps({"url": url}).encode())
        assert status == 400, url
    # Listeners other machines reach need credentials; half an account is an error.
    data = str(tmp_path / "data")
    for args in [["--mysql", "0.0.0.0:%d" % free_port(), "--http", "off"],
                 ["--mysql", "127.0.0.1:%d" % free_port(), "--mysql-password", "x", "--http", "off"],
                 ["--mysql", "127.0.0.1:%d" % free_port(), "--mysql-user", "u", "--http", "off"],
                 ["--mysql", "off", "--http", "127.0.0.1:%d" % free_port(), "--http-user", "u"],
                 ["--mysql", "127.example.com:%d" % free_port(), "--http", "off"],
                 ["--mysql", "off", "--http", "off", "--sphinxapi", "0.0.0.0:%d" % free_port()],
                 ["--mysql", "off", "--http", "off", "--node", "64"]]:
        r = subprocess.run([ALCO, "serve", "--data", data, *args], capture_output=True, text=True, timeout=60)
        assert r.returncode != 0, args
        assert "reachable from other machines" in r.stderr or "needs" in r.stderr or "--node must be" in r.stderr, (args, r.stderr)
    normal_query(server)


def test_damaged_files_are_reported_not_fatal(tmp_path):
    s = AlcoServer(indexes=("a", "b"))
    try:
        s.proc.terminate()
        s.proc.wait(timeout=60)
        with open(os.path.join(s.data, "indexes", "a", "columns.json"), "w") as f:
            f.write('{"columns": [{"na')
        with open(os.path.join(s.data, "indexes", "b", "settings.json"), "w") as f:
            f.write("garbage")
        s.start()
        normal = pymysql.connect(host="127.0.0.1", port=s.port, user="t")
        cur = normal.cursor()
        cur.execute("SHOW TABLES")
        assert {r[0] for r in cur.fetchall()} >= {"a", "b"}
        normal.close()
        s.log.flush()
        log = open(s.log.name).read()
        assert "columns.json was unreadable" in log and "settings.json was unreadable" in log, log[-2000:]
        assert os.listdir(os.path.join(s.data, "indexes", "a", "quarantine"))
    finally:
        s.stop()

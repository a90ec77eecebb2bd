"""A full disk: writes fail with a clear error and lose nothing that was acknowledged, nothing
that failed shows up later, and writing resumes once space is freed. The data directory sits on
a small tmpfs that the test then enlarges (root, as in CI)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import pymysql
import pytest

from servers import ALCO, ROOT, AlcoServer


@pytest.fixture
def small_disk():
    mount = tempfile.mkdtemp(prefix="alco-full-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mount], capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(mount)
        pytest.skip("cannot mount a tmpfs here: %s" % r.stderr.strip())

    def grow():
        subprocess.run(["mount", "-o", "remount,size=64m", mount], check=True)

    yield mount, grow
    subprocess.run(["umount", "-l", mount])
    os.rmdir(mount)


def lines(n, seed):
    """n logstash JSON lines as logcollect publishes them (Benchmarks/make_corpus.py)."""
    out = tempfile.mktemp(suffix=".jsonl")
    subprocess.run([sys.executable, os.path.join(ROOT, "Benchmarks", "make_corpus.py"), "--lines", str(n),
                    "--seed", str(seed), "--out", out], check=True, stderr=subprocess.DEVNULL)
    with open(out, "rb") as f:
        body = f.read()
    os.unlink(out)
    os.unlink(out + ".meta.json")
    return body


def post(server, body):
    r = subprocess.run(["curl", "-sS", "-X", "POST", "--data-binary", "@-", "-w", "\n%{http_code}",
                        "http://127.0.0.1:%d/api/v1/ingest/logs" % server.http_port],
                       input=body, capture_output=True, timeout=60, check=True)
    text, _, status = r.stdout.rpartition(b"\n")
    return int(status), json.loads(text)


def count(server):
    c = pymysql.connect(host="127.0.0.1", port=server.port, user="t", autocommit=True)
    cur = c.cursor()
    cur.execute("SELECT COUNT(*) FROM logs")
    n = cur.fetchone()[0]
    c.close()
    return n


def test_ingest_command_stops_with_one_line_saying_what_was_stored(small_disk, tmp_path):
    mount, grow = small_disk
    data = os.path.join(mount, "data")
    subprocess.run([ALCO, "index", "create", "logs", "--data", data], check=True, capture_output=True)
    source = tmp_path / "big.jsonl"
    source.write_bytes(lines(12000, seed=3))
    r = subprocess.run([ALCO, "ingest", "--data", data, "--index", "logs", "--batch-size", "2000", str(source)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    errors = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(errors) == 1, r.stderr
    assert "No space left on device" in errors[0] and "lines stored" in errors[0], errors[0]
    stored = int(errors[0].split("; ")[1].split(" lines stored")[0])
    resume = int(errors[0].split("none from line ")[1].split(" ")[0])
    assert resume == stored + 1, "every line before the resume point was stored"
    grow()
    found = subprocess.run([ALCO, "search", "--data", data, "--index", "logs", "--count", ""],
                           capture_output=True, text=True, timeout=60)
    assert int(found.stdout) == stored


def test_server_refuses_writes_while_full_and_keeps_exactly_what_it_acknowledged(small_disk):
    mount, grow = small_disk
    data = os.path.join(mount, "data")
    subprocess.run([ALCO, "index", "create", "logs", "--data", data], check=True, capture_output=True)
    server = AlcoServer(indexes=(), data=data)
    try:
        acknowledged = 0
        refused = None
        for k in range(40):
            status, body = post(server, lines(1000, seed=100 + k))
            if status != 200:
                refused = (status, body)
                break
            acknowledged += body["stored"]
        assert refused is not None, "3 MB cannot hold 40,000 lines"
        status, body = refused
        assert status == 507 and body["error"] == "insufficient_storage", body
        assert "No space left on device" in body["detail"]
        assert acknowledged > 0

        # SphinxQL says so too, with MySQL's code for a full disk rather than a syntax error.
        c = pymysql.connect(host="127.0.0.1", port=server.port, user="t", autocommit=True)
        with pytest.raises(pymysql.err.MySQLError) as refused_insert:
            c.cursor().execute("INSERT INTO logs (id, logline, js) VALUES " + ",".join(
                ["(%d, 'disk full probe %s', '{\"host\":\"h\"}')" % (1795000000000000000 + i, "x" * 400)
                 for i in range(3000)]))
        assert refused_insert.value.args[0] == 1021, refused_insert.value.args
        c.close()

        # What failed is not searchable; what was acknowledged is.
        assert server.alive()
        assert count(server) == acknowledged

        grow()
        status, body = post(server, lines(1000, seed=999))
        assert status == 200, body
        acknowledged += body["stored"]
        assert count(server) == acknowledged

        # And after a restart (the log replayed, nothing torn left in it): the same documents.
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=60) == 0
        server.start()
        assert count(server) == acknowledged
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)

"""A real redis-server: ALCO's value keys mirrored, a list source that loses nothing."""
import json
import signal
import time
import uuid

import pymysql
import pytest
import redis

from servers import AlcoServer

REDIS = "redis://127.0.0.1:6379/0"


def query(server, sql):
    try:
        c = pymysql.connect(host="127.0.0.1", port=server.port, user="t", autocommit=True)
    except pymysql.OperationalError:
        # A server gone (it was up when the test began): say how it ended, from its own log.
        if not server.alive():
            server.log.flush()
            with open(server.log.name, errors="replace") as f:
                raise AssertionError("alco serve exited with %s; its log ends:\n%s" % (
                    server.proc.returncode, "".join(f.readlines()[-40:])))
        raise
    cur = c.cursor()
    cur.execute(sql)
    out = cur.fetchall()
    c.close()
    return out


def line(marker, n, level="INFO", host="web01"):
    return json.dumps({"@timestamp": "2026-11-25T21:05:%02d.%06dZ" % (n % 60, n), "message": "item n=%d %s" % (n, marker),
                       "levelname": level, "host": host, "seq": n})


def test_mirror_writes_alcos_keys():
    r = redis.Redis(host="127.0.0.1", port=6379)
    index = "mir" + uuid.uuid4().hex[:6]
    server = AlcoServer(indexes=(index,), extra_args=["--redis", REDIS])
    try:
        import subprocess
        body = "\n".join(line("mirror", n, level=lv, host=h) for n, (lv, h) in enumerate(
            [("INFO", "web01"), ("ERROR", "web02"), ("WARNING", "db01")])) + "\n"
        subprocess.run(["curl", "-sS", "--data-binary", "@-", "http://127.0.0.1:%d/api/v1/ingest/%s" % (server.http_port, index)],
                       input=body.encode(), check=True, capture_output=True)
        query(server, "SELECT COUNT(*) FROM %s" % index)
        deadline = time.time() + 20
        levels = []
        while time.time() < deadline:
            levels = sorted(v.decode() for v in r.zrangebyscore("ALCO:VALUES:%s:levelname" % index, 0, "+inf"))
            if len(levels) == 3:
                break
            time.sleep(0.2)
        assert levels == ["ERROR", "INFO", "WARNING"]
        hosts = {v.decode(): s for v, s in r.zrange("ALCO:VALUES:%s:host" % index, 0, -1, withscores=True)}
        assert set(hosts) == {"web01", "web02", "db01"}
        # Scores are unix seconds of when the value was last seen (here the lines' own time).
        assert all(abs(s - 1795640751) < 120 for s in hosts.values())
    finally:
        server.stop()


def test_redis_down_does_not_slow_ingestion():
    index = "down" + uuid.uuid4().hex[:6]
    server = AlcoServer(indexes=(index,), extra_args=["--redis", "redis://127.0.0.1:1/0"])
    try:
        import subprocess
        body = "\n".join(line("down", n) for n in range(1000)) + "\n"
        t = time.time()
        out = subprocess.run(["curl", "-sS", "--data-binary", "@-", "http://127.0.0.1:%d/api/v1/ingest/%s" % (server.http_port, index)],
                             input=body.encode(), check=True, capture_output=True).stdout
        assert json.loads(out)["stored"] == 1000
        assert time.time() - t < 5
        assert server.alive()
    finally:
        server.stop()


def test_list_source_survives_kill_9():
    r = redis.Redis(host="127.0.0.1", port=6379)
    index = "lst" + uuid.uuid4().hex[:6]
    key = "logs:" + index
    server = AlcoServer(indexes=(index,), extra_args=["--redis", REDIS, "--redis-source", "%s=%s" % (key, index)])
    marker = "L" + uuid.uuid4().hex[:8]
    count = 20000
    try:
        pipe = r.pipeline()
        for n in range(count):
            pipe.rpush(key, line(marker, n))
            if n % 2000 == 1999:
                pipe.execute()
                pipe = r.pipeline()
        pipe.execute()
        r.rpush(key, "not json " + marker)
        deadline = time.time() + 30
        while time.time() < deadline and query(server, "SELECT COUNT(*) FROM %s" % index)[0][0] < 2000:
            time.sleep(0.02)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        server.start()
        deadline = time.time() + 60
        n = 0
        while time.time() < deadline:
            n = query(server, "SELECT COUNT(*) FROM %s" % index)[0][0]
            if n >= count and r.llen(key) == 0:
                break
            time.sleep(0.2)
        rows = query(server, "SELECT logline FROM %s LIMIT 100000 OPTION max_matches=100000" % index)
        numbers = sorted(int(x[0].split("n=")[1].split()[0]) for x in rows)
        assert numbers == list(range(count)), "every line exactly once"
        assert r.llen(key) == 0 and r.llen("%s:alco-processing:%s" % (key, index)) == 0
    finally:
        server.stop()

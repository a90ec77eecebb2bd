"""`alco serve --search-through sphinxql://FRONT`: a node's HTTP API answers from a real
Sphinx 2.2.11 front over three alco nodes, and must answer as one alco holding every line.

The three nodes and the single alco come from test_cluster's `started_cluster`; a fifth alco
holds no lines and reads everything through the front. Its answers are compared with the
single node's, as parsed JSON (the front's master writes JSON compactly and floats with six
decimals, so texts differ where values do not).
"""
import http.client
import json
import random
import urllib.parse

import pytest

from servers import AlcoServer, free_port
from test_cluster import started_cluster


@pytest.fixture(scope="module")
def rows():
    from servers import corpus
    return corpus(1500, seed=41)


@pytest.fixture(scope="module")
def through(rows):
    with started_cluster(rows) as (front, single, members):
        node = AlcoServer(extra_args=("--search-through", "sphinxql://127.0.0.1:%d" % front.port))
        try:
            yield node, single, front
        finally:
            node.stop()


def get(server, path, **params):
    """(status, body as JSON or as NDJSON lines)."""
    pairs = []
    for k, v in params.items():
        for item in (v if isinstance(v, list) else [v]):
            pairs.append((k, item))
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=120)
    c.request("GET", path + ("?" + urllib.parse.urlencode(pairs) if pairs else ""))
    r = c.getresponse()
    body = r.read().decode()
    if r.getheader("Content-Type", "").startswith("application/x-ndjson"):
        return r.status, [json.loads(line) for line in body.splitlines() if line]
    return r.status, json.loads(body) if body.strip() else None


def same(path, through, single, **params):
    a, b = get(through, path, **params), get(single, path, **params)
    assert a == b, "%s %s\n through: %s\n single:  %s" % (path, params, str(a)[:600], str(b)[:600])
    return a


def searches(rows):
    rnd = random.Random(3)
    ids = sorted(r[0] for r in rows)
    words = ["block", "proxy", "sshd", "failure", "error", "session", "received", "root", "terminating", "packetresponder"]
    out = []
    for k in range(30):
        a, b = sorted(rnd.sample(ids, 2))
        w = rnd.choice(words)
        out += [
            dict(q=w, limit=rnd.choice([1, 7, 50])),
            dict(q="%s -%s" % (w, rnd.choice(words)), order="asc", limit=20),
            dict(q='"%s"' % rnd.choice(["invalid user", "for block", "session opened", "connection closed"]), limit=30),
            dict(q=w + "*", field="levelname:" + rnd.choice(["INFO", "ERROR", "DEBUG"]), limit=25),
            dict(q=w, field=["host:web01", "host:web23", "-levelname:DEBUG"], limit=40),
            dict(q="", field="status:" + rnd.choice(["200", "500"]), after=str(a), order="asc", limit=15),
            dict(q=w, before=str(b), limit=15),
            dict(q=rnd.choice(["Invalid user", "blk_-", "GET /v2", "[preauth]"]), mode="substring", limit=20),
            dict(q=rnd.choice(["Invalid user", "invalid user"]), mode="substring", case="sensitive", limit=20),
            dict(q=rnd.choice([r"port [0-9]+ ssh2", r"^[0-9]{6} [0-9]{6}", r"WARN|ERROR", r"blk_-?[0-9]+ terminating$"]), mode="regex", limit=20),
            dict(q=w, count="true"),
            dict(q="", mode="substring", count="true", field="levelname:ERROR"),
        ]
    return out


def test_search_pages_and_counts_answer_as_one_node(through, rows):
    node, single, _ = through
    nonempty = 0
    for params in searches(rows):
        status, body = same("/api/v1/search", node, single, index="logs", **params)
        assert status == 200, body
        nonempty += bool(body.get("hits") or body.get("count"))
    assert nonempty > 200


def test_the_next_cursor_walks_every_node(through, rows):
    node, single, _ = through
    seen = []
    params = dict(index="logs", q="", limit="400", order="asc")
    path = "/api/v1/search"
    while True:
        status, body = get(node, path, **params)
        assert status == 200, body
        seen += [int(h["id"]) for h in body["hits"]]
        if "next" not in body:
            break
        path, query = body["next"].split("?", 1)
        params = dict(urllib.parse.parse_qsl(query))
    assert seen == sorted(r[0] for r in rows)


def test_ndjson_export_is_every_matching_line(through, rows):
    node, single, _ = through
    status, lines = same("/api/v1/search", node, single, index="logs", q="", format="ndjson")
    assert status == 200 and len(lines) == len(rows)
    same("/api/v1/search", node, single, index="logs", q="block", format="ndjson", limit="100", order="desc")


def test_context_values_histogram_and_fields(through, rows):
    node, single, _ = through
    rnd = random.Random(9)
    for row in rnd.sample(rows, 12):
        status, body = same("/api/v1/context", node, single, index="logs", id=str(row[0]), before="7", after="7")
        assert status == 200 and len(body["before"]) + len(body["after"]) > 0
        same("/api/v1/context", node, single, index="logs", id=str(row[0]), before="5", after="5", same="host,levelname", hl_q="block")
    for name in ("levelname", "host", "status", "logger"):
        status, body = same("/api/v1/values", node, single, index="logs", name=name)
        assert status == 200 and body["values"]
        same("/api/v1/values", node, single, index="logs", name=name, q="block", field="levelname:INFO")
    status, body = same("/api/v1/histogram", node, single, index="logs")
    assert status == 200 and sum(b["count"] for b in body["buckets"]) == len(rows)
    same("/api/v1/histogram", node, single, index="logs", q="sshd", buckets="30")
    status, body = get(node, "/api/v1/fields", index="logs")
    assert status == 200
    names = {f["name"] for f in body["fields"]}
    single_names = {f["name"] for f in get(single, "/api/v1/fields", index="logs")[1]["fields"]}
    assert {"host", "levelname", "status", "request_id"} <= names <= single_names


def test_alcos_grep_api_through_the_front(through, rows):
    node, single, _ = through
    start = "2000-01-01 00:00:00"
    for search in ("", "block", "invalid user", "session opened"):
        status, body = same("/api/grep/logs/", node, single, search=search, start_ts=start, page_size="25")
        assert status == 200
        if search:
            assert all("<b>" in r["logline_snippet"] for r in body["results"])
        if body["next"]:
            path, query = body["next"].split("?", 1)
            same(path, node, single, **dict(urllib.parse.parse_qsl(query)))
    same("/api/grep/logs/", node, single, start_ts=start, levelname__in="ERROR,DEBUG", columns="host,levelname", page_size="50")


def test_errors_through_the_front(through):
    node, single, front = through
    status, body = get(node, "/api/v1/search", index="logs", q="(")
    assert status == 400 and body["error"] == "bad_query", body
    status, body = get(node, "/api/v1/search", index="logs", q="[", mode="regex")
    assert status == 400, body
    status, body = get(node, "/api/v1/search", index="nosuchindex", q="x")
    assert status == 404, body
    # A front that is not there is a 502 naming it, not a hang or an empty page.
    dead = AlcoServer(extra_args=("--search-through", "sphinxql://127.0.0.1:%d" % free_port()))
    try:
        status, body = get(dead, "/api/v1/search", index="logs", q="x")
        assert status == 502 and body["error"] == "front_unavailable", body
        assert get(dead, "/health")[0] == 200
    finally:
        dead.stop()


def read_events(resp, want, timeout=60):
    """SSE events (id, data as JSON) until `want(events)` holds or the time is up."""
    import time
    events, current = [], {}
    deadline = time.time() + timeout
    while time.time() < deadline and not want(events):
        line = resp.fp.readline()
        if not line:
            break
        line = line.decode().rstrip("\n")
        if line == "":
            if "data" in current and current.get("event", "message") == "message":
                events.append((current.get("id"), json.loads(current["data"])))
            elif current.get("event") in ("error", "gap"):
                events.append((current["event"], json.loads(current["data"])))
            current = {}
        elif not line.startswith(":") and ":" in line:
            k, v = line.split(":", 1)
            current[k] = v[1:] if v.startswith(" ") else v
    return events


AMQP_URL = "amqp://guest:guest@127.0.0.1:5672"


@pytest.fixture(scope="module")
def broker_cluster():
    """Three nodes consuming one queue as competing consumers behind a real front; node 0
    answers HTTP through the front (`--search-through`) and is itself a member."""
    import uuid
    from servers import SphinxServer
    queue = "tail-" + uuid.uuid4().hex[:8]
    front_port = free_port()
    create = ["index", "create", "logs", "--queue", queue, "--routing-keys", "logstash.#", "--durable"]
    members, front = [], None
    try:
        for k in range(3):
            extra = ["--amqp", AMQP_URL, "--node", str(k)]
            if k == 0:
                extra += ["--search-through", "sphinxql://127.0.0.1:%d" % front_port]
            members.append(AlcoServer(indexes=(), prepare=[create], extra_args=extra))
        front = SphinxServer(indexes=(), agents={"logs": ["127.0.0.1:%d:logs" % m.api_port for m in members]}, port=front_port)
        yield members, front
    finally:
        if front:
            front.stop()
        for m in members:
            m.stop()
        try:
            import amqp
            conn = amqp.Connection(host="127.0.0.1:5672", userid="guest", password="guest")
            conn.channel().queue_delete(queue)
            conn.close()
        except Exception:
            pass


def publish(marker, count):
    import os, subprocess, sys
    here = os.path.dirname(__file__)
    subprocess.run([sys.executable, os.path.join(here, "publish_logcollect.py"), marker, str(count)], check=True, timeout=300)


def stored(front, marker):
    import pymysql
    c = pymysql.connect(host="127.0.0.1", port=front.port, user="t", autocommit=True)
    cur = c.cursor()
    cur.execute("SELECT COUNT(*) FROM logs WHERE MATCH('%s')" % marker)
    n = cur.fetchall()[0][0]
    c.close()
    return n


def wait_stored(front, marker, n):
    import time
    deadline = time.time() + 60
    while stored(front, marker) < n and time.time() < deadline:
        time.sleep(0.2)
    assert stored(front, marker) == n


def test_live_tail_follows_rabbitmq_across_the_cluster(broker_cluster):
    """Node 0's tail shows what is already stored (through the front), then every matching
    line as logcollect publishes it, once, whichever node stores it; the rest is filtered out."""
    import time, uuid
    members, front = broker_cluster
    old = "old" + uuid.uuid4().hex[:6]
    publish(old, 30)
    wait_stored(front, old, 30)
    # The backlog comes through the front: the newest 5 of the 30, oldest first.
    c = http.client.HTTPConnection("127.0.0.1", members[0].http_port, timeout=60)
    c.request("GET", "/api/v1/tail?" + urllib.parse.urlencode({"index": "logs", "q": old, "backlog": "5"}))
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Content-Type").startswith("text/event-stream")
    got = read_events(r, lambda e: len(e) >= 5, timeout=30)
    assert [int(e[1]["logline"].split("n=")[1].split()[0]) for e in got[:5]] == [25, 26, 27, 28, 29]
    c.close()
    # Following: only lines of the new marker, each once, as they are published.
    new, other = "new" + uuid.uuid4().hex[:6], "other" + uuid.uuid4().hex[:6]
    c = http.client.HTTPConnection("127.0.0.1", members[0].http_port, timeout=60)
    c.request("GET", "/api/v1/tail?" + urllib.parse.urlencode({"index": "logs", "q": new}))
    r = c.getresponse()
    assert r.status == 200
    time.sleep(0.5)
    publish(other, 20)
    publish(new, 200)
    got = read_events(r, lambda e: len(e) >= 200, timeout=90)
    c.close()
    numbers = sorted(int(e[1]["logline"].split("n=")[1].split()[0]) for e in got if e[0] not in ("error", "gap"))
    assert numbers == list(range(200)), got[:3]
    assert all(new in e[1]["logline"] for e in got)
    # The ids the tail showed are the stored ones: context around one works through the front.
    wait_stored(front, new, 200)
    anchor = got[100][0]
    status, body = get(members[0], "/api/v1/context", index="logs", id=anchor, before="3", after="3")
    assert status == 200 and body["anchor"]["id"] == anchor, body
    # A node without a broker says why its tail cannot follow the cluster.
    lone = AlcoServer(extra_args=("--search-through", "sphinxql://127.0.0.1:%d" % front.port))
    try:
        status, body = get(lone, "/api/v1/tail", index="logs")
        assert status == 502 and "--amqp" in body["detail"], body
    finally:
        lone.stop()

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

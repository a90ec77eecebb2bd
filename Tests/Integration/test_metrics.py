"""/metrics read as Prometheus reads it: every family parsed by the prometheus-client
package's text parser, the latency histograms moving with the work done, their buckets
cumulative; and the statement log (--log-level debug, --slow-query-ms)."""
import http.client
import json
import re
import time
import urllib.request

import pymysql
import pytest
from prometheus_client.parser import text_string_to_metric_families

from servers import AlcoServer


@pytest.fixture(scope="module")
def server():
    s = AlcoServer(indexes=("app",), extra_args=("--log-level", "debug", "--slow-query-ms", "1"))
    yield s
    s.stop()


def scrape(server):
    """{family name: family}, as the parser gives them (histograms named without _bucket)."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % server.http_port, timeout=30) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return families, text


def sample(families, family, suffix, **labels):
    """The value of `family`'s sample `family+suffix` whose labels include `labels` (0 if none)."""
    f = families.get(family)
    if f is None:
        return 0
    for s in f.samples:
        if s.name == family + suffix and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return 0


def test_families_parse_with_prometheus_names_units_and_help(server):
    families, text = scrape(server)
    for name, f in families.items():
        assert name.startswith("alco_"), name
        if f.type == "counter":
            # The parser strips `_total` from counter families; the exposed samples carry it.
            assert all(s.name.endswith(("_total", "_created")) for s in f.samples), name
        if f.type == "histogram":
            assert name.endswith("_seconds"), name
        assert f.documentation, "every family has its help line: %s" % name
    for name in ("alco_index_documents", "alco_index_segments", "alco_realtime_buffer_bytes", "alco_messages_stored"):
        assert name in families, sorted(families)
    assert "# TYPE alco_connections_open gauge" in text


def test_histograms_move_with_the_work_done(server):
    before, _ = scrape(server)
    c = pymysql.connect(host="127.0.0.1", port=server.port, user="t", autocommit=True)
    cur = c.cursor()
    during, _ = scrape(server)
    assert sample(during, "alco_connections_open", "", protocol="sphinxql") >= 1
    # Ids carry their time (µs x 1000): lines of now, which no retention pass drops.
    now_id = int(time.time() * 1e6) * 1000
    for k in range(3):
        cur.execute("INSERT INTO app (id, logline, js) VALUES (%d, 'metrics line %d', '{}')" % (now_id + k, k))
    for _ in range(4):
        cur.execute("SELECT id FROM app WHERE MATCH('metrics')")
        assert len(cur.fetchall()) == 3
    with pytest.raises(pymysql.err.ProgrammingError):
        cur.execute("SELEKT nonsense")
    cur.execute("FLUSH RTINDEX app")
    c.close()
    body = "".join(json.dumps({"@timestamp": "2026-12-03T10:00:%02dZ" % k, "message": "over http %d" % k}) + "\n" for k in range(5))
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    conn.request("POST", "/api/v1/ingest/app", body=body)
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["stored"] == 5
    for _ in range(2):
        conn.request("GET", "/api/v1/search?index=app&q=metrics&since=1h")
        r = conn.getresponse()
        r.read()
        assert r.status == 200
    conn.request("GET", "/api/v1/indexes/nosuch")
    r = conn.getresponse()
    r.read()
    assert r.status == 404
    conn.request("GET", "/no/such/path/" + "x" * 50)
    r = conn.getresponse()
    r.read()
    conn.close()
    after, text = scrape(server)

    def moved(family, at_least, **labels):
        delta = sample(after, family, "_count", **labels) - sample(before, family, "_count", **labels)
        assert delta >= at_least, (family, labels, delta)

    moved("alco_sphinxql_statement_duration_seconds", 4, kind="select")
    moved("alco_sphinxql_statement_duration_seconds", 3, kind="insert")
    moved("alco_sphinxql_statement_duration_seconds", 1, kind="invalid")
    moved("alco_sphinxql_statement_duration_seconds", 1, kind="flush")
    assert sample(after, "alco_sphinxql_statement_errors", "_total", kind="invalid") >= 1
    moved("alco_http_request_duration_seconds", 2, route="/api/v1/search", method="GET", status="200")
    moved("alco_http_request_duration_seconds", 1, route="/api/v1/indexes/{name}", method="GET", status="404")
    moved("alco_ingest_batch_duration_seconds", 1, index="app", source="http")
    moved("alco_wal_fsync_duration_seconds", 4, index="app")
    moved("alco_seal_duration_seconds", 1, index="app")
    moved("alco_flush_duration_seconds", 1, index="app")
    # Paths a client makes up are one label value, never a label each.
    assert "/no/such/path" not in text
    # Each histogram's buckets are cumulative and end at +Inf with the count.
    for f in after.values():
        if f.type != "histogram":
            continue
        series = {}
        for s in f.samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            series.setdefault(key, {"buckets": [], "count": None, "sum": None})
            if s.name.endswith("_bucket"):
                series[key]["buckets"].append((float(s.labels["le"]), s.value))
            elif s.name.endswith("_count"):
                series[key]["count"] = s.value
            elif s.name.endswith("_sum"):
                series[key]["sum"] = s.value
        for key, h in series.items():
            counts = [v for _, v in sorted(h["buckets"])]
            assert counts == sorted(counts), (f.name, key)
            assert sorted(h["buckets"])[-1] == (float("inf"), h["count"]), (f.name, key)
            assert h["sum"] >= 0


def test_statements_are_logged_with_their_connection_number_and_duration(server):
    c = pymysql.connect(host="127.0.0.1", port=server.port, user="someone", autocommit=True)
    cur = c.cursor()
    cur.execute("SELECT COUNT(*) FROM app WHERE MATCH('logged')")
    # Big enough to take more than the 1 ms threshold: about half a megabyte parsed and stored.
    now_id = int(time.time() * 1e6) * 1000 + 10_000_000
    rows = ",".join("(%d, 'slow insert row %d %s', '{}')" % (now_id + k * 1000, k, "y" * 80) for k in range(5000))
    cur.execute("INSERT INTO app (id, logline, js) VALUES " + rows)
    c.close()
    server.log.flush()
    with open(server.log.name, errors="replace") as f:
        log = f.read()
    # At debug level every statement is logged (as "slow statement" if it took over 1 ms).
    statement = [l for l in log.splitlines() if re.match(r"alco: (slow )?statement ", l) and "MATCH('logged')" in l]
    assert statement, log[-3000:]
    line = statement[-1]
    assert re.search(r" connection=\d+", line) and " user=someone" in line and " kind=select" in line
    assert re.search(r" statement=\d+", line) and re.search(r" duration_ms=[0-9.]+", line)
    slow = [l for l in log.splitlines() if l.startswith("alco: slow statement ") and "slow insert row" in l]
    assert slow, log[-3000:]
    # The text is cut to a bounded excerpt, its full size said.
    assert "bytes)" in slow[-1] and len(slow[-1]) < 2000
    assert " kind=insert" in slow[-1]


def test_requests_are_logged_at_debug_with_their_id(server):
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/indexes/app" % server.http_port, timeout=30) as r:
        assert r.status == 200
    server.log.flush()
    with open(server.log.name, errors="replace") as f:
        lines = [l for l in f.read().splitlines() if l.startswith("alco: request ") and "route=/api/v1/indexes/{name}" in l]
    assert lines, "no request line"
    line = lines[-1]
    assert re.search(r" request_id=\S+", line) and " request_id=-" not in line
    assert " method=GET" in line and " status=200" in line and re.search(r" duration_ms=[0-9.]+", line)

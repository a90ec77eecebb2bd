"""HTTP ingestion with curl: JSON lines (plain and gzip) and the Elasticsearch bulk format."""
import gzip
import json
import os
import subprocess
import uuid

import pymysql
import pytest

from servers import ROOT, AlcoServer


@pytest.fixture(scope="module")
def server():
    s = AlcoServer(indexes=("app",))
    yield s
    s.stop()


def curl(server, path, data, *headers):
    args = ["curl", "-sS", "-X", "POST", "--data-binary", "@-", "http://127.0.0.1:%d%s" % (server.http_port, path),
            "-w", "\n%{http_code}"]
    for h in headers:
        args += ["-H", h]
    r = subprocess.run(args, input=data, capture_output=True, timeout=60, check=True)
    body, _, status = r.stdout.rpartition(b"\n")
    return int(status), json.loads(body)


def count(server, word):
    c = pymysql.connect(host="127.0.0.1", port=server.port, user="t", autocommit=True)
    cur = c.cursor()
    cur.execute("SELECT COUNT(*) FROM app WHERE MATCH('@logline %s')" % word)
    n = cur.fetchone()[0]
    c.close()
    return n


def test_json_lines_plain_and_gzip(server):
    marker = "h" + uuid.uuid4().hex[:10]
    lines = "".join(json.dumps({"@timestamp": "2026-11-25T21:%02d:00Z" % k, "message": "line %d %s" % (k, marker),
                                "levelname": "INFO"}) + "\n" for k in range(50))
    status, body = curl(server, "/api/v1/ingest/app", lines.encode())
    assert status == 200 and body["stored"] == 50 and body["rejected"] == 0
    status, body = curl(server, "/api/v1/ingest/app", gzip.compress((lines + "oops\n").encode()), "Content-Encoding: gzip")
    assert status == 200 and body["stored"] == 50 and body["rejected"] == 1
    assert body["errors"][0]["line"] == 51 and body["errors"][0]["reason"] == "malformed_json"
    assert count(server, marker) == 100, "searchable as soon as the response came"


def test_elasticsearch_bulk_fixture(server):
    with open(os.path.join(ROOT, "Fixtures", "bulk-filebeat.ndjson"), "rb") as f:
        status, body = curl(server, "/_bulk", f.read(), "Content-Type: application/x-ndjson")
    assert status == 200 and body["errors"] is True
    assert [list(i.values())[0]["status"] for i in body["items"]] == [201, 201, 200, 400, 400, 404, 400]
    assert count(server, "upstream") == 1


def test_errors_are_json_with_status(server):
    status, body = curl(server, "/api/v1/ingest/nosuch", b"{}")
    assert status == 404 and body["error"] == "not_found"
    status, body = curl(server, "/api/v1/ingest/app", b"\x1f\x8b\x08garbage", "Content-Encoding: gzip")
    assert status == 400 and body["error"] == "bad_request"


def test_metrics_and_health(server):
    out = subprocess.run(["curl", "-sS", "http://127.0.0.1:%d/metrics" % server.http_port], capture_output=True, text=True,
                         check=True).stdout
    assert 'alco_index_documents{index="app"}' in out
    assert 'alco_messages_stored_total{index="app",source="http"}' in out
    health = json.loads(subprocess.run(["curl", "-sS", "http://127.0.0.1:%d/health" % server.http_port],
                                       capture_output=True, check=True).stdout)
    assert health["status"] == "ok"

"""A robustness pass over the HTTP API's parameters, driven by the OpenAPI document the server
serves: every documented GET endpoint gets a few thousand requests with hostile parameter
values (empty, huge, negative, malformed queries and regexes, odd Unicode, NUL, very long),
and must answer each with a status below 500 and JSON errors, and stay up."""
import http.client
import json
import random
import urllib.parse

import pytest

from servers import AlcoServer

NASTY = ["", "0", "-1", "1", "18446744073709551615", "18446744073709551616", "99999999999999999999999", "1e309", "NaN",
         "abc", '"unclosed', "(", ")", "a | ", "-", "*", "**", "@", "@(", "@nofield word", '"a b"~', '"a b"/0', "[", "(?<", "a{99999}",
         "\u0000", "%", "%zz", "\ud7ff\ue000", "ошибка", "🚀" * 50, "x" * 10000, " ", "'; DROP TABLE logs; --",
         "<script>alert(1)</script>", "2026-13-45T99:99", "15m", "-3d", "100000w", "1970-01-01", "9999-12-31T23:59:59",
         "asc", "desc", "ndjson", "json", "xml", "true", "false", "host:web01", ":", "host:", ":v", "-host:a", "a,b,,c"]


@pytest.fixture(scope="module")
def server():
    s = AlcoServer(indexes=("fz",))
    body = "".join(json.dumps({"@timestamp": "2026-11-25T10:00:%02d.000000Z" % i, "message": "line %d timeout" % i,
                               "host": "web%02d" % (i % 3)}) + "\n" for i in range(50))
    c = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=30)
    c.request("POST", "/api/v1/ingest/fz", body=body.encode())
    assert c.getresponse().status == 200
    yield s
    s.stop()


def spec(server):
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    c.request("GET", "/api/v1/openapi.json")
    return json.loads(c.getresponse().read())


def parameters(doc, item):
    out = []
    for p in item.get("parameters", []):
        if "$ref" in p:
            p = doc["components"]["parameters"][p["$ref"].split("/")[-1]]
        out.append(p)
    return out


def test_no_parameter_makes_a_500(server):
    doc = spec(server)
    rnd = random.Random(5)
    targets = []
    for path, item in doc["paths"].items():
        if "get" not in item or path in ("/api/v1/tail", "/metrics", "/api/v1/openapi.json"):
            continue  # the tail never ends; the others take no parameters
        params = parameters(doc, item) + parameters(doc, item["get"])
        targets.append((path, params))
    assert len(targets) >= 8
    checked = 0
    last_url = []
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    for _ in range(2500):
        path, params = rnd.choice(targets)
        query, url_path = [], path
        for p in params:
            if p["in"] == "path":
                url_path = url_path.replace("{%s}" % p["name"], urllib.parse.quote(rnd.choice(["fz", "nope", "a b", "..", "x" * 200]), safe=""))
            elif p["in"] == "query" and (p.get("required") or rnd.random() < 0.5):
                value = "fz" if p["name"] == "index" and rnd.random() < 0.8 else rnd.choice(NASTY)
                query.append((p["name"], value))
        url = url_path + ("?" + urllib.parse.urlencode(query) if query else "")
        last_url.append(url)
        try:
            conn.request("GET", url)
            r = conn.getresponse()
            body = r.read()
        except (http.client.HTTPException, ConnectionError):
            # The server may close a kept-alive connection; a fresh one must get an answer.
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
            try:
                conn.request("GET", url)
            except ConnectionError:
                raise AssertionError("the server died after %r" % last_url[-2:])
            r = conn.getresponse()
            body = r.read()
        assert r.status < 500, (url, r.status, body[:300])
        if r.status >= 400 and body.strip():  # a route that matched nothing answers an empty 404
            err = json.loads(body)
            assert err["error"] and err["detail"], url
        checked += 1
    assert checked > 2000
    assert server.alive()

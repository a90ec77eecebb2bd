"""Generators of hostile input, by class (see test_hostile.py): each yields (name, input)
members over depths, magnitudes and sizes, so a class is tested by many members, not by the
one example that was found first."""

DEPTHS = [1, 50, 189, 190, 191, 256, 257, 1000, 30000]
MAGNITUDES = ["0", "1", "-1", "1000", "1001", "2147483647", "2147483648", "4294967296",
              "9223372036854775807", "9223372036854775808", "18446744073709551615",
              "18446744073709551616", "9" * 300, "1e308", "-9223372036854775808", "abc", ""]


def nested(depth, inner, open_="(", close=")"):
    return open_ * depth + inner + close * depth


def sphinxql_recursion(index):
    """Statements whose parse or evaluation would recurse as deep as the input nests."""
    for d in DEPTHS:
        yield "where parens %d" % d, "SELECT id FROM %s WHERE %s LIMIT 1" % (index, nested(d, "id > 0"))
        yield "select parens %d" % d, "SELECT %s AS x FROM %s LIMIT 1" % (nested(d, "1"), index)
        yield "match parens %d" % d, "SELECT id FROM %s WHERE MATCH('%s') LIMIT 1" % (index, nested(d, "alpha"))
        yield "match negations %d" % d, "SELECT id FROM %s WHERE MATCH('beta %salpha') LIMIT 1" % (index, "-" * d)
        yield "not chain %d" % d, "SELECT id FROM %s WHERE %sid = 1 LIMIT 1" % (index, "NOT " * d)
        yield "function nesting %d" % d, "SELECT %s AS x FROM %s LIMIT 1" % (nested(d, "1", "abs(", ")"), index)
        yield "plus chain %d" % d, "SELECT 1%s AS x FROM %s LIMIT 1" % ("+1" * d, index)
        yield "snippet query %d" % d, "SELECT SNIPPET(logline, '%s') AS s FROM %s LIMIT 1" % (nested(d, "alpha"), index)
        yield "like %d" % d, "SHOW TABLES LIKE '%s'" % ("%" * d + "x")
    yield "alias self", "SELECT x AS x FROM %s LIMIT 1" % index
    yield "alias mutual", "SELECT y AS x, x AS y FROM %s WHERE x = 1 LIMIT 1" % index
    yield "alias chain 5000", "SELECT id AS a0, %s FROM %s LIMIT 1" % (
        ", ".join("a%d + 1 AS a%d" % (k - 1, k) for k in range(1, 5000)), index)
    yield "alias doubling", "SELECT id AS a0, %s FROM %s WHERE a63 > 0 LIMIT 1" % (
        ", ".join("a%d + a%d AS a%d" % (k - 1, k - 1, k) for k in range(1, 64)), index)
    yield "or chain 100000", "SELECT id FROM %s WHERE %s LIMIT 1" % (index, " OR ".join("id = %d" % k for k in range(100000)))
    yield "in list 300000", "SELECT id FROM %s WHERE id IN (%s) LIMIT 1" % (index, ",".join(str(k) for k in range(300000)))
    yield "js path 10000", "SELECT js.%s AS x FROM %s LIMIT 1" % (".".join("k%d" % k for k in range(10000)), index)


def sphinxql_numbers(index):
    """Every number a client sends, at every magnitude."""
    for n in MAGNITUDES:
        for template in ["SELECT * FROM {i} LIMIT {n}", "SELECT * FROM {i} LIMIT {n}, 10", "SELECT * FROM {i} LIMIT 1, {n}",
                         "SELECT * FROM {i} LIMIT 5 OPTION max_matches={n}", "SELECT * FROM {i} LIMIT 5 OPTION max_query_time={n}",
                         "SELECT * FROM {i} WHERE id > {n} LIMIT 3", "SELECT * FROM {i} WHERE id BETWEEN {n} AND 5",
                         "SELECT * FROM {i} WHERE js.n > {n} LIMIT 3", "DELETE FROM {i} WHERE id = {n}",
                         "SELECT SNIPPET(logline, 'alpha', 'limit={n}, around={n}') AS s FROM {i} LIMIT 2",
                         "CALL SNIPPETS('aa bb cc', '{i}', 'bb', {n} AS around, {n} AS limit)",
                         "CALL SNIPPETS('aa bb cc', '{i}', 'bb', -{n} AS around, 1 AS limit)",
                         "SELECT id FROM {i} WHERE MATCH('\"alpha beta\"~{n}') LIMIT 1",
                         "SELECT id FROM {i} WHERE MATCH('\"alpha beta gamma\"/{n}') LIMIT 1"]:
            yield template.replace("{n}", n).replace("{i}", index)


def http_parameters(index):
    """(route, query parameters) for the HTTP API with numbers, ranges and ids at every magnitude."""
    for n in MAGNITUDES:
        for route, params in [
                ("/api/v1/search", {"limit": n}), ("/api/v1/search", {"after": n}), ("/api/v1/search", {"before": n}),
                ("/api/v1/search", {"after": n, "before": "1"}), ("/api/v1/search", {"after": "5", "before": n}),
                ("/api/v1/search", {"since": n, "until": "1"}), ("/api/v1/search", {"since": n + "d"}),
                ("/api/v1/search", {"until": n + "h"}), ("/api/v1/search", {"format": "ndjson", "limit": n}),
                ("/api/v1/search", {"count": "true", "since": n}), ("/api/v1/histogram", {"buckets": n}),
                ("/api/v1/histogram", {"since": n}), ("/api/v1/context", {"id": n, "before": n, "after": n}),
                ("/api/v1/values", {"name": "host", "since": n}), ("/api/grep/%s/" % index, {"page_size": n}),
                ("/api/grep/%s/" % index, {"cursor": "a" + n}), ("/api/grep/%s/" % index, {"cursor": "b" + n})]:
            if not route.startswith("/api/grep"):
                params = dict(params, index=index)
            yield route, params
    for d in [10, 256, 257, 30000]:
        yield "/api/v1/search", {"index": index, "q": "(" * d + "alpha" + ")" * d}
        yield "/api/v1/search", {"index": index, "q": "-" * d + "alpha"}
        yield "/api/v1/search", {"index": index, "q": "alpha", "hl_q": "(" * d + "alpha" + ")" * d}


REGEXES = ["(|)(\\1\\1)*", "(a*)*b", "(a+)+$", "(x+x+)+y", "((a*)*)*c", "(.*a){20}", "(a|a|a|a)*b", "a{1000}{1000}",
           "((((a{100}){100}){100}){100})", "[", "(", "a**", "\\", "x" * 20000, "(?P<n>a)", "\\d+\\s*\\w+", "^$", ""]


def ingest_lines():
    """JSON lines and text lines of the shapes real logs have, as (name, body bytes)."""
    yield "megabyte line", b'{"@timestamp": "2026-11-25T10:00:00.000000Z", "message": "' + b"x" * (2 << 20) + b'"}\n'
    yield "text megabyte line", b"y" * (3 << 20) + b"\n"
    yield "separators only", b"!!!! ---- .... ,,,, \t\t ;;;; ||||\n" * 100
    yield "invalid utf-8 json", b'{"@timestamp": "2026-11-25T10:00:00.000000Z", "message": "bad \xff\xfe bytes"}\n'
    yield "invalid utf-8 text", b"bad \xc3\x28 bytes in text\n"
    yield "nul bytes", b'{"@timestamp": "2026-11-25T10:00:00.000000Z", "message": "nul \\u0000 escaped", "k": "a\\u0000b"}\n'
    yield "year 9999", b'{"@timestamp": "9999-12-31T23:59:59.000000Z", "message": "far future"}\n'
    yield "year 2555", b'{"@timestamp": "2555-01-01T00:00:00.000000Z", "message": "past ids"}\n'
    yield "epoch huge", b'{"@timestamp": 1e300, "message": "huge epoch"}\n'
    yield "deep json", b'{"@timestamp": "2026-11-25T10:00:00.000000Z", "message": "deep", "a": ' + b"[" * 100000 + b"]" * 100000 + b"}\n"
    yield "one timestamp", b"".join(b'{"@timestamp": "2026-11-25T10:00:00.000000Z", "message": "same second %d"}\n' % k
                                    for k in range(20000))
    yield "keys of one line", b"".join(b'{"@timestamp": "2026-11-25T10:00:00.%06dZ", "message": "m", %s}\n' % (
        k, b", ".join(b'"req_%d_%d": "v"' % (k, j) for j in range(20))) for k in range(2000))

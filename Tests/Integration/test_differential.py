"""The same corpus in real Sphinx 2.2.11 and in alco, the same SphinxQL to both over the
protocol, rows and counts compared. Documented differences (DESIGN.md, compat/README.md) are
excluded by rule, never by case:

- JSON key names are words in ALCO's Sphinx config (js was an rt_field) but not in alco, and
  Sphinx indexes the JSON text, numbers included: a MATCH not limited to @logline only uses
  words that occur in no js text at all.
- A query with no matches gets only an `id` column from Sphinx: with no rows, columns are
  not compared.
- Sphinx re-serialises stored JSON (floats with 6 decimals): js is compared as parsed JSON
  with numbers rounded to 6 decimals; js.key columns as numbers when both parse as numbers.
- Groups come in an unspecified order unless ORDER BY says otherwise: compared sorted.
"""
import contextlib
import datetime
import json
import os
import random
import re

import pymysql
import pytest

from servers import AlcoServer, SphinxServer, load

WORD = re.compile(r"[0-9a-z_\-.\u0430-\u044f\u0451]+")


def words(text):
    return WORD.findall(text.lower())


def query_words(text):
    """Words usable bare in a query: a leading '-' would read as NOT."""
    return [w for w in words(text) if not w.startswith("-")]


@contextlib.contextmanager
def loaded_pair(rows):
    """alco and Sphinx, each holding `rows` in `logs`: their connections."""
    alco = AlcoServer(indexes=("logs",))
    sphinx = SphinxServer(indexes=("logs",))
    try:
        conns = []
        for port in (alco.port, sphinx.port):
            c = pymysql.connect(host="127.0.0.1", port=port, user="diff", autocommit=True)
            load(c, "logs", rows)
            conns.append(c)
        yield conns
    finally:
        alco.stop()
        sphinx.stop()


@pytest.fixture(scope="module")
def pair(rows):
    with loaded_pair(rows) as conns:
        yield conns


def run(conn, sql):
    cur = conn.cursor()
    cur.execute(sql)
    return [d[0].lower() for d in cur.description or []], [list(r) for r in cur.fetchall()]


def normalise(value):
    if isinstance(value, (bytes, bytearray)):
        value = value.decode()
    if isinstance(value, str):
        try:
            number = float(value)
            return round(number, 6)
        except ValueError:
            pass
        if value.startswith("{"):
            try:
                return json.dumps(json.loads(value, parse_float=lambda f: round(float(f), 6)), sort_keys=True)
            except ValueError:
                pass
    if isinstance(value, float):
        return round(value, 6)
    return value


def mismatch(sql, mine, theirs, names=("alco", "sphinx")):
    """How two answers (columns, rows) to `sql` differ by the rules above, or None: rows as
    normalised values (groups sorted), columns only when there are rows."""
    (m_cols, m_rows), (t_cols, t_rows) = mine, theirs
    a = [[normalise(v) for v in r] for r in m_rows]
    b = [[normalise(v) for v in r] for r in t_rows]
    if "GROUP BY" in sql:
        a, b = sorted(map(str, a)), sorted(map(str, b))
    if a != b:
        return "%s\n  %-6s %s\n  %-6s %s" % (sql, names[0], str(a)[:300], names[1], str(b)[:300])
    if t_rows and m_cols != t_cols:
        return "%s\n  columns %s %s %s %s" % (sql, names[0], m_cols, names[1], t_cols)
    return None


def queries(rows, seed=11, n=120):
    """SphinxQL of the shapes ALCO and its users send, built from the corpus's own words."""
    rnd = random.Random(seed)
    js_words = set()
    for _, _, js in rows:
        js_words.update(words(js))
    lines = [query_words(l) for _, l, _ in rows]
    vocab = sorted({w for ws in lines for w in ws})
    frequent = sorted({w for ws in lines[:300] for w in ws})
    free = [w for w in vocab if w not in js_words]
    ids = sorted(r[0] for r in rows)
    out = []
    for k in range(n):
        shape = k % 12
        line = lines[rnd.randrange(len(lines))] or ["block"]
        w1, w2 = rnd.choice(frequent), rnd.choice(vocab)
        order = rnd.choice(["ASC", "DESC"])
        if shape == 0:
            out.append("SELECT id FROM logs WHERE MATCH('@logline %s') ORDER BY id %s LIMIT 20" % (w1, order))
        elif shape == 1:
            out.append("SELECT id, logline FROM logs WHERE MATCH('@logline %s %s') ORDER BY id %s LIMIT 50" % (w1, w2, order))
        elif shape == 2 and len(line) >= 2:
            i = rnd.randrange(len(line) - 1)
            out.append("SELECT id FROM logs WHERE MATCH('@logline \"%s %s\"') ORDER BY id ASC LIMIT 100" % (line[i], line[i + 1]))
        elif shape == 3:
            out.append("SELECT id FROM logs WHERE MATCH('@logline (%s | %s)') ORDER BY id DESC LIMIT 30" % (w1, w2))
        elif shape == 4:
            out.append("SELECT id FROM logs WHERE MATCH('@logline %s -%s') ORDER BY id ASC LIMIT 30" % (w1, rnd.choice(frequent)))
        elif shape == 5 and len(line) >= 3:
            out.append("SELECT id FROM logs WHERE MATCH('@logline \"%s %s\"~4') ORDER BY id ASC LIMIT 40" % (line[0], line[2]))
        elif shape == 6:
            out.append("SELECT id, logline, js FROM logs WHERE MATCH('%s') ORDER BY id %s LIMIT 10" % (rnd.choice(free), order))
        elif shape == 7:
            out.append("SELECT COUNT(*) FROM logs WHERE MATCH('@logline %s')" % w1)
        elif shape == 8:
            level = rnd.choice(["ERROR", "WARNING", "INFO", "DEBUG", "CRITICAL"])
            out.append("SELECT id, js.levelname, js.status FROM logs WHERE MATCH('@logline %s') AND js.levelname = '%s' "
                       "ORDER BY id ASC LIMIT 100" % (w1, level))
        elif shape == 9:
            a, b = sorted(rnd.sample(ids, 2))
            out.append("SELECT id FROM logs WHERE id BETWEEN %d AND %d ORDER BY id DESC LIMIT 25" % (a, b))
        elif shape == 10:
            out.append("SELECT (IN(js.levelname, 'ERROR', 'WARNING')) AS `__lv`, id, js.host, "
                       "(id >= %d AND (__lv = 1)) AS `__where_result` FROM `logs` WHERE (MATCH('@logline (\"%s\")') "
                       "AND (__where_result = 1)) ORDER BY id ASC LIMIT 20 OPTION max_matches=21"
                       % (ids[rnd.randrange(len(ids) // 2)], w1))
        elif shape == 11:
            off = rnd.randrange(0, 200)
            out.append("SELECT id FROM logs ORDER BY id ASC LIMIT %d, 50 OPTION max_matches=1000" % off)
    out += [
        "SELECT js.levelname AS l, COUNT(*) AS n FROM logs GROUP BY l",
        "SELECT js.status AS s, COUNT(*) AS n FROM logs WHERE MATCH('@logline block') GROUP BY s",
        "SELECT COUNT(*) FROM logs",
        "SELECT id FROM logs WHERE js.status = 500 ORDER BY id ASC LIMIT 1000 OPTION max_matches=1000",
        "SELECT id FROM logs WHERE js.process > 60000 ORDER BY id ASC LIMIT 1000 OPTION max_matches=1000",
    ]
    return out


def test_rows_and_counts_match_sphinx(pair, rows):
    alco, sphinx = pair
    compared, mismatches = 0, []
    for sql in queries(rows):
        try:
            s_cols, s_rows = run(sphinx, sql)
        except pymysql.MySQLError as e:
            with pytest.raises(pymysql.MySQLError) as mine:
                run(alco, sql)
            assert mine.value.args[0] == e.args[0], sql
            continue
        differs = mismatch(sql, run(alco, sql), (s_cols, s_rows))
        if differs:
            mismatches.append(differs)
        compared += 1
    assert compared >= 100
    assert not mismatches, "%d of %d differ:\n%s" % (len(mismatches), compared, "\n".join(mismatches[:10]))


def spelled(rnd, text):
    """The text with its letters in random case and its commas spaced at random, as people
    type SphinxQL: Sphinx names a column by what was written."""
    out = "".join(c.upper() if rnd.random() < 0.3 else c for c in text)
    return out.replace(",", rnd.choice([",", ", ", " , ", ",  "]))


def expression_queries(rows, seed=23, n=60):
    """Select lists of every expression kind alco evaluates (functions with string, number and
    option arguments, IN(), comparisons, AND/OR/NOT, js paths, WEIGHT(), constants), written
    in mixed case and spacing, some beside COUNT(*)."""
    rnd = random.Random(seed)
    lines = [query_words(l) for _, l, _ in rows[:300]]
    frequent = sorted({w for ws in lines for w in ws if len(w) > 3})
    ids = sorted(r[0] for r in rows)
    out = []
    for k in range(n):
        word = rnd.choice(frequent)
        pivot = ids[rnd.randrange(len(ids))]
        pool = [
            "snippet(logline, '%s')" % word,
            "snippet(logline,'%s','limit=1000000')" % word,
            "in(js.levelname,'ERROR','WARNING')",
            "in(id,%d,%d)" % (pivot, ids[0]),
            "id>=%d" % pivot,
            "id <= %d and id > %d" % (pivot, ids[0]),
            "id<%d or id>%d" % (ids[0], pivot),
            "not (id>%d)" % pivot,
            "js.levelname",
            "js.host",
            "js.process",
            "weight()",
            "7",
            "2.50",
        ]
        items = [spelled(rnd, e) for e in rnd.sample(pool, 3)]
        where = "MATCH('@logline %s')" % word
        if k % 3 == 2:
            # Beside an aggregate: the values of one match (Sphinx's implicit group).
            items = [e for e in items if "weight" not in e.lower() and "snippet" not in e.lower()] or ["id>=%d" % pivot]
            out.append("SELECT COUNT(*), %s FROM logs WHERE %s" % (", ".join(items), where))
        else:
            out.append("SELECT id, %s FROM logs WHERE %s ORDER BY id ASC LIMIT 5" % (", ".join(items), where))
    # Snippet words with separators around them (ALCO asks for SNIPPET(logline, '/10.1.2.3')
    # when the search is /10.1.2.3): highlighted as the query's words after tokenizing.
    for k in range(24):
        _, line, _ = rows[rnd.randrange(len(rows))]
        found = query_words(line)
        if not found:
            continue
        word = rnd.choice(found)
        text = rnd.choice(["/%s", "%s:", "(%s)", "[%s]", "\\\"%s\\\"", "=%s,", "%s | zzzz", "@logline %s", "%s*"]) % word
        out.append("SELECT id, SNIPPET(logline, '%s', 'limit=1000000') AS s FROM logs WHERE MATCH('@logline %s') "
                   "ORDER BY id ASC LIMIT 3" % (text, word))
    # ALCO's own count query, matching and not.
    for pivot in (ids[len(ids) // 2], ids[-1] + 1):
        out.append("SELECT COUNT(*) AS __count, id >= %d AS __where_result FROM logs WHERE (__where_result = 1)" % pivot)
    return out


def test_expression_columns_match_sphinx(pair, rows):
    """Column names exactly as Sphinx gives them (not lowercased here), and the values, but
    WEIGHT()'s (alco ranks by its own score, DESIGN.md)."""
    alco, sphinx = pair
    mismatches = []
    for sql in expression_queries(rows):
        answers = []
        for conn in (alco, sphinx):
            cur = conn.cursor()
            cur.execute(sql)
            names = [d[0] for d in cur.description]
            values = [[None if n == "weight()" else normalise(v) for n, v in zip(names, r)] for r in cur.fetchall()]
            answers.append((names, values))
        if answers[0] != answers[1]:
            mismatches.append("%s\n  alco   %s\n  sphinx %s" % (sql, str(answers[0])[:400], str(answers[1])[:400]))
    assert not mismatches, "%d differ:\n%s" % (len(mismatches), "\n".join(mismatches[:8]))


def test_show_meta_matches_sphinx(pair):
    alco, sphinx = pair
    for sql in ["SELECT id FROM logs WHERE MATCH('@logline block') LIMIT 5",
                "SELECT id FROM logs WHERE MATCH('@logline packetresponder terminating') LIMIT 5",
                "SELECT id FROM logs LIMIT 7",
                "SELECT id FROM logs WHERE MATCH('@logline block') LIMIT 2000 OPTION max_matches=50",
                "SELECT COUNT(*) FROM logs WHERE MATCH('@logline block')",
                "SELECT js.levelname AS l, COUNT(*) FROM logs GROUP BY l LIMIT 2"]:
        metas = []
        for conn in (alco, sphinx):
            run(conn, sql)
            metas.append(dict(run(conn, "SHOW META")[1]))
        a, s = metas
        assert sorted(a) == sorted(s), sql
        assert (a["total"], a["total_found"]) == (s["total"], s["total_found"]), sql
        for k in a:
            if k.startswith("keyword"):
                assert a[k] == s[k], (sql, k)


def test_errors_match_sphinx(pair):
    alco, sphinx = pair
    for sql in ["SELECT id FROM nosuch", "SELEKT 1", "SELECT id FROM logs LIMIT 9900, 100",
                "SELECT id FROM logs OPTION nosuchoption=1"]:
        codes = []
        for conn in (alco, sphinx):
            with pytest.raises(pymysql.MySQLError) as e:
                run(conn, sql)
            codes.append(e.value.args[0])
        assert codes[0] == codes[1], sql


def day_of(doc_id):
    return datetime.datetime.fromtimestamp(doc_id // 1000 / 1e6, datetime.timezone.utc).strftime("%Y%m%d")


@pytest.fixture(scope="module")
def day_pair(rows):
    """alco beside a Sphinx configured as ALCO configured it: day tables (rt) for the days the
    lines fall in, today and tomorrow, their _distr forms and `logs` over all of them."""
    spread = [(i + (k % 3) * 86_400_000_000_000, l, j) for k, (i, l, j) in enumerate(rows[:600])]
    now = datetime.datetime.now(datetime.timezone.utc)
    days = sorted({day_of(r[0]) for r in spread} | {now.strftime("%Y%m%d"), (now + datetime.timedelta(days=1)).strftime("%Y%m%d")})
    alco = AlcoServer(indexes=("logs",))
    sphinx = SphinxServer(indexes=("logs",), day_tables=days)
    try:
        a = pymysql.connect(host="127.0.0.1", port=alco.port, user="diff", autocommit=True)
        load(a, "logs", spread)
        s = pymysql.connect(host="127.0.0.1", port=sphinx.port, user="diff", autocommit=True)
        for day in days:
            load(s, "logs_" + day, [r for r in spread if day_of(r[0]) == day])
        yield a, s, days
    finally:
        alco.stop()
        sphinx.stop()


def answer(conn, sql):
    """(columns, rows) or the error code."""
    try:
        return run(conn, sql)
    except pymysql.MySQLError as e:
        return e.args[0]


def test_day_tables_match_sphinx_configured_as_alco(day_pair):
    alco, sphinx, days = day_pair
    tables, listing = run(sphinx, "SHOW TABLES")
    assert tables == ["index", "type"] and len(listing) == 1 + 2 * len(days)
    statements = ["SHOW TABLES"]
    statements += ["SHOW TABLES LIKE '%s'" % p for p in
                   ("logs_2026%", "%distr", "logs\\_%", "LOGS%", "logs_%s" % days[0], "%_" + days[-1][:6] + "__")]
    names = [r[0] for r in listing] + ["logs_19990101", "logs_19990101_distr", "nosuch"]
    for name in names:
        statements += ["DESCRIBE %s" % name, "DESC %s LIKE 'logs_%%'" % name, "DESCRIBE %s LIKE 'js'" % name]
    for sql in statements:
        a, s = answer(alco, sql), answer(sphinx, sql)
        assert a == s, "%s\n  alco   %s\n  sphinx %s" % (sql, a, s)
    # A day table's status answers for that day; a day no table names is refused by both.
    for day in days:
        a = dict(run(alco, "SHOW INDEX logs_%s STATUS" % day)[1])
        s = dict(run(sphinx, "SHOW INDEX logs_%s STATUS" % day)[1])
        assert (a["index_type"], a["indexed_documents"]) == (s["index_type"], s["indexed_documents"]), day
    assert answer(alco, "SHOW INDEX logs_19990101 STATUS") == answer(sphinx, "SHOW INDEX logs_19990101 STATUS")
    # Each table reads the days Sphinx's would.
    for name in [r[0] for r in listing]:
        sql = "SELECT COUNT(*) FROM %s" % name
        assert run(alco, sql)[1] == run(sphinx, sql)[1], sql


def test_snippet_passages_of_long_loghub_lines_against_sphinx():
    """Passage choice on long lines (the LogHub samples): the same snippet as Sphinx's for most
    lines (176 of these 300 when measured; README lists the rules that still differ), and always the
    match highlighted inside a passage no longer than the limit allows."""
    here = os.path.join(os.path.dirname(__file__), "..", "..", "Fixtures", "loghub")
    rows, k = [], 0
    for name in sorted(os.listdir(here)):
        if name.endswith(".log"):
            with open(os.path.join(here, name), encoding="utf-8", errors="replace") as f:
                for line in f.read().splitlines()[:300]:
                    if len(line) > 90:
                        k += 1
                        rows.append((1_796_000_000_000_000_000 + k * 1000, line, "{}"))
    with loaded_pair(rows) as conns:
        rnd = random.Random(3)
        same = compared = 0
        for _ in range(300):
            doc, line, _ = rows[rnd.randrange(len(rows))]
            found = [w for w in query_words(line) if len(w) > 2]
            if not found:
                continue
            word, limit = rnd.choice(found), rnd.choice([40, 60, 80, 100, 150])
            sql = "SELECT SNIPPET(logline, '%s', 'limit=%d') FROM logs WHERE id = %d" % (word, limit, doc)
            a, s = [run(c, sql)[1][0][0] for c in conns]
            compared += 1
            same += a == s
            assert "<b>" in a, (sql, a)
            passages = a.replace("<b>", "").replace("</b>", "").split(" ... ")
            assert max(len(p) for p in passages) <= max(limit, max(len(w) for w in words(line)) + 2), (sql, a)
        assert compared >= 250 and same / compared >= 0.5, "%d of %d snippets as Sphinx's" % (same, compared)

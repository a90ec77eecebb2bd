"""The Python MySQL drivers ALCO's users have, against alco over the protocol."""
import json

import pytest

DRIVERS = ["pymysql", "mysqlclient", "connector"]


def query(conn, sql, *params):
    cur = conn.cursor()
    cur.execute(sql, params or None)
    return cur.fetchall(), [d[0] for d in cur.description or []]


@pytest.mark.parametrize("driver", DRIVERS)
def test_anchor_queries(connect, rows, driver):
    conn = connect(driver)
    ids = sorted(r[0] for r in rows)
    # Newest lines first, ids as integers.
    got, cols = query(conn, "SELECT id, logline, js FROM logs ORDER BY id DESC LIMIT 5")
    assert cols == ["id", "logline", "js"]
    assert [r[0] for r in got] == ids[::-1][:5]
    by_id = {r[0]: r for r in rows}
    for r in got:
        assert r[1] == by_id[r[0]][1], "logline comes back exactly as stored"
        assert json.loads(r[2]) == json.loads(by_id[r[0]][2])
    # Full text, counted the way the brute force counts it.
    word = "terminating"
    expected = sum(1 for r in rows if word in r[1].lower().replace("$", " ").split())
    got, _ = query(conn, "SELECT COUNT(*) FROM logs WHERE MATCH('@logline %s')" % word)
    assert got[0][0] == expected and expected > 0
    meta, _ = query(conn, "SHOW META")
    assert [m[0] for m in meta][:3] == ["total", "total_found", "time"]
    # A js filter, numbers as numbers.
    got, _ = query(conn, "SELECT id, js.status FROM logs WHERE js.status = 500 ORDER BY id ASC LIMIT 1000 OPTION max_matches=1000")
    assert len(got) == sum(1 for r in rows if json.loads(r[2])["status"] == 500)
    assert all(int(r[1]) == 500 for r in got)


@pytest.mark.parametrize("driver", DRIVERS)
def test_multi_statement_returns_each_result(connect, driver):
    conn = connect(driver)
    cur = conn.cursor()
    sql = "SELECT id FROM logs WHERE MATCH('@logline block') LIMIT 3; SHOW META"
    # connector-python asks for several results explicitly.
    cur.execute(sql, map_results=True) if driver == "connector" else cur.execute(sql)
    assert len(cur.fetchall()) == 3
    assert cur.nextset()
    meta = dict(cur.fetchall())
    # As in Sphinx, total is what the query kept (up to max_matches), not what LIMIT returned.
    assert int(meta["total_found"]) >= 3 and int(meta["total"]) == min(int(meta["total_found"]), 1000)


@pytest.mark.parametrize("driver", DRIVERS)
def test_errors_have_codes_and_the_connection_survives(connect, driver):
    conn = connect(driver)
    cur = conn.cursor()
    with pytest.raises(Exception) as e:
        cur.execute("SELEKT id FROM logs")
    assert "1064" in str(e.value.args[0]) or e.value.args[0] == 1064
    with pytest.raises(Exception) as e:
        cur.execute("DESCRIBE nosuch")
    assert "1146" in str(e.value.args[0]) or e.value.args[0] == 1146
    cur.execute("SELECT id FROM logs LIMIT 1")
    assert len(cur.fetchall()) == 1


@pytest.mark.parametrize("driver", DRIVERS)
def test_writes_and_transactions(connect, driver):
    base = 1_000_000_000_000_000_000 + DRIVERS.index(driver) * 1000
    writer = connect(driver)
    reader = connect("pymysql", autocommit=True)
    cur = writer.cursor()
    # PyMySQL starts with autocommit off, as Sphinx saw it: writes wait for COMMIT.
    if hasattr(writer, "autocommit"):
        writer.autocommit(False) if callable(writer.autocommit) else setattr(writer, "autocommit", False)
    cur.execute("INSERT INTO logs (id, logline, js) VALUES (%s, %s, %s), (%s, %s, %s)",
                (base + 1, "txn line it's \\ ok юникод", '{"levelname": "INFO", "n": 1.5}', base + 2, "second txn line", "{}"))
    assert cur.rowcount == 2
    assert query(reader, "SELECT id FROM logs WHERE id >= %s AND id <= %s" % (base, base + 10))[0] == ()  or \
        list(query(reader, "SELECT id FROM logs WHERE id >= %s AND id <= %s" % (base, base + 10))[0]) == []
    writer.commit()
    got, _ = query(reader, "SELECT id, logline, js FROM logs WHERE id >= %d AND id <= %d ORDER BY id ASC" % (base, base + 10))
    assert [r[0] for r in got] == [base + 1, base + 2]
    assert got[0][1] == "txn line it's \\ ok юникод"
    assert json.loads(got[0][2]) == {"levelname": "INFO", "n": 1.5}
    # INSERT of an existing id is an error; REPLACE replaces.
    with pytest.raises(Exception):
        cur.execute("INSERT INTO logs (id, logline, js) VALUES (%s, 'dup', '{}')", (base + 1,))
        writer.commit()
    writer.rollback()
    cur.execute("REPLACE INTO logs (id, logline, js) VALUES (%s, 'replaced', '{}')", (base + 1,))
    cur.execute("DELETE FROM logs WHERE id = %s", (base + 2,))
    writer.commit()
    got, _ = query(reader, "SELECT id, logline FROM logs WHERE id >= %d AND id <= %d" % (base, base + 10))
    assert [(r[0], r[1]) for r in got] == [(base + 1, "replaced")]
    cur.execute("DELETE FROM logs WHERE id = %s", (base + 1,))
    writer.commit()


def test_rollback_and_disconnect_drop_uncommitted_writes(connect):
    base = 1_100_000_000_000_000_000
    reader = connect("pymysql", autocommit=True)
    w = connect("pymysql")
    w.cursor().execute("INSERT INTO logs (id, logline, js) VALUES (%s, 'rolled back', '{}')", (base,))
    w.rollback()
    w.cursor().execute("INSERT INTO logs (id, logline, js) VALUES (%s, 'never committed', '{}')", (base + 1,))
    w.close()
    assert list(query(reader, "SELECT id FROM logs WHERE id >= %d AND id <= %d" % (base, base + 10))[0]) == []


def test_client_chatter(connect):
    conn = connect("pymysql", autocommit=True)
    assert query(conn, "SELECT @@version")[0][0][0].startswith("5.7.99-alco")
    assert "alco" in query(conn, "SELECT @@version_comment LIMIT 1")[0][0][0]
    assert query(conn, "SELECT @@max_allowed_packet")[0][0][0] is not None
    db, user = query(conn, "SELECT DATABASE(), USER()")[0][0]
    assert user.startswith("test@")
    for sql in ["SET NAMES utf8mb4", "SET autocommit=1", "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
                "BEGIN", "COMMIT", "START TRANSACTION", "ROLLBACK"]:
        query(conn, sql)
    names = [r[0] for r in query(conn, "SHOW VARIABLES LIKE 'version%'")[0]]
    assert "version" in names and "version_comment" in names
    tables = [r[0] for r in query(conn, "SHOW TABLES")[0]]
    assert "logs" in tables and "logsx" in tables
    assert query(conn, "SHOW WARNINGS")[0] == () or list(query(conn, "SHOW WARNINGS")[0]) == []


def test_packets_over_16_mib_both_ways(connect):
    conn = connect("pymysql", autocommit=True, max_allowed_packet=64 << 20)
    big = "x" * (17 << 20)
    line = "huge line start " + big + " huge line end"
    cur = conn.cursor()
    cur.execute("REPLACE INTO logs (id, logline, js) VALUES (%s, %s, '{}')", (1_200_000_000_000_000_000, line))
    cur.execute("SELECT logline FROM logs WHERE id = %s", (1_200_000_000_000_000_000,))
    assert cur.fetchall()[0][0] == line
    cur.execute("DELETE FROM logs WHERE id = %s", (1_200_000_000_000_000_000,))


def test_connect_with_database_and_init_db(connect):
    conn = connect("pymysql", database="alco")
    assert query(conn, "SELECT DATABASE()")[0][0][0] == "alco"
    conn.select_db("other")
    assert query(conn, "SELECT DATABASE()")[0][0][0] == "other"
    conn.ping()

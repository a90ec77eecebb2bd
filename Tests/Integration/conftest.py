import os, sys

import pymysql
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from servers import AlcoServer, corpus, load  # noqa: E402


@pytest.fixture(scope="session")
def rows():
    return corpus(3000)


@pytest.fixture(scope="session")
def alco(rows):
    """One alco server for the session, loaded over the protocol with the test corpus."""
    # ALCO's logsx had `rt_field = request_id`: here a js column flagged indexed.
    server = AlcoServer(indexes=("logs", "logsx"),
                        prepare=[("index", "alter", "logsx", "--column", "request_id", "--set", "indexed=true")])
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="test")
    load(conn, "logs", rows)
    conn.close()
    yield server
    assert server.alive(), "alco serve died during the tests"
    server.stop()


@pytest.fixture
def connect(alco):
    """connect(driver) -> a DB-API connection to alco with that real client library."""
    opened = []

    def make(driver="pymysql", **kw):
        if driver == "pymysql":
            c = pymysql.connect(host="127.0.0.1", port=alco.port, user="test", **kw)
        elif driver == "mysqlclient":
            import MySQLdb
            c = MySQLdb.connect(host="127.0.0.1", port=alco.port, user="test", **kw)
        elif driver == "connector":
            import mysql.connector
            c = mysql.connector.connect(host="127.0.0.1", port=alco.port, user="test", **kw)
        else:
            raise ValueError(driver)
        opened.append(c)
        return c

    yield make
    for c in opened:
        try:
            c.close()
        except Exception:
            pass

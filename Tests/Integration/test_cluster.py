"""alco nodes behind a real Sphinx 2.2.11 distributed index.

Three `alco serve --node N` hold a third of the corpus each and speak the SphinxAPI agent
protocol; a stock searchd's `type = distributed` index fans SphinxQL out to them. A fourth,
single alco holds every line. The same SphinxQL (ALCO's shapes, generated from the corpus)
must answer the same through the front as from the single node. Differences by rule only:
the front's master prints JSON as Sphinx does (floats with six decimals), so values are
compared as in the Sphinx differential; a query with no rows gets the master's column list.
"""
import contextlib
import json
import os
import random
import subprocess

import pymysql
import pytest

from servers import ALCO, AlcoServer, SphinxServer, corpus, load
from test_differential import mismatch, queries, run


@pytest.fixture(scope="module")
def rows():
    return corpus(1500, seed=29)


@contextlib.contextmanager
def started_cluster(rows, nodes=3):
    """`nodes` alco nodes (rows dealt round-robin), a single alco with all rows, `nodes` real
    Sphinx agents holding the same shares, and a Sphinx master with `logs` over the alco
    nodes, `logs_persistent` the same with persistent agent connections, and `sphinx_logs`
    over the Sphinx agents."""
    members = [AlcoServer(extra_args=("--node", str(k))) for k in range(nodes)]
    peers = [SphinxServer(indexes=("logs",)) for _ in range(nodes)]
    single = AlcoServer()
    agents = ["127.0.0.1:%d:logs" % m.api_port for m in members]
    sphinx_agents = ["127.0.0.1:%d:logs" % p.api_port for p in peers]
    front = SphinxServer(indexes=(), agents={"logs": agents, "logs_persistent": agents, "sphinx_logs": sphinx_agents})
    try:
        for k, m in enumerate(members + peers):
            c = pymysql.connect(host="127.0.0.1", port=m.port, user="cluster", autocommit=True)
            load(c, "logs", rows[k % nodes::nodes])
            c.close()
        c = pymysql.connect(host="127.0.0.1", port=single.port, user="cluster", autocommit=True)
        load(c, "logs", rows)
        c.close()
        yield front, single, members
    finally:
        front.stop()
        single.stop()
        for m in members + peers:
            m.stop()


@pytest.fixture(scope="module")
def cluster(rows):
    with started_cluster(rows) as parts:
        yield parts


def connect(port):
    return pymysql.connect(host="127.0.0.1", port=port, user="cluster", autocommit=True)


def meta(conn):
    cur = conn.cursor()
    cur.execute("SHOW META")
    return {k: v for k, v in cur.fetchall()}


def cluster_queries(rows):
    """The Sphinx differential's generated queries, and the shapes ALCO's UI and API send
    that a distributed index serves (GROUP BY a js key, COUNT(*), SNIPPET, OFFSET)."""
    rnd = random.Random(5)
    ids = sorted(r[0] for r in rows)
    out = queries(rows, seed=31, n=96)
    for k in range(24):
        a, b = sorted(rnd.sample(ids, 2))
        word = rnd.choice(["block", "proxy", "sshd", "failure", "error", "session", "received", "root"])
        out += [
            "SELECT id, SNIPPET(logline, '%s') AS s FROM logs WHERE MATCH('@logline %s') ORDER BY id DESC LIMIT 5" % (word, word),
            "SELECT js.host AS h, COUNT(*) AS n FROM logs WHERE id BETWEEN %d AND %d GROUP BY h ORDER BY n DESC LIMIT 1000" % (a, b),
            "SELECT id, logline FROM logs WHERE id > %d ORDER BY id ASC LIMIT %d, 10" % (a, rnd.randrange(0, 30)),
            "SELECT COUNT(*) AS n FROM logs WHERE js.levelname = 'ERROR' AND id <= %d" % b,
        ]
    return out


def test_front_answers_as_one_node_holding_every_line(cluster, rows):
    front, single, _ = cluster
    f, s = connect(front.port), connect(single.port)
    compared, mismatches = 0, []
    for table in ("logs", "logs_persistent"):
        for sql in cluster_queries(rows)[: 150 if table == "logs" else 40]:
            sql_front = sql.replace("FROM logs", "FROM " + table).replace("FROM `logs`", "FROM `%s`" % table)
            try:
                s_cols, s_rows = run(s, sql)
            except pymysql.MySQLError as e:
                with pytest.raises(pymysql.MySQLError):
                    run(f, sql_front)
                continue
            differs = mismatch(sql_front, run(f, sql_front), (s_cols, s_rows), names=("front", "single"))
            if differs:
                mismatches.append(differs)
            elif "GROUP BY" not in sql:
                fm, sm = meta(f), meta(s)
                if fm.get("total_found") != sm.get("total_found"):
                    mismatches.append("%s\n  total_found front %s single %s" % (sql_front, fm.get("total_found"), sm.get("total_found")))
            compared += 1
    assert compared >= 150
    assert not mismatches, "%d of %d differ:\n%s" % (len(mismatches), compared, "\n".join(mismatches[:10]))


def test_alco_agents_answer_the_master_as_sphinx_agents_do(cluster, rows):
    """The same master over alco nodes and over Sphinx agents holding the same lines: the
    protocol's details (schemas, packed JSON, group keys, totals, errors) make the same
    answers. By rule, as in the single-node Sphinx differential: queries whose MATCH is not
    limited to @logline use only words no js text has (ALCO's Sphinx indexed js as a field)."""
    front, _, _ = cluster
    f = connect(front.port)
    compared, mismatches = 0, []
    for sql in queries(rows, seed=37, n=120):
        sql_sphinx = sql.replace("FROM logs", "FROM sphinx_logs").replace("FROM `logs`", "FROM `sphinx_logs`")
        try:
            s_cols, s_rows = run(f, sql_sphinx)
        except pymysql.MySQLError as e:
            # Sphinx 2.2's agents cannot read a select list with `quoted` aliases, which its
            # master passes on as written (ALCO's own queries have them); alco's agents can.
            if "unexpected '`'" not in str(e.args[1]):
                with pytest.raises(pymysql.MySQLError):
                    run(f, sql)
            continue
        differs = mismatch(sql, run(f, sql), (s_cols, s_rows))
        if differs:
            mismatches.append(differs)
        compared += 1
    assert compared >= 100
    assert not mismatches, "%d of %d differ:\n%s" % (len(mismatches), compared, "\n".join(mismatches[:10]))


def test_every_line_is_found_once_through_the_front(cluster, rows):
    front, _, members = cluster
    f = connect(front.port)
    cols, got = run(f, "SELECT COUNT(*) FROM logs")
    assert got == [[len(rows)]]
    cols, got = run(f, "SELECT id FROM logs ORDER BY id ASC LIMIT 0, 2000 OPTION max_matches=2000")
    assert [r[0] for r in got] == sorted(r[0] for r in rows)
    # Each node holds exactly its share.
    for k, m in enumerate(members):
        cols, got = run(connect(m.port), "SELECT COUNT(*) FROM logs")
        assert got == [[len(rows[k::len(members)])]]


def test_keyword_statistics_add_up_over_the_nodes(cluster):
    front, single, _ = cluster
    f, s = connect(front.port), connect(single.port)
    for word in ("block", "sshd", "proxy"):
        run(f, "SELECT id FROM logs WHERE MATCH('@logline %s') LIMIT 1" % word)
        run(s, "SELECT id FROM logs WHERE MATCH('@logline %s') LIMIT 1" % word)
        fm, sm = meta(f), meta(s)
        assert fm["keyword[0]"] == sm["keyword[0]"] == word
        assert fm["docs[0]"] == sm["docs[0]"] and fm["hits[0]"] == sm["hits[0]"]


def test_agent_errors_reach_the_client_in_sphinx_words(cluster):
    front, _, _ = cluster
    f = connect(front.port)
    with pytest.raises(pymysql.MySQLError) as e:
        run(f, "SELECT * FROM logs WHERE MATCH('(') LIMIT 1")
    message = str(e.value.args[1])
    assert "remote query error" in message and "index logs" in message


def test_original_clients_through_the_front(cluster, rows):
    front, single, _ = cluster
    sql = "SELECT id, js.levelname FROM logs WHERE MATCH('@logline block') ORDER BY id DESC LIMIT 5"
    want = [[str(v) for v in r] for r in run(connect(single.port), sql)[1]]
    # The mysql CLI (mariadb-client), tab-separated rows.
    out = subprocess.run(["mysql", "-h127.0.0.1", "-P%d" % front.port, "-ucluster", "-N", "-B", "-e", sql],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    assert [line.split("\t") for line in out.splitlines()] == want
    # mysqlclient (libmariadb).
    import MySQLdb
    conn = MySQLdb.connect(host="127.0.0.1", port=front.port, user="cluster")
    cur = conn.cursor()
    cur.execute(sql)
    assert [[v.decode() if isinstance(v, bytes) else str(v) for v in r] for r in cur.fetchall()] == want
    conn.close()


def ingest_same_second(member, n):
    """n lines with one timestamp, without ids of their own, through the node's HTTP ingest."""
    body = "".join(json.dumps({"@timestamp": "2026-11-30T10:00:00.000000Z", "message": "same second %d" % k,
                               "levelname": "INFO"}) + "\n" for k in range(n))
    import urllib.request
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/ingest/logs" % member.http_port,
                                 data=body.encode(), method="POST", headers={"Content-Type": "application/x-ndjson"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200, r.read()


def test_nodes_fed_one_timestamp_never_collide():
    members = [AlcoServer(extra_args=("--node", str(k))) for k in (3, 17)]
    try:
        for m in members:
            ingest_same_second(m, 1500)
        sets = []
        for k, m in zip((3, 17), members):
            cols, got = run(connect(m.port), "SELECT id FROM logs ORDER BY id ASC LIMIT 0, 2000 OPTION max_matches=2000")
            ids = [r[0] for r in got]
            assert len(ids) == 1500 == len(set(ids))
            assert all(i % 64 == k for i in ids)
            sets.append(set(ids))
        assert not sets[0] & sets[1]
        # Time order holds across nodes: every id sits at (or just after) the line's microsecond.
        base = min(min(s) for s in sets) // 1000
        assert max(max(s) for s in sets) // 1000 - base < 200
    finally:
        for m in members:
            m.stop()


def test_a_node_refuses_a_data_directory_of_another_node(tmp_path):
    data = str(tmp_path / "d")
    subprocess.run([ALCO, "index", "create", "logs", "--data", data], check=True, capture_output=True)
    first = AlcoServer(indexes=(), data=data, extra_args=("--node", "2"))
    first.stop()
    r = subprocess.run([ALCO, "serve", "--data", data, "--node", "5", "--mysql", "off", "--http", "off",
                        "--sphinxapi", "off"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "written by node 2, not node 5" in r.stderr + r.stdout


def api_call(port, command, version, body, persist=False):
    """One SphinxAPI request as a client sends it; the reply's status and body."""
    import socket
    import struct
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        assert struct.unpack(">I", s.recv(4))[0] == 1
        s.sendall(struct.pack(">I", 1))
        if persist:
            s.sendall(struct.pack(">HHII", 4, 0, 4, 1))
        s.sendall(struct.pack(">HHI", command, version, len(body)) + body)
        head = b""
        while len(head) < 8:
            chunk = s.recv(8 - len(head))
            assert chunk, "connection closed before a reply"
            head += chunk
        status, _, length = struct.unpack(">HHI", head)
        data = b""
        while len(data) < length:
            chunk = s.recv(length - len(data))
            assert chunk
            data += chunk
        return status, data
    finally:
        s.close()


def api_string(text):
    import struct
    b = text.encode()
    return struct.pack(">I", len(b)) + b


def read_strings(data, count, at=0):
    import struct
    out = []
    for _ in range(count):
        (n,) = struct.unpack(">I", data[at:at + 4])
        out.append(data[at + 4:at + 4 + n].decode())
        at += 4 + n
    return out, at


def test_excerpt_keywords_status_and_ping_as_searchd_answers_them(cluster):
    import struct
    _, _, members = cluster
    port = members[0].api_port
    # PING echoes its cookie.
    status, data = api_call(port, 9, 0x100, struct.pack(">I", 0xC0FFEE))
    assert status == 0 and struct.unpack(">I", data)[0] == 0xC0FFEE
    # EXCERPT: texts highlighted for the query, as CALL SNIPPETS does.
    docs = ["the block was received from the datanode", "nothing here"]
    body = struct.pack(">ii", 0, 0) + api_string("logs") + api_string("block") + api_string("<b>") + api_string("</b>") \
        + api_string(" ... ") + struct.pack(">ii", 256, 5) + struct.pack(">iii", 0, 0, 1) + api_string("index") \
        + api_string("") + struct.pack(">i", len(docs)) + b"".join(api_string(d) for d in docs)
    status, data = api_call(port, 1, 0x104, body)
    assert status == 0
    snippets, _ = read_strings(data, 2)
    assert snippets[0] == "the <b>block</b> was received from the datanode"
    # KEYWORDS with statistics.
    status, data = api_call(port, 3, 0x100, api_string("Block received") + api_string("logs") + struct.pack(">i", 1))
    assert status == 0
    (n,) = struct.unpack(">I", data[:4])
    assert n == 2
    words, at = read_strings(data, 2, 4)
    assert words == ["block", "block"]
    docs_, hits = struct.unpack(">II", data[at:at + 8])
    assert docs_ > 0 and hits >= docs_
    # STATUS: the daemon's counters as name/value rows.
    status, data = api_call(port, 5, 0x101, struct.pack(">I", 1), persist=True)
    rows_, cols = struct.unpack(">II", data[:8])
    assert status == 0 and cols == 2 and rows_ > 3
    names, _ = read_strings(data, rows_ * 2, 8)
    assert "uptime" in names[0::2] and "command_search" in names[0::2]
    # An unknown index, and a request of a command version from the future: searchd's errors.
    status, data = api_call(port, 3, 0x100, api_string("x") + api_string("nosuch") + struct.pack(">i", 0))
    assert status == 1 and b"nosuch" in data
    status, data = api_call(port, 0, 0x120, b"")
    assert status == 1 and b"client version is higher" in data


def test_hostile_api_clients_do_not_hurt_the_node(cluster):
    """Garbage, lies about lengths and counts, truncated bodies and idle sockets on the
    SphinxAPI port: each gets an error or the door, and the node goes on answering."""
    import socket
    import struct
    front, _, members = cluster
    port = members[2].api_port
    rnd = random.Random(3)

    def send(raw, read=True):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            s.recv(4)
            s.sendall(raw)
            if read:
                s.settimeout(10)
                try:
                    while s.recv(65536):
                        pass
                except (ConnectionResetError, socket.timeout):
                    pass
        finally:
            s.close()

    send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    send(struct.pack(">I", 1) + struct.pack(">HHi", 0, 0x11F, -5))
    send(struct.pack(">I", 1) + struct.pack(">HHI", 0, 0x11F, 1 << 30))
    # A search that announces 2^31 filters, then 2^31 values of one.
    q = struct.pack(">II", 14, 1) + struct.pack(">Iiiii", 0, 0, 20, 6, 0) + struct.pack(">I", 4) + api_string("") \
        + api_string("x") + struct.pack(">I", 0) + api_string("logs") + struct.pack(">I", 1) + struct.pack(">QQ", 0, 2**64 - 1)
    for tail in (struct.pack(">I", 2**31 - 1), struct.pack(">I", 1) + api_string("js.a") + struct.pack(">II", 0, 2**31 - 1)):
        send(struct.pack(">I", 1) + struct.pack(">HHI", 0, 0x11F, len(q + tail)) + q + tail)
    # Truncated at every length, and random bytes.
    full = q + struct.pack(">I", 0)
    for cut in range(0, len(full), 7):
        send(struct.pack(">I", 1) + struct.pack(">HHI", 0, 0x11F, cut) + full[:cut])
    for _ in range(30):
        body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
        send(struct.pack(">I", 1) + struct.pack(">HHI", rnd.choice([0, 1, 3, 5]), rnd.choice([0x11F, 0x104, 0x100]), len(body)) + body)
    # Idle connections that never finish their request do not hold the node.
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
    for s in idle:
        s.sendall(struct.pack(">I", 1) + struct.pack(">HHI", 0, 0x11F, 100) + b"\x00" * 10)
    try:
        assert members[2].alive()
        cols, got = run(connect(front.port), "SELECT COUNT(*) FROM logs")
        assert got[0][0] > 0
    finally:
        for s in idle:
            s.close()


def test_generated_front_config_serves_every_node_and_survives_one_down(cluster, rows, tmp_path):
    """`alco cluster sphinx-conf` writes a searchd config that works as it is: a front over the
    three nodes and a fourth that is down answers from the three, with a warning naming the
    missing one."""
    import signal as signals
    from servers import free_port, wait_port
    _, _, members = cluster
    port, dead = free_port(), free_port()
    args = [ALCO, "cluster", "sphinx-conf", "--listen", "127.0.0.1:%d" % port, "--state", str(tmp_path),
            "--connect-timeout-ms", "300"]
    for m in members:
        args += ["--node", "127.0.0.1:%d" % m.api_port]
    args += ["--node", "127.0.0.1:%d" % dead]
    conf = tmp_path / "sphinx.conf"
    conf.write_text(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    proc = subprocess.Popen(["searchd", "--config", str(conf), "--nodetach"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        f = connect(port)
        cols, got = run(f, "SELECT COUNT(*) FROM logs")
        assert got == [[len(rows)]]
        warning = meta(f).get("warning", "")
        assert "127.0.0.1:%d" % dead in warning, warning
    finally:
        proc.send_signal(signals.SIGTERM)
        proc.wait(timeout=60)


def test_sphinx_python_client_gets_from_a_node_what_it_gets_from_a_sphinx_agent(cluster):
    """Sphinx's own Python client (sphinxapi, search command v1.29, no master) against alco
    node 0 and against a real Sphinx holding the same lines: queries, a batch, id ranges,
    filters, sort modes and snippets answer the same. By rule: weights (BM25
    against Sphinx's ranker) are not compared, nor js (Sphinx prints it re-serialised)."""
    import sphinxapi
    front, _, members = cluster
    peers = cluster_peers(front)

    def client(port):
        c = sphinxapi.SphinxClient()
        c.SetServer("127.0.0.1", port)
        c.SetMatchMode(sphinxapi.SPH_MATCH_EXTENDED2)
        return c

    def summary(r):
        assert r is not None
        assert not r["error"], r["error"]
        return {"ids": [m["id"] for m in r["matches"]], "total": r["total"], "total_found": r["total_found"],
                "words": [w["word"] for w in r["words"]],
                "attrs": [a for a in r["attrs"]], "fields": r["fields"]}

    got = []
    for port in (members[0].api_port, peers[0].api_port):
        c = client(port)
        c.SetSortMode(sphinxapi.SPH_SORT_EXTENDED, "id DESC")
        c.SetLimits(0, 20)
        one = summary(c.Query("@logline block", "logs"))
        c = client(port)
        c.SetSortMode(sphinxapi.SPH_SORT_EXTENDED, "@id ASC")
        c.SetLimits(5, 10)
        c.AddQuery("@logline sshd", "logs")
        c.SetIDRange(0, 2**63)
        c.AddQuery("@logline proxy", "logs")
        batch = [summary(r) for r in c.RunQueries()]
        c = client(port)
        c.SetSortMode(sphinxapi.SPH_SORT_EXTENDED, "id ASC")
        c.SetFilter("js.status", [500])
        c.SetLimits(0, 50)
        filtered = summary(c.Query("", "logs"))
        snippets = client(port).BuildExcerpts(["a received block from the datanode", "no match here"], "logs", "block",
                                              {"before_match": "[", "after_match": "]"})
        # (The client's BuildKeywords fails on Python 3; KEYWORDS is checked with raw frames above.)
        got.append((one, batch, filtered, snippets))
    alco, sphinx = got
    assert alco[0] == sphinx[0]
    for mine, theirs in zip(alco[1], sphinx[1]):
        assert mine == theirs, "%s\n%s" % (mine, theirs)
    assert alco[2]["ids"] == sphinx[2]["ids"] and alco[2]["total_found"] == sphinx[2]["total_found"]
    assert alco[3] == sphinx[3]


def cluster_peers(front):
    """The Sphinx agents behind the front's `sphinx_logs`, as SphinxServer-like port holders."""
    import re

    class Peer:
        def __init__(self, port):
            self.api_port = port

    with open(os.path.join(front.dir, "sphinx.conf")) as f:
        conf = f.read()
    block = conf[conf.index("index sphinx_logs"):]
    return [Peer(int(p)) for p in re.findall(r"agent = 127\.0\.0\.1:(\d+):logs", block[:block.index("}")])]

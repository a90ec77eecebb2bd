"""Captures what a real Sphinx 2.2.11 master and its real agents say to each other.

Run by hand (`python3 Tests/Integration/sphinxapi_capture.py`): two Sphinx agents hold the rows
of a generated corpus split between them, a master's distributed indexes point at them through
logging proxies, and ALCO-shaped SphinxQL goes to the master. Every message each way is written
to Fixtures/sphinxapi/captures.json with the rows each agent held and the master's answer, so
codec tests and the agent differential replay them without a Sphinx in the loop.
"""
import json
import os
import socket
import struct
import sys
import threading
import time

import pymysql

sys.path.insert(0, os.path.dirname(__file__))
from servers import ROOT, SphinxServer, corpus, free_port, load  # noqa: E402

OUT = os.path.join(ROOT, "Fixtures", "sphinxapi", "captures.json")


class LoggingProxy:
    """Forwards connections to an agent and keeps both byte streams of each connection."""

    def __init__(self, target_port):
        self.port = free_port()
        self.target = target_port
        self.connections = []
        self.lock = threading.Lock()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", self.port))
        self.server.listen(16)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.server.accept()
            upstream = socket.create_connection(("127.0.0.1", self.target))
            record = {"up": bytearray(), "down": bytearray()}
            with self.lock:
                self.connections.append(record)
            threading.Thread(target=self.pump, args=(client, upstream, record["up"]), daemon=True).start()
            threading.Thread(target=self.pump, args=(upstream, client, record["down"]), daemon=True).start()

    def pump(self, src, dst, log):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self.lock:
                    log.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def take(self):
        """Messages since the last call: for each connection, the requests and the replies, with
        the bytes already taken from a persistent connection left out."""
        with self.lock:
            out = []
            for rec in self.connections:
                start_up = rec.get("taken_up", 0)
                start_down = rec.get("taken_down", 0)
                up, down = bytes(rec["up"][start_up:]), bytes(rec["down"][start_down:])
                rec["taken_up"], rec["taken_down"] = len(rec["up"]), len(rec["down"])
                if up or down:
                    out.append({"fresh": start_up == 0, "up": split(up, start_up == 0),
                                "down": split(down, start_down == 0)})
            return out


def split(stream, handshake):
    """A stream cut into its frames: the 4-byte handshake first on a fresh connection, then
    8-byte headers (u16, u16, u32 length) with their bodies."""
    frames = []
    at = 0
    if handshake and len(stream) >= 4:
        frames.append(stream[:4].hex())
        at = 4
    while at + 8 <= len(stream):
        (length,) = struct.unpack(">I", stream[at + 4:at + 8])
        frames.append(stream[at:at + 8 + length].hex())
        at += 8 + length
    if at < len(stream):
        frames.append(stream[at:].hex())
    return frames


def statements(rows):
    first, last = rows[0][0], rows[-1][0]
    middle = rows[len(rows) // 2][0]
    return [
        "SELECT * FROM {t} ORDER BY id DESC LIMIT 5",
        "SELECT * FROM {t} WHERE MATCH('authentication failure') ORDER BY id DESC LIMIT 7",
        "SELECT id, logline FROM {t} WHERE id > %d AND id <= %d ORDER BY id ASC LIMIT 6" % (first, middle),
        "SELECT id FROM {t} WHERE id BETWEEN %d AND %d ORDER BY id DESC LIMIT 3" % (middle, last),
        "SELECT * FROM {t} WHERE js.levelname = 'ERROR' ORDER BY id DESC LIMIT 2, 4",
        "SELECT id, js.host AS host, js.status FROM {t} WHERE js.status >= 400 ORDER BY id ASC LIMIT 5",
        "SELECT js.levelname AS lvl, COUNT(*) AS c FROM {t} GROUP BY lvl ORDER BY c DESC",
        "SELECT js.host, COUNT(*) FROM {t} WHERE MATCH('proxy') GROUP BY js.host",
        "SELECT COUNT(*) FROM {t} WHERE MATCH('packetresponder')",
        "SELECT COUNT(*) AS n FROM {t}",
        "SELECT id, SNIPPET(logline, 'failure') AS snip FROM {t} WHERE MATCH('failure') ORDER BY id ASC LIMIT 3",
        "SELECT * FROM {t} WHERE MATCH('@logline sshd') AND js.levelname = 'INFO' ORDER BY id DESC LIMIT 3",
        "SELECT id, js.duration_ms AS d FROM {t} WHERE js.duration_ms > 40.5 ORDER BY d DESC LIMIT 3",
        "SELECT id FROM {t} WHERE MATCH('nosuchwordanywhere') LIMIT 5",
        "SELECT * FROM {t} ORDER BY id DESC LIMIT 2 OPTION max_matches=50, comment='alco capture'",
        "SELECT id, WEIGHT() AS w FROM {t} WHERE MATCH('block') ORDER BY w DESC, id ASC LIMIT 3",
        "SELECT js.logger, COUNT(*) AS c FROM {t} GROUP BY js.logger ORDER BY c DESC, js.logger ASC LIMIT 2",
        "SELECT * FROM {t} WHERE js.nosuchkey = 'x' LIMIT 3",
        "SELECT * FROM {t} WHERE MATCH('\"open through proxy\"') ORDER BY id ASC LIMIT 2",
        "SELECT id, logline FROM {t} WHERE MATCH('sshd -root') ORDER BY id ASC LIMIT 2",
        "SELECT id FROM {t} WHERE id IN (%d, %d) AND js.levelname != 'ERROR'" % (first, last),
        "SELECT id, js.status AS s FROM {t} WHERE js.status BETWEEN 200 AND 300 AND MATCH('proxy') LIMIT 4",
        "SELECT * FROM {t} WHERE MATCH('(') LIMIT 1",
        "SELECT COUNT(*) FROM {t} WHERE MATCH('nosuchwordanywhere')",
        "SELECT js.host AS h, COUNT(*) AS n FROM {t} WHERE MATCH('nosuchwordanywhere') GROUP BY h",
        "SELECT js.status, COUNT(*) FROM {t} GROUP BY js.status",
        "SELECT id, logline FROM {t} WHERE js.levelname = 'ERROR' ORDER BY id ASC LIMIT 3, 4 OPTION max_matches=5",
    ]


def main():
    rows = corpus(240, seed=11)
    shares = [rows[0::2], rows[1::2]]
    agents = [SphinxServer(indexes=("logs",)) for _ in shares]
    proxies = [LoggingProxy(a.api_port) for a in agents]
    remotes = ["127.0.0.1:%d:logs" % p.port for p in proxies]
    master = SphinxServer(indexes=(), agents={"logs": remotes, "logs_persistent": remotes})
    try:
        for agent, share in zip(agents, shares):
            conn = pymysql.connect(host="127.0.0.1", port=agent.port, user="capture", autocommit=True)
            load(conn, "logs", share)
            conn.close()
        conn = pymysql.connect(host="127.0.0.1", port=master.port, user="capture", autocommit=True)
        for p in proxies:
            p.take()
        exchanges = []
        for table in ("logs", "logs_persistent"):
            for template in statements(rows):
                sql = template.format(t=table)
                cur = conn.cursor()
                try:
                    cur.execute(sql)
                    answer = {"columns": [d[0] for d in cur.description or []],
                              "rows": [[v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in r]
                                       for r in cur.fetchall()]}
                    cur.execute("SHOW META")
                    answer["meta"] = [list(r) for r in cur.fetchall()]
                except pymysql.MySQLError as e:
                    answer = {"error": [e.args[0], str(e.args[1])]}
                time.sleep(0.2)
                exchanges.append({"sql": sql, "answer": answer,
                                  "agents": [p.take() for p in proxies]})
        os.makedirs(os.path.dirname(OUT), exist_ok=True)
        with open(OUT, "w") as f:
            json.dump({"about": "Sphinx 2.2.11 master and two Sphinx 2.2.11 agents (Debian sphinxsearch), "
                                "ALCO's rt index config; captured by Tests/Integration/sphinxapi_capture.py",
                       "agent_rows": [[[str(i), l, j] for (i, l, j) in share] for share in shares],
                       "exchanges": exchanges}, f, indent=1, default=str)
        print("wrote %s: %d exchanges" % (OUT, len(exchanges)))
    finally:
        master.stop()
        for a in agents:
            a.stop()


if __name__ == "__main__":
    main()

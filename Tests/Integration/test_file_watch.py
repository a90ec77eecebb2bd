"""`alco serve --watch GLOB=INDEX` follows log files as `tail -F` does: appended lines, new files,
rotation by rename and by copytruncate, multiline records, a last line without its newline, and
`kill -9` mid-stream: every line stored exactly once, in the order it was written.

Lines carry an ISO time a millisecond apart and a sequence number, so "in order" is checked by
id (alco's ids follow the line's own time) and "exactly once" by the numbers.
"""
import datetime
import json
import os
import shutil
import signal
import threading
import time

import pymysql

from servers import AlcoServer

IDLE_MS = 300
BASE = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(hours=2)


def line(n, text="event"):
    t = BASE + datetime.timedelta(milliseconds=n)
    return "%s INFO worker n=%06d %s\n" % (t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", n, text)


def rows(server, sql):
    c = pymysql.connect(host="127.0.0.1", port=server.port, user="t", autocommit=True)
    try:
        cur = c.cursor()
        cur.execute(sql)
        return cur.fetchall()
    finally:
        c.close()


def stored(server, index="files"):
    """Every stored record (id, logline, js) in id order."""
    out, last = [], 0
    while True:
        got = rows(server, "SELECT id, logline, js FROM %s WHERE id > %d ORDER BY id ASC LIMIT 1000" % (index, last))
        if not got:
            return out
        out += got
        last = got[-1][0]


def numbers(records):
    return [int(r[1].split("n=")[1].split()[0]) for r in records]


def wait_count(server, count, timeout=60, index="files"):
    deadline = time.time() + timeout
    n = -1
    while time.time() < deadline:
        n = rows(server, "SELECT COUNT(*) FROM %s" % index)[0][0]
        if n >= count:
            # A moment more: anything beyond `count` would be a duplicate.
            time.sleep(2 * IDLE_MS / 1000 + 0.5)
            return stored(server, index)
        time.sleep(0.1)
    raise AssertionError("%d of %d lines stored after %d s\n%s" % (n, count, timeout, server.diagnosis()))


def watcher(tmp, glob):
    return AlcoServer(indexes=(), extra_args=("--watch", "%s=files" % os.path.join(tmp, glob), "--watch-idle-ms", str(IDLE_MS)))


def test_appends_new_files_multiline_and_a_line_without_newline(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "app.log").write_text("".join(line(n) for n in range(0, 100)))
    server = watcher(str(logs), "*.log")
    try:
        wait_count(server, 100)
        with open(logs / "app.log", "a") as f:
            f.write(line(100, "failed"))
            f.write("java.lang.IllegalStateException: no worker\n\tat com.example.Pool.take(Pool.java:42)\n")
            f.write("\tat com.example.Main.run(Main.java:7)\n")
            f.write("".join(line(n) for n in range(101, 150)))
        # A file that appears later is picked up; a non-matching one is not.
        (logs / "other.log").write_text("".join(line(n, "other") for n in range(150, 200)))
        (logs / "ignored.txt").write_text(line(999))
        with open(logs / "app.log", "a") as f:
            f.write(line(200, "no-newline").rstrip("\n"))  # waits for its newline, then the idle time
        got = wait_count(server, 201)
        assert sorted(numbers(got)) == list(range(201))
        by_number = {n: r for n, r in zip(numbers(got), got)}
        trace = by_number[100]
        assert trace[1].endswith("at com.example.Main.run(Main.java:7)"), "the stack trace is one record"
        assert by_number[200][1].endswith("no-newline")
        js = json.loads(by_number[150][2])
        assert js["file"] == str(logs / "other.log") and js["levelname"] == "INFO"
        hits = rows(server, "SELECT id FROM files WHERE MATCH('\"com.example.Pool.take\"')")
        assert [h[0] for h in hits] == [trace[0]]
        # Lines are in order of their own time within a file.
        app = [n for n in numbers(got) if n < 150 or n == 200]
        assert app == sorted(app)
    finally:
        server.stop()


def test_rotation_by_rename_and_by_copytruncate(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    app = logs / "app.log"
    server = watcher(str(logs), "app.log")
    try:
        f = open(app, "a")
        f.write("".join(line(n) for n in range(0, 300)))
        f.flush()
        wait_count(server, 300)
        # Rename rotation: the writer still holds the old file for a moment and writes to it;
        # those lines are read before the new file's.
        os.rename(app, logs / "app.log.1")
        f.write("".join(line(n) for n in range(300, 320)))
        f.flush()
        f.close()
        f = open(app, "a")
        f.write("".join(line(n) for n in range(320, 400)))
        f.flush()
        wait_count(server, 400)
        # copytruncate: a copy is made, the file is cut to nothing and written on (O_APPEND).
        shutil.copy(app, logs / "app.log.2")
        os.truncate(app, 0)
        f.write("".join(line(n) for n in range(400, 410)))  # shorter than before
        f.flush()
        wait_count(server, 410)
        shutil.copy(app, logs / "app.log.3")
        os.truncate(app, 0)
        # Longer than before at once: the truncation shows only in the file's first bytes.
        f.write("".join(line(n, "x" * 40) for n in range(410, 600)))
        f.flush()
        got = wait_count(server, 600)
        f.close()
        assert numbers(got) == list(range(600)), "every line once, in order"
    finally:
        server.stop()


def test_kill_9_mid_stream_then_restart_loses_and_repeats_nothing(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    app = logs / "app.log"
    total = 30000
    server = watcher(str(logs), "app.log*")
    done = threading.Event()

    def write():
        f = open(app, "a")
        for n in range(total):
            f.write(line(n))
            if n % 7 == 0:
                f.write("  continued detail of %d\n" % n)  # a multiline record
            if n % 500 == 0:
                f.flush()
                time.sleep(0.02)
            if n == total // 2:
                # Rotation within the glob (app.log → app.log.1) while alco may be down.
                f.close()
                os.rename(app, logs / "app.log.1")
                f = open(app, "a")
        f.close()
        done.set()

    try:
        writer = threading.Thread(target=write)
        writer.start()
        for _ in range(3):
            deadline = time.time() + 60
            before = rows(server, "SELECT COUNT(*) FROM files")[0][0]
            while rows(server, "SELECT COUNT(*) FROM files")[0][0] < before + 2000 and time.time() < deadline:
                time.sleep(0.05)
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait()
            time.sleep(0.3)
            server.start()
        writer.join(timeout=300)
        assert done.is_set()
        got = wait_count(server, total, timeout=120)
        assert numbers(got) == list(range(total)), "every line once, in order"
        multi = [r for r in got if "n=000014 " in r[1]][0]
        assert multi[1].endswith("continued detail of 14")
    finally:
        server.stop()

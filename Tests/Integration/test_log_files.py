"""Log files as lnav reads them: `alco ingest` of the 16 LogHub samples (Fixtures/loghub)
detects each file's format and stores every line at the time written in it, with its level.

The expected times are computed here, independently of alco's format table: each sample's
time is cut out of the line by position or a plain split and read with Python's
`datetime.strptime`; year-less formats take the year rule the issue states (the latest year
that does not put the first line after the file's modification time, then one year on each
time a line goes back by more than a day).
"""
import datetime
import os
import shutil
import subprocess
import tempfile

import pymysql
import pytest

from servers import ALCO, ROOT

LOGHUB = os.path.join(ROOT, "Fixtures", "loghub")
UTC = datetime.timezone.utc
# Modification time given to every copied sample: the reference of the year rule.
MTIME = datetime.datetime(2018, 1, 15, 12, 0, 0, tzinfo=UTC)


def strp(text, layout):
    return datetime.datetime.strptime(text, layout).replace(tzinfo=UTC)


def words(line, n):
    return line.split()[:n]


# name: (format alco must detect, time of a line (aware datetime; year 1900 when the line has
# none), level as written or None)
SAMPLES = {
    "Android": ("logcat", lambda l: strp(l[:18], "%m-%d %H:%M:%S.%f"), lambda l: l.split()[4]),
    "Apache": ("apache_error", lambda l: strp(l[1:25], "%a %b %d %H:%M:%S %Y"), lambda l: l.split("] [")[1].split("]")[0]),
    "BGL": ("bgl", lambda l: strp(l.split()[4], "%Y-%m-%d-%H.%M.%S.%f"), lambda l: l.split()[8]),
    "HDFS": ("hdfs", lambda l: strp(" ".join(words(l, 2)), "%y%m%d %H%M%S"), lambda l: l.split()[3]),
    "HPC": ("hpc", lambda l: datetime.datetime.fromtimestamp(int(l.split()[4]), UTC), None),
    "Hadoop": ("hadoop", lambda l: strp(l[:23], "%Y-%m-%d %H:%M:%S,%f"), lambda l: l.split()[2]),
    "HealthApp": ("healthapp", lambda l: strp(l.split("|")[0].rsplit(":", 1)[0], "%Y%m%d-%H:%M:%S")
                  + datetime.timedelta(milliseconds=int(l.split("|")[0].rsplit(":", 1)[1])), None),
    "Linux": ("syslog", lambda l: strp(l[:15], "%b %d %H:%M:%S"), None),
    "Mac": ("syslog", lambda l: strp(l[:15], "%b %d %H:%M:%S"), None),
    "OpenSSH": ("syslog", lambda l: strp(l[:15], "%b %d %H:%M:%S"), None),
    "OpenStack": ("openstack", lambda l: strp(" ".join(l.split()[1:3]), "%Y-%m-%d %H:%M:%S.%f"), lambda l: l.split()[4]),
    "Proxifier": ("proxifier", lambda l: strp(l[1:15], "%m.%d %H:%M:%S"), None),
    "Spark": ("spark", lambda l: strp(l[:17], "%y/%m/%d %H:%M:%S"), lambda l: l.split()[2]),
    "Thunderbird": ("thunderbird", lambda l: strp(l.split()[2] + " " + l.split()[6], "%Y.%m.%d %H:%M:%S"), None),
    "Windows": ("windows_cbs", lambda l: strp(l[:19], "%Y-%m-%d %H:%M:%S"), lambda l: l.split(",")[1].split()[0]),
    "Zookeeper": ("zookeeper", lambda l: strp(l[:23], "%Y-%m-%d %H:%M:%S,%f"), lambda l: l.split()[3]),
}

LEVELS = {"DEBUG": {"D", "V", "DEBUG", "TRACE"}, "INFO": {"I", "INFO", "NOTICE", "INFORMATION"},
          "WARNING": {"W", "WARN", "WARNING"}, "ERROR": {"E", "ERROR", "SEVERE", "FAILURE"},
          "CRITICAL": {"F", "A", "FATAL", "CRITICAL"}}


def expected_times(lines, parse):
    """The year rule for lines written without one (strptime gives them 1900)."""
    out, year, last = [], None, None
    for line in lines:
        t = parse(line)
        if t.year == 1900:
            def at(y):
                return t.replace(year=y) if not (t.month == 2 and t.day == 29) else t.replace(year=y, day=28)
            if year is None:
                year = MTIME.year if at(MTIME.year) <= MTIME + datetime.timedelta(days=1) else MTIME.year - 1
            t = at(year)
            if last is not None and t < last - datetime.timedelta(days=1):
                year += 1
                t = at(year)
        out.append(t)
        last = t
    return out


@pytest.fixture(scope="module")
def loaded():
    d = tempfile.mkdtemp(prefix="alco-files-")
    data = os.path.join(d, "data")
    reports = {}
    try:
        for name in SAMPLES:
            path = os.path.join(d, "%s.log" % name)
            shutil.copy(os.path.join(LOGHUB, "%s_2k.log" % name), path)
            os.utime(path, (MTIME.timestamp(), MTIME.timestamp()))
            index = name.lower()
            subprocess.run([ALCO, "index", "create", index, "--data", data, "--retention-days", "36500"], check=True,
                           capture_output=True)
            r = subprocess.run([ALCO, "ingest", "--data", data, "--index", index, path], capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr
            reports[name] = r.stderr
        yield d, data, reports
    finally:
        shutil.rmtree(d, ignore_errors=True)


def rows(data, index):
    """(id, logline, js) of every stored line, in id order, from a served copy."""
    import json
    from servers import free_port, wait_port
    port = free_port()
    proc = subprocess.Popen([ALCO, "serve", "--data", data, "--mysql", "127.0.0.1:%d" % port, "--http", "off",
                             "--sphinxapi", "off"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        c = pymysql.connect(host="127.0.0.1", port=port, user="t")
        cur = c.cursor()
        cur.execute("SELECT id, logline, js FROM %s ORDER BY id ASC LIMIT 5000 OPTION max_matches=5000" % index)
        out = [(int(i), l, json.loads(j)) for i, l, j in cur.fetchall()]
        c.close()
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@pytest.fixture(scope="module")
def served(loaded):
    _, data, _ = loaded
    return {name: rows(data, name.lower()) for name in SAMPLES}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_loghub_sample_is_read_with_its_own_times_and_levels(name, loaded, served):
    d, _, reports = loaded
    fmt, parse, level = SAMPLES[name]
    assert ("format %s" % fmt) in reports[name], reports[name]
    with open(os.path.join(LOGHUB, "%s_2k.log" % name), encoding="utf-8", errors="replace") as f:
        lines = [l.rstrip("\n").rstrip("\r") for l in f if l.strip()]
    want = dict(zip(lines, expected_times(lines, parse)))
    got = served[name]
    # One record per line: no line of a known format is mistaken for a continuation.
    assert len(got) == len(lines)
    wrong = []
    for id_, logline, js in got:
        micros = id_ // 1000
        t = want[logline]
        expect = int(t.timestamp()) * 1_000_000 + t.microsecond
        if micros - expect not in (0, 1):  # past 1000 lines of one µs, ids spill into the next µs
            wrong.append((logline[:60], datetime.datetime.fromtimestamp(micros / 1e6, UTC).isoformat(), t.isoformat()))
        if level:
            written = level(logline)
            # `level` keeps what was written when the normalised `levelname` says it otherwise.
            assert js.get("level", js.get("levelname")) == written, (logline, js)
            normal = next((k for k, v in LEVELS.items() if written.upper() in v), None)
            assert js.get("levelname") == normal, (logline, js)
    assert not wrong, "%d of %d lines at the wrong time, e.g. %s" % (len(wrong), len(got), wrong[:3])
    # Ids follow the lines' times, and lines of one time keep their file order.
    times = expected_times(lines, parse)
    in_time_order = [l for _, _, l in sorted(zip(times, range(len(lines)), lines))]
    assert [r[1] for r in got] == in_time_order


def test_fields_from_syslog_and_logcat(served):
    _, logline, js = next(r for r in served["OpenSSH"] if "sshd[24200]" in r[1])
    assert js["host"] == "LabSZ" and js["program"] == "sshd" and js["pid"] == 24200
    _, logline, js = next(r for r in served["Android"] if " D WindowManager:" in r[1])
    assert js["tag"] == "WindowManager" and js["levelname"] == "DEBUG" and isinstance(js["pid"], int)
    assert all(r[2]["file"].endswith(".log") for r in served["HDFS"])


def test_compressed_and_rotated_files_in_order(tmp_path):
    """`alco ingest syslog*` reads syslog.4.bz2, syslog.3.zst, syslog.2.gz, syslog.1, syslog in
    that order (oldest first), inflating each; every line is stored once at its own time."""
    import bz2, gzip
    data = str(tmp_path / "data")
    subprocess.run([ALCO, "index", "create", "rot", "--data", data, "--retention-days", "36500"], check=True, capture_output=True)
    start = datetime.datetime(2017, 3, 1, tzinfo=UTC)
    names = ["syslog.4.bz2", "syslog.3.zst", "syslog.2.gz", "syslog.1", "syslog"]
    expected = []
    for k, name in enumerate(names):
        lines = []
        for n in range(300):
            t = start + datetime.timedelta(days=k, seconds=n * 7)
            lines.append("%s %2d %s host%d cron[%d]: job %d of file %d" % (t.strftime("%b"), t.day, t.strftime("%H:%M:%S"), k, 100 + n, n, k))
            expected.append((t, lines[-1]))
        body = ("\n".join(lines) + "\n").encode()
        path = tmp_path / name
        if name.endswith(".gz"):
            body = gzip.compress(body[:len(body) // 2]) + gzip.compress(body[len(body) // 2:])  # two members
        elif name.endswith(".bz2"):
            body = bz2.compress(body)
        elif name.endswith(".zst"):
            body = subprocess.run(["zstd", "-q", "-c"], input=body, capture_output=True, check=True).stdout
        path.write_bytes(body)
        last = start + datetime.timedelta(days=k, seconds=300 * 7)
        os.utime(path, (last.timestamp(), last.timestamp()))
    shell_order = sorted(str(tmp_path / n) for n in names)  # what syslog* expands to
    r = subprocess.run([ALCO, "ingest", "--data", data, "--index", "rot", *shell_order], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    reported = [line.split(": ")[1] for line in r.stderr.splitlines() if "format syslog" in line]
    assert [os.path.basename(p) for p in reported] == names, r.stderr
    got = rows(data, "rot")
    assert [l for _, l, _ in got] == [l for _, l in expected]
    for (id_, _, _), (t, _) in zip(got, expected):
        assert id_ // 1000 - int(t.timestamp() * 1_000_000) in (0, 1)


def test_a_truncated_compressed_file_is_an_error_that_keeps_what_was_read(tmp_path):
    import gzip
    data = str(tmp_path / "data")
    lines = "".join("2026-12-03 10:00:%02d,000 - app - INFO - line %d\n" % (n % 60, n) for n in range(5000)).encode()
    body = gzip.compress(lines)
    path = tmp_path / "app.log.gz"
    path.write_bytes(body[: len(body) * 3 // 4])
    r = subprocess.run([ALCO, "ingest", "--data", data, "--index", "cut", str(path)], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "truncated" in r.stderr, r.stderr
    stored = int(r.stderr.strip().splitlines()[-1].split("; ")[1].split()[0])
    assert 0 < stored < 5000


def test_lines_older_than_the_index_keeps_are_refused_before_storing(tmp_path):
    data = str(tmp_path / "data")
    path = os.path.join(LOGHUB, "HDFS_2k.log")
    r = subprocess.run([ALCO, "ingest", "--data", data, "--index", "old", path], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "older than index 'old' keeps (30 days)" in r.stderr, r.stderr
    assert "; 0 lines stored" in r.stderr
    days = int(r.stderr.split("--retention-days ")[1].split("`")[0])
    assert days > 6000  # 2008 lines
    subprocess.run([ALCO, "index", "alter", "old", "--data", data, "--retention-days", str(days)], check=True, capture_output=True)
    r = subprocess.run([ALCO, "ingest", "--data", data, "--index", "old", path], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "ingested 2000 lines" in r.stderr, r.stderr


def test_progress_on_a_terminal_and_not_in_a_pipe(tmp_path):
    path = tmp_path / "big.log"
    with open(path, "w") as f:
        for n in range(60_000):
            f.write("2026-12-03 10:%02d:%02d,%03d - app - INFO - request %d served in %d ms\n" % (n // 6000 % 60, n // 100 % 60, n % 1000, n, n % 97))
    data = str(tmp_path / "data")
    args = [ALCO, "ingest", "--data", data, "--index", "p", str(path)]
    text = read_pty(args, stream="stderr")
    assert "\rbig.log: " in text and "lines/s" in text and "MB of" in text and "%" in text, text[:500]
    assert "ingested 60000 lines" in text
    # In a pipe: the summary only (bytes, not text: text mode would turn \r into \n).
    r = subprocess.run(args[:-2] + ["p2", str(path)], capture_output=True, timeout=120)
    err = r.stderr.decode()
    assert r.returncode == 0 and "\r" not in err and "lines/s" not in err.split("ingested")[0], err
    # Asked for, it is there in a pipe too.
    r = subprocess.run(args[:-2] + ["p3", "--progress", str(path)], capture_output=True, timeout=120)
    assert "\rbig.log: " in r.stderr.decode()


def read_pty(args, stream="stdout"):
    """What a command writes to its stdout (or stderr) when that is a terminal."""
    import pty, select
    master, slave = pty.openpty()
    pipes = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, stream: slave}
    proc = subprocess.Popen(args, stdout=pipes["stdout"], stderr=pipes["stderr"])
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=120) == 0
    return out.decode(errors="replace")


def test_search_colours_levels_on_a_terminal_only(tmp_path):
    path = tmp_path / "app.log"
    path.write_text("2026-12-03 10:00:00,001 - app - INFO - started\n"
                    "2026-12-03 10:00:01,002 - app - WARNING - slow disk\n"
                    "2026-12-03 10:00:02,003 - app - ERROR - request failed\n")
    data = str(tmp_path / "data")
    subprocess.run([ALCO, "ingest", "--data", data, "--index", "c", "--retention-days", "100000", str(path)], check=True, capture_output=True)
    args = [ALCO, "search", "--data", data, "--index", "c", "--since", "2026-12-01"]
    text = read_pty(args)
    assert "\x1b[31mERROR\x1b[0m" in text and "\x1b[33mWARNING\x1b[0m" in text, text
    assert "\x1b[" not in [l for l in text.splitlines() if "started" in l][0]
    plain = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    assert "\x1b[" not in plain and "ERROR" in plain and "WARNING" in plain


def test_patterns_command_and_pattern_filters(tmp_path):
    data = str(tmp_path / "data")
    hdfs = os.path.join(LOGHUB, "HDFS_2k.log")
    subprocess.run([ALCO, "ingest", "--data", data, "--index", "h", "--retention-days", "100000", "--patterns", hdfs],
                   check=True, capture_output=True)
    out = subprocess.run([ALCO, "patterns", "--data", data, "--index", "h", "--json"], check=True, capture_output=True, text=True).stdout
    import json
    found = [json.loads(l) for l in out.splitlines()]
    assert sum(p["count"] for p in found) == 2000
    assert found[0]["template"] == "BLOCK* NameSystem.addStoredBlock: blockMap updated: <*> is added to <*> size <*>"
    assert found[0]["count"] == 314 and found[0]["first_seen"].startswith("2008-11-")
    assert [p["count"] for p in found] == sorted((p["count"] for p in found), reverse=True)
    top = found[0]["id"]
    def count(*args):
        return int(subprocess.run([ALCO, "search", "--data", data, "--index", "h", "--since", "2000-01-01", "--count", *args],
                                  capture_output=True, text=True).stdout)
    assert count("--pattern", top) == 314
    assert count("--not-pattern", top) == 1686
    assert count("--pattern", top, "--pattern", found[1]["id"]) == 314 + found[1]["count"]
    # A query narrows the lines counted; --new-since keeps patterns first seen after a time.
    out = subprocess.run([ALCO, "patterns", "--data", data, "--index", "h", "--json", "Served"], check=True, capture_output=True, text=True).stdout
    assert [json.loads(l)["template"] for l in out.splitlines()] == ["<*> Served block <*> to <*>"]
    out = subprocess.run([ALCO, "patterns", "--data", data, "--index", "h", "--new-since", "2030-01-01"], check=True, capture_output=True, text=True)
    assert out.stdout == ""
    bad = subprocess.run([ALCO, "search", "--data", data, "--index", "h", "--pattern", "x1"], capture_output=True, text=True)
    assert bad.returncode == 2 and "a pattern is a number" in bad.stderr

"""The `mysql` command-line client (Debian's mariadb-client) against alco."""
import datetime
import subprocess


def mysql(alco, *args, sql=None, check=True):
    r = subprocess.run(["mysql", "-h127.0.0.1", "-P%d" % alco.port, "-utest", *args] + (["-e", sql] if sql else []),
                       capture_output=True, text=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_show_tables_and_anchor_queries(alco, rows):
    out = mysql(alco, "--batch", sql="SHOW TABLES").stdout.splitlines()
    # ALCO's tables: each index distributed over its day tables (rt) and their _distr forms.
    assert out[0] == "Index\tType" and "logs\tdistributed" in out and "logsx\tdistributed" in out
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d")
    assert "logs_%s\trt" % today in out and "logs_%s_distr\tdistributed" % today in out
    assert out[1:] == sorted(out[1:])
    newest = max(r[0] for r in rows)
    out = mysql(alco, "--batch", "--skip-column-names", sql="SELECT id FROM logs ORDER BY id DESC LIMIT 1").stdout
    assert out.strip() == str(newest)
    out = mysql(alco, "--batch", sql="SELECT js.levelname AS l, COUNT(*) AS n FROM logs GROUP BY l ORDER BY n DESC").stdout
    counts = dict(line.split("\t") for line in out.splitlines()[1:])
    assert sum(int(v) for v in counts.values()) >= len(rows)
    assert "INFO" in counts


def test_column_types_are_sphinx_types(alco):
    out = mysql(alco, "-t", "--column-type-info", sql="SELECT id, logline, js FROM logs ORDER BY id DESC LIMIT 1; "
                                                 "SELECT js.levelname AS l, COUNT(*) FROM logs GROUP BY l LIMIT 1").stdout
    fields = out.split("Field ")
    types = [f.split("Type:")[1].split()[0] for f in fields[1:]]
    assert types == ["LONGLONG", "STRING", "STRING", "STRING", "LONG"]


def test_interactive_greeting_and_status(alco):
    # What the interactive client sends on connect and for `status`.
    r = mysql(alco, sql="select @@version_comment limit 1; select DATABASE(), USER() limit 1")
    assert "alco" in r.stdout
    assert "test@" in r.stdout


def test_syntax_error_is_1064_with_position(alco):
    r = mysql(alco, sql="SELECT id FROM logs WHERE", check=False)
    assert r.returncode == 1
    assert "ERROR 1064 (42000)" in r.stderr
    assert "near" in r.stderr
    r = mysql(alco, sql="SELECT id FROM nosuchindex", check=False)
    assert "ERROR 1064" in r.stderr and "nosuchindex" in r.stderr


def test_multi_statement_batch(alco):
    out = mysql(alco, "--batch", sql="SELECT id FROM logs WHERE MATCH('@logline block') LIMIT 2; SHOW META").stdout
    lines = out.splitlines()
    assert lines[0] == "id" and lines[3] == "Variable_name\tValue"
    meta = dict(line.split("\t") for line in lines[4:])
    assert int(meta["total"]) == min(int(meta["total_found"]), 1000) and int(meta["total_found"]) > 2

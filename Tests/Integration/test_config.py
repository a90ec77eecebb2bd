"""`alco serve --config`: a YAML file, environment variables over it, flags over both."""
import os
import shutil
import signal
import subprocess
import tempfile

import pymysql

from servers import ALCO, ROOT, free_port, wait_port


def test_config_file_env_and_flags():
    d = tempfile.mkdtemp(prefix="alco-config-")
    try:
        mysql_port, http_port, env_port, api_port = free_port(), free_port(), free_port(), free_port()
        config = os.path.join(d, "alco.yaml")
        with open(config, "w") as f:
            f.write(f"""
data: {d}/data
mysql:
  listen: 127.0.0.1:{mysql_port}
http:
  listen: 127.0.0.1:{http_port}
sphinxapi:
  listen: 127.0.0.1:{api_port}
node: 4
indexes:
  - name: fromconfig
    retention_days: 7
    routing_keys: ["logstash.app.#", "logstash.web.#"]
    timezone: Europe/Moscow
""")
        # The environment overrides the file's MySQL address; the flag overrides HTTP.
        flag_http = free_port()
        env = dict(os.environ, ALCO_MYSQL="127.0.0.1:%d" % env_port)
        log = open(os.path.join(d, "serve.log"), "w")
        proc = subprocess.Popen([ALCO, "serve", "--config", config, "--http", "127.0.0.1:%d" % flag_http], env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_port(env_port, proc)
            wait_port(flag_http, proc)
            wait_port(api_port, proc)
            c = pymysql.connect(host="127.0.0.1", port=env_port, user="t")
            cur = c.cursor()
            cur.execute("SHOW TABLES")
            assert ("fromconfig", "distributed") in cur.fetchall()
            c.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
        with open(os.path.join(d, "serve.log")) as f:
            assert "cluster node 4" in f.read()
        with open(os.path.join(d, "data", "node")) as f:
            assert f.read().strip() == "4"
        out = subprocess.run([ALCO, "index", "list", "--data", d + "/data"], capture_output=True, text=True, check=True).stdout
        assert "fromconfig" in out and "7d" in out and "logstash.app.#,logstash.web.#" in out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_bad_config_is_a_clear_error():
    d = tempfile.mkdtemp(prefix="alco-config-")
    try:
        config = os.path.join(d, "alco.yaml")
        with open(config, "w") as f:
            f.write("mysql:\n  listen: [not, an, address\n")
        r = subprocess.run([ALCO, "serve", "--config", config], capture_output=True, text=True, timeout=30)
        assert r.returncode != 0 and "alco.yaml" in r.stderr
        r = subprocess.run([ALCO, "serve", "--config", os.path.join(d, "missing.yaml")], capture_output=True, text=True, timeout=30)
        assert r.returncode != 0 and "cannot read the config file" in r.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_example_config_parses():
    # The documented example must stay valid: it fails only on what it points at (no broker
    # checks at parse time), so validation passes and --help-like dry parsing works.
    d = tempfile.mkdtemp(prefix="alco-config-")
    try:
        with open(os.path.join(ROOT, "alco.example.yaml")) as f:
            text = f.read().replace("/var/lib/alco", d + "/data")
        text = text.replace("127.0.0.1:9306", "127.0.0.1:%d" % free_port()).replace("127.0.0.1:8080", "127.0.0.1:%d" % free_port())
        text = text.replace("127.0.0.1:9312", "127.0.0.1:%d" % free_port())
        config = os.path.join(d, "alco.yaml")
        with open(config, "w") as f:
            f.write(text)
        proc = subprocess.Popen([ALCO, "serve", "--config", config], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = ""
        for _ in range(20):
            line = proc.stdout.readline()
            if "press Ctrl-C" in line or not line:
                break
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=60)[0]
        assert "press Ctrl-C" in line, out
    finally:
        shutil.rmtree(d, ignore_errors=True)

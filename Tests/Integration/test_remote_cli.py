"""`alco search --server` through a real TLS-terminating proxy (Debian's nginx on loopback, in
front of `alco serve` under a path prefix): the test CA trusted with --cacert and refused
without it, a redirect followed, kept-alive connections for the context requests, and -f
streaming new lines through the proxy as they arrive."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
import uuid

import pytest

from servers import ALCO, AlcoServer, free_port, wait_port

TLS_DIR = os.environ.get("ALCO_TEST_TLS", "/tmp/alco-test-tls")
TOKEN = "s3cret-token"


class Nginx:
    """nginx in the foreground with a config of its own: TLS on a loopback port, /alco/ proxied
    to alco's HTTP port unbuffered (so a tail streams), /moved/ a 301 to /alco/, and an access
    log that names each request's connection and its number on it."""

    def __init__(self, upstream_port):
        self.dir = tempfile.mkdtemp(prefix="alco-nginx-")
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        d = self.dir
        with open(conf, "w") as f:
            f.write("""
daemon off;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events {}
http {
    log_format conn '$connection $connection_requests $status $request_uri';
    access_log %(d)s/access.log conn;
    client_body_temp_path %(d)s/body;
    proxy_temp_path %(d)s/proxy;
    server {
        listen 127.0.0.1:%(port)d ssl;
        server_name localhost;
        ssl_certificate %(tls)s/server.pem;
        ssl_certificate_key %(tls)s/server.key;
        keepalive_requests 1000;
        location /alco/ {
            proxy_pass http://127.0.0.1:%(up)d/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 300s;
        }
        location /moved/ {
            rewrite ^/moved/(.*)$ /alco/$1 permanent;
        }
    }
}
""" % {"d": d, "port": self.port, "tls": TLS_DIR, "up": upstream_port})
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", d], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_port(self.port, self.proc)

    def access_log(self):
        with open(os.path.join(self.dir, "access.log")) as f:
            return [line.split() for line in f if line.strip()]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def proxied():
    server = AlcoServer(indexes=("app",), extra_args=("--http-token", TOKEN))
    nginx = Nginx(server.http_port)
    try:
        yield server, nginx
    finally:
        nginx.stop()
        server.stop()


def ingest(server, lines):
    body = "".join(json.dumps({"@timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "message": m}) + "\n"
                   for m in lines).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/ingest/app" % server.http_port, data=body,
                                 headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert json.loads(r.read())["stored"] == len(lines)


def search(*args, check=True):
    r = subprocess.run([ALCO, "search", "--index", "app", "--token", TOKEN, *args], capture_output=True, text=True, timeout=120)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_https_through_the_proxy_prints_what_a_direct_search_prints(proxied):
    server, nginx = proxied
    marker = "tls" + uuid.uuid4().hex[:8]
    ingest(server, ["%s line %d" % (marker, k) for k in range(40)])
    direct = search("--server", "http://127.0.0.1:%d" % server.http_port, "--json", marker).stdout
    assert len(direct.splitlines()) == 40
    over_tls = search("--server", "https://localhost:%d/alco" % nginx.port, "--cacert", TLS_DIR + "/ca.pem", "--json", marker).stdout
    assert over_tls == direct
    count = search("--server", "https://localhost:%d/alco/" % nginx.port, "--cacert", TLS_DIR + "/ca.pem", "--count", marker).stdout
    assert count.strip() == "40"


def test_an_untrusted_certificate_is_refused_clearly(proxied):
    _, nginx = proxied
    # The system's CA store does not know the test CA; nor does a CA that signed nothing here.
    for extra in ([], ["--cacert", TLS_DIR + "/other-ca.pem"]):
        r = search("--server", "https://localhost:%d/alco" % nginx.port, *extra, "anything", check=False)
        assert r.returncode == 2 and r.stdout == ""
        assert "cannot reach https://localhost:%d" % nginx.port in r.stderr and "CERTIFICATE_VERIFY_FAILED" in r.stderr, r.stderr
    r = search("--server", "https://localhost:%d/alco" % nginx.port, "--cacert", "/nonexistent/ca.pem", "x", check=False)
    assert r.returncode == 2 and "cannot read the CA certificates in /nonexistent/ca.pem" in r.stderr


def test_redirects_are_followed_and_credentials_checked(proxied):
    server, nginx = proxied
    marker = "moved" + uuid.uuid4().hex[:8]
    ingest(server, ["%s line" % marker])
    r = search("--server", "https://localhost:%d/moved" % nginx.port, "--cacert", TLS_DIR + "/ca.pem", marker)
    assert "%s line" % marker in r.stdout
    assert any(row[2] == "301" for row in nginx.access_log())
    bad = subprocess.run([ALCO, "search", "--index", "app", "--token", "wrong", "--server", "https://localhost:%d/alco" % nginx.port,
                          "--cacert", TLS_DIR + "/ca.pem", marker], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "the server answered 401" in bad.stderr


def test_context_requests_share_kept_alive_connections(proxied):
    server, nginx = proxied
    marker = "ctx" + uuid.uuid4().hex[:8]
    ingest(server, ["%s %d" % (marker, k) if k % 5 == 0 else "filler %d" % k for k in range(50)])
    before = len(nginx.access_log())
    r = search("--server", "https://localhost:%d/alco" % nginx.port, "--cacert", TLS_DIR + "/ca.pem", "-C", "1", marker)
    assert r.stdout.count(marker) == 10 and "filler" in r.stdout
    rows = nginx.access_log()[before:]
    # The index, the search and ten context requests: on one or two connections, not twelve.
    assert len(rows) >= 12
    assert max(int(row[1]) for row in rows) >= 5, rows
    assert len({row[0] for row in rows}) <= 3, rows


def test_follow_streams_new_lines_through_the_proxy(proxied):
    server, nginx = proxied
    marker = "follow" + uuid.uuid4().hex[:8]
    ingest(server, ["%s old" % marker])
    p = subprocess.Popen([ALCO, "search", "--index", "app", "--token", TOKEN, "-f", "--server", "https://localhost:%d/alco" % nginx.port,
                          "--cacert", TLS_DIR + "/ca.pem", marker], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "%s old" % marker in p.stdout.readline()
        time.sleep(0.5)
        ingest(server, ["%s new" % marker])
        line = p.stdout.readline()
        assert "%s new" % marker in line, line
    finally:
        p.kill()
        p.wait()

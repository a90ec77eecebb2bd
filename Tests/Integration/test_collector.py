"""python logcollect -> a real RabbitMQ -> `alco serve --amqp` -> found by SphinxQL.

Needs rabbitmq-server on 127.0.0.1:5672 (start-servers.sh), since logcollect ignores the port.
"""
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pymysql
import pytest
from prometheus_client.parser import text_string_to_metric_families

from servers import ALCO, AlcoServer

HERE = os.path.dirname(__file__)
AMQP = "amqp://guest:guest@127.0.0.1:5672"
QUEUES = []  # every queue a test here made, removed when the module ends


def broker(body):
    import amqp
    conn = amqp.Connection(host="127.0.0.1:5672", userid="guest", password="guest")
    try:
        return body(conn.channel())
    finally:
        conn.close()


@pytest.fixture(autouse=True, scope="module")
def fresh_exchange():
    """Start from no `logstash` exchange, as on a new broker: logcollect declares it
    non-durable and fails (406) on one that an earlier run left durable. Afterwards the
    tests' queues go too: left bound to `logstash.#`, each would take a copy of every
    message published on this broker later."""
    broker(lambda ch: ch.exchange_delete("logstash"))
    yield
    for queue in QUEUES:
        broker(lambda ch: ch.queue_delete(queue))


def publish(marker, count, *flags):
    subprocess.run([sys.executable, os.path.join(HERE, "publish_logcollect.py"), marker, str(count), *flags],
                   check=True, timeout=300)


def collector(queue, durable=False):
    QUEUES.append(queue)
    create = ["index", "create", "logs", "--queue", queue, "--routing-keys", "logstash.#"]
    if durable:
        create.append("--durable")
    return AlcoServer(indexes=(), prepare=[create], extra_args=["--amqp", AMQP])


def wait_consuming(server, queue, consumers=1, timeout=60):
    """Until the server's log says `consumers` consumers consume `queue` (bound, so what is
    published from now on reaches it) — observed, not a sleep. Counts lines after `since`."""
    deadline = time.time() + timeout
    line = "consuming '%s'" % queue
    while time.time() < deadline:
        server.log.flush()
        with open(server.log.name, errors="replace") as f:
            if f.read().count(line) >= consumers:
                return
        time.sleep(0.05)
    raise AssertionError("no consumer of %s within %d s" % (queue, timeout))


def wait_drained(queue, timeout=120):
    """Until the broker holds nothing of `queue`, ready or unacknowledged: every delivery has
    been stored and acked, so what the index holds is final (observed, not a sleep)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = ""
        for node in (["-n", "rabbit@localhost"], []):
            out = subprocess.run(["rabbitmqctl", *node, "list_queues", "-q", "name", "messages", "messages_unacknowledged"],
                                 capture_output=True, text=True, timeout=60).stdout
            if out:
                break
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == queue and parts[1] == "0" and parts[2] == "0":
                return
        time.sleep(0.2)
    raise AssertionError("queue %s did not drain within %d s" % (queue, timeout))


def rows(port, sql):
    c = pymysql.connect(host="127.0.0.1", port=port, user="t", autocommit=True)
    cur = c.cursor()
    cur.execute(sql)
    out = cur.fetchall()
    c.close()
    return out


def wait_for(port, marker, expected, timeout=60):
    deadline = time.time() + timeout
    got = []
    while time.time() < deadline:
        got = rows(port, "SELECT id, logline, js FROM logs WHERE MATCH('@logline %s') LIMIT 100000 OPTION max_matches=100000" % marker)
        if len(got) >= expected:
            return got
        time.sleep(0.2)
    raise AssertionError("%d of %d records of %s arrived" % (len(got), expected, marker))


def test_logcollect_records_are_stored_with_their_fields():
    queue = "alco-test-" + uuid.uuid4().hex[:8]
    server = collector(queue)
    try:
        marker = "m" + uuid.uuid4().hex[:10]
        publish(marker, 3, "--exception")
        got = wait_for(server.port, marker, 5)
        by_line = {r[1]: json.loads(r[2]) for r in got}
        info = by_line["record n=1 of %s" % marker]
        assert info["levelname"] == "INFO" and info["request_id"] == "req-%s-1" % marker and info["number"] == 1
        assert info["logger"] == "alcotest.app" and "host" in info and "seq" not in info
        error = by_line["payment failed for %s" % marker]
        assert error["levelname"] == "ERROR"
        crash = by_line["crashed while handling %s" % marker]
        assert "ZeroDivisionError" in crash["exc_info"]
        # Found through the index too, not only by id order: by a js filter and by the CLI.
        errors = rows(server.port, "SELECT id FROM logs WHERE MATCH('@logline %s') AND js.levelname = 'ERROR'" % marker)
        assert len(errors) == 2
        # And over HTTP.
        out = subprocess.run(["curl", "-sS", "http://127.0.0.1:%d/api/v1/search?index=logs&q=%s&field=levelname:ERROR"
                              % (server.http_port, marker)], capture_output=True, check=True).stdout
        hits = json.loads(out)["hits"]
        assert len(hits) == 2 and all(h["js"]["levelname"] == "ERROR" for h in hits)
        # Its latencies in /metrics, read with Prometheus' own parser: the batches consumed,
        # stored and acknowledged.
        text = subprocess.run(["curl", "-sS", "http://127.0.0.1:%d/metrics" % server.http_port], capture_output=True,
                              text=True, check=True).stdout
        counts = {(s.name, tuple(sorted(s.labels.items()))): s.value
                  for f in text_string_to_metric_families(text) for s in f.samples if s.name.endswith("_count")}
        assert counts[("alco_amqp_consume_to_ack_seconds_count", (("index", "logs"),))] >= 1, text
        assert counts[("alco_ingest_batch_duration_seconds_count", (("index", "logs"), ("source", "amqp")))] >= 1, text
        # And by `alco search`: against the running server, then on its data once it stopped.
        cli = ["search", "--index", "logs", "--json", "--field", "levelname=ERROR", marker]
        remote = subprocess.run([ALCO, *cli, "--server", "http://127.0.0.1:%d" % server.http_port],
                                capture_output=True, text=True, check=True).stdout
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=60)
        local = subprocess.run([ALCO, *cli, "--data", server.data], capture_output=True, text=True, check=True).stdout
        for out in (remote, local):
            found = [json.loads(line) for line in out.splitlines()]
            assert sorted(f["logline"] for f in found) == sorted(["payment failed for %s" % marker,
                                                                  "crashed while handling %s" % marker])
            assert all(f["js"]["levelname"] == "ERROR" and f["js"]["logger"] == "alcotest.app" for f in found)
        assert remote == local
    finally:
        server.stop()


def test_kill_9_mid_stream_loses_nothing_and_duplicates_nothing():
    # logcollect declares the exchange non-durable; a durable index must use it as it is.
    publish("warmup" + uuid.uuid4().hex[:6], 1)
    queue = "alco-test-" + uuid.uuid4().hex[:8]
    server = collector(queue, durable=True)
    marker = "k" + uuid.uuid4().hex[:10]
    count = 3000
    try:
        publisher = subprocess.Popen([sys.executable, os.path.join(HERE, "publish_logcollect.py"), marker, str(count),
                                      "--delay", "0.0005"])
        deadline = time.time() + 60
        while time.time() < deadline:
            n = rows(server.port, "SELECT COUNT(*) FROM logs WHERE MATCH('@logline %s')" % marker)[0][0]
            if n > 300:
                break
            time.sleep(0.05)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        publisher.wait(timeout=300)
        # The same data directory, a new process: unacked deliveries come back.
        server.start()
        got = wait_for(server.port, marker, count, timeout=120)
        with open(os.path.join(server.dir, "serve.log")) as f:
            assert "exists with other flags; using it as it is" in f.read()
        wait_drained(queue)  # every delivery processed: nothing more can arrive
        got = wait_for(server.port, marker, count)
        numbers = sorted(int(r[1].split("n=")[1].split()[0]) for r in got)
        assert numbers == list(range(count)), "every record exactly once"
    finally:
        server.stop()


def test_broker_restart_mid_stream():
    queue = "alco-test-" + uuid.uuid4().hex[:8]
    # Non-durable like logcollect's exchange: after the restart the collector declares the
    # exchange again, and producers must still be able to declare it their way.
    server = collector(queue)
    try:
        before = "b" + uuid.uuid4().hex[:10]
        publish(before, 200)
        wait_for(server.port, before, 200)
        subprocess.run(["rabbitmqctl", "-n", "rabbit@localhost", "stop_app"], check=True, capture_output=True, timeout=120)
        subprocess.run(["rabbitmqctl", "-n", "rabbit@localhost", "start_app"], check=True, capture_output=True, timeout=120)
        after = "a" + uuid.uuid4().hex[:10]
        # The collector reconnects with backoff; records published once the queue is back arrive.
        deadline = time.time() + 60
        while time.time() < deadline:
            # Records published before the collector has re-declared its queue have nowhere to go.
            publish(after, 1)
            n = rows(server.port, "SELECT COUNT(*) FROM logs WHERE MATCH('@logline %s')" % after)[0][0]
            if n:
                break
            time.sleep(1)
        after2 = "c" + uuid.uuid4().hex[:10]
        publish(after2, 200)
        wait_for(server.port, after2, 200)
        assert len(wait_for(server.port, before, 200)) == 200, "what was stored before the restart stays"
        assert server.alive()
    finally:
        server.stop()


def test_malformed_messages_are_rejected_with_reasons_and_consumption_goes_on():
    queue = "alco-test-" + uuid.uuid4().hex[:8]
    server = collector(queue)
    try:
        marker = "r" + uuid.uuid4().hex[:10]
        publish(marker, 1)
        wait_for(server.port, marker, 1)
        bodies = ["this is not json " + marker, "nor is this " + marker, '{"message": "no timestamp %s"}' % marker,
                  '{"@timestamp": "yesterday", "message": "bad time %s"}' % marker, '[1, 2, 3]',
                  # Over the 1 MiB a message may have (RabbitMQ itself takes up to 128 MiB).
                  json.dumps({"@timestamp": "2026-11-25T10:00:00Z", "message": "huge %s " % marker + "x" * (1 << 20)})]
        for body in bodies:
            # The body on stdin: the huge one is longer than an argument may be.
            subprocess.run(["amqp-publish", "-u", AMQP, "-e", "logstash", "-r", "logstash.bad"], input=body.encode(),
                           check=True, timeout=30)
        good = "g" + uuid.uuid4().hex[:10]
        publish(good, 5)
        wait_for(server.port, good, 5)
        deadline = time.time() + 30
        found = []
        while time.time() < deadline and len(found) < len(bodies):
            found = []
            rejects_dir = os.path.join(server.data, "rejects")
            for name in os.listdir(rejects_dir) if os.path.isdir(rejects_dir) else []:
                with open(os.path.join(rejects_dir, name)) as f:
                    found += [json.loads(l) for l in f if marker in l or '[1, 2, 3]' in l]
            time.sleep(0.2)
        reasons = sorted(r["reason"] for r in found)
        assert len(found) == len(bodies), found
        assert "malformed_json" in reasons and "missing_timestamp" in reasons and "bad_timestamp" in reasons
        assert "too_large" in reasons
        # The log says so once per reason (per minute), with where it came from.
        log = open(os.path.join(server.dir, "serve.log")).read()
        said = [l for l in log.splitlines() if "rejected a message from amqp:%s:logstash.bad" % queue in l]
        for reason in set(reasons):
            assert sum(": %s (" % reason in l for l in said) == 1, (reason, said)
        assert all(r["source"].startswith("amqp:%s" % queue) for r in found)
        assert any(r["raw"] == bodies[0] for r in found), "the raw body is kept"
    finally:
        server.stop()


def test_routing_keys_removed_from_the_settings_are_unbound():
    """AMQP cannot list a queue's bindings; alco remembers what it bound, so a key taken out
    of the index's settings stops routing to its queue after the next start."""
    queue = "alco-test-" + uuid.uuid4().hex[:8]
    QUEUES.append(queue)
    create = ["index", "create", "logs", "--queue", queue, "--routing-keys", "logstash.#,extra.#"]
    server = AlcoServer(indexes=(), prepare=[create], extra_args=["--amqp", AMQP])

    def send(routing_key, marker):
        body = json.dumps({"@timestamp": "2026-11-25T10:00:00Z", "message": "routed %s" % marker})
        subprocess.run(["amqp-publish", "-u", AMQP, "-e", "logstash", "-r", routing_key, "-b", body], check=True, timeout=30)

    try:
        wait_consuming(server, queue)  # bound before anything is published
        first = "b" + uuid.uuid4().hex[:10]
        send("extra.one", first)
        wait_for(server.port, first, 1)
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=60)
        server.alco("index", "alter", "logs", "--routing-keys", "logstash.#")
        server.start()
        wait_consuming(server, queue, consumers=2)  # the second start's bindings are in place
        dropped, kept = "d" + uuid.uuid4().hex[:10], "k" + uuid.uuid4().hex[:10]
        send("extra.two", dropped)
        send("logstash.app", kept)
        # One queue delivers in order: once the later message is in, the earlier would be too.
        wait_for(server.port, kept, 1)
        assert rows(server.port, "SELECT COUNT(*) FROM logs WHERE MATCH('%s')" % dropped)[0][0] == 0
    finally:
        server.stop()


def test_an_index_sets_its_own_number_of_consumers():
    """Like ALCO's num_processes: an index's `consumers` setting overrides serve's default."""
    queue = "alco-test-" + uuid.uuid4().hex[:8]
    QUEUES.append(queue)
    create = ["index", "create", "logs", "--queue", queue, "--routing-keys", "logstash.#", "--consumers", "3"]
    server = AlcoServer(indexes=(), prepare=[create], extra_args=["--amqp", AMQP, "--amqp-consumers", "1"])
    try:
        marker = "c" + uuid.uuid4().hex[:10]
        wait_consuming(server, queue, consumers=3)
        publish(marker, 30)
        assert len(wait_for(server.port, marker, 30)) == 30
        log = open(os.path.join(server.dir, "serve.log")).read()
        assert log.count("collector logs: consuming '%s'" % queue) == 3, log
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=60)
        bad = subprocess.run([ALCO, "index", "alter", "logs", "--consumers", "100", "--data", server.data],
                             capture_output=True, text=True)
        assert bad.returncode != 0 and "consumers must be from 1 to 64" in bad.stderr
    finally:
        server.stop()


TLS_DIR = os.environ.get("ALCO_TEST_TLS", "/tmp/alco-test-tls")


def test_amqps_consumes_over_tls_and_checks_the_broker_certificate():
    """The broker's TLS listener (start-servers.sh, a test CA): consuming over amqps://
    verified against that CA works; against a CA that did not sign the broker's certificate
    it refuses to connect and says why, and consumes nothing."""
    queue = "alco-tls-" + uuid.uuid4().hex[:8]
    QUEUES.append(queue)
    create = ["index", "create", "logs", "--queue", queue, "--routing-keys", "logstash.#"]
    good = "amqps://guest:guest@localhost:5671/?cacertfile=%s/ca.pem" % TLS_DIR
    server = AlcoServer(indexes=(), prepare=[create], extra_args=["--amqp", good])
    try:
        wait_consuming(server, queue)  # the consumer declares its queue before logcollect publishes
        marker = "t" + uuid.uuid4().hex[:10]
        publish(marker, 3)
        got = wait_for(server.port, marker, 3)
        assert len(got) == 3
    finally:
        server.stop()
    bad = "amqps://guest:guest@localhost:5671/?cacertfile=%s/other-ca.pem" % TLS_DIR
    server = AlcoServer(indexes=(), prepare=[create], extra_args=["--amqp", bad])
    try:
        deadline = time.time() + 20
        log = ""
        while time.time() < deadline:
            log = open(os.path.join(server.dir, "serve.log")).read()
            if "certificate" in log.lower() or "ssl" in log.lower() or "tls" in log.lower():
                break
            time.sleep(0.2)
        assert "cannot connect" in log and ("certificate" in log.lower() or "ssl" in log.lower()), log
        assert server.alive()
    finally:
        server.stop()


def test_nodes_share_one_queue_and_a_killed_node_loses_nothing():
    """Three `alco serve --node N` consume one index's queue as competing consumers behind a
    real Sphinx master; one is killed with SIGKILL mid-stream and started again. Through the
    front every record is found exactly once, and every node stored a share."""
    from servers import SphinxServer
    publish("warmup" + uuid.uuid4().hex[:6], 1)
    queue = "alco-test-" + uuid.uuid4().hex[:8]
    QUEUES.append(queue)
    create = ["index", "create", "logs", "--queue", queue, "--routing-keys", "logstash.#"]
    nodes = [AlcoServer(indexes=(), prepare=[create], extra_args=["--amqp", AMQP, "--node", str(k)]) for k in range(3)]
    front = SphinxServer(indexes=(), agents={"logs": ["127.0.0.1:%d:logs" % n.api_port for n in nodes]})
    marker = "c" + uuid.uuid4().hex[:10]
    count = 3000
    try:
        for n in nodes:
            wait_consuming(n, queue)
        publisher = subprocess.Popen([sys.executable, os.path.join(HERE, "publish_logcollect.py"), marker, str(count),
                                      "--delay", "0.0005"])
        victim = nodes[1]
        deadline = time.time() + 60
        while time.time() < deadline:
            if rows(victim.port, "SELECT COUNT(*) FROM logs WHERE MATCH('@logline %s')" % marker)[0][0] > 100:
                break
            time.sleep(0.05)
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait()
        publisher.wait(timeout=300)
        victim.start()
        wait_drained(queue)
        got = rows(front.port, "SELECT logline FROM logs WHERE MATCH('@logline %s') LIMIT 0, 5000 OPTION max_matches=5000" % marker)
        numbers = sorted(int(r[0].split("n=")[1].split()[0]) for r in got)
        assert numbers == list(range(count)), "every record exactly once through the front"
        shares = [rows(n.port, "SELECT COUNT(*) FROM logs WHERE MATCH('@logline %s')" % marker)[0][0] for n in nodes]
        assert all(s > 0 for s in shares), shares
        # The queue was declared durable for the cluster, whatever the index said.
        out = ""
        for node in (["-n", "rabbit@localhost"], []):
            out = subprocess.run(["rabbitmqctl", *node, "list_queues", "-q", "name", "durable"], capture_output=True,
                                 text=True, timeout=60).stdout
            if out:
                break
        assert any(line.split() == [queue, "true"] for line in out.splitlines()), out
    finally:
        front.stop()
        for n in nodes:
            n.stop()

"""Publishes log records through the real python `logcollect` 0.14.0 to RabbitMQ on
127.0.0.1:5672. Usage: publish_logcollect.py MARKER COUNT [--exception] [--delay SECONDS]."""
import logging, sys, time

from logcollect.boot import default_config

marker, count = sys.argv[1], int(sys.argv[2])
delay = float(sys.argv[sys.argv.index("--delay") + 1]) if "--delay" in sys.argv else 0.0
default_config(broker_uri="amqp://guest:guest@127.0.0.1/", activity_identity={"project": "alco-tests"})
log = logging.getLogger("alcotest.app")
for n in range(count):
    log.info("record n=%d of %s", n, marker, extra={"request_id": "req-%s-%d" % (marker, n), "number": n})
    if delay:
        time.sleep(delay)
if "--exception" in sys.argv:
    log.error("payment failed for %s", marker, extra={"request_id": "req-%s-err" % marker})
    try:
        1 / 0
    except ZeroDivisionError:
        log.exception("crashed while handling %s", marker)
logging.shutdown()

#!/usr/bin/env bash
# Starts the servers the integration tests use, on loopback, unless they already run:
# RabbitMQ on 127.0.0.1:5672 (python logcollect always connects to 5672) and with TLS on
# 127.0.0.1:5671 (a test CA in $ALCO_TEST_TLS), Redis on 127.0.0.1:6379.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for PORT NAME: up to 60 s for a server to listen.
wait_for() {
    for _ in $(seq 1 120); do
        port_open "$1" && { echo "$2 is up"; return 0; }
        sleep 0.5
    done
    echo "$2 did not start" >&2
    exit 1
}

# A test CA and a broker certificate for 127.0.0.1/localhost, for the amqps:// tests.
TLS_DIR=${ALCO_TEST_TLS:-/tmp/alco-test-tls}
if [ ! -f "$TLS_DIR/server.pem" ]; then
    mkdir -p "$TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=alco test CA" \
        -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$TLS_DIR/server.key" -out "$TLS_DIR/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$TLS_DIR/san.ext"
    openssl x509 -req -in "$TLS_DIR/server.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca.key" -CAcreateserial \
        -days 3650 -extfile "$TLS_DIR/san.ext" -out "$TLS_DIR/server.pem" 2>/dev/null
    # A CA that signed nothing here: the broker's certificate must fail against it.
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=other CA" \
        -keyout "$TLS_DIR/other-ca.key" -out "$TLS_DIR/other-ca.pem" 2>/dev/null
    chmod 644 "$TLS_DIR"/*
fi
cat > "$TLS_DIR/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:5672
listeners.ssl.default = 127.0.0.1:5671
ssl_options.cacertfile = $TLS_DIR/ca.pem
ssl_options.certfile = $TLS_DIR/server.pem
ssl_options.keyfile = $TLS_DIR/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
CONF

# A broker already running without the TLS listener (started by the package) is restarted with it.
if port_open 5672 && ! port_open 5671; then
    echo "restarting rabbitmq-server with a TLS listener"
    rabbitmqctl stop >/dev/null 2>&1 || rabbitmqctl -n rabbit@localhost stop >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do port_open 5672 || break; sleep 0.5; done
fi
if ! port_open 5672; then
    echo "starting rabbitmq-server on 127.0.0.1:5672 (TLS on 5671)"
    export RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_CONFIG_FILE="$TLS_DIR/rabbitmq.conf"
    # The management/distribution ports stay on loopback too.
    export ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT=25672
    rabbitmq-server -detached >/dev/null 2>&1 || true
fi
wait_for 5672 rabbitmq-server
wait_for 5671 "rabbitmq-server (TLS)"

if ! port_open 6379; then
    echo "starting redis-server on 127.0.0.1:6379"
    redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save "" --appendonly no >/dev/null
fi
wait_for 6379 redis-server

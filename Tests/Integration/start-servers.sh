#!/usr/bin/env bash
# Starts the servers the integration tests use, on loopback, unless they already run:
# RabbitMQ on 127.0.0.1:5672 (python logcollect always connects to 5672), Redis on 127.0.0.1:6379.
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

if ! port_open 5672; then
    echo "starting rabbitmq-server on 127.0.0.1:5672"
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODENAME=rabbit@localhost
    # The management/distribution ports stay on loopback too.
    export ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT=25672
    rabbitmq-server -detached >/dev/null 2>&1 || true
fi
wait_for 5672 rabbitmq-server

if ! port_open 6379; then
    echo "starting redis-server on 127.0.0.1:6379"
    redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save "" --appendonly no >/dev/null
fi
wait_for 6379 redis-server

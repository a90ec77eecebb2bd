#!/usr/bin/env bash
# Stops what start-servers.sh started on loopback: RabbitMQ (5672, TLS 5671, distribution
# 25672, epmd 4369) and Redis (6379). Servers that are not running are left alone.
set -uo pipefail
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if port_open 5672; then
    echo "stopping rabbitmq-server"
    rabbitmqctl -n rabbit@localhost stop >/dev/null 2>&1 || rabbitmqctl stop >/dev/null 2>&1 || true
    epmd -kill >/dev/null 2>&1 || true
fi
if port_open 6379; then
    echo "stopping redis-server"
    redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true
fi

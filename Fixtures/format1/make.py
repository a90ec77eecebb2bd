"""Writes the lines behind Fixtures/format1/data: a data directory that alco at commit 08d4e60
(segment format 1: varint postings) wrote with

    python3 Fixtures/format1/make.py > lines.jsonl
    alco index create --data Fixtures/format1/data logs
    alco ingest --data Fixtures/format1/data --index logs lines.jsonl

Tests open it with the current engine (FormatCompatibilityTests) and expect these lines back.
"""
import json

LEVELS = ["INFO", "WARNING", "ERROR"]

for i in range(3000):
    ms = i * 7
    print(json.dumps({
        "@timestamp": "2026-11-20T10:%02d:%02d.%03d000Z" % (ms // 60000, ms // 1000 % 60, ms % 1000),
        "@version": 1,
        "message": "worker-%d handled request req-%08x in %d ms" % (i % 7, i * 2654435761 % 2**32, i % 997),
        "host": "web%d" % (i % 4),
        "levelname": LEVELS[i % 3],
        "n": i,
    }))

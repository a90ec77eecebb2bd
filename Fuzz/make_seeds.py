#!/usr/bin/env python3
"""Writes the kept seed corpora of the fuzz targets (Fuzz/corpus/<target>/): valid inputs of
each kind, from which libFuzzer mutates. Deterministic; rerun after a format change."""
import os, struct

HERE = os.path.dirname(os.path.abspath(__file__))


def crc32c(data, crc=0):
    poly = 0x82F63B78
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (poly if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([n & 0x7F | 0x80])
        n >>= 7
    return out + bytes([n])


def string(s):
    b = s.encode()
    return varint(len(b)) + b


def wal_record(lsn, payload):
    seed = crc32c(struct.pack("<Q", lsn))
    return struct.pack("<IIQ", len(payload), crc32c(payload, seed), lsn) + payload


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def packet(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def main():
    # WAL files: inserts, a replace, a delete, a truncate.
    docs = b"".join(struct.pack("<Q", 1795630800000000000 + k * 1000) + string("line %d of the log" % k) + string('{"host":"web%d"}' % k)
                    for k in range(3))
    insert = b"\x01" + varint(3) + docs
    replace = b"\x02" + varint(1) + struct.pack("<Q", 1795630800000000000) + string("replaced") + string("{}")
    delete = b"\x03" + varint(2) + struct.pack("<QQ", 1795630800000001000, 42)
    write("wal", "inserts", wal_record(1, insert))
    write("wal", "mixed", wal_record(1, insert) + wal_record(2, replace) + wal_record(3, delete) + wal_record(4, b"\x04"))
    # MySQL client bytes: a login, then commands.
    caps = 0x0200 | 0x8000 | 0x00010000 | 0x00020000 | 0x00080000
    login = struct.pack("<IIB23x", caps, 1 << 24, 33) + b"user\0" + b"\x14" + b"\x01" * 20 + b"db\0" + b"mysql_native_password\0"
    write("mysql", "login-query", packet(1, login) + packet(0, b"\x03SELECT id FROM logs LIMIT 1") + packet(0, b"\x01"))
    write("mysql", "login-ping-initdb", packet(1, login) + packet(0, b"\x0e") + packet(0, b"\x02logs") + packet(0, b"\x1f"))
    write("mysql", "pipelined", packet(1, login) + b"".join(packet(0, b"\x03SHOW META") for _ in range(4)))
    # HTTP query strings of the search API.
    for k, q in enumerate(["index=app&q=timeout&since=2h&limit=50", "index=app&mode=regex&q=blk_-69%5B0-9%5D%2B&case=sensitive",
                           "index=app&field=levelname:ERROR&field=-host:web1&after=1795630800000000000",
                           "index=app&q=%22connection+refused%22~3&hl_q=refused&highlight=true&buckets=60",
                           "index=app&mode=substring&q=lk_-69522&until=2026-11-25T10:00&before=5"]):
        write("http-query", "q%d" % k, q)
    # MATCH texts.
    for k, m in enumerate(['@logline "connection refused"~3 -noise', "(a | b) @(logline,js) c*", '"a b c"/2 !x *mid*',
                           "@!js web01 (error | warn*)", "blk_\\-42 @request_id abc"]):
        write("match", "m%d" % k, m)


if __name__ == "__main__":
    main()

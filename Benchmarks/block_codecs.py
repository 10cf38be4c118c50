#!/usr/bin/env python3
"""How each kind of block of a Tally database deflates under several zlib settings (BENCHMARKS.md).

The writer's choice per block kind (`BlockKind.deflate` in Sources/Tally/Format/Block.swift) was
made by recompressing a real database's blocks this way: for each kind, the bytes stored as the
file has them, then the bytes and CPU seconds of deflating every block's raw content at each
setting (a block is stored raw when deflate does not make it smaller, as the writer does).

    python3 Benchmarks/block_codecs.py DB [--kinds 4,5,12]

Blocks are found by walking the file from the end of the superblocks (offset 8192) and keeping
every run of bytes that frames a block whose CRC matches (format-spec.md, section 4); bytes that
do not (dead space) are stepped over one at a time. Needs only the standard library.
"""
import argparse
import struct
import sys
import time
import zlib

KINDS = {
    1: "catalog", 2: "footer", 3: "dictionary", 4: "series", 5: "seriesRuns", 6: "buckets",
    7: "counts", 8: "valueCounts", 9: "sums", 10: "minimums", 11: "maximums", 12: "sketches",
    13: "experiment", 14: "totals", 15: "sketchEntries",
}
SETTINGS = [
    ("L6", 6, zlib.Z_DEFAULT_STRATEGY),
    ("L6 RLE", 6, zlib.Z_RLE),
    ("L5 filtered", 5, zlib.Z_FILTERED),
    ("L1", 1, zlib.Z_DEFAULT_STRATEGY),
]


def memory_level(count):
    """The writer's memory level: the smallest whose symbol buffer holds the block (Zlib.swift)."""
    level = 1
    while level < 8 and (1 << (level + 6)) < count:
        level += 1
    return level


def blocks(data):
    """(kind, stored length, raw content) of every CRC-valid block after the superblocks."""
    position = 8192
    while position + 16 <= len(data):
        stored, raw_length, crc, codec, kind, reserved = struct.unpack_from("<IIIBBH", data, position)
        end = position + 16 + stored
        if reserved == 0 and codec in (0, 1) and kind in KINDS and end <= len(data):
            check = zlib.crc32(data[position + 12:end], zlib.crc32(data[position:position + 8]))
            if check == crc:
                body = data[position + 16:end]
                yield kind, stored, zlib.decompress(body) if codec == 1 else body
                position = end
                continue
        position += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--kinds", help="comma-separated block kinds (default: all)")
    args = parser.parse_args()
    wanted = {int(k) for k in args.kinds.split(",")} if args.kinds else set(KINDS)
    with open(args.db, "rb") as f:
        data = f.read()
    by_kind = {}
    for kind, stored, raw in blocks(data):
        if kind in wanted:
            entry = by_kind.setdefault(kind, {"raws": [], "stored": 0})
            entry["raws"].append(raw)
            entry["stored"] += stored
    header = ["kind", "blocks", "raw bytes", "in the file"] + [f"{name} bytes / s" for name, _, _ in SETTINGS]
    print(" | ".join(header))
    for kind in sorted(by_kind):
        raws = by_kind[kind]["raws"]
        row = [f"{kind} {KINDS[kind]}", str(len(raws)), f"{sum(map(len, raws)):,}", f"{by_kind[kind]['stored']:,}"]
        for _, level, strategy in SETTINGS:
            started = time.process_time()
            total = 0
            for raw in raws:
                stream = zlib.compressobj(level, zlib.DEFLATED, 15, memory_level(len(raw)), strategy)
                total += min(len(stream.compress(raw) + stream.flush()), len(raw))
            row.append(f"{total:,} / {time.process_time() - started:.2f}")
        print(" | ".join(row), flush=True)
    if not by_kind:
        sys.exit("no blocks found: is this a Tally database?")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes fuzz/corpus/checkpoint/*: small valid basin checkpoints (the layout of
train/checkpoint.cpp: safetensors with model./optimizer. tensors and metadata
format, version, position, config, checksum = CRC-32 over every tensor's
name\\0dtype\\0shape\\0bytes in file order, then every other metadata key\\0value\\0
in key order). Valid seeds let the fuzzer get past the checksum into the position
record parser. Run from the repository root: python3 fuzz/make_checkpoint_seeds.py"""
import json
import struct
import zlib

ST = {"float32": ("F32", "f", 4), "int64": ("I64", "q", 8)}


def checkpoint(tensors, position, config="{}"):
    meta = {"format": "basin-checkpoint", "version": "1", "position": json.dumps(position, separators=(",", ":")),
            "config": config}
    crc = 0
    blobs = []
    for name, dtype, shape, values in tensors:
        raw = struct.pack("<%d%s" % (len(values), ST[dtype][1]), *values)
        head = name + "\0" + dtype + "\0" + "[" + ", ".join(str(d) for d in shape) + "]" + "\0"
        crc = zlib.crc32(head.encode(), crc)
        crc = zlib.crc32(raw, crc)
        blobs.append((name, dtype, shape, raw))
    for k in sorted(meta):
        crc = zlib.crc32((k + "\0" + meta[k] + "\0").encode(), crc)
    meta["checksum"] = "%08x" % crc
    header = {"__metadata__": meta}
    off = 0
    for name, dtype, shape, raw in blobs:
        header[name] = {"dtype": ST[dtype][0], "shape": shape, "data_offsets": [off, off + len(raw)]}
        off += len(raw)
    js = json.dumps(header, separators=(",", ":"))
    js += " " * ((8 - (len(js) + 8) % 8) % 8)
    return struct.pack("<Q", len(js)) + js.encode() + b"".join(b[3] for b in blobs)


pos = {"epoch": 1, "batch": 3, "step": 17, "loss_sum": 2.5, "correct": 9, "count": 12, "seconds": 0.75, "skipped": 0}
d = "fuzz/corpus/checkpoint/"
open(d + "mlp_sgd.ckpt", "wb").write(checkpoint(
    [("model.fc1.weight", "float32", [2, 3], [0.5, -1, 2, 0, 1.5, 3]), ("model.fc1.bias", "float32", [2], [0.1, 0.2]),
     ("optimizer.fc1.weight.momentum", "float32", [2, 3], [0] * 6), ("optimizer.step", "int64", [], [17])],
    pos, '{"model":"mlp","lr":0.1}'))
open(d + "empty_start.ckpt", "wb").write(checkpoint([], dict(pos, epoch=0, batch=0, step=0, loss_sum=0, correct=0,
                                                               count=0, seconds=0)))

# Regression inputs (fuzz/regressions/checkpoint/): damaged files and hostile
# position records that carry a valid checksum, so they reach the parser.
r = "fuzz/regressions/checkpoint/"
good = checkpoint([("model.w", "float32", [2], [1, 2])], pos)
open(r + "truncated.ckpt", "wb").write(good[:len(good) - 3])
flipped = bytearray(good)
flipped[-1] ^= 0x40
open(r + "flipped_data_byte.ckpt", "wb").write(bytes(flipped))
open(r + "epoch_1e300.ckpt", "wb").write(checkpoint([], dict(pos, epoch=1e300)))
open(r + "step_float_huge.ckpt", "wb").write(checkpoint([], dict(pos, step=-1e30, count=1e19)))
open(r + "epoch_string.ckpt", "wb").write(checkpoint([], dict(pos, epoch="one")))
open(r + "position_not_json.ckpt", "wb").write(checkpoint([], "{epoch"))
open(r + "stray_tensor.ckpt", "wb").write(checkpoint([("weights.w", "float32", [1], [1])], pos))

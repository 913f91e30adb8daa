"""Write a big safetensors and a big GGUF file of real bytes (not sparse).

Usage: python bench/gen_big.py DIR GIB
Writes DIR/big-<GIB>g.safetensors and DIR/big-<GIB>g.gguf once (kept when
already there with the right size). Tensors are F32 blocks of 256 MiB
filled from a repeated random MiB, written in full so every page is on
disk; the headers follow the formats' specifications by hand, so no ML
library is needed.
"""
import json
import os
import struct
import sys
from pathlib import Path

TENSOR = 256 << 20          # bytes per tensor
ROWS, COLS = TENSOR // 4 // 4096, 4096
GGUF_ALIGN = 32


def fill(f, n, block):
    while n:
        k = min(n, len(block))
        f.write(block[:k])
        n -= k


def safetensors(path, n_tensors, block):
    header = {}
    for i in range(n_tensors):
        header[f"layers.{i}.weight"] = {
            "dtype": "F32", "shape": [ROWS, COLS],
            "data_offsets": [i * TENSOR, (i + 1) * TENSOR]}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _ in range(n_tensors):
            fill(f, TENSOR, block)


def gguf_str(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(path, n_tensors, block):
    kv = [("general.architecture", "llama"), ("general.name", "bench")]
    out = bytearray(b"GGUF")
    out += struct.pack("<IQQ", 3, n_tensors, len(kv))
    for k, v in kv:
        out += gguf_str(k) + struct.pack("<I", 8) + gguf_str(v)
    for i in range(n_tensors):
        out += gguf_str(f"blk.{i}.weight")
        out += struct.pack("<IQQ", 2, COLS, ROWS)   # dims, fastest first
        out += struct.pack("<IQ", 0, i * TENSOR)    # F32, offset
    out += b"\0" * (-len(out) % GGUF_ALIGN)
    with open(path, "wb") as f:
        f.write(out)
        for _ in range(n_tensors):
            fill(f, TENSOR, block)


def main():
    d, gib = Path(sys.argv[1]), int(sys.argv[2])
    d.mkdir(parents=True, exist_ok=True)
    n = gib * (1 << 30) // TENSOR
    block = os.urandom(1 << 20) * 16
    for ext, fn in (("safetensors", safetensors), ("gguf", gguf)):
        p = d / f"big-{gib}g.{ext}"
        if p.exists() and p.stat().st_size >= n * TENSOR:
            continue
        tmp = p.with_suffix(".part")
        fn(tmp, n, block)
        os.replace(tmp, p)
        print(f"wrote {p} ({p.stat().st_size / 2**30:.2f} GiB)")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes the exact Hessian spectrum of the tanh MLP fixture for basin's Lanczos,
Hutch++ and per-layer estimators (tests/test_curvature_lanczos_golden.cpp):

    /usr/bin/python3 tests/golden/make_hessian_fixtures.py     # after make_hvp_fixtures.py

It reads hvp_mlp_tanh.safetensors (weights, input, labels), builds the FULL
Hessian of the mean cross-entropy in float64 with torch.autograd.functional.hessian
(1810 x 1810), and writes hessian_mlp_tanh.safetensors:

  eigenvalues         all eigenvalues, largest first (torch.linalg.eigvalsh)
  trace, trace_sq     tr(H) and tr(H^2)
  block_trace/<name>  tr of the diagonal block of each parameter tensor
  block_top/<name>    largest eigenvalue of that diagonal block
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
from st_writer import save_safetensors  # noqa: E402


def load_safetensors(path):
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
        data = fh.read()
    dt = {"F32": np.float32, "I64": np.int64, "I32": np.int32, "F64": np.float64}
    out = {}
    for k, h in header.items():
        if k == "__metadata__":
            continue
        a, b = h["data_offsets"]
        out[k] = np.frombuffer(data[a:b], dtype=dt[h["dtype"]]).reshape(h["shape"])
    return out


def main():
    src = load_safetensors(os.path.join(HERE, "hvp_mlp_tanh.safetensors"))
    names = ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    shapes = [src[n].shape for n in names]
    sizes = [int(np.prod(s)) for s in shapes]
    w0 = torch.cat([torch.from_numpy(src[n].astype(np.float64)).reshape(-1) for n in names])
    x = torch.from_numpy(src["input"].astype(np.float64)).reshape(src["input"].shape[0], -1)
    y = torch.from_numpy(src["labels"].astype(np.int64))

    def loss_fn(w):
        parts = torch.split(w, sizes)
        w1, b1, w2, b2 = (p.reshape(s) for p, s in zip(parts, shapes))
        return F.cross_entropy(torch.tanh(x @ w1.T + b1) @ w2.T + b2, y)

    h = torch.autograd.functional.hessian(loss_fn, w0)
    h = 0.5 * (h + h.T)
    eig = torch.linalg.eigvalsh(h).flip(0)
    out = {"eigenvalues": eig.numpy(), "trace": np.array([torch.trace(h).item()]),
           "trace_sq": np.array([(h * h).sum().item()])}
    off = 0
    for n, s in zip(names, sizes):
        blk = h[off:off + s, off:off + s]
        out["block_trace/" + n] = np.array([torch.trace(blk).item()])
        out["block_top/" + n] = np.array([torch.linalg.eigvalsh(blk)[-1].item()])
        off += s
    save_safetensors(os.path.join(HERE, "hessian_mlp_tanh.safetensors"), out)
    print("top", eig[:5].tolist(), "min", eig[-3:].tolist(), "trace", out["trace"][0])


if __name__ == "__main__":
    main()

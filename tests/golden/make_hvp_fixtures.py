#!/usr/bin/python3
"""Writes the PyTorch golden fixtures for basin's Hessian-vector products
(tests/test_curvature_golden.cpp):

    /usr/bin/python3 tests/golden/make_hvp_fixtures.py        # torch 1.13, CPU

For each model: weights (float32-representable, stored in full), a batch of
inputs and labels, a direction v per parameter ("v/<name>") and the exact
Hessian-vector product of the mean cross-entropy ("hv/<name>"), computed by
torch.autograd.functional.hvp in float64 (so the fixture is the exact answer
and the C++ test measures basin's finite-difference error against it).

  hvp_mlp_tanh: Flatten, Linear(64, 24), Tanh, Linear(24, 10)   (basin's MLP naming)
  hvp_cnn_bn:   Conv2d(1,4,3,p1), BatchNorm2d(4), ReLU, Conv2d(4,6,3,s2,p1),
                BatchNorm2d(6), ReLU, Flatten, Linear(96, 10), BN in eval mode
                with non-trivial running statistics.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
from st_writer import save_safetensors  # noqa: E402  (shared writer, this folder)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(nn.Linear(64, 24), nn.Tanh(), nn.Linear(24, 10))

    def forward(self, x):
        return self.layers(self.flatten(x))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
                         nn.Flatten(), nn.Linear(96, 10))


def fixture(fname, model, n, seed):
    g = torch.Generator().manual_seed(seed)
    model = model.double()
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            if name.endswith("running_var"):
                t.copy_(0.5 + torch.rand(t.shape, generator=g, dtype=torch.float64))
            elif name.endswith("running_mean"):
                t.copy_(0.2 * torch.randn(t.shape, generator=g, dtype=torch.float64))
            elif "weight" in name and t.dim() == 1:  # BN gamma
                t.copy_(0.8 + 0.4 * torch.rand(t.shape, generator=g, dtype=torch.float64))
            else:
                t.copy_(0.4 * torch.randn(t.shape, generator=g, dtype=torch.float64) / np.sqrt(max(1, t[0].numel())))
            t.copy_(t.float().double())  # float32-representable
    model.eval()
    x = torch.randn((n, 1, 8, 8), generator=g, dtype=torch.float64).float().double()
    y = torch.randint(0, 10, (n,), generator=g)
    names = [k for k, _ in model.named_parameters()]
    params = tuple(p.detach().clone() for _, p in model.named_parameters())
    vs = tuple(torch.randn(p.shape, generator=g, dtype=torch.float64).float().double() for p in params)

    def loss_fn(*ps):
        state = dict(zip(names, ps))
        state.update({k: b for k, b in model.named_buffers()})
        out = torch.func.functional_call(model, state, (x,)) if hasattr(torch, "func") else \
            torch.nn.utils.stateless.functional_call(model, state, (x,))
        return F.cross_entropy(out, y)

    loss, hv = torch.autograd.functional.hvp(loss_fn, params, vs)
    out = {k: t.detach().numpy() for k, t in model.state_dict().items()}
    out["input"] = x.numpy()
    out["labels"] = y.numpy().astype(np.int64)
    out["loss"] = np.array([loss.item()])
    for name, v, h in zip(names, vs, hv):
        out["v/" + name] = v.numpy()
        out["hv/" + name] = h.numpy()
    save_safetensors(os.path.join(HERE, fname + ".safetensors"), out)
    print(fname, "loss", loss.item(), "|hv|", float(torch.sqrt(sum((h * h).sum() for h in hv))))


def main():
    torch.manual_seed(0)
    fixture("hvp_mlp_tanh", MLP(), 16, 1)
    fixture("hvp_cnn_bn", cnn(), 8, 2)


if __name__ == "__main__":
    main()

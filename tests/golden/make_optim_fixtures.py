#!/usr/bin/python3
"""Golden fixtures for basin's SGD and Adam/AdamW arena optimizers.

Run with the system python that has PyTorch (1.13 was used):
    /usr/bin/python3 tests/golden/make_optim_fixtures.py
writes tests/golden/optim_fixtures.json. Each case: three parameters (a weight
[4, 3], a bias [4], a norm scale [2]) laid out back to back as basin's arena
does, a fixed gradient per step, and the parameters after every step as
torch.optim computes them. With no_decay_bias the bias and the norm scale go to
a second parameter group with weight_decay 0 (basin: no-decay ranges).
"""
import json
import os

import torch

torch.manual_seed(1234)
SHAPES = [("fc.weight", (4, 3), False), ("fc.bias", (4,), True), ("bn.weight", (2,), True)]
STEPS = 5


def run_case(name, make_opt, opts, no_decay_bias):
    params = [torch.randn(s, dtype=torch.float32) for _, s, _ in SHAPES]
    params0 = torch.cat([p.flatten() for p in params]).tolist()
    params = [p.clone().requires_grad_(True) for p in params]
    grads = [[torch.randn(s, dtype=torch.float32) for _, s, _ in SHAPES] for _ in range(STEPS)]
    wd = opts.get("weight_decay", 0.0)
    if no_decay_bias:
        decay = [p for p, (_, _, b) in zip(params, SHAPES) if not b]
        nodecay = [p for p, (_, _, b) in zip(params, SHAPES) if b]
        groups = [{"params": decay, "weight_decay": wd}, {"params": nodecay, "weight_decay": 0.0}]
    else:
        groups = [{"params": params}]
    opt = make_opt(groups, **opts)
    after = []
    for t in range(STEPS):
        for p, g in zip(params, grads[t]):
            p.grad = g.clone()
        opt.step()
        after.append(torch.cat([p.detach().flatten() for p in params]).tolist())
    segments, off = [], 0
    for (n, s, b) in SHAPES:
        numel = 1
        for d in s:
            numel *= d
        segments.append({"name": n, "offset": off, "numel": numel, "is_bias_or_norm": b})
        off += numel
    return {"name": name, "optimizer": make_opt.__name__.lower(), "options": opts,
            "no_decay_bias": no_decay_bias, "segments": segments, "params0": params0,
            "grads": [torch.cat([g.flatten() for g in gs]).tolist() for gs in grads], "params": after}


cases = []
for momentum in (0.0, 0.9):
    for dampening in (0.0, 0.1):
        for nesterov in (False, True):
            if nesterov and (momentum == 0.0 or dampening != 0.0):
                continue
            if momentum == 0.0 and dampening != 0.0:
                continue
            for wd in (0.0, 0.05):
                for nd in (False, True):
                    if wd == 0.0 and nd:
                        continue
                    o = {"lr": 0.1, "momentum": momentum, "dampening": dampening, "nesterov": nesterov,
                         "weight_decay": wd}
                    cases.append(run_case(f"sgd_m{momentum}_d{dampening}_n{int(nesterov)}_wd{wd}_nd{int(nd)}",
                                          torch.optim.SGD, o, nd))
for make in (torch.optim.AdamW, torch.optim.Adam):
    for amsgrad in (False, True):
        for wd in (0.0, 0.1):
            for nd in (False, True):
                if wd == 0.0 and nd:
                    continue
                o = {"lr": 0.01, "betas": [0.9, 0.99], "eps": 1e-6, "weight_decay": wd, "amsgrad": amsgrad}
                cases.append(run_case(f"{make.__name__.lower()}_ams{int(amsgrad)}_wd{wd}_nd{int(nd)}", make, o, nd))

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim_fixtures.json")
with open(out, "w") as f:
    json.dump({"torch_version": torch.__version__, "cases": cases}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {out}")

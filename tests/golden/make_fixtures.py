#!/usr/bin/python3
"""Writes the PyTorch golden fixtures that tests/test_golden.cpp compares with.

    /usr/bin/python3 tests/golden/make_fixtures.py          # torch 1.13, CPU

Everything is computed in float64 by PyTorch, so the fixtures hold the exact
answer and the C++ test measures basin's float32 error against it.

Whole-model weights are NOT stored (ResNet-50 alone is 100 MB). They come from
a tiny deterministic generator that the C++ test re-implements bit for bit
(`det_uniform` below / `det_uniform` in test_golden.cpp): element i of tensor
`name` is lo + (hi - lo) * u, u = top 24 bits of splitmix64(fnv1a64(name) + i)
/ 2^24, computed in double and rounded to float32. The fixture stores, for each
state tensor, its range `gen/<name>` = [lo, hi] (or the int64 value of
num_batches_tracked). Gradients are stored in full when small (<= 2048
elements) and otherwise as 64 sampled entries (`grad_idx/`, `grad_sample/`)
plus a projection `grad_proj/<name>` = [<g, r>, |g|, |r|] onto a probe r =
det_uniform("probe/" + name, -1, 1), which catches an error anywhere in g.

torchvision is not needed: the ResNets below use torchvision's exact module
names (conv1, bn1, layer1.0.downsample.0, fc, ...) and architecture.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
FULL_LIMIT = 2048
N_SAMPLES = 64
# ReLU inputs closer to 0 than this are "kinks": float32 rounding may put them on
# the other side, flipping that element's gradient. Their positions and the
# exact side are stored (`<mode>/kinks/<call>`) and the C++ test pins them,
# as caffe's gradient checker skips kinks.
KINK = 1e-3
LABEL_SMOOTHING = 0.1

# ---------------------------------------------------------------------------
# deterministic values shared with the C++ test

M64 = (1 << 64) - 1


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h ^= b
        h = (h * 0x100000001B3) & M64
    return h


def splitmix64(x):
    x = x.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def det_uniform(name, shape, lo, hi):
    n = int(np.prod(shape)) if len(shape) else 1
    with np.errstate(over="ignore"):
        idx = np.uint64(fnv1a64(name)) + np.arange(n, dtype=np.uint64)
    u = (splitmix64(idx) >> np.uint64(40)).astype(np.float64) / float(1 << 24)
    v = (np.float64(lo) + (np.float64(hi) - np.float64(lo)) * u).astype(np.float32)
    return v.reshape(shape)


def gen_range(name, t):
    """The [lo, hi] a state tensor is drawn from, by role (see module docstring)."""
    if name.endswith("running_mean") or name.endswith("bias"):
        return (-0.2, 0.2)
    if name.endswith("running_var") or (name.endswith("weight") and t.dim() == 1):
        return (0.5, 1.5)
    fan_in = t[0].numel()
    b = float(np.sqrt(6.0 / fan_in))
    return (-b, b)


# ---------------------------------------------------------------------------
# safetensors writer (the python package is not installed here)

from st_writer import save_safetensors  # noqa: E402  (shared writer, this folder)


def np32(t):
    return t.detach().to(torch.float32).numpy().copy()


# ---------------------------------------------------------------------------
# models with torchvision's names


def conv3x3(i, o, stride=1):
    return nn.Conv2d(i, o, 3, stride, 1, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=10, in_channels=3, cifar_stem=False):
        super().__init__()
        self.inplanes = 64
        if cifar_stem:
            self.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if cifar_stem else nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class MLP(nn.Module):
    """basin's nn/models/mlp.h naming: flatten, layers.0 (Linear), layers.1 (act), ..."""

    def __init__(self, in_features, hidden, num_classes, activation):
        super().__init__()
        self.flatten = nn.Flatten()
        mods, i = [], in_features
        for h in hidden:
            mods += [nn.Linear(i, h), nn.ReLU() if activation == "relu" else nn.Tanh()]
            i = h
        mods.append(nn.Linear(i, num_classes))
        self.layers = nn.Sequential(*mods)

    def forward(self, x):
        return self.layers(self.flatten(x))


# ---------------------------------------------------------------------------
# whole-model fixtures


def fill_state(model):
    """Sets every state tensor from the generator; returns the gen/ entries."""
    gen = {}
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                t.fill_(7)
                gen["gen/" + name] = np.array([7], dtype=np.int64)
                continue
            lo, hi = gen_range(name, t)
            t.copy_(torch.from_numpy(det_uniform(name, tuple(t.shape), lo, hi)))
            gen["gen/" + name] = np.array([lo, hi], dtype=np.float32)
    return gen


def grad_entries(prefix, name, g):
    g = g.detach().reshape(-1)
    out = {}
    if g.numel() <= FULL_LIMIT:
        out[prefix + "grad/" + name] = np32(g)
        return out
    idx = (splitmix64(np.uint64(fnv1a64("idx/" + name)) + np.arange(N_SAMPLES, dtype=np.uint64))
           % np.uint64(g.numel())).astype(np.int64)
    r = torch.from_numpy(det_uniform("probe/" + name, (g.numel(),), -1.0, 1.0)).to(torch.float64)
    out[prefix + "grad_idx/" + name] = idx
    out[prefix + "grad_sample/" + name] = np32(g[torch.from_numpy(idx)])
    out[prefix + "grad_proj/" + name] = np.array([float(g @ r), float(g.norm()), float(r.norm())], dtype=np.float64)
    return out


def model_fixture(fname, make, input_shape, num_classes, seed):
    torch.manual_seed(seed)
    model = make().double()
    tensors = dict(fill_state(model))
    x = torch.from_numpy(det_uniform("input/" + fname, input_shape, -1.0, 1.0)).to(torch.float64)
    labels = torch.from_numpy(np.arange(input_shape[0], dtype=np.int64) * 3 % num_classes)
    tensors["input"] = np32(x)
    tensors["labels"] = labels.numpy()
    init_state = {k: v.clone() for k, v in model.state_dict().items()}
    relu_inputs = []
    for mod in model.modules():
        if isinstance(mod, nn.ReLU):
            mod.register_forward_pre_hook(lambda m, inp: relu_inputs.append(inp[0].detach().clone()))
    for mode in ("train", "eval"):
        relu_inputs.clear()
        model.load_state_dict(init_state)
        model.train(mode == "train")
        model.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.cross_entropy(logits, labels, label_smoothing=LABEL_SMOOTHING)
        loss.backward()
        p = mode + "/"
        for k, r in enumerate(relu_inputs):
            flat = r.reshape(-1)
            idx = torch.nonzero(flat.abs() < KINK).reshape(-1)
            if idx.numel():
                tensors[p + f"kinks/{k}"] = np.stack([idx.numpy(), np.sign(flat[idx].numpy()).astype(np.int64)], 1)
        tensors[p + "logits"] = np32(logits)
        tensors[p + "loss"] = np.array([loss.item()], dtype=np.float64).astype(np.float32)
        for name, prm in model.named_parameters():
            tensors.update(grad_entries(p, name, prm.grad))
        if mode == "train":
            for name, b in model.named_buffers():
                if name.endswith("num_batches_tracked"):
                    tensors[p + "buffer/" + name] = b.detach().numpy().reshape(1).astype(np.int64)
                elif b.numel() <= FULL_LIMIT:
                    tensors[p + "buffer/" + name] = np32(b)
    # The float32 loss loses digits; keep the exact one too.
    meta = {"model": fname, "kink": KINK, "label_smoothing": LABEL_SMOOTHING, "full_limit": FULL_LIMIT,
            "generator": "splitmix64(fnv1a64(name)+i)>>40 / 2^24"}
    path = os.path.join(HERE, fname + ".safetensors")
    save_safetensors(path, tensors, meta)
    print(f"{fname}: {os.path.getsize(path) / 1024:.0f} KiB, loss train {tensors['train/loss'][0]:.6f}")


# ---------------------------------------------------------------------------
# per-layer fixtures (full tensors; inputs from torch's seeded generator)


def layer_fixtures():
    torch.manual_seed(1234)
    T = {}

    def rnd(*s):
        return torch.randn(*s, dtype=torch.float64)

    def record(case, inputs, out_fn, params=None):
        """Stores inputs, a random upstream gradient, output and all input/param grads."""
        ins = {k: v.clone().requires_grad_(v.dtype == torch.float64) for k, v in inputs.items()}
        y = out_fn(**ins)
        gy = rnd(*y.shape)
        y.backward(gy)
        for k, v in inputs.items():
            T[f"{case}/{k}"] = np32(v) if v.dtype == torch.float64 else v.numpy()
        T[f"{case}/y"] = np32(y)
        T[f"{case}/gy"] = np32(gy)
        for k, v in ins.items():
            if v.grad is not None:
                T[f"{case}/d{k}"] = np32(v.grad)
        for k, v in (params or {}).items():
            T[f"{case}/{k}"] = np.array(v, dtype=np.int64)

    record("linear", {"x": rnd(4, 5), "w": rnd(3, 5), "b": rnd(3)}, lambda x, w, b: F.linear(x, w, b))
    # (case, x shape, w shape, stride, pad, groups, bias)
    convs = [("conv_s2p1", (2, 3, 7, 7), (4, 3, 3, 3), 2, 1, 1, True),
             ("conv_groups", (2, 4, 6, 5), (6, 2, 3, 3), 1, 1, 2, True),
             ("conv_1x1s2", (2, 5, 8, 8), (3, 5, 1, 1), 2, 0, 1, False),
             ("conv_7x7s2p3", (1, 2, 11, 11), (3, 2, 7, 7), 2, 3, 1, False)]
    for case, xs, ws, s, p, g, bias in convs:
        ins = {"x": rnd(*xs), "w": rnd(*ws)}
        if bias:
            ins["b"] = rnd(ws[0])
        record(case, ins, lambda x, w, b=None, s=s, p=p, g=g: F.conv2d(x, w, b, s, p, 1, g),
               {"stride": [s], "padding": [p], "groups": [g]})
    for train in (True, False):
        case = "bn_train" if train else "bn_eval"
        rm, rv = rnd(4) * 0.3, torch.rand(4, dtype=torch.float64) + 0.5
        ins = {"x": rnd(3, 4, 5, 5) * 2 + 0.5, "w": rnd(4), "b": rnd(4)}
        T[f"{case}/running_mean"], T[f"{case}/running_var"] = np32(rm), np32(rv)
        rm2, rv2 = rm.clone(), rv.clone()
        record(case, ins, lambda x, w, b: F.batch_norm(x, rm2, rv2, w, b, train, 0.1, 1e-5))
        T[f"{case}/running_mean_after"], T[f"{case}/running_var_after"] = np32(rm2), np32(rv2)
    record("maxpool_k3s2p1", {"x": rnd(2, 3, 9, 9)}, lambda x: F.max_pool2d(x, 3, 2, 1))
    record("avgpool_1x1", {"x": rnd(2, 3, 5, 5)}, lambda x: F.adaptive_avg_pool2d(x, (1, 1)))
    record("avgpool_2x3", {"x": rnd(2, 3, 5, 7)}, lambda x: F.adaptive_avg_pool2d(x, (2, 3)))
    for eps in (0.0, 0.2):
        case = f"ce_ls{int(eps * 10)}"
        logits = rnd(5, 7).requires_grad_(True)
        labels = torch.tensor([0, 6, 3, 3, 1])
        loss = F.cross_entropy(logits, labels, label_smoothing=eps)
        loss.backward()
        T[f"{case}/logits"], T[f"{case}/labels"] = np32(logits), labels.numpy()
        T[f"{case}/loss"], T[f"{case}/dlogits"] = np.array([loss.item()], dtype=np.float32), np32(logits.grad)
    path = os.path.join(HERE, "layers.safetensors")
    save_safetensors(path, T, {"what": "per-layer cases, float64 reference rounded to float32"})
    print(f"layers: {os.path.getsize(path) / 1024:.0f} KiB")


def main():
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    layer_fixtures()
    model_fixture("mlp_relu", lambda: MLP(64, [32, 16], 10, "relu"), (4, 1, 8, 8), 10, 1)
    model_fixture("mlp_tanh", lambda: MLP(64, [24], 10, "tanh"), (4, 1, 8, 8), 10, 2)
    model_fixture("resnet18_cifar", lambda: ResNet(BasicBlock, [2, 2, 2, 2], 10, 3, True), (2, 3, 32, 32), 10, 3)
    model_fixture("resnet18_imagenet", lambda: ResNet(BasicBlock, [2, 2, 2, 2], 10, 3, False), (2, 3, 64, 64), 10, 4)
    model_fixture("resnet18_gray_cifar", lambda: ResNet(BasicBlock, [2, 2, 2, 2], 10, 1, True), (2, 1, 32, 32), 10, 5)
    model_fixture("resnet34_cifar", lambda: ResNet(BasicBlock, [3, 4, 6, 3], 10, 3, True), (2, 3, 32, 32), 10, 6)
    if "--no-resnet50" not in sys.argv:
        model_fixture("resnet50_cifar", lambda: ResNet(Bottleneck, [3, 4, 6, 3], 10, 3, True), (2, 3, 32, 32), 10, 7)


if __name__ == "__main__":
    main()

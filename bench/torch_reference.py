#!/usr/bin/env python3
"""PyTorch side of `basin bench`: the same training configurations, timed the same way.

One training step = forward + backward + optimizer step on a fixed synthetic batch that
lives on the device (as `basin bench`); time = median wall time of a step, with the device
synchronized after each step; images/s = batch / step time. Every closure evaluation reads
the loss (`.item()`), as basin's optimizer API does.

Optimizers (lr 0.1, momentum 0.9, weight decay 5e-4):
  sgd  torch.optim.SGD (its default multi-tensor implementation)
  nso  NSO(k=1) written the straightforward PyTorch way: loop over the parameters adding
       Gaussian noise (sigma 0.01), backward at W+U, then at W-U (gradients accumulate),
       restore W from a saved copy, halve the gradient, SGD step
  sam  SAM (rho 0.05) as davda54/sam: backward, climb along g/|g|, backward, restore, SGD step

Precisions: fp32 (NCHW, TF32 for convolutions as set by --tf32, matmuls full fp32: PyTorch's
defaults and basin's) and bf16cl (autocast bf16 + channels_last model and input).

The models are torchvision's ResNets, defined here so that this runs where torchvision is
missing (the CPU dev machine); with --image-size <= 64 the stem is the CIFAR one
(3x3 stride-1 conv, no max-pool) and 10 classes, as basin's cifar_stem.

Prints one JSON line per configuration on stdout (a readable line per config on stderr).
  python3 bench/torch_reference.py --device cuda --model resnet34 --image-size 224 --batch-size 64
  /usr/bin/python3 bench/torch_reference.py --device cpu --quick        # smoke check
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---- torchvision's ResNet (same layer order and names), CIFAR stem optional ---------------
class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + idt)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + idt)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes, cifar_stem):
        super().__init__()
        self.inplanes = 64
        if cifar_stem:
            self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = self._layer(block, 64, layers[0], 1)
        self.layer2 = self._layer(block, 128, layers[1], 2)
        self.layer3 = self._layer(block, 256, layers[2], 2)
        self.layer4 = self._layer(block, 512, layers[3], 2)
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def _layer(self, block, planes, n, stride):
        down = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                                 nn.BatchNorm2d(planes * block.expansion))
        blocks = [block(self.inplanes, planes, stride, down)]
        self.inplanes = planes * block.expansion
        blocks += [block(self.inplanes, planes) for _ in range(1, n)]
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


ARCH = {"resnet18": (BasicBlock, [2, 2, 2, 2]), "resnet34": (BasicBlock, [3, 4, 6, 3]),
        "resnet50": (Bottleneck, [3, 4, 6, 3])}


def num_classes_for(image_size):
    return 10 if image_size <= 64 else 1000


def make_model(name, image_size):
    block, layers = ARCH[name]
    return ResNet(block, layers, num_classes_for(image_size), cifar_stem=image_size <= 64)


# ---- one step of each optimizer -------------------------------------------------------------
def make_step(kind, model, opt, loss_fn, sigma=0.01, rho=0.05):
    params = [p for p in model.parameters() if p.requires_grad]

    def sgd():
        opt.zero_grad(set_to_none=False)
        loss = loss_fn()
        loss.backward()
        opt.step()
        return loss.item()

    def nso():
        opt.zero_grad(set_to_none=False)
        saved = [p.detach().clone() for p in params]
        noise = []
        with torch.no_grad():
            for p in params:
                u = torch.randn_like(p) * sigma
                p.add_(u)
                noise.append(u)
        l1 = loss_fn()
        l1.backward()
        with torch.no_grad():
            for p, u in zip(params, noise):
                p.sub_(2 * u)
        l2 = loss_fn()
        l2.backward()
        with torch.no_grad():
            for p, w in zip(params, saved):
                p.copy_(w)
            for p in params:
                p.grad.mul_(0.5)
        opt.step()
        return 0.5 * (l1.item() + l2.item())

    def sam():
        opt.zero_grad(set_to_none=False)
        l1 = loss_fn()
        l1.backward()
        with torch.no_grad():
            norm = torch.norm(torch.stack([p.grad.norm(2) for p in params]), 2)
            scale = rho / (norm + 1e-12)
            climbs = []
            for p in params:
                e = p.grad * scale
                p.add_(e)
                climbs.append(e)
        opt.zero_grad(set_to_none=False)
        loss_fn().backward()
        with torch.no_grad():
            for p, e in zip(params, climbs):
                p.sub_(e)
        opt.step()
        return l1.item()

    return {"sgd": (sgd, 1), "nso": (nso, 2), "sam": (sam, 2)}[kind]


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_config(device, model_name, image_size, batch, optim, precision, warmup, iters, seed=0):
    torch.manual_seed(seed)
    model = make_model(model_name, image_size).to(device).train()
    x = torch.randn(batch, 3, image_size, image_size, device=device)
    y = torch.randint(0, num_classes_for(image_size), (batch,), device=device)
    amp = precision == "bf16cl"
    if amp:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)

    def loss_fn():
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
            return F.cross_entropy(model(x), y)

    step, passes = make_step(optim, model, opt, loss_fn)
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    loss = float("nan")
    for _ in range(warmup):
        loss = step()
    sync(device)
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        loss = step()
        sync(device)
        times.append((time.perf_counter() - t0) * 1e3)
    ms = statistics.median(times)
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    return {"kind": "train", "framework": "pytorch", "model": model_name, "image_size": image_size,
            "batch_size": batch, "optimizer": optim, "precision": precision, "passes": passes,
            "step_ms": round(ms, 4), "step_ms_min": round(min(times), 4),
            "images_per_s": round(batch / (ms / 1e3), 2),
            "peak_mem_mb": None if peak is None else round(peak, 1),
            "params": sum(p.numel() for p in model.parameters()), "loss": loss, "iters": iters}


def copy_bandwidth(device, numel, iters):
    """Device-to-device copy (bytes read + written), the ceiling for the arena kernels."""
    a = torch.randn(numel, device=device)
    b = torch.empty_like(a)
    b.copy_(a)
    sync(device)
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        b.copy_(a)
        sync(device)
        times.append(time.perf_counter() - t0)
    s = statistics.median(times)
    return {"kind": "kernel", "framework": "pytorch", "name": "copy", "numel": numel,
            "ms": round(s * 1e3, 4), "gb_per_s": round(8 * numel / s / 1e9, 1)}


OOM = getattr(torch, "OutOfMemoryError", getattr(torch.cuda, "OutOfMemoryError", MemoryError))


def csv(s, conv=str):
    return [conv(v) for v in s.split(",") if v]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--model", default="resnet34", help="comma list: resnet18,resnet34,resnet50")
    ap.add_argument("--image-size", default="224", help="comma list")
    ap.add_argument("--batch-size", default="64", help="comma list")
    ap.add_argument("--optim", default="sgd", help="comma list: sgd,nso,sam")
    ap.add_argument("--precision", default="fp32,bf16cl", help="comma list: fp32,bf16cl")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--tf32", type=int, default=1, help="cuDNN TF32 for convolutions (basin's default: on)")
    ap.add_argument("--copy-numel", type=int, default=21_800_000, help="0 skips the copy bandwidth line")
    ap.add_argument("--quick", action="store_true", help="tiny CPU-sized smoke run of every code path")
    a = ap.parse_args()
    if a.quick:
        a.model, a.image_size, a.batch_size, a.optim = "resnet18", "32", "2", "sgd,nso,sam"
        a.warmup, a.iters, a.copy_numel = 1, 1, 1_000_000
    device = torch.device(a.device)
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = bool(a.tf32)
    torch.backends.cuda.matmul.allow_tf32 = False  # basin's cuBLAS GEMMs are full fp32
    torch.set_float32_matmul_precision("highest")
    info = {"kind": "info", "framework": "pytorch", "torch": torch.__version__, "device": str(device),
            "cudnn": torch.backends.cudnn.version() if device.type == "cuda" else None,
            "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "tf32_conv": bool(a.tf32), "tf32_matmul": False, "threads": torch.get_num_threads()}
    print(json.dumps(info), flush=True)
    if a.copy_numel > 0:
        print(json.dumps(copy_bandwidth(device, a.copy_numel, max(a.iters, 3))), flush=True)
    failures = 0
    for model in csv(a.model):
        for size in csv(a.image_size, int):
            for batch in csv(a.batch_size, int):
                for prec in csv(a.precision):
                    for optim in csv(a.optim):
                        try:
                            r = run_config(device, model, size, batch, optim, prec, a.warmup, a.iters)
                        except OOM as e:  # report and go on with the others
                            r = {"kind": "train", "framework": "pytorch", "model": model, "image_size": size,
                                 "batch_size": batch, "optimizer": optim, "precision": prec,
                                 "error": "out of memory: " + str(e).split("\n")[0]}
                            failures += 1
                            torch.cuda.empty_cache()
                        print(json.dumps(r), flush=True)
                        if "error" not in r:
                            print(f"torch {model}@{size} bs{batch} {prec:6s} {optim}: {r['step_ms']:.2f} ms/step "
                                  f"{r['images_per_s']:.1f} img/s peak {r['peak_mem_mb']} MB", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

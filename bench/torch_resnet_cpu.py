#!/usr/bin/python3
"""PyTorch counterpart of bench/bench_resnet_cpu.cpp: forward+backward s/iter.

    /usr/bin/python3 bench/torch_resnet_cpu.py [model=resnet34] [batch=8] [size=224] [iters=5]

Uses the torchvision-identical ResNets of tests/golden/make_fixtures.py (so no
torchvision install is needed) and the same thread count as OMP_NUM_THREADS.
"""
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
from make_fixtures import BasicBlock, Bottleneck, ResNet  # noqa: E402

ARCH = {"resnet18": (BasicBlock, [2, 2, 2, 2]), "resnet34": (BasicBlock, [3, 4, 6, 3]),
        "resnet50": (Bottleneck, [3, 4, 6, 3])}


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "resnet34"
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 224
    iters = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    if "OMP_NUM_THREADS" in os.environ:
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    block, layers = ARCH[name]
    model = ResNet(block, layers, num_classes=1000)
    x = torch.ones(batch, 3, size, size)
    y = torch.arange(batch) % 1000
    total = 0.0
    for it in range(iters + 1):
        t0 = time.perf_counter()
        model.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        s = time.perf_counter() - t0
        if it > 0:
            total += s
        print(f"iter {it}: {s:.3f} s (loss {loss.item():.4f}){' warm-up' if it == 0 else ''}")
    print(f"torch {torch.__version__} {name} batch {batch} {size}x{size} on cpu ({torch.get_num_threads()} threads): "
          f"{total / iters:.3f} s/iter forward+backward ({iters} iters)")


if __name__ == "__main__":
    main()

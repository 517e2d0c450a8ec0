#!/usr/bin/python3
"""PyTorch doing what `basin train` does by default, for the images/s comparison.

Fashion-MNIST from Debian's dataset-fashion-mnist (or BASIN_FASHION_MNIST_DIR),
normalized with mean 0.2860 / std 0.3530, MLP 784-256-128-10 (ReLU), cross-entropy,
SGD lr 0.05 momentum 0.9 weight decay 5e-4 (not on biases), cosine schedule per
step, batch 128, shuffled, 4 epochs, on the CPU. Prints one line per epoch in the
shape of basin's metrics.jsonl, then a summary.

    /usr/bin/python3 bench/torch_mlp_cpu.py [--epochs 4] [--threads N]
    OMP_WAIT_POLICY=passive build/basin train --json     # the same run in basin

(/usr/bin/python3 has Debian's python3-torch; a pyenv python3 may not.)
"""
import argparse
import gzip
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(root, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    x = (x - 0.2860) / 0.3530
    return torch.from_numpy(x).reshape(-1, 784), torch.from_numpy(y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    root = os.environ.get("BASIN_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    xtr, ytr = load(root, "train")
    xte, yte = load(root, "test")

    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0.0}],
                          lr=args.lr, momentum=0.9)
    n = xtr.shape[0]
    steps_per_epoch = math.ceil(n / args.batch_size)
    total = steps_per_epoch * args.epochs
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 * (1 + math.cos(math.pi * min(t, total) / total)))

    train_seconds = 0.0
    t_all = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n)
        t0 = time.perf_counter()
        loss_sum, correct = 0.0, 0
        for b in range(steps_per_epoch):
            idx = perm[b * args.batch_size:(b + 1) * args.batch_size]
            x, y = xtr[idx], ytr[idx]
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=False)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == y).sum().item()
        secs = time.perf_counter() - t0
        train_seconds += secs
        model.eval()
        with torch.no_grad():
            logits = model(xte)
            test_loss = F.cross_entropy(logits, yte).item()
            test_acc = (logits.argmax(1) == yte).float().mean().item()
        print(json.dumps({"epoch": epoch + 1, "lr": opt.param_groups[0]["lr"], "train_loss": loss_sum / n,
                          "train_acc": correct / n, "test_loss": test_loss, "test_acc": test_acc,
                          "seconds": secs, "images_per_s": n / secs}), flush=True)
    print(json.dumps({"framework": "pytorch " + torch.__version__, "threads": torch.get_num_threads(),
                      "images_per_s": n * args.epochs / train_seconds, "test_acc": test_acc,
                      "seconds": time.perf_counter() - t_all}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Joins `basin bench --json` documents with bench/torch_reference.py's JSON lines.

  compare.py merge OUT.json A.json B.json ...   one basin document from several runs
  compare.py table BASIN.json TORCH.jsonl      markdown tables, ratios ours/PyTorch

Rows pair on (model, image_size, batch_size, optimizer); PyTorch fp32 is the
like-for-like partner, PyTorch bf16 channels_last is shown beside it. Non-JSON lines in
the torch file (its stderr, merged by gpu-check.sh) are skipped. Standard library only.
"""
import json
import sys


def merge(out, paths):
    doc = None
    for p in paths:
        with open(p) as f:
            d = json.load(f)
        if doc is None:
            doc = d
        else:
            doc["train"] += d.get("train", [])
            doc["kernels"] += d.get("kernels", [])
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)


def load_torch(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    return rows


def fmt(v, spec=".1f"):
    return "-" if v is None else format(v, spec)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def table(basin_path, torch_path):
    with open(basin_path) as f:
        ours = json.load(f)
    theirs = load_torch(torch_path)
    info = next((r for r in theirs if r.get("kind") == "info"), {})
    key = lambda r: (r["model"], r["image_size"], r["batch_size"], r["optimizer"])
    t32 = {key(r): r for r in theirs if r.get("kind") == "train" and r.get("precision") == "fp32" and "error" not in r}
    tbf = {key(r): r for r in theirs if r.get("kind") == "train" and r.get("precision") == "bf16cl" and "error" not in r}
    print(f"\n## Training throughput (basin fp32 vs PyTorch {info.get('torch')}, cuDNN {info.get('cudnn')}, "
          f"{ours.get('device_name')}; conv TF32 {ours.get('tf32_conv')}, matmul fp32)\n")
    print("| model | size | batch | optim | basin ms | basin img/s | torch fp32 img/s | ours/torch | "
          "basin peak MiB | torch peak MiB | mem ours/torch | torch bf16cl img/s | ours/bf16cl |")
    print("|" + "---|" * 13)
    sgd_ms = {}
    for r in ours.get("train", []):
        if "error" in r:
            print(f"| {r['model']} | {r['image_size']} | {r['batch_size']} | {r['optimizer']} | {r['error']} |")
            continue
        k = key(r)
        if r["optimizer"] == "sgd":
            sgd_ms[k[:3]] = r["step_ms"]
        a, b = t32.get(k, {}), tbf.get(k, {})
        print(f"| {r['model']} | {r['image_size']} | {r['batch_size']} | {r['optimizer']} | {r['step_ms']:.2f} | "
              f"{r['images_per_s']:.1f} | {fmt(a.get('images_per_s'))} | "
              f"{fmt(ratio(r['images_per_s'], a.get('images_per_s')), '.2f')} | {fmt(r.get('peak_mem_mb'), '.0f')} | "
              f"{fmt(a.get('peak_mem_mb'), '.0f')} | {fmt(ratio(r.get('peak_mem_mb'), a.get('peak_mem_mb')), '.2f')} | "
              f"{fmt(b.get('images_per_s'))} | {fmt(ratio(r['images_per_s'], b.get('images_per_s')), '.2f')} |")

    print("\n## Optimizer step cost (targets: NSO <= 2.05x our SGD; our NSO >= 1.3x faster than PyTorch's)\n")
    print("| model | size | batch | optim | basin ms | x our SGD | torch ms | x torch SGD | torch/ours |")
    print("|" + "---|" * 9)
    for r in ours.get("train", []):
        if "error" in r or r["optimizer"] == "sgd":
            continue
        k = key(r)
        base = sgd_ms.get(k[:3])
        if base is None:  # the optimizer run may sit in another document than its SGD partner
            base = next((x["step_ms"] for x in ours["train"] if "error" not in x and key(x)[:3] == k[:3]
                         and x["optimizer"] == "sgd"), None)
        tk = t32.get(k, {}).get("step_ms")
        tsgd = t32.get(k[:3] + ("sgd",), {}).get("step_ms")
        print(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]} | {r['step_ms']:.2f} | {fmt(ratio(r['step_ms'], base), '.3f')} | "
              f"{fmt(tk, '.2f')} | {fmt(ratio(tk, tsgd), '.3f')} | {fmt(ratio(tk, r['step_ms']), '.2f')} |")

    ks = ours.get("kernels", [])
    if ks:
        tcopy = next((r for r in theirs if r.get("kind") == "kernel" and r.get("name") == "copy"), {})
        print(f"\n## Fused arena kernels over {ks[0]['numel']} floats (target: >= 80% of copy; "
              f"PyTorch copy_: {fmt(tcopy.get('gb_per_s'))} GB/s)\n")
        print("| kernel | ms | GB/s | of copy |")
        print("|---|---|---|---|")
        for k in ks:
            print(f"| {k['name']} | {k['ms']:.4f} | {k['gb_per_s']:.1f} | {100 * k['of_copy']:.0f}% |")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "merge":
        merge(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 4 and sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)

#!/usr/bin/env python3
"""Export PyTorch weights as a safetensors file that basin loads (basin train --init).

basin's tensor names are torchvision's state_dict keys (conv1.weight,
layer1.0.bn1.running_mean, fc.bias, ...), so a torchvision state_dict needs no
renaming: this script only writes it in the safetensors format. The format is
written by hand (an 8-byte little-endian header length, a JSON header, the raw
little-endian bytes) because Debian packages torch but not the safetensors
module.

    # torchvision's ImageNet weights: --arch DOWNLOADS them (torchvision and a
    # network connection, once; cached in ~/.cache/torch/hub/checkpoints):
    /usr/bin/python3 scripts/export_torchvision.py --arch resnet18 --out resnet18-imagenet.safetensors
    # offline: any state_dict saved with torch.save(model.state_dict(), "model.pth"),
    # e.g. a .pth copied from a machine that has the network:
    /usr/bin/python3 scripts/export_torchvision.py --state-dict model.pth --out model.safetensors

Floating tensors are written as F32 and integer ones (num_batches_tracked) as
I64. basin also reads F16, BF16 and F64 files (converted to float32) and files
without num_batches_tracked, so safetensors files from elsewhere load as they are.
"""
import argparse
import json
import os
import struct
import sys

torch = None  # imported in main(), so --help works without PyTorch


def state_dict_of(args):
    if args.state_dict:
        sd = torch.load(args.state_dict, map_location="cpu", weights_only=True)
        if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
            sd = sd["state_dict"]  # a training checkpoint that wraps the weights
        return sd
    try:
        import torchvision
    except ImportError:
        sys.exit("export_torchvision: --arch needs torchvision (pip install torchvision); "
                 "or save model.state_dict() with torch.save and pass --state-dict")
    print(f"export_torchvision: --arch {args.arch} downloads torchvision's weights: this needs the network "
          "(offline, pass a saved state_dict with --state-dict model.pth)", file=sys.stderr)
    try:
        model = torchvision.models.get_model(args.arch, weights=args.weights)
    except (OSError, RuntimeError) as e:  # URLError is an OSError
        sys.exit(f"export_torchvision: could not download the {args.arch} weights ({e}).\n"
                 "Downloading needs the network. Offline: on a machine with the network run\n"
                 f"  python3 -c \"import torch, torchvision; torch.save(torchvision.models.get_model('{args.arch}', "
                 f"weights='{args.weights}').state_dict(), '{args.arch}.pth')\"\n"
                 f"copy {args.arch}.pth here and run: {sys.argv[0]} --state-dict {args.arch}.pth --out {args.out}")
    return model.state_dict()


def to_safetensors_array(name, t):
    if not isinstance(t, torch.Tensor):
        return None
    t = t.detach().cpu().contiguous()
    if t.is_floating_point():
        return "F32", t.to(torch.float32)
    if t.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
        return "I64", t.to(torch.int64)
    sys.exit(f"export_torchvision: tensor {name} has dtype {t.dtype}, which basin cannot read")


def save_safetensors(path, state_dict, metadata):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, t in state_dict.items():
        conv = to_safetensors_array(name, t)
        if conv is None:
            continue
        dtype, t = conv
        data = t.numpy().tobytes()  # little-endian on every machine torch supports
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)  # the data starts 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)  # never a half-written file under the real name
    return len(blobs)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--arch", help="torchvision model name, e.g. resnet18, resnet34, resnet50 "
                     "(downloads the weights: needs the network; offline use --state-dict)")
    src.add_argument("--state-dict", help="a .pth file holding a state_dict (torch.save); no network needed")
    p.add_argument("--weights", default="DEFAULT", help="torchvision weights enum name (with --arch)")
    p.add_argument("--out", required=True, help="output .safetensors file")
    args = p.parse_args()
    global torch
    try:
        import torch
    except ImportError:
        sys.exit("export_torchvision: needs PyTorch (Debian: apt install python3-torch; or pip install torch)")
    sd = state_dict_of(args)
    meta = {"source": args.arch or os.path.basename(args.state_dict)}
    n = save_safetensors(args.out, sd, meta)
    print(f"wrote {n} tensors to {args.out}")


if __name__ == "__main__":
    main()

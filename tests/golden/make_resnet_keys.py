#!/usr/bin/python3
"""Writes tests/golden/resnet_keys.json: the state_dict of torchvision's ResNet-18/34/50
(ImageNet stem, 1000 classes) as PyTorch lists it: every key in order with its shape
and dtype. tests/test_models.cpp checks basin's models against it, and builds a
safetensors file from it that must load strictly.

    /usr/bin/python3 tests/golden/make_resnet_keys.py

Uses torchvision when installed, else the torchvision-identical definitions in
make_fixtures.py (same module names and shapes as torchvision/models/resnet.py).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import torchvision.models as tvm
    makers = {"resnet18": lambda: tvm.resnet18(), "resnet34": lambda: tvm.resnet34(), "resnet50": lambda: tvm.resnet50()}
    source = "torchvision " + __import__("torchvision").__version__
except ImportError:
    from make_fixtures import BasicBlock, Bottleneck, ResNet
    makers = {"resnet18": lambda: ResNet(BasicBlock, [2, 2, 2, 2], 1000),
              "resnet34": lambda: ResNet(BasicBlock, [3, 4, 6, 3], 1000),
              "resnet50": lambda: ResNet(Bottleneck, [3, 4, 6, 3], 1000)}
    source = "make_fixtures.py (torchvision-identical definitions)"

out = {"source": source, "models": {}}
for name, make in makers.items():
    sd = make().state_dict()
    out["models"][name] = [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in sd.items()]
with open(os.path.join(HERE, "resnet_keys.json"), "w") as f:
    json.dump(out, f, separators=(",", ":"))
print("wrote resnet_keys.json from", source, {k: len(v) for k, v in out["models"].items()})

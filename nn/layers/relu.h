#pragma once
// max(x, 0), as torch.nn.ReLU (the in-place flag of PyTorch has no meaning here).
#include "autograd/ops.h"
#include "nn/module.h"

namespace basin::nn {

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) override { return relu(x); }
};

}  // namespace basin::nn

#pragma once
// Elementwise tanh, as torch.nn.Tanh.
#include "autograd/ops.h"
#include "nn/module.h"

namespace basin::nn {

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) override { return tanh(x); }
};

}  // namespace basin::nn

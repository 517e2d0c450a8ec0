#pragma once
// max(x, 0), as torch.nn.ReLU (the in-place flag of PyTorch has no meaning here).
#include "autograd/ops.h"
#include "nn/activation_pattern.h"
#include "nn/module.h"

namespace basin::nn {

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) override {
    // Curvature measurements may pin the on/off pattern (nn/activation_pattern.h).
    if (ActivationPattern* p = active_activation_pattern()) return p->relu(x);
    return relu(x);
  }
};

}  // namespace basin::nn

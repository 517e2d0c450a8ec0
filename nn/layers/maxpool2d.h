#pragma once
// Max pooling with a square window, as torch.nn.MaxPool2d (stride 0 = kernel).
#include <string>

#include "autograd/nn_ops.h"
#include "nn/module.h"

namespace basin::nn {

class MaxPool2d : public Module {
 public:
  MaxPool2d(int kernel, int stride = 0, int padding = 0)
      : Module("MaxPool2d"), p_(Pool2dParams::square(kernel, stride, padding)) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, p_); }
  std::string extra_repr() const override {
    return "kernel=" + std::to_string(p_.kernel_h) + ", stride=" + std::to_string(p_.stride_h) +
           ", padding=" + std::to_string(p_.pad_h);
  }

 private:
  Pool2dParams p_;
};

}  // namespace basin::nn

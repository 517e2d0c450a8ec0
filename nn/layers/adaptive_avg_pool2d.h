#pragma once
// Average over adaptive bins, as torch.nn.AdaptiveAvgPool2d; (1, 1) is the
// global average pooling in front of a ResNet's classifier.
#include <string>

#include "autograd/nn_ops.h"
#include "nn/module.h"

namespace basin::nn {

class AdaptiveAvgPool2d : public Module {
 public:
  AdaptiveAvgPool2d(std::int64_t out_h, std::int64_t out_w) : Module("AdaptiveAvgPool2d"), h_(out_h), w_(out_w) {}
  Tensor forward(const Tensor& x) override { return adaptive_avg_pool2d(x, h_, w_); }
  std::string extra_repr() const override { return "output=(" + std::to_string(h_) + ", " + std::to_string(w_) + ")"; }

 private:
  std::int64_t h_, w_;
};

}  // namespace basin::nn

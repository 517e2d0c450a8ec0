#pragma once
// Flattens every axis from `start` on, as torch.nn.Flatten (start 1 keeps the batch).
#include "nn/module.h"

namespace basin::nn {

class Flatten : public Module {
 public:
  explicit Flatten(int start = 1) : Module("Flatten"), start_(start) {}
  Tensor forward(const Tensor& x) override { return x.dim() <= start_ + 1 ? x : x.flatten(start_); }

 private:
  int start_;
};

}  // namespace basin::nn

#pragma once
// Inverted dropout, as torch.nn.Dropout: in training each element is zeroed
// with probability p and the survivors scaled by 1/(1-p); identity in eval.
// Masks come from the Philox generator keyed by (seed, call number), so a run
// is reproducible; they cannot match PyTorch's generator bit for bit.
#include <string>

#include "autograd/nn_ops.h"
#include "nn/module.h"

namespace basin::nn {

class Dropout : public Module {
 public:
  explicit Dropout(float p = 0.5f, std::uint64_t seed = 0) : Module("Dropout"), p_(p), seed_(seed) {
    BASIN_CHECK(p >= 0.0f && p < 1.0f, "Dropout: p must be in [0, 1), got " << p);
  }
  Tensor forward(const Tensor& x) override {
    if (!is_training() || p_ == 0.0f) return x;
    return dropout(x, p_, true, kernels::RandomKey{seed_, calls_++});
  }
  std::string extra_repr() const override { return "p=" + std::to_string(p_); }

 private:
  float p_;
  std::uint64_t seed_;
  std::uint64_t calls_ = 0;
};

}  // namespace basin::nn

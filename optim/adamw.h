#pragma once
// AdamW (decoupled weight decay, torch.optim.AdamW) and Adam with L2 decay
// (torch.optim.Adam: g += wd W), optionally with amsgrad, over the whole arena
// in one kernel. The NSO authors fine-tuned ResNet-34 with Adam + amsgrad.
#include "optim/optimizer.h"

namespace basin::optim {

// lr, beta1, beta2, eps, weight_decay, decoupled (true: AdamW; false: Adam with
// L2 weight decay), amsgrad (kernels/arena.h: the kernel gets the float copy of
// these through kernels::AdamArgs).
using AdamOptions = kernels::AdamSettings<double>;

class AdamW : public BaseOptimizer {
 public:
  AdamW(ArenaRef arena, AdamOptions opt);
  void update() override;
  double lr() const override { return opt_.lr; }
  void set_lr(double lr) override { opt_.lr = lr; }
  std::int64_t steps() const override { return steps_; }
  std::string name() const override { return opt_.decoupled ? "adamw" : "adam"; }
  void save_state(StateMap& out, const std::string& prefix) const override;
  void load_state(const StateMap& in, const std::string& prefix) override;
  const AdamOptions& options() const { return opt_; }

 private:
  AdamOptions opt_;
  Tensor m_, v_, vmax_;
  std::int64_t steps_ = 0;
};

}  // namespace basin::optim

#pragma once
// SGD with momentum, dampening, Nesterov and weight decay: PyTorch's formulas
// (torch.optim.SGD) applied to the whole arena in one kernel:
//   d = g + wd W                       (wd only outside the no-decay ranges)
//   buf = d on the first step, else buf = momentum buf + (1 - dampening) d
//   d = d + momentum buf (Nesterov) or d = buf
//   W = W - lr d
#include "optim/optimizer.h"

namespace basin::optim {

// lr, momentum, dampening, weight_decay, nesterov (kernels/arena.h: the kernel
// gets the float copy of these through kernels::SgdArgs).
using SgdOptions = kernels::SgdSettings<double>;

class SGD : public BaseOptimizer {
 public:
  SGD(ArenaRef arena, SgdOptions opt);
  void update() override;
  double lr() const override { return opt_.lr; }
  void set_lr(double lr) override { opt_.lr = lr; }
  std::int64_t steps() const override { return steps_; }
  std::string name() const override { return "sgd"; }
  void save_state(StateMap& out, const std::string& prefix) const override;
  void load_state(const StateMap& in, const std::string& prefix) override;
  const SgdOptions& options() const { return opt_; }

 private:
  SgdOptions opt_;
  Tensor buf_;  // momentum buffer [P] (only with momentum)
  std::int64_t steps_ = 0;
};

}  // namespace basin::optim

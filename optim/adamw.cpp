#include "optim/adamw.h"

namespace basin::optim {

AdamW::AdamW(ArenaRef arena, AdamOptions opt) : BaseOptimizer(std::move(arena), "AdamW"), opt_(opt) {
  BASIN_CHECK(opt_.lr >= 0 && opt_.eps >= 0 && opt_.weight_decay >= 0,
              "AdamW: lr, eps and weight_decay must be >= 0");
  BASIN_CHECK(opt_.beta1 >= 0 && opt_.beta1 < 1 && opt_.beta2 >= 0 && opt_.beta2 < 1,
              "AdamW: betas must lie in [0, 1), got (" << opt_.beta1 << ", " << opt_.beta2 << ")");
  const std::int64_t n = arena_.numel();
  m_ = Tensor::empty({n}, DType::Float32, arena_.device());
  v_ = Tensor::empty({n}, DType::Float32, arena_.device());
  kernels::arena_fill(m_, 0.0f);
  kernels::arena_fill(v_, 0.0f);
  if (opt_.amsgrad) {
    vmax_ = Tensor::empty({n}, DType::Float32, arena_.device());
    kernels::arena_fill(vmax_, 0.0f);
  }
}

void AdamW::update() {
  if (arena_.sync_grads) arena_.sync_grads();
  const kernels::AdamArgs a(opt_, /*step=*/steps_ + 1);
  kernels::arena_adamw(arena_.params, arena_.grads, m_, v_, vmax_, a, arena_.no_decay);
  ++steps_;
}

void AdamW::save_state(StateMap& out, const std::string& prefix) const {
  out[prefix + "step"] = int_scalar(steps_);
  out[prefix + "exp_avg"] = arena_.pack(m_);
  out[prefix + "exp_avg_sq"] = arena_.pack(v_);
  if (vmax_.defined()) out[prefix + "max_exp_avg_sq"] = arena_.pack(vmax_);
}

void AdamW::load_state(const StateMap& in, const std::string& prefix) {
  std::int64_t s = read_int(in, prefix + "step");
  BASIN_CHECK(s >= 0, "AdamW::load_state: negative step " << s);
  arena_.unpack(m_, find_state(in, prefix + "exp_avg"), prefix + "exp_avg");
  arena_.unpack(v_, find_state(in, prefix + "exp_avg_sq"), prefix + "exp_avg_sq");
  if (vmax_.defined()) arena_.unpack(vmax_, find_state(in, prefix + "max_exp_avg_sq"), prefix + "max_exp_avg_sq");
  steps_ = s;
}

}  // namespace basin::optim

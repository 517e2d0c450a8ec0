#include "optim/perturbed.h"

namespace basin::optim {

PerturbedOptimizer::PerturbedOptimizer(std::unique_ptr<BaseOptimizer> base, std::uint64_t seed, const char* who)
    : base_(std::move(base)), seed_(seed) {
  BASIN_CHECK(base_, who << ": no base optimizer given");
  w0_ = Tensor::empty({base_->arena().numel()}, DType::Float32, base_->arena().device());
}

void PerturbedOptimizer::save_weights() { kernels::arena_copy(w0_, params()); }

void PerturbedOptimizer::restore_weights() { kernels::arena_copy(params(), w0_); }

float PerturbedOptimizer::evaluate(const Closure& closure, bool update_bn) {
  base_->arena().clear_grads();
  return closure(update_bn);
}

void PerturbedOptimizer::save_state(StateMap& out, const std::string& prefix) const {
  base_->save_state(out, prefix + "base.");
  out[prefix + "step"] = int_scalar(steps_);
  out[prefix + "rng.seed"] = int_scalar(static_cast<std::int64_t>(seed_));
}

void PerturbedOptimizer::load_state(const StateMap& in, const std::string& prefix) {
  base_->load_state(in, prefix + "base.");
  std::int64_t s = read_int(in, prefix + "step");
  BASIN_CHECK(s >= 0, name() << "::load_state: negative step " << s);
  steps_ = s;
  seed_ = static_cast<std::uint64_t>(read_int(in, prefix + "rng.seed"));
}

}  // namespace basin::optim

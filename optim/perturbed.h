#pragma once
// The perturbation family (docs/06-nso-step.md; the methods are those compared
// in Zhang, Li, Ju, "Noise Stability Optimization for Finding Flat Minima",
// TMLR 2024, arXiv 2306.08553): methods that evaluate gradients at moved
// weights W + something, combine them, restore W exactly (from a saved copy W0,
// bitwise) and hand the combined gradient to a base optimizer (SGD or AdamW),
// whose momentum and weight decay therefore see W, never the moved weights.
//
//   NSO     g = 1/(2k) sum_j [grad f(W + U_j) + grad f(W - U_j)]     (Algorithm 1)
//           two_point off: g = 1/k sum_j grad f(W + U_j)
//   WP-SGD  g = grad f(W + U)                                         (NSO, k 1, one point)
//   SAM     g = grad f(W + rho g0 / |g0|),      g0 = grad f(W)
//   USAM    g = grad f(W + rho g0)
//   ASAM    g = grad f(W + rho T^2 g0 / |T g0|), T = |W| + eta
//   RSAM    g = grad f(W + U + rho g1 / |g1|),   g1 = grad f(W + U)
//
// Noise U is regenerated from (seed, step, j) by the arena kernels, never stored.
// Memory: W0 (P floats) and, for NSO with more than one pass, an accumulator (P).
#include <memory>

#include "optim/optimizer.h"

namespace basin::optim {

class PerturbedOptimizer : public Optimizer {
 public:
  PerturbedOptimizer(std::unique_ptr<BaseOptimizer> base, std::uint64_t seed, const char* who);

  double lr() const override { return base_->lr(); }
  void set_lr(double lr) override { base_->set_lr(lr); }
  std::int64_t steps() const override { return steps_; }
  const ArenaRef& arena() const override { return base_->arena(); }
  BaseOptimizer& base() { return *base_; }
  std::uint64_t seed() const { return seed_; }
  // Data-parallel --rank-noise independent: rank r draws its noise under its own
  // seed (dist/bucketed.h's rank_noise_seed); load_state() sets the saved seed back.
  void set_seed(std::uint64_t seed) { seed_ = seed; }

  // The base optimizer's state under prefix + "base.", plus step and seed (the
  // RNG position: the noise of step t is keyed by (seed, t, j)).
  void save_state(StateMap& out, const std::string& prefix) const override;
  void load_state(const StateMap& in, const std::string& prefix) override;

 protected:
  // Copies arena.params into w0_ (the exact W of this step).
  void save_weights();
  // Copies w0_ back into arena.params (bitwise).
  void restore_weights();
  // zero grads, run the closure once at the current weights.
  float evaluate(const Closure& closure, bool update_bn);
  // The base optimizer's flat parameters and gradients, written in place.
  Tensor& params() { return base_->arena().params; }
  Tensor& grads() { return base_->arena().grads; }

  std::unique_ptr<BaseOptimizer> base_;
  std::uint64_t seed_;
  std::int64_t steps_ = 0;
  Tensor w0_;
};

}  // namespace basin::optim

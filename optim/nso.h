#pragma once
// NSO (Algorithm 1 of Zhang, Li, Ju, "Noise Stability Optimization for Finding
// Flat Minima", TMLR 2024) and WP-SGD (one-point randomized smoothing).
//
// One step: for j = 1..k draw U_j (keyed by (seed, step, j)); evaluate the
// gradient at W + U_j and, with two_point, at W - U_j, on the same batch;
// average the 2k (or k) gradients; restore W; let the base optimizer step on the
// average. With clean_pass, a first evaluation at W itself is mixed in with
// weight lambda (the authors' code: g = lambda g(W) + (1 - lambda) * average).
//
// BatchNorm: update_bn_stats is true on the first evaluation only (the +U_1
// pass, or the clean pass when there is one).
// step() returns the mean loss over the perturbed evaluations (an estimate of
// the smoothed loss F(W) = E f(W + U) that NSO minimizes), or the clean loss
// f(W) when clean_pass is on.
#include "optim/perturbed.h"
#include "optim/sigma_schedule.h"

namespace basin::optim {

struct NsoOptions {
  double sigma = 0.01;      // std of every noise element (absolute; Cauchy: its scale)
  SigmaSchedule schedule;   // sigma over training (optim/sigma_schedule.h); constant: sigma always
  int k = 1;                // perturbations per step
  kernels::noise::Dist dist = kernels::noise::Dist::Gaussian;
  bool two_point = true;    // false: k one-point samples (WP-SGD for k = 1)
  bool clean_pass = false;  // also evaluate at W and mix with lambda
  double lambda = 0.0;      // weight of the clean gradient, in [0, 1)
  std::uint64_t seed = 0;
};

class NSO : public PerturbedOptimizer {
 public:
  NSO(std::unique_ptr<BaseOptimizer> base, NsoOptions opt);
  float step(const Closure& closure) override;
  std::string name() const override { return opt_.two_point ? "nso" : "wpsgd"; }
  int passes_per_step() const override { return opt_.k * (opt_.two_point ? 2 : 1) + (opt_.clean_pass ? 1 : 0); }
  const NsoOptions& options() const { return opt_; }
  // The noise spec of perturbation j at step t (tests regenerate U with it);
  // its sigma is sigma_at(t).
  kernels::NoiseSpec noise_spec(std::int64_t t, int j) const;
  // The noise level of step t under the schedule.
  double sigma_at(std::int64_t t) const { return optim::sigma_at(opt_.schedule, opt_.sigma, t); }

 private:
  NsoOptions opt_;
  Tensor acc_;  // running sum of gradients (only when more than one pass)
};

// WP-SGD: the gradient at a single randomly perturbed point W + U.
std::unique_ptr<NSO> make_wpsgd(std::unique_ptr<BaseOptimizer> base, double sigma, std::uint64_t seed,
                                kernels::noise::Dist dist = kernels::noise::Dist::Gaussian);

}  // namespace basin::optim

#pragma once
// The sharpness-aware family, two evaluations per step: the baselines NSO is
// compared with in Zhang, Li, Ju, TMLR 2024 (arXiv 2306.08553; docs/06-nso-step.md):
//   SAM   (Foret et al. 2021)        e = rho g0 / |g0|,            g0 = grad f(W)
//   USAM  (Agarwala & Dauphin 2023)  e = rho g0
//   ASAM  (Kwon et al. 2021)         e = rho T^2 g0 / |T g0|,      T = diag(|W| + eta)
//   RSAM  (Liu et al. 2022)          from W + U, U ~ P(sigma):  e = rho g1 / |g1|,
//                                    g1 = grad f(W + U); the update gradient is
//                                    grad f(W + U + e)
// then grad f(W + e) (RSAM: W + U + e) goes to the base optimizer at the restored
// W. |.| is the L2 norm over the whole arena; 1e-12 guards a zero gradient (as
// davda54/sam). ASAM with eta = 0 is davda54's adaptive=True.
// step() returns the first evaluation's loss (f(W); RSAM: f(W + U)).
// BatchNorm: update_bn_stats is true on the first evaluation only.
#include "optim/perturbed.h"

namespace basin::optim {

enum class SamKind { SAM, USAM, ASAM, RSAM };

struct SamOptions {
  SamKind kind = SamKind::SAM;
  double rho = 0.05;
  double eta = 0.01;       // ASAM's T = |W| + eta
  double sigma = 0.01;     // RSAM's noise std
  kernels::noise::Dist dist = kernels::noise::Dist::Gaussian;  // RSAM's noise
  std::uint64_t seed = 0;  // RSAM's noise
};

const char* sam_kind_name(SamKind k);

class SAM : public PerturbedOptimizer {
 public:
  SAM(std::unique_ptr<BaseOptimizer> base, SamOptions opt);
  float step(const Closure& closure) override;
  std::string name() const override { return sam_kind_name(opt_.kind); }
  int passes_per_step() const override { return 2; }
  const SamOptions& options() const { return opt_; }
  // RSAM's noise of step t.
  kernels::NoiseSpec noise_spec(std::int64_t t) const;

 private:
  SamOptions opt_;
};

}  // namespace basin::optim

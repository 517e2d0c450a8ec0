#include "optim/sam.h"

#include <cmath>

namespace basin::optim {

const char* sam_kind_name(SamKind k) {
  switch (k) {
    case SamKind::SAM: return "sam";
    case SamKind::USAM: return "usam";
    case SamKind::ASAM: return "asam";
    case SamKind::RSAM: return "rsam";
  }
  return "?";
}

SAM::SAM(std::unique_ptr<BaseOptimizer> base, SamOptions opt)
    : PerturbedOptimizer(std::move(base), opt.seed, "SAM"), opt_(opt) {
  BASIN_CHECK(opt_.rho >= 0, name() << ": rho must be >= 0, got " << opt_.rho);
  BASIN_CHECK(opt_.eta >= 0, name() << ": eta must be >= 0, got " << opt_.eta);
  BASIN_CHECK(opt_.sigma >= 0, name() << ": sigma must be >= 0, got " << opt_.sigma);
}

kernels::NoiseSpec SAM::noise_spec(std::int64_t t) const {
  kernels::NoiseSpec ns;
  ns.dist = opt_.dist;
  ns.seed = seed_;
  ns.stream = kernels::noise::stream_of(static_cast<std::uint64_t>(t), 0);
  ns.sigma = static_cast<float>(opt_.sigma);
  return ns;
}

float SAM::step(const Closure& closure) {
  save_weights();
  const bool rsam = opt_.kind == SamKind::RSAM;
  if (rsam) kernels::arena_perturb(params(), w0_, noise_spec(steps_), 1.0f);  // W = W0 + U
  float loss = evaluate(closure, /*update_bn=*/true);
  const bool adaptive = opt_.kind == SamKind::ASAM;
  const float eta = static_cast<float>(opt_.eta);
  double alpha = opt_.rho;
  if (opt_.kind != SamKind::USAM) {
    double norm = std::sqrt(kernels::arena_sumsq(grads(), w0_, adaptive, eta));
    alpha = opt_.rho / (norm + 1e-12);
  }
  // W = base + alpha T^2 g, with base = W0 (RSAM: the current W0 + U)
  if (rsam) kernels::arena_perturb_along(params(), params(), grads(), static_cast<float>(alpha), false, eta);
  else kernels::arena_perturb_along(params(), w0_, grads(), static_cast<float>(alpha), adaptive, eta);
  evaluate(closure, /*update_bn=*/false);
  restore_weights();
  base_->update();
  ++steps_;
  return loss;
}

}  // namespace basin::optim

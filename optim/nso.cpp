#include "optim/nso.h"

namespace basin::optim {

NSO::NSO(std::unique_ptr<BaseOptimizer> base, NsoOptions opt)
    : PerturbedOptimizer(std::move(base), opt.seed, "NSO"), opt_(opt) {
  BASIN_CHECK(opt_.k >= 1 && opt_.k <= 65536, "NSO: k must be in [1, 65536], got " << opt_.k);
  BASIN_CHECK(opt_.sigma >= 0, "NSO: sigma must be >= 0, got " << opt_.sigma);
  BASIN_CHECK(opt_.lambda >= 0 && opt_.lambda < 1, "NSO: lambda must be in [0, 1), got " << opt_.lambda);
  BASIN_CHECK(opt_.clean_pass || opt_.lambda == 0, "NSO: lambda " << opt_.lambda << " needs clean_pass");
  check_sigma_schedule(opt_.schedule, "NSO");
  if (passes_per_step() > 1) acc_ = Tensor::empty({arena().numel()}, DType::Float32, arena().device());
}

kernels::NoiseSpec NSO::noise_spec(std::int64_t t, int j) const {
  kernels::NoiseSpec ns;
  ns.dist = opt_.dist;
  ns.seed = seed_;
  ns.stream = kernels::noise::stream_of(static_cast<std::uint64_t>(t), static_cast<std::uint32_t>(j));
  ns.sigma = static_cast<float>(sigma_at(t));
  return ns;
}

float NSO::step(const Closure& closure) {
  const int npoint = opt_.two_point ? 2 : 1;
  const int total = passes_per_step();
  // Each perturbed gradient gets weight c; the clean one lambda (kept in acc as
  // lambda / c so that the final c * (acc + g) gives it weight lambda).
  const float c = static_cast<float>((1.0 - opt_.lambda) / (npoint * opt_.k));
  save_weights();
  int pass = 0;
  float clean_loss = 0.0f;
  double loss_sum = 0.0;
  // After evaluation number `pass` (0-based) of `total`, fold grads into acc or,
  // on the last one, into the final average (left in arena.grads).
  auto fold = [&](float weight_over_c) {
    if (total == 1) {
      if (c != 1.0f) kernels::arena_accumulate(grads(), grads(), 0.0f, c);  // g = c g
    } else if (pass == total - 1) {
      kernels::arena_accumulate_final(acc_, grads(), c);
    } else {
      kernels::arena_accumulate(acc_, grads(), weight_over_c, pass == 0 ? 0.0f : 1.0f);
    }
    ++pass;
  };
  if (opt_.clean_pass) {
    clean_loss = evaluate(closure, /*update_bn=*/true);
    fold(static_cast<float>(opt_.lambda) / c);
  }
  for (int j = 0; j < opt_.k; ++j) {
    kernels::NoiseSpec ns = noise_spec(steps_, j);
    for (int s = 0; s < npoint; ++s) {
      kernels::arena_perturb(params(), w0_, ns, s == 0 ? 1.0f : -1.0f);
      loss_sum += evaluate(closure, /*update_bn=*/pass == 0);
      fold(1.0f);
    }
  }
  restore_weights();
  base_->update();
  ++steps_;
  return opt_.clean_pass ? clean_loss : static_cast<float>(loss_sum / (npoint * opt_.k));
}

std::unique_ptr<NSO> make_wpsgd(std::unique_ptr<BaseOptimizer> base, double sigma, std::uint64_t seed,
                                kernels::noise::Dist dist) {
  NsoOptions o;
  o.sigma = sigma;
  o.k = 1;
  o.dist = dist;
  o.two_point = false;
  o.seed = seed;
  return std::make_unique<NSO>(std::move(base), o);
}

}  // namespace basin::optim

#include "curvature/estimators.h"

#include <cmath>

#include "curvature/vec.h"
#include "kernels/elementwise.h"
#include "kernels/fill_copy.h"

namespace basin::curvature {

using kernels::Distribution;

void mean_stderr(const std::vector<double>& xs, double* mean, double* se) {
  const double n = static_cast<double>(xs.size());
  double m = 0;
  for (double x : xs) m += x;
  m = xs.empty() ? 0.0 : m / n;
  double ss = 0;
  for (double x : xs) ss += (x - m) * (x - m);
  *mean = m;
  *se = xs.size() > 1 ? std::sqrt(ss / (n - 1) / n) : 0.0;
}

std::vector<BlockTrace> block_traces(const std::vector<ParamBlock>& blocks, const std::vector<std::vector<double>>& vals) {
  std::vector<BlockTrace> out;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    BlockTrace bt;
    bt.name = blocks[b].name;
    bt.numel = blocks[b].numel;
    mean_stderr(vals[b], &bt.trace, &bt.stderr_);
    out.push_back(bt);
  }
  return out;
}

TraceResult hutchinson_trace(Objective& f, const TraceOptions& options) {
  check_objective(f, "hutchinson_trace");
  BASIN_CHECK(options.samples >= 1, "hutchinson_trace: samples must be >= 1, got " << options.samples);
  std::vector<ParamBlock> blocks = f.blocks;
  if (blocks.empty()) blocks.push_back({"all", 0, f.params.numel()});
  std::vector<std::vector<double>> block_vals(blocks.size());
  TraceResult r;
  // One freeze around all samples (W does not move); the HVPs must not refreeze.
  PatternFreeze freeze(f, options.hvp.freeze_pattern);
  HvpOptions inner = options.hvp;
  inner.freeze_pattern = false;
  Tensor hv = Tensor::empty(f.params.shape(), DType::Float32, f.params.device());
  for (int i = 0; i < options.samples; ++i) {
    Tensor v = random_direction(f, Distribution::Rademacher, options.seed, static_cast<std::uint64_t>(i), 0.f, 1.f);
    hvp(f, v, hv, inner);
    double total = 0;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      double x = dot_range(v, hv, blocks[b].offset, blocks[b].numel);
      block_vals[b].push_back(x);
      total += x;
    }
    // Blocks need not cover every parameter: the total is its own dot.
    if (!f.blocks.empty()) total = dot(v, hv);
    r.values.push_back(total);
  }
  r.samples = options.samples;
  mean_stderr(r.values, &r.trace, &r.stderr_);
  r.blocks = block_traces(blocks, block_vals);
  return r;
}

PowerResult top_eigenvalue(Objective& f, const PowerOptions& options) {
  check_objective(f, "top_eigenvalue");
  BASIN_CHECK(options.max_iters >= 1, "top_eigenvalue: max_iters must be >= 1, got " << options.max_iters);
  BASIN_CHECK(options.tol > 0, "top_eigenvalue: tol must be positive, got " << options.tol);
  PatternFreeze freeze(f, options.hvp.freeze_pattern);
  HvpOptions inner = options.hvp;
  inner.freeze_pattern = false;
  Tensor v = random_direction(f, Distribution::Normal, options.seed, 0, 0.f, 1.f);
  scale_(v, static_cast<float>(1.0 / norm(v)));
  Tensor hv = Tensor::empty(f.params.shape(), DType::Float32, f.params.device());
  PowerResult r;
  double prev = 0;
  for (int k = 1; k <= options.max_iters; ++k) {
    hvp(f, v, hv, inner);
    const double lambda = dot(v, hv);  // v is a unit vector
    const double hv_norm = norm(hv);
    r.eigenvalue = lambda;
    r.iters = k;
    // residual |Hv - lambda v|^2 = |Hv|^2 - lambda^2 for unit v
    r.residual = std::sqrt(std::max(0.0, hv_norm * hv_norm - lambda * lambda)) / std::max(std::fabs(lambda), 1e-30);
    if (k > 1 && std::fabs(lambda - prev) <= options.tol * std::fabs(lambda)) {
      r.converged = true;
      break;
    }
    prev = lambda;
    if (hv_norm == 0 || !std::isfinite(hv_norm)) break;  // H v = 0: v is in the null space, lambda = 0
    kernels::copy(hv, v);
    scale_(v, static_cast<float>(1.0 / hv_norm));
  }
  return r;
}

GapResult perturbation_gap(Objective& f, const GapOptions& options) {
  check_objective(f, "perturbation_gap");
  BASIN_CHECK(options.sigma > 0, "perturbation_gap: sigma must be positive, got " << options.sigma);
  BASIN_CHECK(options.samples >= 1, "perturbation_gap: samples must be >= 1, got " << options.samples);
  GapResult r;
  r.sigma = options.sigma;
  r.samples = options.samples;
  PatternFreeze freeze(f, options.freeze_pattern);
  r.base_loss = f.loss();
  RestoreOnExit restore(f.params);
  Tensor u = Tensor::empty(f.params.shape(), DType::Float32, f.params.device());
  for (int i = 0; i < options.samples; ++i) {
    random_direction(f, u, Distribution::Normal, options.seed, static_cast<std::uint64_t>(i), 0.f,
                     static_cast<float>(options.sigma));
    kernels::axpy(1.f, u, f.params);
    double l = f.loss();
    restore.restore();
    if (options.antithetic) {
      kernels::axpy(-1.f, u, f.params);
      l = 0.5 * (l + f.loss());
      restore.restore();
    }
    r.values.push_back(l - r.base_loss);
  }
  mean_stderr(r.values, &r.gap, &r.stderr_);
  return r;
}

}  // namespace basin::curvature

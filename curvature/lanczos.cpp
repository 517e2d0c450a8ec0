#include "curvature/lanczos.h"

#include <algorithm>
#include <cmath>

#include "curvature/sym_eigen.h"
#include "curvature/vec.h"
#include "kernels/elementwise.h"
#include "kernels/fill_copy.h"

namespace basin::curvature {
namespace {

// Zeroes v outside the sorted, disjoint ranges `keep`.
void zero_outside(Tensor& v, std::vector<ParamBlock> keep) {
  std::sort(keep.begin(), keep.end(), [](const ParamBlock& a, const ParamBlock& b) { return a.offset < b.offset; });
  std::int64_t pos = 0;
  auto zero = [&v](std::int64_t a, std::int64_t b) {
    if (b <= a) return;
    Tensor dst = Tensor::make_view(v.storage(), {b - a}, {1}, v.offset() + a, DType::Float32);
    kernels::fill(dst, 0.0);
  };
  for (const auto& b : keep) {
    zero(pos, b.offset);
    pos = std::max(pos, b.offset + b.numel);
  }
  zero(pos, v.numel());
}

EigenResult eigen_of(const LinearOperator& op, Objective& f, const EigenOptions& o) {
  BASIN_CHECK(o.top_k >= 1, "eigenvalues: top_k must be >= 1, got " << o.top_k);
  BASIN_CHECK(o.max_steps >= 1, "eigenvalues: max_steps must be >= 1, got " << o.max_steps);
  LanczosOptions lo;
  lo.max_steps = std::max(o.max_steps, 2 * o.top_k + 2);
  lo.watch_top = o.top_k;
  lo.watch_min = true;
  lo.tol = o.tol;
  Tensor start = random_direction(f, kernels::Distribution::Normal, o.seed, 0, 0.f, 1.f);
  LanczosResult lr = lanczos(op, start, lo);
  EigenResult r;
  r.steps = lr.steps;
  r.converged = lr.converged;
  for (int i = 0; i < o.top_k && i < static_cast<int>(lr.ritz.size()); ++i)
    r.top.push_back(lr.ritz[lr.ritz.size() - 1 - i]);
  r.min = lr.ritz.empty() ? 0.0 : lr.ritz.front();
  return r;
}

}  // namespace

LanczosResult lanczos(const LinearOperator& op, const Tensor& start, const LanczosOptions& o) {
  BASIN_CHECK(o.max_steps >= 1, "lanczos: max_steps must be >= 1, got " << o.max_steps);
  BASIN_CHECK(static_cast<bool>(op.apply), "lanczos: the operator has no apply function");
  const Device dev = op.like.device();
  std::vector<Tensor> q;  // the Lanczos vectors, kept for full reorthogonalization
  Tensor q0 = Tensor::empty(op.like.shape(), DType::Float32, dev);
  kernels::copy(start, q0);
  if (op.project) op.project(q0);
  const double n0 = norm(q0);
  BASIN_CHECK(n0 > 0 && std::isfinite(n0), "lanczos: the start vector has norm " << n0);
  scale_(q0, static_cast<float>(1.0 / n0));
  q.push_back(q0);
  LanczosResult r;
  Tensor w = Tensor::empty(op.like.shape(), DType::Float32, dev);
  for (int j = 0; j < o.max_steps; ++j) {
    op.apply(q[j], w);
    if (op.project) op.project(w);
    const double a = dot(q[j], w);
    r.alpha.push_back(a);
    // Three-term recurrence, then Gram-Schmidt against every kept vector, twice
    // ("twice is enough", Parlett): float32 vectors stay orthogonal to ~1e-7.
    kernels::axpy(static_cast<float>(-a), q[j], w);
    if (j > 0) kernels::axpy(static_cast<float>(-r.beta[j - 1]), q[j - 1], w);
    for (int pass = 0; pass < 2; ++pass)
      for (const Tensor& qi : q) kernels::axpy(static_cast<float>(-dot(qi, w)), qi, w);
    const double b = norm(w);
    BASIN_CHECK(std::isfinite(a) && std::isfinite(b), "lanczos: the operator returned a non-finite vector");
    r.steps = j + 1;
    SymEigen t = tridiagonal_eigen(r.alpha, r.beta);
    r.ritz = t.values;
    r.weights.assign(t.n, 0.0);
    r.residuals.assign(t.n, 0.0);
    double scale = 0;
    for (int k = 0; k < t.n; ++k) {
      r.weights[k] = t.vec(0, k) * t.vec(0, k);
      r.residuals[k] = b * std::fabs(t.vec(t.n - 1, k));
      scale = std::max(scale, std::fabs(t.values[k]));
    }
    // An invariant Krylov space: the Ritz values are exact eigenvalues.
    if (b <= 1e-6 * std::max(scale, 1e-30)) {
      r.converged = true;
      break;
    }
    bool done = r.steps >= o.watch_top;
    for (int k = 0; k < std::min(o.watch_top, t.n); ++k) done = done && r.residuals[t.n - 1 - k] <= o.tol * scale;
    if (o.watch_min) done = done && r.residuals[0] <= o.tol * scale;
    if (done) {
      r.converged = true;
      break;
    }
    if (j + 1 == o.max_steps) break;
    r.beta.push_back(b);
    Tensor next = Tensor::empty(op.like.shape(), DType::Float32, dev);
    kernels::copy(w, next);
    scale_(next, static_cast<float>(1.0 / b));
    q.push_back(next);
  }
  return r;
}

LinearOperator hessian_operator(Objective& f, const HvpOptions& hvp_options, const ParamBlock* block) {
  LinearOperator op;
  op.like = f.params;
  HvpOptions inner = hvp_options;
  inner.freeze_pattern = false;
  Objective* fp = &f;
  op.apply = [fp, inner](const Tensor& v, Tensor& out) { hvp(*fp, v, out, inner); };
  if (block) {
    const ParamBlock b = *block;
    op.project = [b](Tensor& v) { zero_outside(v, {b}); };
  } else if (f.padded) {
    const std::vector<ParamBlock> blocks = f.blocks;
    op.project = [blocks](Tensor& v) { zero_outside(v, blocks); };
  }
  return op;
}

EigenResult hessian_eigenvalues(Objective& f, const EigenOptions& o) {
  check_objective(f, "hessian_eigenvalues");
  PatternFreeze freeze(f, o.hvp.freeze_pattern);
  return eigen_of(hessian_operator(f, o.hvp), f, o);
}

EigenResult block_eigenvalues(Objective& f, const ParamBlock& block, const EigenOptions& o) {
  check_objective(f, "block_eigenvalues");
  BASIN_CHECK(block.offset >= 0 && block.numel >= 1 && block.offset + block.numel <= f.params.numel(),
              "block_eigenvalues: block '" << block.name << "' is empty or outside the parameters");
  PatternFreeze freeze(f, o.hvp.freeze_pattern);
  return eigen_of(hessian_operator(f, o.hvp, &block), f, o);
}

}  // namespace basin::curvature

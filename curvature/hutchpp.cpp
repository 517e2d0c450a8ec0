#include "curvature/hutchpp.h"

#include <cmath>

#include "curvature/vec.h"
#include "kernels/elementwise.h"
#include "kernels/fill_copy.h"

namespace basin::curvature {

using kernels::Distribution;

namespace {

// The residual samples' streams start here, apart from the sketch's 0..k-1.
constexpr std::uint64_t kResidualStream = 1ull << 32;

// y -= Q (Q^T y), twice (float32 Gram-Schmidt needs the second pass).
void deflate(const std::vector<Tensor>& q, Tensor& y) {
  for (int pass = 0; pass < 2; ++pass)
    for (const Tensor& qi : q) kernels::axpy(static_cast<float>(-dot(qi, y)), qi, y);
}

}  // namespace

TraceResult hutchpp_trace(Objective& f, const TraceOptions& o) {
  check_objective(f, "hutchpp_trace");
  BASIN_CHECK(o.samples >= 3, "hutchpp_trace: needs a budget of >= 3 HVPs, got " << o.samples);
  const int k = o.samples / 3, residual = o.samples - 2 * k;
  std::vector<ParamBlock> blocks = f.blocks;
  if (blocks.empty()) blocks.push_back({"all", 0, f.params.numel()});
  PatternFreeze freeze(f, o.hvp.freeze_pattern);
  HvpOptions inner = o.hvp;
  inner.freeze_pattern = false;
  const Device dev = f.params.device();
  auto fresh = [&] { return Tensor::empty(f.params.shape(), DType::Float32, dev); };

  // Sketch: Q = orth(H S). Columns that vanish after deflation (rank < k) are dropped.
  std::vector<Tensor> q;
  for (int j = 0; j < k; ++j) {
    Tensor s = random_direction(f, Distribution::Rademacher, o.seed, static_cast<std::uint64_t>(j), 0.f, 1.f);
    Tensor z = fresh();
    hvp(f, s, z, inner);
    const double before = norm(z);
    deflate(q, z);
    const double after = norm(z);
    if (!(after > 1e-6 * before) || !std::isfinite(after)) continue;
    scale_(z, static_cast<float>(1.0 / after));
    q.push_back(z);
  }
  const int r = static_cast<int>(q.size());
  // HQ, M = Q^T H Q (symmetrized: the finite-difference HVP is symmetric only to its error).
  std::vector<Tensor> hq;
  for (int j = 0; j < r; ++j) {
    hq.push_back(fresh());
    hvp(f, q[j], hq[j], inner);
  }
  std::vector<double> m(static_cast<std::size_t>(r) * r);
  for (int a = 0; a < r; ++a)
    for (int b = 0; b <= a; ++b) m[a * r + b] = m[b * r + a] = 0.5 * (dot(q[a], hq[b]) + dot(q[b], hq[a]));
  double low = 0;
  for (int a = 0; a < r; ++a) low += m[a * r + a];
  // The exact low-rank part per element: d = sum_j Q_j (.) (2 HQ_j - (QM)_j).
  Tensor d = fresh(), t = fresh(), prod = fresh();
  kernels::fill(d, 0.0);
  for (int j = 0; j < r; ++j) {
    kernels::copy(hq[j], t);
    scale_(t, 2.f);
    for (int l = 0; l < r; ++l) kernels::axpy(static_cast<float>(-m[l * r + j]), q[l], t);
    kernels::binary(kernels::BinaryOp::Mul, q[j], t, prod);
    kernels::axpy(1.f, prod, d);
  }
  hq.clear();
  Tensor ones = fresh();
  kernels::fill(ones, 1.0);
  std::vector<double> block_low;
  for (const auto& b : blocks) block_low.push_back(dot_range(d, ones, b.offset, b.numel));

  // Hutchinson on the deflated rest.
  std::vector<std::vector<double>> block_vals(blocks.size());
  TraceResult res;
  Tensor hy = fresh();
  for (int i = 0; i < residual; ++i) {
    Tensor y = random_direction(f, Distribution::Rademacher, o.seed, kResidualStream + static_cast<std::uint64_t>(i),
                                0.f, 1.f);
    deflate(q, y);
    hvp(f, y, hy, inner);
    deflate(q, hy);  // R H y
    for (std::size_t b = 0; b < blocks.size(); ++b)
      block_vals[b].push_back(block_low[b] + dot_range(y, hy, blocks[b].offset, blocks[b].numel));
    res.values.push_back(low + dot(y, hy));
  }
  res.samples = o.samples;
  mean_stderr(res.values, &res.trace, &res.stderr_);
  res.blocks = block_traces(blocks, block_vals);
  return res;
}

}  // namespace basin::curvature

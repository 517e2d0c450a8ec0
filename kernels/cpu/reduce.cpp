// CPU reductions. Sums accumulate in double: this backend is the reference the
// CUDA results are compared against, so it should be the more accurate one.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/argmax_rule.h"
#include "kernels/cpu/strided.h"
#include "kernels/reduce.h"

namespace basin::kernels::cpu {

namespace {

// out[o] = scale * fold(combine, init, x[o, r] for every reduced index r).
template <typename Combine>
void reduce_loop(const Tensor& x, const std::vector<int>& axes, Tensor& out, double init, Combine combine,
                 double scale) {
  // Split x's axes into kept (walked by `outer`, one step per output) and reduced
  // (walked by `inner`, relative to the output's base offset in x).
  Shape inner_shape = x.shape();
  for (int d = 0; d < x.dim(); ++d)
    if (std::find(axes.begin(), axes.end(), d) == axes.end()) inner_shape[d] = 1;
  StridedGeometry<2> outer(out.shape(), {&out.strides(), &x.strides()});
  StridedGeometry<1> inner(inner_shape, {&x.strides()});
  const std::int64_t n_out = out.numel(), n_in = numel_of(inner_shape);
  const float* xp = x.data<float>();
  float* op = out.data<float>();

  auto fold = [&](std::int64_t base, std::int64_t b, std::int64_t e) {
    double acc = init;
    strided_range(inner, b, e, [&](std::int64_t, const auto& off) { acc = combine(acc, xp[base + off[0]]); });
    return acc;
  };

  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  if (n_out >= threads || n_in < kParallelGrain) {
    // Many outputs (or little work each): one thread per group of outputs.
    std::int64_t grain = std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, n_in));
    parallel_for(
        n_out,
        [&](std::int64_t b, std::int64_t e) {
          strided_range(outer, b, e, [&](std::int64_t, const auto& off) {
            op[off[0]] = static_cast<float>(fold(off[1], 0, n_in) * scale);
          });
        },
        grain);
    return;
  }
  // Few long reductions: split each one over threads, then combine the partials.
  strided_range(outer, 0, n_out, [&](std::int64_t, const auto& off) {
    std::vector<double> partial(threads, init);
    std::int64_t chunk = (n_in + threads - 1) / threads;
#pragma omp parallel for
    for (int t = 0; t < threads; ++t) {
      std::int64_t b = t * chunk, e = std::min(n_in, b + chunk);
      if (b < e) partial[t] = fold(off[1], b, e);
    }
    double acc = init;
    for (double p : partial) acc = combine(acc, p);
    op[off[0]] = static_cast<float>(acc * scale);
  });
}

}  // namespace

void reduce(ReduceOp op, const Tensor& x, const std::vector<int>& axes, Tensor& out) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  // NaN propagates through max/min (acc stays NaN once it is NaN), as in torch.
  auto sum = [](double acc, double v) { return acc + v; };
  auto mx = [](double acc, double v) { return (v != v || v > acc) ? v : acc; };
  auto mn = [](double acc, double v) { return (v != v || v < acc) ? v : acc; };
  std::int64_t n_in = out.numel() ? x.numel() / out.numel() : 0;
  switch (op) {
    case ReduceOp::Sum: return reduce_loop(x, axes, out, 0.0, sum, 1.0);
    case ReduceOp::Mean:
      return reduce_loop(x, axes, out, 0.0, sum, n_in ? 1.0 / n_in : std::numeric_limits<double>::quiet_NaN());
    case ReduceOp::Max: return reduce_loop(x, axes, out, -inf, mx, 1.0);
    case ReduceOp::Min: return reduce_loop(x, axes, out, inf, mn, 1.0);
  }
}

void argmax(const Tensor& x, int axis, Tensor& out) {
  const std::int64_t n = x.shape()[axis], stride = x.strides()[axis];
  StridedGeometry<2> outer(out.shape(), {&out.strides(), &x.strides()});
  const float* xp = x.data<float>();
  std::int64_t* op = out.data<std::int64_t>();
  parallel_for(
      out.numel(),
      [&](std::int64_t b, std::int64_t e) {
        strided_range(outer, b, e, [&](std::int64_t, const auto& off) {
          std::int64_t best = 0;
          float bv = xp[off[1]];
          for (std::int64_t k = 1; k < n; ++k) {
            float v = xp[off[1] + k * stride];
            if (bv != bv) break;  // nothing replaces a NaN: stop early (same result)
            if (argmax_takes(v, bv)) {
              bv = v;
              best = k;
            }
          }
          op[off[0]] = best;
        });
      },
      std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, n)));
}

}  // namespace basin::kernels::cpu

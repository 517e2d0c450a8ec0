// CPU batch norm over x viewed as [N, C, S] (S = product of the trailing axes),
// one OpenMP task per channel. Sums are accumulated in double: a channel of a
// ResNet batch holds ~10^5..10^6 values, where float accumulation loses digits
// that the variance (a difference of similar numbers) needs.
#include <cmath>

#include "kernels/batchnorm.h"

namespace basin::kernels::cpu {

namespace {
using i64 = std::int64_t;
struct Layout {
  i64 N, C, S;
};
Layout layout(const Tensor& x) {
  i64 n = x.shape()[0], c = x.shape()[1];
  return {n, c, (n * c) > 0 ? x.numel() / (n * c) : 0};
}
}  // namespace

void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                        Tensor& running_var, bool training, float momentum, float eps, Tensor& out,
                        Tensor& save_mean, Tensor& save_invstd) {
  Layout L = layout(x);
  const float* xp = x.data<float>();
  const float* wp = weight.data<float>();
  const float* bp = bias.data<float>();
  float* yp = out.data<float>();
  float* sm = save_mean.data<float>();
  float* si = save_invstd.data<float>();
  float* rm = running_mean.defined() ? running_mean.data<float>() : nullptr;
  float* rv = running_var.defined() ? running_var.data<float>() : nullptr;
  const i64 M = L.N * L.S;
#pragma omp parallel for schedule(static)
  for (i64 c = 0; c < L.C; ++c) {
    double mean, var;
    if (training) {
      double s = 0.0;
      for (i64 n = 0; n < L.N; ++n) {
        const float* r = xp + (n * L.C + c) * L.S;
        for (i64 q = 0; q < L.S; ++q) s += r[q];
      }
      mean = s / static_cast<double>(M);
      double ss = 0.0;  // two passes: no cancellation
      for (i64 n = 0; n < L.N; ++n) {
        const float* r = xp + (n * L.C + c) * L.S;
        for (i64 q = 0; q < L.S; ++q) ss += (r[q] - mean) * (r[q] - mean);
      }
      var = ss / static_cast<double>(M);
      if (rm) {
        rm[c] = static_cast<float>((1.0 - momentum) * rm[c] + momentum * mean);
        rv[c] = static_cast<float>((1.0 - momentum) * rv[c] + momentum * ss / static_cast<double>(M - 1));
      }
    } else {
      mean = rm[c];
      var = rv[c];
    }
    float invstd = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
    float fmean = static_cast<float>(mean);
    sm[c] = fmean;
    si[c] = invstd;
    float a = wp[c] * invstd, b = bp[c];
    for (i64 n = 0; n < L.N; ++n) {
      const float* r = xp + (n * L.C + c) * L.S;
      float* y = yp + (n * L.C + c) * L.S;
      for (i64 q = 0; q < L.S; ++q) y[q] = (r[q] - fmean) * a + b;
    }
  }
}

void batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor& save_mean,
                         const Tensor& save_invstd, bool training, float /*eps*/, Tensor& grad_x,
                         Tensor& grad_weight, Tensor& grad_bias) {
  Layout L = layout(x);
  const float* gy = grad_out.data<float>();
  const float* xp = x.data<float>();
  const float* wp = weight.data<float>();
  const float* sm = save_mean.data<float>();
  const float* si = save_invstd.data<float>();
  float* gx = grad_x.data<float>();
  float* gw = grad_weight.data<float>();
  float* gb = grad_bias.data<float>();
  const double M = static_cast<double>(L.N * L.S);
#pragma omp parallel for schedule(static)
  for (i64 c = 0; c < L.C; ++c) {
    const float mean = sm[c], invstd = si[c];
    double sum_g = 0.0, sum_gx = 0.0;  // sum(gy), sum(gy * xhat)
    for (i64 n = 0; n < L.N; ++n) {
      const float* g = gy + (n * L.C + c) * L.S;
      const float* r = xp + (n * L.C + c) * L.S;
      for (i64 q = 0; q < L.S; ++q) {
        sum_g += g[q];
        sum_gx += static_cast<double>(g[q]) * (r[q] - mean) * invstd;
      }
    }
    gb[c] = static_cast<float>(sum_g);
    gw[c] = static_cast<float>(sum_gx);
    // training: d xhat / d x includes the batch statistics' dependence on x:
    // gx = w * invstd * (gy - mean(gy) - xhat * mean(gy * xhat)).
    const float a = wp[c] * invstd;
    const float mg = training ? static_cast<float>(sum_g / M) : 0.0f;
    const float mgx = training ? static_cast<float>(sum_gx / M) : 0.0f;
    for (i64 n = 0; n < L.N; ++n) {
      const float* g = gy + (n * L.C + c) * L.S;
      const float* r = xp + (n * L.C + c) * L.S;
      float* d = gx + (n * L.C + c) * L.S;
      for (i64 q = 0; q < L.S; ++q) d[q] = a * (g[q] - mg - (r[q] - mean) * invstd * mgx);
    }
  }
}

}  // namespace basin::kernels::cpu

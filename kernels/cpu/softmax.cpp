// CPU softmax family over the rows of contiguous [N, C] tensors. Each row is
// shifted by its maximum before exponentiating (no overflow); sums in double.
#include <cmath>

#include "kernels/cpu/strided.h"
#include "kernels/softmax.h"

namespace basin::kernels::cpu {

namespace {
// Rows are independent: split them over threads (grain scaled by the row length).
template <typename Fn>
void for_rows(std::int64_t n, std::int64_t c, Fn fn) {
  parallel_for(
      n, [&](std::int64_t b, std::int64_t e) { for (std::int64_t i = b; i < e; ++i) fn(i); },
      std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, c)));
}

// One row of log-softmax / softmax, shifted by the row maximum.
void log_softmax_row(const float* x, float* out, std::int64_t c) {
  float mx = -INFINITY;
  for (std::int64_t j = 0; j < c; ++j) mx = x[j] > mx ? x[j] : mx;
  double s = 0.0;
  for (std::int64_t j = 0; j < c; ++j) s += std::exp(static_cast<double>(x[j] - mx));
  // (x - max) - log(s), not x - (max + log(s)): the latter loses the small
  // log(s) against a large max in float.
  const float log_s = static_cast<float>(std::log(s));
  for (std::int64_t j = 0; j < c; ++j) out[j] = (x[j] - mx) - log_s;
}

void softmax_row(const float* x, float* out, std::int64_t c) {
  float mx = -INFINITY;
  for (std::int64_t j = 0; j < c; ++j) mx = x[j] > mx ? x[j] : mx;
  double s = 0.0;
  for (std::int64_t j = 0; j < c; ++j) s += std::exp(static_cast<double>(x[j] - mx));
  for (std::int64_t j = 0; j < c; ++j) out[j] = static_cast<float>(std::exp(static_cast<double>(x[j] - mx)) / s);
}
}  // namespace

void softmax(const Tensor& x, Tensor& out, bool log) {
  const std::int64_t n = x.shape()[0], c = x.shape()[1];
  const float* xp = x.data<float>();
  float* op = out.data<float>();
  for_rows(n, c, [&](std::int64_t i) {
    if (log)
      log_softmax_row(xp + i * c, op + i * c, c);
    else
      softmax_row(xp + i * c, op + i * c, c);
  });
}

void softmax_backward(const Tensor& y, const Tensor& dy, Tensor& dx, bool log) {
  const std::int64_t n = y.shape()[0], c = y.shape()[1];
  const float* yp = y.data<float>();
  const float* gp = dy.data<float>();
  float* dp = dx.data<float>();
  for_rows(n, c, [&](std::int64_t i) {
    const float* yr = yp + i * c;
    const float* gr = gp + i * c;
    float* dr = dp + i * c;
    double s = 0.0;
    if (log) {
      // y = log p: dx = dy - p * sum(dy)
      for (std::int64_t j = 0; j < c; ++j) s += gr[j];
      for (std::int64_t j = 0; j < c; ++j) dr[j] = gr[j] - std::exp(yr[j]) * static_cast<float>(s);
    } else {
      // y = p: dx = p * (dy - sum(dy * p))
      for (std::int64_t j = 0; j < c; ++j) s += static_cast<double>(gr[j]) * yr[j];
      for (std::int64_t j = 0; j < c; ++j) dr[j] = yr[j] * (gr[j] - static_cast<float>(s));
    }
  });
}

void cross_entropy(const Tensor& logits, const Tensor& labels, float eps, Tensor& loss, Tensor& logp) {
  const std::int64_t n = logits.shape()[0], c = logits.shape()[1];
  const float* xp = logits.data<float>();
  const std::int64_t* lp = labels.data<std::int64_t>();
  float* pp = logp.data<float>();
  // Labels first, so a bad one is reported before any work (and deterministically).
  for (std::int64_t i = 0; i < n; ++i)
    BASIN_CHECK(lp[i] >= 0 && lp[i] < c, "cross_entropy: label " << lp[i] << " at index " << i
                                                                 << " is out of range for " << c << " classes");
  std::vector<double> row_loss(static_cast<size_t>(n));
  for_rows(n, c, [&](std::int64_t i) {
    float* r = pp + i * c;
    log_softmax_row(xp + i * c, r, c);
    // Smoothed target (1 - eps) * onehot + eps / C:
    // loss_i = -(1 - eps) * logp[y] - (eps / C) * sum_j logp[j]
    double all = 0.0;
    for (std::int64_t j = 0; j < c; ++j) all += r[j];
    row_loss[i] = -(1.0 - eps) * r[lp[i]] - (eps / static_cast<double>(c)) * all;
  });
  double total = 0.0;
  for (double v : row_loss) total += v;
  *loss.data<float>() = static_cast<float>(total / static_cast<double>(n));  // n == 0 gives NaN, as torch
}

void cross_entropy_backward(const Tensor& logp, const Tensor& labels, float eps, const Tensor& grad_loss,
                            Tensor& dlogits) {
  const std::int64_t n = logp.shape()[0], c = logp.shape()[1];
  const float* pp = logp.data<float>();
  const std::int64_t* lp = labels.data<std::int64_t>();
  float* dp = dlogits.data<float>();
  const float scale = *grad_loss.data<float>() / static_cast<float>(n);
  const float off = eps / static_cast<float>(c);
  // Checked outside the parallel loop: an exception must not leave an OpenMP region.
  for (std::int64_t i = 0; i < n; ++i)
    BASIN_CHECK(lp[i] >= 0 && lp[i] < c, "cross_entropy_backward: label " << lp[i] << " at index " << i
                                                                          << " is out of range for " << c
                                                                          << " classes");
  for_rows(n, c, [&](std::int64_t i) {
    for (std::int64_t j = 0; j < c; ++j) {
      float target = off + (j == lp[i] ? 1.0f - eps : 0.0f);
      dp[i * c + j] = scale * (std::exp(pp[i * c + j]) - target);
    }
  });
}

}  // namespace basin::kernels::cpu

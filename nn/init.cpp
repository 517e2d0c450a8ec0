#include "nn/init.h"

#include <cmath>

#include "autograd/grad_mode.h"

namespace basin::nn {

namespace {
std::int64_t receptive(const Tensor& w) {
  std::int64_t r = 1;
  for (int i = 2; i < w.dim(); ++i) r *= w.shape()[static_cast<size_t>(i)];
  return r;
}
}  // namespace

std::int64_t fan_in(const Tensor& w) {
  BASIN_CHECK(w.dim() >= 2, "fan_in: needs a tensor of rank >= 2, got " << shape_str(w.shape()));
  return w.shape()[1] * receptive(w);
}

std::int64_t fan_out(const Tensor& w) {
  BASIN_CHECK(w.dim() >= 2, "fan_out: needs a tensor of rank >= 2, got " << shape_str(w.shape()));
  return w.shape()[0] * receptive(w);
}

void uniform_(Tensor& t, float lo, float hi, InitRng& rng) {
  NoGradGuard no_grad;
  kernels::random_fill(t, kernels::Distribution::Uniform, rng.next(), lo, hi);
}

void normal_(Tensor& t, float mean, float std, InitRng& rng) {
  NoGradGuard no_grad;
  kernels::random_fill(t, kernels::Distribution::Normal, rng.next(), mean, std);
}

void kaiming_normal_fan_out_relu_(Tensor& w, InitRng& rng) {
  float std = std::sqrt(2.0f) / std::sqrt(static_cast<float>(fan_out(w)));
  normal_(w, 0.0f, std, rng);
}

void kaiming_uniform_default_(Tensor& w, InitRng& rng) {
  // gain = sqrt(2 / (1 + a^2)) with a = sqrt(5); bound = gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in).
  float bound = 1.0f / std::sqrt(static_cast<float>(fan_in(w)));
  uniform_(w, -bound, bound, rng);
}

void default_bias_(Tensor& b, std::int64_t fan_in, InitRng& rng) {
  float bound = fan_in > 0 ? 1.0f / std::sqrt(static_cast<float>(fan_in)) : 0.0f;
  uniform_(b, -bound, bound, rng);
}

}  // namespace basin::nn

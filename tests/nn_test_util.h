#pragma once
// Helpers shared by the nn-op tests (test_conv, test_pool, test_batchnorm,
// test_dropout, test_cuda_nn_ops): deterministic inputs and a finite-difference
// check of every gradient an op produces. The check weights the output with a
// fixed random tensor R, so it tests the full Jacobian-vector product
// d/dx sum(R * f(x)) rather than only the gradient of a plain sum.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <vector>

#include "autograd/grad_mode.h"
#include "tensor/tensor.h"

namespace basin::nntest {

// Uniform values in [lo, hi) from a small LCG: the same on every platform.
inline std::vector<float> uniform_values(std::int64_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  std::uint64_t s = seed * 2654435761u + 12345u;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = lo + (hi - lo) * static_cast<float>((s >> 40) & 0xFFFFFF) / 16777216.0f;
  }
  return v;
}

inline Tensor uniform(const Shape& shape, std::uint32_t seed, bool requires_grad = false) {
  Tensor t = Tensor::from_vector(uniform_values(numel_of(shape), seed), shape);
  if (requires_grad) t.set_requires_grad(true);
  return t;
}

// All-distinct values spaced `gap` apart in shuffled order: max pooling has no
// ties and no argmax changes under a finite-difference step smaller than gap/2.
inline Tensor distinct(const Shape& shape, std::uint32_t seed, float gap = 0.05f, bool requires_grad = true) {
  std::int64_t n = numel_of(shape);
  std::vector<float> key = uniform_values(n, seed);
  std::vector<std::int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return key[a] < key[b]; });
  std::vector<float> v(static_cast<size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[order[i]] = (static_cast<float>(i) - n / 2.0f) * gap;
  Tensor t = Tensor::from_vector(v, shape);
  if (requires_grad) t.set_requires_grad(true);
  return t;
}

inline std::vector<float> values(const Tensor& t) {
  const float* p = t.data<float>();
  return std::vector<float>(p, p + t.numel());
}

inline double weighted_sum(const Tensor& out, const std::vector<float>& r) {
  const float* p = out.data<float>();
  double s = 0.0;
  for (size_t i = 0; i < r.size(); ++i) s += static_cast<double>(p[i]) * r[i];
  return s;
}

// Checks every input that requires grad: analytic gradient of sum(R * f(inputs))
// (one backward) against central differences with step `eps`, element by
// element: |analytic - numeric| <= atol + rtol * |numeric|. Inputs must be
// contiguous CPU float32 leaves.
inline void check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                            const std::vector<Tensor>& inputs, double eps = 1e-2, double atol = 2e-3,
                            double rtol = 1e-2) {
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) t.impl().grad.reset();
  Tensor out = f(inputs);
  std::vector<float> r = uniform_values(out.numel(), 977);
  out.backward(Tensor::from_vector(r, out.shape()));
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& in = inputs[k];
    if (!in.defined() || !in.requires_grad()) continue;
    ASSERT_TRUE(in.grad().defined()) << "input " << k << " got no gradient";
    std::vector<float> analytic = values(in.grad());
    float* p = in.data<float>();
    int bad = 0;
    for (std::int64_t j = 0; j < in.numel(); ++j) {
      const float saved = p[j];
      double plus, minus;
      {
        NoGradGuard ng;
        p[j] = saved + static_cast<float>(eps);
        plus = weighted_sum(f(inputs), r);
        p[j] = saved - static_cast<float>(eps);
        minus = weighted_sum(f(inputs), r);
        p[j] = saved;
      }
      double numeric = (plus - minus) / (2.0 * eps);
      double err = std::abs(analytic[j] - numeric);
      if (err > atol + rtol * std::abs(numeric) && ++bad <= 5)
        ADD_FAILURE() << "input " << k << " element " << j << ": analytic " << analytic[j] << " numeric "
                      << numeric;
    }
    EXPECT_EQ(bad, 0) << "input " << k << ": " << bad << " of " << in.numel() << " gradient elements differ";
  }
}

// max |a - b| must be <= atol + rtol * |b| elementwise.
inline void expect_close(const std::vector<float>& a, const std::vector<float>& b, double atol, double rtol,
                         const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    bool ok = std::abs(static_cast<double>(a[i]) - b[i]) <= atol + rtol * std::abs(static_cast<double>(b[i]));
    if (!ok && ++bad <= 5) ADD_FAILURE() << what << "[" << i << "]: " << a[i] << " vs " << b[i];
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << a.size() << " elements differ";
}

}  // namespace basin::nntest

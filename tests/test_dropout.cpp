// dropout: identity in eval, kept values scaled by 1/(1-p), keep rate close to
// 1 - p, the same key giving the same mask, and a backward that multiplies by
// the same scaled mask.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/nn_ops.h"
#include "nn_test_util.h"

namespace basin {
namespace {

using nntest::uniform;

TEST(Dropout, EvalAndZeroProbabilityAreIdentity) {
  Tensor x = uniform({4, 5}, 1, true);
  EXPECT_TRUE(dropout(x, 0.5f, false, {1, 2}).same(x));
  EXPECT_TRUE(dropout(x, 0.0f, true, {1, 2}).same(x));
}

TEST(Dropout, KeptValuesAreScaledAndKeepRateIsOneMinusP) {
  const std::int64_t n = 100000;
  const float p = 0.3f;
  Tensor x = Tensor::from_vector(nntest::uniform_values(n, 3, 0.5f, 1.5f), {n});
  Tensor y = dropout(x, p, true, {42, 7});
  const float *xp = x.data<float>(), *yp = y.data<float>();
  std::int64_t kept = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (yp[i] == 0.0f) continue;
    ++kept;
    ASSERT_NEAR(yp[i], xp[i] / (1.0f - p), 1e-6f * std::abs(xp[i]) * 4) << i;
  }
  // Binomial(n, 0.7): std = sqrt(n * 0.21) ~ 145; allow 5 sigma.
  EXPECT_NEAR(static_cast<double>(kept), n * (1.0 - p), 5.0 * std::sqrt(n * p * (1.0 - p)));
}

TEST(Dropout, SameKeySameMaskOtherKeyOtherMask) {
  Tensor x = Tensor::ones({1000});
  std::vector<float> a = nntest::values(dropout(x, 0.5f, true, {5, 1}));
  std::vector<float> b = nntest::values(dropout(x, 0.5f, true, {5, 1}));
  std::vector<float> c = nntest::values(dropout(x, 0.5f, true, {5, 2}));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(Dropout, BackwardMultipliesByTheSameScaledMask) {
  Tensor x = Tensor::from_vector(nntest::uniform_values(500, 4, 0.5f, 1.5f), {20, 25}).set_requires_grad(true);
  Tensor y = dropout(x, 0.4f, true, {9, 9});
  std::vector<float> g = nntest::uniform_values(500, 5);
  y.backward(Tensor::from_vector(g, y.shape()));
  std::vector<float> gx = nntest::values(x.grad());
  const float *xp = x.data<float>(), *yp = y.data<float>();
  for (int i = 0; i < 500; ++i) EXPECT_NEAR(gx[i], g[i] * (yp[i] / xp[i]), 1e-5) << i;
}

TEST(Dropout, ProbabilityOneGivesZerosAndBadProbabilityThrows) {
  Tensor x = uniform({10}, 6);
  for (float v : nntest::values(dropout(x, 1.0f, true, {1, 1}))) EXPECT_EQ(v, 0.0f);
  EXPECT_THROW(dropout(x, 1.5f, true, {1, 1}), Error);
  EXPECT_THROW(dropout(x, -0.1f, true, {1, 1}), Error);
}

}  // namespace
}  // namespace basin

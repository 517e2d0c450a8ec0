// batch_norm: closed forms (normalized output has per-channel mean 0 and
// variance 1; running stats move by momentum toward the batch mean and the
// unbiased variance; eval applies the running stats), finite-difference
// gradients for x, weight and bias in training and eval, 4-D and 2-D inputs.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/nn_ops.h"
#include "nn_test_util.h"

namespace basin {
namespace {

using nntest::uniform;

struct Moments {
  std::vector<double> mean, var_biased, var_unbiased;
};
// Per-channel moments of x [N, C, S...] computed in double.
Moments moments(const Tensor& x) {
  std::int64_t N = x.shape()[0], C = x.shape()[1], S = x.numel() / (N * C);
  Moments m{std::vector<double>(C), std::vector<double>(C), std::vector<double>(C)};
  const float* p = x.data<float>();
  for (std::int64_t c = 0; c < C; ++c) {
    double s = 0, ss = 0;
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t q = 0; q < S; ++q) s += p[(n * C + c) * S + q];
    double mean = s / (N * S);
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t q = 0; q < S; ++q) ss += std::pow(p[(n * C + c) * S + q] - mean, 2);
    m.mean[c] = mean;
    m.var_biased[c] = ss / (N * S);
    m.var_unbiased[c] = ss / (N * S - 1);
  }
  return m;
}

TEST(BatchNorm, TrainingOutputHasZeroMeanUnitVariancePerChannel) {
  for (const Shape& s : {Shape{4, 3, 5, 6}, Shape{16, 5}}) {
    Tensor x = uniform(s, 3);
    // scale the input so normalization has real work to do
    for (std::int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = 3.0f * x.data<float>()[i] + 2.0f;
    Tensor y = batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1f, 1e-5f);
    Moments m = moments(y);
    for (std::int64_t c = 0; c < s[1]; ++c) {
      EXPECT_NEAR(m.mean[c], 0.0, 1e-5);
      // var / (var + eps) rather than exactly 1
      EXPECT_NEAR(m.var_biased[c], 1.0, 1e-4);
    }
  }
}

TEST(BatchNorm, RunningStatsFollowMomentumAndUnbiasedVariance) {
  Tensor x = uniform({4, 3, 2, 3}, 9);
  std::vector<float> rm0{0.5f, -1.0f, 2.0f}, rv0{1.0f, 2.0f, 0.5f};
  Tensor rm = Tensor::from_vector(rm0, {3}), rv = Tensor::from_vector(rv0, {3});
  batch_norm(x, rm, rv, Tensor(), Tensor(), true, 0.1f, 1e-5f);
  Moments m = moments(x);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(rm.data<float>()[c], 0.9 * rm0[c] + 0.1 * m.mean[c], 1e-6);
    EXPECT_NEAR(rv.data<float>()[c], 0.9 * rv0[c] + 0.1 * m.var_unbiased[c], 1e-6);
  }
}

TEST(BatchNorm, EvalUsesRunningStatsAndLeavesThemAlone) {
  Tensor x = uniform({3, 2, 4}, 2);
  std::vector<float> rm0{0.25f, -0.5f}, rv0{0.8f, 1.7f}, w0{1.5f, -0.5f}, b0{0.1f, 0.2f};
  Tensor rm = Tensor::from_vector(rm0, {2}), rv = Tensor::from_vector(rv0, {2});
  Tensor y = batch_norm(x, rm, rv, Tensor::from_vector(w0, {2}), Tensor::from_vector(b0, {2}), false, 0.1f, 1e-5f);
  const float *xp = x.data<float>(), *yp = y.data<float>();
  for (int n = 0; n < 3; ++n)
    for (int c = 0; c < 2; ++c)
      for (int q = 0; q < 4; ++q) {
        int i = (n * 2 + c) * 4 + q;
        double expect = (xp[i] - rm0[c]) / std::sqrt(rv0[c] + 1e-5) * w0[c] + b0[c];
        EXPECT_NEAR(yp[i], expect, 1e-5);
      }
  EXPECT_EQ(nntest::values(rm), rm0);
  EXPECT_EQ(nntest::values(rv), rv0);
}

TEST(BatchNorm, GradientsMatchFiniteDifferences) {
  for (bool training : {true, false})
    for (const Shape& s : {Shape{3, 2, 3, 2}, Shape{5, 3}}) {
      SCOPED_TRACE(std::string(training ? "training " : "eval ") + shape_str(s));
      std::int64_t C = s[1];
      Tensor x = uniform(s, 21, true), w = uniform({C}, 22, true), b = uniform({C}, 23, true);
      Tensor rm = uniform({C}, 24), rv = Tensor::from_vector(nntest::uniform_values(C, 25, 0.5f, 1.5f), {C});
      // Training updates the running stats on every call; the finite differences
      // must not see them change, so training passes none (undefined).
      nntest::check_gradients(
          [&](const std::vector<Tensor>& in) {
            return training ? batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], true, 0.1f, 1e-5f)
                            : batch_norm(in[0], rm, rv, in[1], in[2], false, 0.1f, 1e-5f);
          },
          {x, w, b});
    }
}

TEST(BatchNorm, WithoutAffineParametersIsThePlainNormalization) {
  Tensor x = uniform({4, 2, 3}, 5);
  Tensor ones = Tensor::from_vector(std::vector<float>{1.0f, 1.0f}, {2});
  Tensor zeros = Tensor::from_vector(std::vector<float>{0.0f, 0.0f}, {2});
  Tensor a = batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1f, 1e-5f);
  Tensor b = batch_norm(x, Tensor(), Tensor(), ones, zeros, true, 0.1f, 1e-5f);
  EXPECT_EQ(nntest::values(a), nntest::values(b));
}

TEST(BatchNorm, BadArgumentsThrow) {
  Tensor x = uniform({1, 3}, 1);
  // one value per channel cannot give a batch variance
  EXPECT_THROW(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1f, 1e-5f), Error);
  // eval needs running stats
  EXPECT_THROW(batch_norm(uniform({4, 3}, 1), Tensor(), Tensor(), Tensor(), Tensor(), false, 0.1f, 1e-5f), Error);
  // wrong channel count
  EXPECT_THROW(batch_norm(uniform({4, 3}, 1), Tensor(), Tensor(), uniform({2}, 2), Tensor(), true, 0.1f, 1e-5f),
               Error);
  EXPECT_THROW(batch_norm(uniform({4}, 1), Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1f, 1e-5f), Error);
}

// Eval mode on an empty batch: an empty output, and zero gradients for weight
// and bias (sums over no samples), not stale memory.
TEST(BatchNorm, EmptyBatchInEvalMode) {
  Tensor x = Tensor::empty({0, 3, 2, 2});
  x.set_requires_grad(true);
  Tensor rm = uniform({3}, 1), rv = Tensor::full({3}, 2.0);
  Tensor w = uniform({3}, 2, true), b = uniform({3}, 3, true);
  Tensor y = batch_norm(x, rm, rv, w, b, false, 0.1f, 1e-5f);
  EXPECT_EQ(y.shape(), x.shape());
  y.backward(Tensor::ones(y.shape()));
  EXPECT_EQ(w.grad().to_vector(), std::vector<float>(3, 0.0f));
  EXPECT_EQ(b.grad().to_vector(), std::vector<float>(3, 0.0f));
}

}  // namespace
}  // namespace basin

// Layers: torch-compatible initialization (statistics and bounds), determinism
// from the seed, BatchNorm2d buffer updates, Dropout, and argument checking.
// Numerical conformance of the layer math with PyTorch is in test_golden.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/init.h"
#include "nn/layers.h"

using namespace basin;
using namespace basin::nn;

namespace {
void stats(const Tensor& t, double* mean, double* std, double* lo, double* hi) {
  auto v = t.to_vector();
  double s = 0, ss = 0;
  *lo = 1e30;
  *hi = -1e30;
  for (float x : v) {
    s += x;
    ss += double(x) * x;
    *lo = std::min(*lo, double(x));
    *hi = std::max(*hi, double(x));
  }
  *mean = s / v.size();
  *std = std::sqrt(ss / v.size() - *mean * *mean);
}
}  // namespace

TEST(Layers, LinearDefaultInitBounds) {
  InitRng rng(3);
  Linear l(400, 300, true, rng);
  double m, s, lo, hi, b = 1.0 / std::sqrt(400.0);
  stats(l.weight(), &m, &s, &lo, &hi);
  EXPECT_LE(hi, b);
  EXPECT_GE(lo, -b);
  EXPECT_NEAR(s, b / std::sqrt(3.0), 0.01 * b);  // uniform(-b, b) has std b/sqrt(3)
  EXPECT_NEAR(m, 0.0, 0.01 * b);
  stats(l.bias(), &m, &s, &lo, &hi);
  EXPECT_LE(hi, b);
  EXPECT_GE(lo, -b);
}

TEST(Layers, KaimingNormalFanOut) {
  InitRng rng(5);
  Tensor w = Tensor::empty({128, 64, 3, 3});
  kaiming_normal_fan_out_relu_(w, rng);
  double m, s, lo, hi;
  stats(w, &m, &s, &lo, &hi);
  EXPECT_NEAR(s, std::sqrt(2.0 / (128 * 9)), 0.01 * std::sqrt(2.0 / (128 * 9)));
  EXPECT_NEAR(m, 0.0, 5 * s / std::sqrt(128.0 * 64 * 9));  // 5 standard errors
}

TEST(Layers, InitIsReproducibleFromSeed) {
  InitRng a(11), b(11), c(12);
  Conv2d x(3, 8, 3, 1, 1, true, a), y(3, 8, 3, 1, 1, true, b), z(3, 8, 3, 1, 1, true, c);
  EXPECT_EQ(x.weight().to_vector(), y.weight().to_vector());
  EXPECT_EQ(x.bias().to_vector(), y.bias().to_vector());
  EXPECT_NE(x.weight().to_vector(), z.weight().to_vector());
  EXPECT_NE(x.weight().to_vector(), x.bias().to_vector());  // different streams
}

TEST(Layers, Conv2dShapesAndChecks) {
  InitRng rng(1);
  Conv2d c(4, 6, 3, 2, 1, false, rng, 2);
  EXPECT_EQ(c.weight().shape(), (Shape{6, 2, 3, 3}));
  EXPECT_FALSE(c.bias().defined());
  Tensor y = c(Tensor::zeros({1, 4, 9, 9}));
  EXPECT_EQ(y.shape(), (Shape{1, 6, 5, 5}));
  EXPECT_EQ(c.macs({1, 4, 9, 9}, y.shape()), 6 * 25 * 2 * 9);
  EXPECT_THROW(Conv2d(3, 6, 3, 1, 1, false, rng, 2), Error);  // 3 channels, 2 groups
  Linear l(5, 2, true, rng);
  EXPECT_THROW(l(Tensor::zeros({2, 4})), Error);
}

TEST(Layers, BatchNormTrainUpdatesBuffersEvalUsesThem) {
  BatchNorm2d bn(2);
  EXPECT_EQ(bn.num_batches_tracked().dtype(), DType::Int64);
  // Channel 0 holds 0..7, channel 1 holds 10 everywhere.
  std::vector<float> v;
  for (int n = 0; n < 2; ++n) {
    for (int i = 0; i < 4; ++i) v.push_back(float(n * 4 + i));
    for (int i = 0; i < 4; ++i) v.push_back(10.f);
  }
  Tensor x = Tensor::from_vector(v, {2, 2, 2, 2});
  Tensor y = bn(x);
  // mean 3.5, biased var 5.25, unbiased 6.0 (torch's running_var update).
  EXPECT_NEAR(bn.running_mean().to_vector()[0], 0.35f, 1e-6);
  EXPECT_NEAR(bn.running_var().to_vector()[0], 0.9f + 0.1f * 6.0f, 1e-6);
  EXPECT_NEAR(bn.running_mean().to_vector()[1], 1.0f, 1e-6);
  EXPECT_NEAR(bn.running_var().to_vector()[1], 0.9f, 1e-6);
  EXPECT_NEAR(y.to_vector()[0], (0 - 3.5) / std::sqrt(5.25 + 1e-5), 1e-5);
  bn(x);
  EXPECT_EQ(bn.num_batches_tracked().to_int_vector()[0], 2);
  bn.eval();
  Tensor ye = bn(x);
  EXPECT_EQ(bn.num_batches_tracked().to_int_vector()[0], 2);  // eval does not count
  float rm = bn.running_mean().to_vector()[0], rv = bn.running_var().to_vector()[0];
  EXPECT_NEAR(ye.to_vector()[1], (1 - rm) / std::sqrt(rv + 1e-5), 1e-5);
  EXPECT_THROW(bn(Tensor::zeros({1, 3, 2, 2})), Error);
}

TEST(Layers, BatchNormCountContinuesFromLoadedState) {
  BatchNorm2d a(1), b(1);
  Tensor nbt = a.num_batches_tracked();
  nbt.fill_(41);
  b.load_state_dict(a.state_dict());
  b(Tensor::ones({2, 1, 2, 2}));
  EXPECT_EQ(b.num_batches_tracked().to_int_vector()[0], 42);
}

TEST(Layers, DropoutTrainEval) {
  Dropout d(0.25f, 9);
  Tensor x = Tensor::ones({4000});
  auto y = d(x).to_vector();
  int zeros = 0;
  for (float v : y) {
    if (v == 0.f) ++zeros;
    else EXPECT_NEAR(v, 1.f / 0.75f, 1e-6);
  }
  EXPECT_NEAR(zeros / 4000.0, 0.25, 0.03);
  EXPECT_NE(d(x).to_vector(), y);  // a fresh mask per call
  d.eval();
  EXPECT_EQ(d(x).to_vector(), x.to_vector());
  EXPECT_THROW(Dropout(1.0f), Error);
}

TEST(Layers, SequentialNamesAndPooling) {
  InitRng rng(1);
  Sequential s;
  s.push_back(std::make_shared<MaxPool2d>(3, 2, 1));
  s.push_back(std::make_shared<AdaptiveAvgPool2d>(1, 1));
  s.push_back(std::make_shared<Flatten>());
  s.push_back(std::make_shared<Linear>(3, 2, true, rng));
  EXPECT_EQ(s.named_parameters()[0].first, "3.weight");
  Tensor y = s(Tensor::ones({5, 3, 8, 8}));
  EXPECT_EQ(y.shape(), (Shape{5, 2}));
}

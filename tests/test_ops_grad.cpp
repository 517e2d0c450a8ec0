// Gradients of every differentiable op in autograd/ops.h and every view, checked
// against central finite differences (gradcheck), plus closed-form checks.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "autograd/function.h"
#include "autograd/gradcheck.h"
#include "autograd/ops.h"
#include "kernels/random.h"

using namespace basin;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// Inputs are drawn from Uniform[lo, hi) with a fixed key; `away` pushes values at
// least `away` from 0 (for kinks: relu, abs, and for divisions).
Tensor input(const Shape& s, std::uint64_t seed, float lo = -1.0f, float hi = 1.0f, float away = 0.0f) {
  Tensor t = Tensor::empty(s);
  kernels::random_fill(t, kernels::Distribution::Uniform, {seed, 0}, lo, hi);
  if (away > 0.0f) {
    std::vector<float> v = t.to_vector();
    for (float& x : v) x = x < 0 ? x - away : x + away;
    t = Tensor::from_vector(v, s);
  }
  t.set_requires_grad(true);
  return t;
}
Tensor positive(const Shape& s, std::uint64_t seed) { return input(s, seed, 0.5f, 2.0f); }
Tensor signed_away(const Shape& s, std::uint64_t seed) { return input(s, seed, -1.0f, 1.0f, 0.1f); }

struct GradCase {
  const char* name;
  std::function<std::vector<Tensor>()> inputs;
  Fn f;
};

// eps 1e-2 keeps float rounding of f (about 1e-7 relative) well below the
// tolerance; the truncation error of central differences is O(eps^2).
constexpr double kEps = 1e-2, kAtol = 2e-3, kRtol = 1e-2;

std::vector<GradCase> cases() {
  auto one = [](std::function<Tensor()> g) { return [g] { return std::vector<Tensor>{g()}; }; };
  auto two = [](std::function<Tensor()> g, std::function<Tensor()> h) {
    return [g, h] { return std::vector<Tensor>{g(), h()}; };
  };
  std::vector<GradCase> c = {
      // elementwise, broadcasting
      {"add", two([] { return input({3, 4}, 1); }, [] { return input({4}, 2); }),
       [](const std::vector<Tensor>& x) { return add(x[0], x[1]); }},
      {"add_broadcast_both", two([] { return input({2, 1, 3}, 3); }, [] { return input({4, 1}, 4); }),
       [](const std::vector<Tensor>& x) { return x[0] + x[1]; }},
      {"sub", two([] { return input({2, 3}, 5); }, [] { return input({2, 1}, 6); }),
       [](const std::vector<Tensor>& x) { return sub(x[0], x[1]); }},
      {"mul", two([] { return input({3, 4}, 7); }, [] { return input({3, 1}, 8); }),
       [](const std::vector<Tensor>& x) { return mul(x[0], x[1]); }},
      {"div", two([] { return input({3, 4}, 9); }, [] { return signed_away({4}, 10); }),
       [](const std::vector<Tensor>& x) { return div(x[0], x[1]); }},
      {"maximum", two([] { return input({3, 4}, 11); }, [] { return input({4}, 12); }),
       [](const std::vector<Tensor>& x) { return maximum(x[0], x[1]); }},
      {"add_scalar", one([] { return input({5}, 13); }), [](const std::vector<Tensor>& x) { return x[0] + 2.5f; }},
      {"sub_scalar", one([] { return input({5}, 13); }), [](const std::vector<Tensor>& x) { return x[0] - 2.5f; }},
      {"mul_scalar", one([] { return input({5}, 14); }), [](const std::vector<Tensor>& x) { return 3.0f * x[0]; }},
      {"div_scalar", one([] { return input({5}, 14); }), [](const std::vector<Tensor>& x) { return x[0] / 4.0f; }},
      {"pow_2.5", one([] { return positive({6}, 15); }), [](const std::vector<Tensor>& x) { return pow(x[0], 2.5f); }},
      {"pow_-1.5", one([] { return positive({6}, 16); }), [](const std::vector<Tensor>& x) { return pow(x[0], -1.5f); }},
      {"pow_3", one([] { return input({6}, 17); }), [](const std::vector<Tensor>& x) { return pow(x[0], 3.0f); }},
      {"neg", one([] { return input({2, 3}, 18); }), [](const std::vector<Tensor>& x) { return -x[0]; }},
      {"exp", one([] { return input({2, 3}, 19); }), [](const std::vector<Tensor>& x) { return exp(x[0]); }},
      {"log", one([] { return positive({2, 3}, 20); }), [](const std::vector<Tensor>& x) { return log(x[0]); }},
      {"sqrt", one([] { return positive({2, 3}, 21); }), [](const std::vector<Tensor>& x) { return sqrt(x[0]); }},
      {"abs", one([] { return signed_away({2, 3}, 22); }), [](const std::vector<Tensor>& x) { return abs(x[0]); }},
      {"square", one([] { return input({2, 3}, 23); }), [](const std::vector<Tensor>& x) { return square(x[0]); }},
      {"relu", one([] { return signed_away({3, 3}, 24); }), [](const std::vector<Tensor>& x) { return relu(x[0]); }},
      {"sigmoid", one([] { return input({2, 3}, 25, -4, 4); }),
       [](const std::vector<Tensor>& x) { return sigmoid(x[0]); }},
      {"tanh", one([] { return input({2, 3}, 26, -2, 2); }), [](const std::vector<Tensor>& x) { return tanh(x[0]); }},
      // reductions
      {"sum_all", one([] { return input({2, 3, 4}, 27); }), [](const std::vector<Tensor>& x) { return sum(x[0]); }},
      {"sum_axes_keepdim", one([] { return input({2, 3, 4}, 28); }),
       [](const std::vector<Tensor>& x) { return sum(x[0], {0, 2}, true); }},
      {"sum_axis", one([] { return input({2, 3, 4}, 29); }),
       [](const std::vector<Tensor>& x) { return sum(x[0], {1}); }},
      {"mean_all", one([] { return input({3, 4}, 30); }), [](const std::vector<Tensor>& x) { return mean(x[0]); }},
      {"mean_axis", one([] { return input({3, 4}, 31); }),
       [](const std::vector<Tensor>& x) { return mean(x[0], {-1}, true); }},
      {"max_axis", one([] { return input({3, 5}, 32); }), [](const std::vector<Tensor>& x) { return max(x[0], 1); }},
      {"max_axis0_keepdim", one([] { return input({4, 3}, 33); }),
       [](const std::vector<Tensor>& x) { return max(x[0], 0, true); }},
      {"sum_to", one([] { return input({2, 3, 4}, 34); }),
       [](const std::vector<Tensor>& x) { return sum_to(x[0], {3, 1}); }},
      // linear algebra
      {"matmul_2d", two([] { return input({3, 4}, 35); }, [] { return input({4, 5}, 36); }),
       [](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); }},
      {"matmul_batched", two([] { return input({2, 3, 4}, 37); }, [] { return input({2, 4, 2}, 38); }),
       [](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); }},
      {"matmul_3d_2d", two([] { return input({2, 3, 4}, 39); }, [] { return input({4, 2}, 40); }),
       [](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); }},
      {"matmul_batch1_broadcast", two([] { return input({1, 3, 4}, 41); }, [] { return input({3, 4, 2}, 42); }),
       [](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); }},
      {"matmul_strided_inputs", two([] { return input({4, 3}, 43); }, [] { return input({5, 4}, 44); }),
       [](const std::vector<Tensor>& x) { return matmul(x[0].t(), x[1].t()); }},
      {"linear_bias",
       [] { return std::vector<Tensor>{input({4, 3}, 45), input({2, 3}, 46), input({2}, 47)}; },
       [](const std::vector<Tensor>& x) { return linear(x[0], x[1], x[2]); }},
      {"linear_no_bias", two([] { return input({4, 3}, 48); }, [] { return input({2, 3}, 49); }),
       [](const std::vector<Tensor>& x) { return linear(x[0], x[1], Tensor()); }},
      {"linear_3d_input",
       [] { return std::vector<Tensor>{input({2, 2, 3}, 50), input({4, 3}, 51), input({4}, 52)}; },
       [](const std::vector<Tensor>& x) { return linear(x[0], x[1], x[2]); }},
      // softmax family
      {"softmax_last", one([] { return input({3, 5}, 53, -2, 2); }),
       [](const std::vector<Tensor>& x) { return softmax(x[0]); }},
      {"softmax_axis0", one([] { return input({4, 3}, 54, -2, 2); }),
       [](const std::vector<Tensor>& x) { return softmax(x[0], 0); }},
      {"log_softmax_middle", one([] { return input({2, 4, 3}, 55, -2, 2); }),
       [](const std::vector<Tensor>& x) { return log_softmax(x[0], 1); }},
      {"cross_entropy",
       one([] { return input({4, 5}, 56, -2, 2); }),
       [](const std::vector<Tensor>& x) {
         return cross_entropy(x[0], Tensor::from_vector(std::vector<std::int64_t>{0, 4, 2, 2}, {4}));
       }},
      {"cross_entropy_smoothing",
       one([] { return input({3, 4}, 57, -2, 2); }),
       [](const std::vector<Tensor>& x) {
         return cross_entropy(x[0], Tensor::from_vector(std::vector<std::int64_t>{3, 0, 1}, {3}), 0.1f);
       }},
      // joins
      {"cat_axis0", two([] { return input({2, 3}, 58); }, [] { return input({1, 3}, 59); }),
       [](const std::vector<Tensor>& x) { return cat({x[0], x[1]}, 0); }},
      {"cat_axis1_three",
       [] { return std::vector<Tensor>{input({2, 1}, 60), input({2, 3}, 61), input({2, 2}, 62)}; },
       [](const std::vector<Tensor>& x) { return cat({x[0], x[1], x[2]}, -1); }},
      // views (multiplied by a position-dependent weight inside gradcheck)
      {"reshape", one([] { return input({2, 6}, 63); }), [](const std::vector<Tensor>& x) { return x[0].reshape({3, -1}); }},
      {"reshape_copying", one([] { return input({3, 4}, 64); }),
       [](const std::vector<Tensor>& x) { return x[0].t().reshape({-1}); }},
      {"view", one([] { return input({2, 6}, 65); }), [](const std::vector<Tensor>& x) { return x[0].view({4, 3}); }},
      {"flatten", one([] { return input({2, 3, 2}, 66); }), [](const std::vector<Tensor>& x) { return x[0].flatten(); }},
      {"permute", one([] { return input({2, 3, 4}, 67); }),
       [](const std::vector<Tensor>& x) { return x[0].permute({2, 0, 1}); }},
      {"transpose", one([] { return input({2, 3}, 68); }), [](const std::vector<Tensor>& x) { return x[0].t(); }},
      {"slice_step", one([] { return input({3, 7}, 69); }),
       [](const std::vector<Tensor>& x) { return x[0].slice(1, 1, 7, 2); }},
      {"select", one([] { return input({3, 4}, 70); }), [](const std::vector<Tensor>& x) { return x[0].select(0, -2); }},
      {"expand", one([] { return input({3, 1}, 71); }), [](const std::vector<Tensor>& x) { return x[0].expand({2, 3, 4}); }},
      {"unsqueeze", one([] { return input({3, 2}, 72); }), [](const std::vector<Tensor>& x) { return x[0].unsqueeze(1); }},
      {"squeeze", one([] { return input({3, 1}, 73); }), [](const std::vector<Tensor>& x) { return x[0].squeeze(1); }},
      {"clone", one([] { return input({4}, 74); }), [](const std::vector<Tensor>& x) { return x[0].clone(); }},
      {"contiguous", one([] { return input({2, 3}, 75); }),
       [](const std::vector<Tensor>& x) { return x[0].t().contiguous(); }},
      {"composite_mlp",
       [] { return std::vector<Tensor>{input({3, 4}, 76), input({5, 4}, 77), input({5}, 78)}; },
       [](const std::vector<Tensor>& x) {
         Tensor h = tanh(linear(x[0], x[1], x[2]));
         return cross_entropy(mul(h, h.slice(1, 0, 1)), Tensor::from_vector(std::vector<std::int64_t>{1, 4, 0}, {3}));
       }},
  };
  return c;
}

class OpsGrad : public ::testing::TestWithParam<size_t> {};

}  // namespace

TEST_P(OpsGrad, MatchesFiniteDifferences) {
  GradCase c = cases()[GetParam()];
  GradcheckResult r = gradcheck(c.f, c.inputs(), kEps, kAtol, kRtol);
  EXPECT_TRUE(r.ok) << c.name << ": " << r.message;
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpsGrad, ::testing::Range<size_t>(0, cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           std::string n = cases()[info.param].name;
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

TEST(Gradcheck, CatchesAWrongGradient) {
  // Identity forward with a backward that doubles: gradcheck must notice and say where.
  Fn wrong = [](const std::vector<Tensor>& x) {
    Tensor y = x[0].detach().clone();
    return record("wrong", y, {x[0]}, [](const Tensor& g) { return std::vector<Tensor>{mul(g, 2.0f)}; });
  };
  Tensor x = input({3}, 99);
  x.set_name("w");
  GradcheckResult r = gradcheck(wrong, {x});
  EXPECT_FALSE(r.ok);
  EXPECT_GT(r.max_error, 0.5);
  EXPECT_NE(r.message.find("input 0 (w)"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("element 0"), std::string::npos) << r.message;
}

TEST(OpsGradClosedForm, SquareSumIsTwoX) {
  Tensor x = input({5}, 100);
  sum(mul(x, x)).backward();
  std::vector<float> xv = x.to_vector(), g = x.grad().to_vector();
  for (size_t i = 0; i < xv.size(); ++i) EXPECT_NEAR(g[i], 2 * xv[i], 1e-6);
}

TEST(OpsGradClosedForm, MeanGivesOneOverN) {
  Tensor x = input({4, 5}, 101);
  mean(x).backward();
  for (float v : x.grad().to_vector()) EXPECT_FLOAT_EQ(v, 1.0f / 20.0f);
}

TEST(OpsGradClosedForm, MatmulSumGradientIsOnesTimesBTransposed) {
  Tensor a = input({2, 3}, 102), b = input({3, 4}, 103);
  sum(matmul(a, b)).backward();
  // d sum(AB) / dA[i][k] = sum_j B[k][j]
  std::vector<float> bv = b.to_vector(), ga = a.grad().to_vector();
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 3; ++k) {
      float s = 0;
      for (int j = 0; j < 4; ++j) s += bv[k * 4 + j];
      EXPECT_NEAR(ga[i * 3 + k], s, 1e-5);
    }
}

TEST(OpsGradClosedForm, CrossEntropyGradientIsSoftmaxMinusTarget) {
  Tensor x = input({2, 3}, 104, -2, 2);
  const float eps = 0.2f;
  cross_entropy(x, Tensor::from_vector(std::vector<std::int64_t>{2, 0}, {2}), eps).backward();
  std::vector<float> xv = x.to_vector(), g = x.grad().to_vector();
  const int labels[2] = {2, 0};
  for (int n = 0; n < 2; ++n) {
    double z = 0;
    for (int c = 0; c < 3; ++c) z += std::exp(static_cast<double>(xv[n * 3 + c]));
    for (int c = 0; c < 3; ++c) {
      double p = std::exp(static_cast<double>(xv[n * 3 + c])) / z;
      double target = (c == labels[n] ? 1.0 - eps : 0.0) + eps / 3.0;
      EXPECT_NEAR(g[n * 3 + c], (p - target) / 2.0, 1e-6);
    }
  }
}

TEST(OpsGradClosedForm, MaxSendsGradientToTheFirstMaximumOnly) {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 3, 3, 0, -1, -1}, {2, 3});
  x.set_requires_grad(true);
  sum(max(x, 1)).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{0, 1, 0, 1, 0, 0}));
}

TEST(OpsGradClosedForm, MaximumSplitsTiesEvenly) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3});
  Tensor b = Tensor::from_vector(std::vector<float>{0, 2, 4}, {3});
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  sum(maximum(a, b)).backward();
  EXPECT_EQ(a.grad().to_vector(), (std::vector<float>{1, 0.5f, 0}));
  EXPECT_EQ(b.grad().to_vector(), (std::vector<float>{0, 0.5f, 1}));
}

TEST(OpsForward, ComparisonsAndArgmax) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3});
  Tensor b = Tensor::from_vector(std::vector<float>{2}, {1});
  EXPECT_EQ(eq(a, b).to_vector(), (std::vector<float>{0, 1, 0}));
  EXPECT_EQ(gt(a, b).to_vector(), (std::vector<float>{0, 0, 1}));
  EXPECT_EQ(lt(a, b).to_vector(), (std::vector<float>{1, 0, 0}));
  Tensor m = Tensor::from_vector(std::vector<float>{0, 5, 5, 7, 1, 2}, {2, 3});
  Tensor am = argmax(m, 1);
  EXPECT_EQ(am.dtype(), DType::Int64);
  EXPECT_EQ(am.to_int_vector(), (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(argmax(m, 0).to_int_vector(), (std::vector<std::int64_t>{1, 0, 0}));
}

TEST(OpsForward, ErrorsNameTheOpAndShapes) {
  auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  std::string m = message([] { add(Tensor::zeros({2, 3}), Tensor::zeros({4})); });
  EXPECT_NE(m.find("add"), std::string::npos) << m;
  EXPECT_NE(m.find("[2, 3]"), std::string::npos) << m;
  m = message([] { matmul(Tensor::zeros({2, 3}), Tensor::zeros({4, 5})); });
  EXPECT_NE(m.find("matmul"), std::string::npos) << m;
  EXPECT_NE(m.find("[4, 5]"), std::string::npos) << m;
  m = message([] { cross_entropy(Tensor::zeros({2, 3}), Tensor::from_vector(std::vector<std::int64_t>{0, 3}, {2})); });
  EXPECT_NE(m.find("label 3"), std::string::npos) << m;
  EXPECT_NE(m.find("index 1"), std::string::npos) << m;
  m = message([] { linear(Tensor::zeros({2, 3}), Tensor::zeros({4, 5}), Tensor()); });
  EXPECT_NE(m.find("linear"), std::string::npos) << m;
  m = message([] { cat({Tensor::zeros({2, 3}), Tensor::zeros({2, 4})}, 0); });
  EXPECT_NE(m.find("cat"), std::string::npos) << m;
}

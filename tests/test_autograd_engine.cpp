// The backward engine: accumulation, fan-out, grad mode, freed graphs, deep
// chains, seeds, and gradients through views.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops.h"

using namespace basin;

namespace {
Tensor leaf(const std::vector<float>& v, const Shape& s) {
  Tensor t = Tensor::from_vector(v, s);
  t.set_requires_grad(true);
  return t;
}
}  // namespace

TEST(AutogradEngine, LeafGradAccumulatesAcrossBackwardCalls) {
  Tensor x = leaf({1, 2, 3}, {3});
  sum(mul(x, 2.0f)).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{2, 2, 2}));
  sum(mul(x, x)).backward();  // a new graph; adds 2x
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{4, 6, 8}));
}

TEST(AutogradEngine, TensorUsedTwiceSumsItsGradients) {
  Tensor x = leaf({1, -2}, {2});
  Tensor y = add(mul(x, 3.0f), exp(x));  // dy/dx = 3 + e^x
  sum(y).backward();
  std::vector<float> g = x.grad().to_vector();
  EXPECT_NEAR(g[0], 3 + std::exp(1.0f), 1e-5);
  EXPECT_NEAR(g[1], 3 + std::exp(-2.0f), 1e-5);
}

TEST(AutogradEngine, NoGradGuardRecordsNothing) {
  Tensor x = leaf({1, 2}, {2});
  Tensor y;
  {
    NoGradGuard guard;
    y = mul(x, x);
    EXPECT_FALSE(GradMode::enabled());
  }
  EXPECT_TRUE(GradMode::enabled());
  EXPECT_FALSE(y.requires_grad());
  EXPECT_FALSE(y.grad_fn());
  EXPECT_THROW(sum(y).backward(), Error);
}

TEST(AutogradEngine, SecondBackwardThroughFreedGraphNamesTheNode) {
  Tensor x = leaf({1, 2}, {2});
  Tensor loss = sum(exp(x));
  loss.backward();
  try {
    loss.backward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("sum"), std::string::npos) << m;
    EXPECT_NE(m.find("freed"), std::string::npos) << m;
  }
}

TEST(AutogradEngine, LongChainRunsAndDestroysWithoutStackOverflow) {
  Tensor x = leaf({1}, {1});
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = add(y, 1e-5f);
  sum(y).backward();
  EXPECT_FLOAT_EQ(x.grad().item(), 1.0f);
  Tensor z = x;
  for (int i = 0; i < 100000; ++i) z = mul(z, 1.0f);
  z = Tensor();  // destroys the unreleased 100000-node graph
  SUCCEED();
}

TEST(AutogradEngine, NonScalarBackwardNeedsAGradient) {
  Tensor x = leaf({1, 2, 3}, {3});
  Tensor y = mul(x, 2.0f);
  try {
    y.backward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[3]"), std::string::npos) << e.what();
  }
  y.backward(Tensor::from_vector(std::vector<float>{1, 0, -1}, {3}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{2, 0, -2}));
}

TEST(AutogradEngine, GradientsFlowThroughViews) {
  Tensor x = leaf({0, 1, 2, 3, 4, 5}, {2, 3});
  // slice columns 1..2, permute, reshape; only the sliced elements get gradient.
  Tensor v = x.slice(1, 1, 3).permute({1, 0}).reshape({4});
  Tensor w = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {4});
  sum(mul(v, w)).backward();
  // v = [x01, x11, x02, x12]
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{0, 1, 3, 0, 2, 4}));
}

TEST(AutogradEngine, OnlyInputsRequiringGradGetGradients) {
  Tensor a = leaf({1, 2}, {2});
  Tensor b = Tensor::from_vector(std::vector<float>{3, 4}, {2});
  sum(mul(a, b)).backward();
  EXPECT_EQ(a.grad().to_vector(), (std::vector<float>{3, 4}));
  EXPECT_FALSE(b.grad().defined());
}

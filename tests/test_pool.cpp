// Pooling: output sizes and values checked against numbers printed by PyTorch
// (torch.nn.functional, noted next to each case), argmax/tie rules, and
// finite-difference gradients for max, average and adaptive average pooling.
#include <gtest/gtest.h>

#include <limits>

#include "autograd/nn_ops.h"
#include "kernels/pool.h"
#include "nn_test_util.h"

namespace basin {
namespace {

using nntest::distinct;
using nntest::uniform;

Pool2dParams pool(int k, int s, int p, int d = 1, bool ceil = false) {
  Pool2dParams q = Pool2dParams::square(k, s, p, ceil);
  q.dilation_h = q.dilation_w = d;
  return q;
}

TEST(Pool2d, OutputSizesMatchPyTorch) {
  // F.max_pool2d(zeros(1,1,H,H), k, s, p, d, ceil_mode=c).shape[-1]
  struct Case { std::int64_t H; int k, s, p, d; bool ceil; std::int64_t out; };
  for (const Case& c : {Case{6, 3, 2, 0, 1, true, 3}, Case{5, 2, 2, 0, 1, true, 3}, Case{4, 2, 2, 1, 1, true, 3},
                        Case{7, 3, 2, 1, 1, false, 4}, Case{8, 3, 2, 1, 2, true, 4}, Case{5, 3, 3, 1, 1, true, 2}}) {
    Shape s = kernels::pool2d_output_shape({1, 1, c.H, c.H}, pool(c.k, c.s, c.p, c.d, c.ceil), "test");
    EXPECT_EQ(s[2], c.out) << "H " << c.H << " k " << c.k << " s " << c.s << " p " << c.p << " d " << c.d;
    EXPECT_EQ(s[3], c.out);
  }
}

Tensor arange20() {
  std::vector<float> v(20);
  for (int i = 0; i < 20; ++i) v[i] = static_cast<float>(i);
  return Tensor::from_vector(v, {1, 1, 4, 5});
}

TEST(AvgPool2d, MatchesPyTorchWithCeilModeAndPadding) {
  // F.avg_pool2d(arange(20.).reshape(1,1,4,5), 3, 2, 1, ceil_mode=True, count_include_pad=...)
  Pool2dParams p = pool(3, 2, 1, 1, true);
  Tensor y = avg_pool2d(arange20(), p);
  nntest::expect_close(nntest::values(y), {1.3333333f, 3.0f, 2.6666667f, 7.0f, 12.0f, 9.0f, 5.1666667f, 8.5f, 6.1666667f},
                       1e-5, 1e-5, "count_include_pad=True");
  p.count_include_pad = false;
  y = avg_pool2d(arange20(), p);
  nntest::expect_close(nntest::values(y), {3.0f, 4.5f, 6.0f, 10.5f, 12.0f, 13.5f, 15.5f, 17.0f, 18.5f}, 1e-5, 1e-5,
                       "count_include_pad=False");
}

TEST(AdaptiveAvgPool2d, MatchesPyTorchOnUnevenBins) {
  // F.adaptive_avg_pool2d(arange(20.).reshape(1,1,4,5), (3, 2))
  Tensor y = adaptive_avg_pool2d(arange20(), 3, 2);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 3, 2}));
  nntest::expect_close(nntest::values(y), {3.5f, 5.5f, 8.5f, 10.5f, 13.5f, 15.5f}, 1e-6, 1e-6, "adaptive");
}

TEST(AdaptiveAvgPool2d, OneByOneIsTheGlobalMean) {
  Tensor x = uniform({2, 3, 5, 7}, 4);
  Tensor y = adaptive_avg_pool2d(x, 1, 1);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 1, 1}));
  const float* xp = x.data<float>();
  for (int pl = 0; pl < 6; ++pl) {
    double s = 0;
    for (int i = 0; i < 35; ++i) s += xp[pl * 35 + i];
    EXPECT_NEAR(y.data<float>()[pl], s / 35.0, 1e-6);
  }
}

TEST(MaxPool2d, ValuesAndIndicesAgainstDirectSearch) {
  Tensor x = uniform({2, 3, 7, 6}, 11);
  Pool2dParams p = pool(3, 2, 1, 1, true);
  Shape os = kernels::pool2d_output_shape(x.shape(), p, "test");
  Tensor y = Tensor::empty(os), idx = Tensor::empty(os, DType::Int64);
  kernels::max_pool2d_forward(x, y, idx, p);
  const float* xp = x.data<float>();
  for (std::int64_t pl = 0; pl < 6; ++pl)
    for (std::int64_t oh = 0; oh < os[2]; ++oh)
      for (std::int64_t ow = 0; ow < os[3]; ++ow) {
        float best = -std::numeric_limits<float>::infinity();
        std::int64_t bi = -1;
        for (std::int64_t h = oh * 2 - 1; h < oh * 2 + 2; ++h)
          for (std::int64_t w = ow * 2 - 1; w < ow * 2 + 2; ++w)
            if (h >= 0 && h < 7 && w >= 0 && w < 6 && xp[pl * 42 + h * 6 + w] > best) {
              best = xp[pl * 42 + h * 6 + w];
              bi = h * 6 + w;
            }
        std::int64_t o = (pl * os[2] + oh) * os[3] + ow;
        EXPECT_EQ(y.data<float>()[o], best);
        EXPECT_EQ(idx.data<std::int64_t>()[o], bi);
      }
}

TEST(MaxPool2d, TiesSendTheGradientToTheFirstMaximum) {
  Tensor x = Tensor::ones({1, 1, 4, 4}).set_requires_grad(true);
  Tensor y = max_pool2d(x, pool(2, 2, 0));
  y.backward(Tensor::ones(y.shape()));
  std::vector<float> g = nntest::values(x.grad());
  std::vector<float> expect(16, 0.0f);
  for (int i : {0, 2, 8, 10}) expect[i] = 1.0f;  // top-left of each 2x2 window
  EXPECT_EQ(g, expect);
}

TEST(MaxPool2d, GradientsMatchFiniteDifferences) {
  for (const Pool2dParams& p : {pool(2, 2, 0), pool(3, 2, 1), pool(3, 2, 1, 1, true), pool(2, 1, 1, 2),
                                pool(3, 3, 1, 1, true)}) {
    SCOPED_TRACE("kernel " + std::to_string(p.kernel_h) + " stride " + std::to_string(p.stride_h));
    Tensor x = distinct({2, 2, 7, 6}, 5);
    nntest::check_gradients([p](const std::vector<Tensor>& in) { return max_pool2d(in[0], p); }, {x});
  }
}

TEST(AvgPool2d, GradientsMatchFiniteDifferences) {
  for (bool include_pad : {true, false})
    for (const Pool2dParams& base : {pool(2, 2, 0), pool(3, 2, 1), pool(3, 2, 1, 1, true), pool(3, 1, 0)}) {
      Pool2dParams p = base;
      p.count_include_pad = include_pad;
      Tensor x = uniform({2, 2, 7, 6}, 6, true);
      nntest::check_gradients([p](const std::vector<Tensor>& in) { return avg_pool2d(in[0], p); }, {x});
    }
}

TEST(AdaptiveAvgPool2d, GradientsMatchFiniteDifferences) {
  for (auto [oh, ow] : {std::pair<int, int>{1, 1}, {3, 2}, {4, 5}, {7, 6}}) {
    Tensor x = uniform({2, 2, 7, 6}, 8, true);
    nntest::check_gradients([oh = oh, ow = ow](const std::vector<Tensor>& in) {
      return adaptive_avg_pool2d(in[0], oh, ow);
    }, {x});
  }
}

TEST(Pool2d, BadArgumentsThrow) {
  Tensor x = uniform({1, 1, 5, 5}, 1);
  EXPECT_THROW(max_pool2d(x, pool(2, 2, 2)), Error);          // padding > kernel / 2
  EXPECT_THROW(max_pool2d(x, pool(7, 1, 0)), Error);          // window larger than input
  EXPECT_THROW(avg_pool2d(x, pool(3, 1, 1, 2)), Error);       // avg pool has no dilation
  EXPECT_THROW(max_pool2d(uniform({5, 5}, 1), pool(2, 2, 0)), Error);
  EXPECT_THROW(adaptive_avg_pool2d(x, 0, 1), Error);
}

// An empty batch: empty outputs, and gradients of the input's (empty) shape.
TEST(Pool2d, EmptyBatchForwardAndBackward) {
  for (int kind = 0; kind < 3; ++kind) {
    Tensor x = Tensor::empty({0, 2, 4, 4});
    x.set_requires_grad(true);
    Tensor y = kind == 0   ? max_pool2d(x, Pool2dParams::square(2))
               : kind == 1 ? avg_pool2d(x, Pool2dParams::square(2))
                           : adaptive_avg_pool2d(x, 3, 3);
    EXPECT_EQ(y.shape()[0], 0) << kind;
    EXPECT_EQ(y.shape()[1], 2) << kind;
    y.backward(Tensor::ones(y.shape()));
    ASSERT_TRUE(x.grad().defined()) << kind;
    EXPECT_EQ(x.grad().shape(), x.shape()) << kind;
  }
}

}  // namespace
}  // namespace basin

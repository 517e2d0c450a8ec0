// conv2d: forward against a direct 7-loop reference, closed forms (delta kernel
// = shift), finite-difference gradients for x, w and bias over a table of shapes
// and parameters, and argument errors.
#include <gtest/gtest.h>

#include "autograd/nn_ops.h"
#include "conv_test_cases.h"
#include "kernels/conv.h"
#include "nn_test_util.h"

namespace basin {
namespace {

using nntest::uniform;

using convtest::ConvCase;
using convtest::rect;

const std::vector<ConvCase>& cases() {
  static const std::vector<ConvCase> c = {
      {"3x3 pad 1", {2, 3, 5, 6}, {4, 3, 3, 3}, Conv2dParams::square(1, 1), true},
      {"stride 2", {2, 2, 7, 5}, {3, 2, 3, 3}, Conv2dParams::square(2, 1), true},
      {"no bias, 1x1", {3, 4, 3, 3}, {5, 4, 1, 1}, Conv2dParams::square(1, 0), false},
      {"dilation 2", {1, 2, 7, 7}, {2, 2, 3, 3}, Conv2dParams::square(1, 2, 2), true},
      {"groups 2", {2, 4, 5, 5}, {6, 2, 3, 3}, Conv2dParams::square(1, 1, 1, 2), true},
      {"depthwise stride 2", {2, 3, 6, 5}, {3, 1, 3, 3}, Conv2dParams::square(2, 1, 1, 3), true},
      {"rectangular everything", {1, 2, 6, 9}, {2, 2, 2, 3}, rect(2, 3, 1, 0, 1, 2, 1), true},
      {"stem-like 7x7 stride 2", {1, 3, 9, 9}, {2, 3, 7, 7}, Conv2dParams::square(2, 3), false},
  };
  return c;
}

// out[n,o,oh,ow] = b[o] + sum_{c in group, i, j} x[n,c,oh*s-p+i*d, ow*s-p+j*d] * w[o,c',i,j]
std::vector<float> direct_conv(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  Shape ys = kernels::conv2d_output_shape(x.shape(), w.shape(), p);
  const Shape &xs = x.shape(), &ws = w.shape();
  std::int64_t Cg = ws[1], Og = ws[0] / p.groups;
  std::vector<float> y(static_cast<size_t>(numel_of(ys)));
  const float *xp = x.data<float>(), *wp = w.data<float>();
  for (std::int64_t n = 0; n < ys[0]; ++n)
    for (std::int64_t o = 0; o < ys[1]; ++o)
      for (std::int64_t oh = 0; oh < ys[2]; ++oh)
        for (std::int64_t ow = 0; ow < ys[3]; ++ow) {
          double acc = b.defined() ? b.data<float>()[o] : 0.0;
          std::int64_t g = o / Og;
          for (std::int64_t c = 0; c < Cg; ++c)
            for (std::int64_t i = 0; i < ws[2]; ++i)
              for (std::int64_t j = 0; j < ws[3]; ++j) {
                std::int64_t ih = oh * p.stride_h - p.pad_h + i * p.dilation_h;
                std::int64_t iw = ow * p.stride_w - p.pad_w + j * p.dilation_w;
                if (ih < 0 || ih >= xs[2] || iw < 0 || iw >= xs[3]) continue;
                acc += static_cast<double>(xp[((n * xs[1] + g * Cg + c) * xs[2] + ih) * xs[3] + iw]) *
                       wp[((o * Cg + c) * ws[2] + i) * ws[3] + j];
              }
          y[((n * ys[1] + o) * ys[2] + oh) * ys[3] + ow] = static_cast<float>(acc);
        }
  return y;
}

TEST(Conv2d, ForwardMatchesDirectLoops) {
  std::uint32_t seed = 1;
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = uniform(c.x, seed++), w = uniform(c.w, seed++);
    Tensor b = c.bias ? uniform({c.w[0]}, seed++) : Tensor();
    Tensor y = conv2d(x, w, b, c.p);
    EXPECT_EQ(y.shape(), kernels::conv2d_output_shape(c.x, c.w, c.p));
    nntest::expect_close(nntest::values(y), direct_conv(x, w, b, c.p), 1e-5, 1e-5, "conv2d output");
  }
}

TEST(Conv2d, OutputShapeFollowsPyTorchFormula) {
  // torch.nn.Conv2d(3, 8, 7, stride=2, padding=3)(zeros(1,3,224,224)).shape == [1, 8, 112, 112]
  EXPECT_EQ(kernels::conv2d_output_shape({1, 3, 224, 224}, {8, 3, 7, 7}, Conv2dParams::square(2, 3)),
            (Shape{1, 8, 112, 112}));
  // 3x3 stride 2 pad 1 on 7x7 -> 4x4; dilation 2 pad 0 on 7x7 -> 3x3
  EXPECT_EQ(kernels::conv2d_output_shape({1, 1, 7, 7}, {1, 1, 3, 3}, Conv2dParams::square(2, 1)),
            (Shape{1, 1, 4, 4}));
  EXPECT_EQ(kernels::conv2d_output_shape({1, 1, 7, 7}, {1, 1, 3, 3}, Conv2dParams::square(1, 0, 2)),
            (Shape{1, 1, 3, 3}));
}

TEST(Conv2d, DeltaKernelShiftsTheImage) {
  // A depthwise 3x3 kernel that is 1 at (row 0, col 2) and 0 elsewhere, with
  // padding 1, gives y[h, w] = x[h - 1, w + 1] (zero where that is outside).
  Shape xs{2, 3, 4, 5};
  Tensor x = uniform(xs, 7);
  std::vector<float> wv(3 * 9, 0.0f);
  for (int c = 0; c < 3; ++c) wv[c * 9 + 2] = 1.0f;
  Tensor w = Tensor::from_vector(wv, {3, 1, 3, 3});
  Tensor y = conv2d(x, w, Tensor(), Conv2dParams::square(1, 1, 1, 3));
  ASSERT_EQ(y.shape(), xs);
  const float *xp = x.data<float>(), *yp = y.data<float>();
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int h = 0; h < 4; ++h)
        for (int ww = 0; ww < 5; ++ww) {
          float expect = (h - 1 >= 0 && ww + 1 < 5) ? xp[((n * 3 + c) * 4 + h - 1) * 5 + ww + 1] : 0.0f;
          EXPECT_EQ(yp[((n * 3 + c) * 4 + h) * 5 + ww], expect) << n << c << h << ww;
        }
}

TEST(Conv2d, GradientsMatchFiniteDifferences) {
  std::uint32_t seed = 100;
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = uniform(c.x, seed++, true), w = uniform(c.w, seed++, true);
    Tensor b = c.bias ? uniform({c.w[0]}, seed++, true) : Tensor();
    Conv2dParams p = c.p;
    nntest::check_gradients([p](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], in[2], p); },
                            {x, w, b});
  }
}

TEST(Conv2d, GradientOnlyForInputsThatRequireIt) {
  Tensor x = uniform({1, 2, 4, 4}, 3), w = uniform({2, 2, 3, 3}, 4, true);
  Tensor y = conv2d(x, w, Tensor(), Conv2dParams::square(1, 1));
  y.backward(Tensor::ones(y.shape()));
  EXPECT_FALSE(x.grad().defined());
  ASSERT_TRUE(w.grad().defined());
  EXPECT_EQ(w.grad().shape(), w.shape());
}

TEST(Conv2d, BadArgumentsThrowWithShapes) {
  Tensor x = uniform({1, 3, 5, 5}, 1);
  auto msg = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string m = msg([&] { conv2d(x, uniform({4, 2, 3, 3}, 2), Tensor(), {}); });
  EXPECT_NE(m.find("conv2d"), std::string::npos) << m;
  EXPECT_NE(m.find("[4, 2, 3, 3]"), std::string::npos) << m;
  m = msg([&] { conv2d(x, uniform({4, 1, 3, 3}, 2), Tensor(), Conv2dParams::square(1, 0, 1, 2)); });
  EXPECT_NE(m.find("groups"), std::string::npos) << m;
  m = msg([&] { conv2d(x, uniform({4, 3, 7, 7}, 2), Tensor(), {}); });
  EXPECT_NE(m.find("larger than the padded input"), std::string::npos) << m;
  m = msg([&] { conv2d(x, uniform({4, 3, 3, 3}, 2), uniform({3}, 3), {}); });
  EXPECT_NE(m.find("bias"), std::string::npos) << m;
  m = msg([&] { conv2d(uniform({3, 5, 5}, 1), uniform({4, 3, 3, 3}, 2), Tensor(), {}); });
  EXPECT_NE(m.find("[N, C, H, W]"), std::string::npos) << m;
}

// An empty batch computes nothing, on every backend: the output is empty and the
// weight and bias gradients are zeros (sums over no samples), not stale memory.
TEST(Conv2d, EmptyBatchForwardAndBackward) {
  Tensor x = Tensor::empty({0, 3, 5, 5});
  Tensor w = uniform({4, 3, 3, 3}, 2), b = uniform({4}, 3);
  const auto p = Conv2dParams::square(1, 1);
  Tensor out = Tensor::empty({0, 4, 5, 5});
  kernels::conv2d_forward(x, w, b, out, p);
  Tensor gw = Tensor::full({4, 3, 3, 3}, 7.0), gb = Tensor::full({4}, 7.0), gx = Tensor::empty({0, 3, 5, 5});
  kernels::conv2d_backward_weight(x, out, gw, p);
  kernels::conv2d_backward_bias(out, gb);
  kernels::conv2d_backward_input(out, w, gx, p);
  EXPECT_EQ(gw.to_vector(), std::vector<float>(4 * 3 * 3 * 3, 0.0f));
  EXPECT_EQ(gb.to_vector(), std::vector<float>(4, 0.0f));

  Tensor wg = uniform({4, 3, 3, 3}, 2, true), bg = uniform({4}, 3, true);
  Tensor y = conv2d(x, wg, bg, p);
  EXPECT_EQ(y.shape(), (Shape{0, 4, 5, 5}));
  y.backward(Tensor::ones(y.shape()));
  EXPECT_EQ(wg.grad().to_vector(), std::vector<float>(4 * 3 * 3 * 3, 0.0f));
  EXPECT_EQ(bg.grad().to_vector(), std::vector<float>(4, 0.0f));
}

// No input channels: every output is the bias alone.
TEST(Conv2d, NoInputChannelsGivesTheBias) {
  Tensor x = Tensor::empty({2, 0, 4, 4}), w = Tensor::empty({3, 0, 3, 3});
  Tensor b = Tensor::from_vector(std::vector<float>{1.0f, -2.0f, 0.5f}, {3});
  Tensor out = Tensor::full({2, 3, 2, 2}, 9.0);
  kernels::conv2d_forward(x, w, b, out, Conv2dParams{});
  std::vector<float> v = out.to_vector();
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], b.to_vector()[(i / 4) % 3]) << i;
}

}  // namespace
}  // namespace basin

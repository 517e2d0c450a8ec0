// The oneDNN CPU fast path (kernels/cpu/onednn/) against basin's reference CPU
// kernels, the oracle (kernels/cpu_kernels.h): convolution forward and both
// backward passes, GEMM, and a whole ResNet-18 training step; and `reference` really bypassing the fast path.
//
// Tolerances. Both sides compute the same sums in float, in different orders
// (oneDNN blocks and vectorizes the reduction). For a sum of K products the
// rounding error of either order is at most gamma_K * sum_k |a_k * b_k| with
// gamma_K ~= K * u (u = 2^-24), so the two results may differ by twice that.
// The tests compute sum |a_k * b_k| exactly as the same kernel applied to
// |a| and |b| (all terms then positive), and allow 2 * K * u times it.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.h"
#include "conv_test_cases.h"
#include "kernels/conv.h"
#include "kernels/cpu_kernels.h"
#include "kernels/elementwise.h"
#include "kernels/matmul.h"
#include "nn/models/factory.h"
#include "nn_test_util.h"

namespace basin {
namespace {

using kernels::Conv2dParams;
using kernels::CpuKernels;
using kernels::CpuKernelsGuard;
using nntest::uniform;
using nntest::values;

constexpr double kU = 1.0 / (1 << 24);  // float's unit roundoff

#define SKIP_WITHOUT_ONEDNN() \
  if (!kernels::cpu_fast_kernels_built()) GTEST_SKIP() << "built without oneDNN (-DBASIN_DNNL=OFF)"

Tensor abs_of(const Tensor& t) {
  Tensor out = Tensor::empty(t.shape(), DType::Float32);
  kernels::unary(kernels::UnaryOp::Abs, t, out);
  return out;
}

// |fast - ref| <= 2 * K * u * bound + tiny, elementwise (see the file comment).
void expect_within_rounding(const Tensor& fast, const Tensor& ref, const Tensor& bound, double K, const char* what) {
  ASSERT_EQ(fast.shape(), ref.shape()) << what;
  const float *f = fast.data<float>(), *r = ref.data<float>(), *b = bound.data<float>();
  int bad = 0;
  double worst = 0;
  for (std::int64_t i = 0; i < fast.numel(); ++i) {
    double tol = 2.0 * K * kU * b[i] + 1e-30;
    double err = std::abs(static_cast<double>(f[i]) - r[i]);
    worst = std::max(worst, err / tol);
    if (!(err <= tol) && ++bad <= 5) ADD_FAILURE() << what << "[" << i << "]: " << f[i] << " vs " << r[i] << " (tol " << tol << ")";
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << fast.numel() << " differ";
  // The blocked sums are far better than the worst case; a result at the bound
  // would mean a wrong term, not rounding.
  EXPECT_LT(worst, 1.0) << what;
}

using convtest::ConvCase;
using convtest::rect;

const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> c = {
      {"3x3 pad 1, 16 channels", {2, 16, 9, 9}, {32, 16, 3, 3}, Conv2dParams::square(1, 1), false},
      {"3x3 stride 2 pad 1, odd size", {3, 16, 11, 13}, {16, 16, 3, 3}, Conv2dParams::square(2, 1), true},
      {"1x1 stride 2 (ResNet downsample, negative right padding)", {2, 32, 14, 14}, {64, 32, 1, 1}, Conv2dParams::square(2, 0), false},
      {"1x1 stride 1, batch 1", {1, 64, 7, 7}, {16, 64, 1, 1}, Conv2dParams::square(1, 0), false},
      {"7x7 stride 2 pad 3, 3 channels (stem)", {2, 3, 23, 21}, {16, 3, 7, 7}, Conv2dParams::square(2, 3), false},
      {"3 input channels 3x3 (CIFAR stem), batch 1", {1, 3, 8, 8}, {16, 3, 3, 3}, Conv2dParams::square(1, 1), true},
      {"non-square kernel and strides, dilation", {2, 8, 10, 15}, {12, 8, 2, 3}, rect(2, 3, 1, 0, 1, 2, 1), true},
      {"groups 2", {2, 8, 6, 6}, {12, 4, 3, 3}, Conv2dParams::square(1, 1, 1, 2), true},
      {"depthwise stride 2", {2, 8, 7, 6}, {8, 1, 3, 3}, Conv2dParams::square(2, 1, 1, 8), false},
      {"odd channel counts", {2, 5, 7, 7}, {7, 5, 3, 3}, Conv2dParams::square(1, 1), true},
  };
  return c;
}

struct ConvResults {
  Tensor y, gx, gw;
};

ConvResults run_conv(CpuKernels k, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& gy,
                     const Conv2dParams& p) {
  CpuKernelsGuard guard(k);
  ConvResults r;
  r.y = Tensor::empty(kernels::conv2d_output_shape(x.shape(), w.shape(), p), DType::Float32);
  kernels::conv2d_forward(x, w, b, r.y, p);
  r.gx = Tensor::empty(x.shape(), DType::Float32);
  kernels::conv2d_backward_input(gy, w, r.gx, p);
  r.gw = Tensor::empty(w.shape(), DType::Float32);
  kernels::conv2d_backward_weight(x, gy, r.gw, p);
  return r;
}

TEST(OneDnnFastPath, ConvolutionMatchesReferenceForwardAndBothGradients) {
  SKIP_WITHOUT_ONEDNN();
  std::uint32_t seed = 100;
  for (const auto& c : conv_cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = uniform(c.x, seed++), w = uniform(c.w, seed++);
    Tensor b = c.bias ? uniform({c.w[0]}, seed++) : Tensor();
    Shape ys = kernels::conv2d_output_shape(c.x, c.w, c.p);
    Tensor gy = uniform(ys, seed++);
    std::uint64_t calls = kernels::cpu_fast_kernel_calls();
    ConvResults fast = run_conv(CpuKernels::Fast, x, w, b, gy, c.p);
    EXPECT_EQ(kernels::cpu_fast_kernel_calls(), calls + 3) << "the fast path was not taken";
    ConvResults ref = run_conv(CpuKernels::Reference, x, w, b, gy, c.p);
    // Bounds: the reference applied to absolute values (bias included as |b|).
    ConvResults bound = run_conv(CpuKernels::Reference, abs_of(x), abs_of(w), c.bias ? abs_of(b) : Tensor(),
                                 abs_of(gy), c.p);
    const double k_fwd = static_cast<double>(c.w[1] * c.w[2] * c.w[3]) + (c.bias ? 1 : 0);
    const double k_bwd_x = static_cast<double>(c.w[0] / c.p.groups * c.w[2] * c.w[3]);
    const double k_bwd_w = static_cast<double>(ys[0] * ys[2] * ys[3]);
    expect_within_rounding(fast.y, ref.y, bound.y, k_fwd, "forward");
    expect_within_rounding(fast.gx, ref.gx, bound.gx, k_bwd_x, "grad input");
    expect_within_rounding(fast.gw, ref.gw, bound.gw, k_bwd_w, "grad weight");
  }
}

TEST(OneDnnFastPath, MatmulMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  struct Case {
    Shape a, b, out;
    bool ta, tb;
    float alpha, beta;
  };
  const Case cases[] = {
      {{37, 29}, {29, 41}, {37, 41}, false, false, 1.0f, 0.0f},
      {{29, 37}, {29, 41}, {37, 41}, true, false, 1.0f, 0.0f},
      {{37, 29}, {41, 29}, {37, 41}, false, true, 0.5f, 1.0f},
      {{128, 784}, {256, 784}, {128, 256}, false, true, 1.0f, 0.0f},  // the MLP's first layer
      {{3, 5, 7}, {3, 7, 4}, {3, 5, 4}, false, false, 1.0f, 0.0f},    // batched
      {{1, 5, 7}, {3, 4, 7}, {3, 5, 4}, false, true, 1.0f, 0.0f},     // batch-1 broadcast
  };
  std::uint32_t seed = 7;
  for (const auto& c : cases) {
    Tensor a = uniform(c.a, seed++), b = uniform(c.b, seed++), init = uniform(c.out, seed++);
    auto run = [&](CpuKernels k, const Tensor& aa, const Tensor& bb, const Tensor& o0, float beta) {
      CpuKernelsGuard guard(k);
      Tensor out = o0.clone();
      kernels::matmul(aa, bb, out, c.ta, c.tb, c.alpha, beta);
      return out;
    };
    Tensor fast = run(CpuKernels::Fast, a, b, init, c.beta);
    Tensor ref = run(CpuKernels::Reference, a, b, init, c.beta);
    Tensor bound = run(CpuKernels::Reference, abs_of(a), abs_of(b), abs_of(init), std::abs(c.beta));
    const double K = static_cast<double>(c.ta ? c.a[c.a.size() - 2] : c.a.back()) + 1;
    expect_within_rounding(fast, ref, bound, K, "matmul");
  }
}

// `reference` must reach basin's own kernels: no fast call, and results
// bitwise those of the reference backend called directly.
TEST(OneDnnFastPath, ReferenceSelectsTheReferenceKernels) {
  Tensor x = uniform({2, 4, 6, 6}, 1), w = uniform({8, 4, 3, 3}, 2);
  Conv2dParams p = Conv2dParams::square(1, 1);
  Tensor direct = Tensor::empty({2, 8, 6, 6}, DType::Float32);
  kernels::cpu::conv2d_forward(x, w, Tensor(), direct, p);
  CpuKernelsGuard guard(CpuKernels::Reference);
  EXPECT_EQ(kernels::cpu_kernels(), CpuKernels::Reference);
  EXPECT_FALSE(kernels::use_cpu_fast_kernels());
  std::uint64_t calls = kernels::cpu_fast_kernel_calls();
  Tensor y = Tensor::empty({2, 8, 6, 6}, DType::Float32);
  kernels::conv2d_forward(x, w, Tensor(), y, p);
  Tensor m = Tensor::empty({4, 8}, DType::Float32);
  kernels::matmul(uniform({4, 5}, 3), uniform({5, 8}, 4), m);
  EXPECT_EQ(kernels::cpu_fast_kernel_calls(), calls);
  EXPECT_EQ(values(y), values(direct));
}

TEST(OneDnnFastPath, DefaultAndParsing) {
  EXPECT_EQ(kernels::parse_cpu_kernels("reference"), CpuKernels::Reference);
  EXPECT_THROW(kernels::parse_cpu_kernels("quick"), Error);
  if (kernels::cpu_fast_kernels_built()) {
    EXPECT_EQ(kernels::parse_cpu_kernels("fast"), CpuKernels::Fast);
  } else {
    EXPECT_THROW(kernels::set_cpu_kernels(CpuKernels::Fast), Error);
    EXPECT_EQ(kernels::cpu_kernels(), CpuKernels::Reference);
  }
}

// One ResNet-18 training step (CIFAR stem, batch 4, 16x16) from the same
// weights: the loss and every parameter's gradient agree between the paths.
// Differences start at float rounding in each op and grow through 20 layers
// of batch norm, so the check is on relative norms, not elementwise.
TEST(OneDnnFastPath, ResNet18TrainingStepMatchesReference) {
  SKIP_WITHOUT_ONEDNN();
  auto step = [](CpuKernels k, std::vector<Tensor>& grads) {
    CpuKernelsGuard guard(k);
    nn::ModelOptions o;
    o.num_classes = 10;
    o.cifar_stem = true;
    o.seed = 3;
    auto m = nn::make_model("resnet18", o);
    m->train(true);
    Tensor x = uniform({4, 3, 16, 16}, 11);
    Tensor y = Tensor::from_vector(std::vector<std::int64_t>{1, 7, 3, 3}, {4});
    Tensor loss = cross_entropy((*m)(x), y);
    loss.backward();
    for (const Tensor& p : m->parameters()) grads.push_back(p.grad().clone());
    return static_cast<double>(loss.item());
  };
  std::vector<Tensor> gf, gr;
  std::uint64_t calls = kernels::cpu_fast_kernel_calls();
  double lf = step(CpuKernels::Fast, gf);
  EXPECT_GT(kernels::cpu_fast_kernel_calls(), calls + 50) << "convolutions and the classifier's GEMMs took the fast path";
  double lr = step(CpuKernels::Reference, gr);
  EXPECT_NEAR(lf, lr, 1e-5 * std::abs(lr));
  ASSERT_EQ(gf.size(), gr.size());
  ASSERT_GT(gf.size(), 40u);
  for (size_t i = 0; i < gf.size(); ++i) {
    std::vector<float> a = values(gf[i]), b = values(gr[i]);
    double d = 0, n = 0;
    for (size_t j = 0; j < a.size(); ++j) {
      d += (static_cast<double>(a[j]) - b[j]) * (static_cast<double>(a[j]) - b[j]);
      n += static_cast<double>(b[j]) * b[j];
    }
    EXPECT_LE(std::sqrt(d), 1e-3 * std::sqrt(n) + 1e-7) << "parameter " << i << " " << shape_str(gf[i].shape());
  }
}

}  // namespace
}  // namespace basin

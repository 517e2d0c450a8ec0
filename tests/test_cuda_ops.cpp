// Every core op on CUDA against the CPU reference (kernels/cpu/), on random
// inputs of several shapes: odd sizes, size 1, empty, and strided/broadcast views.
// Tolerance, unless a test says otherwise: |cuda - cpu| <= 1e-5 + 1e-5 |cpu|
// (a few ulp of float32 for the library functions expf/logf/... which differ
// between the host libm and CUDA's). NaN must meet NaN.
#include <gtest/gtest.h>

#ifdef BASIN_WITH_CUDA

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <vector>

#include "kernels/elementwise.h"
#include "kernels/fill_copy.h"
#include "kernels/matmul.h"
#include "kernels/random.h"
#include "kernels/reduce.h"
#include "kernels/softmax.h"
#include "tensor/tensor.h"

using namespace basin;
namespace kc = basin::kernels::cpu;
namespace kg = basin::kernels::cuda;
using kernels::BinaryOp;
using kernels::Distribution;
using kernels::ReduceOp;
using kernels::UnaryOp;

#define REQUIRE_CUDA() \
  if (!basin::cuda_available()) GTEST_SKIP() << "no CUDA device: CUDA kernel tests need a GPU"

namespace {

const Device kGpu = Device::cuda(0);

Tensor random_tensor(const Shape& shape, std::uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(numel_of(shape)));
  for (auto& x : v) x = dist(gen);
  return Tensor::from_vector(v, shape);
}

// The same view (shape, strides, offset) of `base` on the host and of its copy on the GPU.
struct Both {
  Tensor cpu, gpu;
};
Both view_both(const Tensor& base_cpu, const Shape& shape, const Strides& strides, std::int64_t offset = 0) {
  Tensor base_gpu = base_cpu.to(kGpu);
  return {raw::view_as(base_cpu, shape, strides, offset), raw::view_as(base_gpu, shape, strides, offset)};
}
Both dense_both(const Tensor& cpu) { return {cpu, cpu.to(kGpu)}; }

// Input layouts exercised by every elementwise test: dense tensors of awkward
// sizes, a transposed view, a strided slice, and a broadcast (stride 0) view.
std::vector<Both> layouts(std::uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
  std::vector<Both> out;
  for (const Shape& s : std::vector<Shape>{{}, {1}, {0}, {7}, {3, 0}, {3, 5}, {2, 3, 4}, {1 << 18}})
    out.push_back(dense_both(random_tensor(s, seed++, lo, hi)));
  Tensor base = random_tensor({5, 7}, seed++, lo, hi);
  out.push_back(view_both(base, {7, 5}, {1, 7}));             // transpose
  out.push_back(view_both(base, {3, 3}, {14, 2}, 1));         // every other row and column, offset
  out.push_back(view_both(base, {4, 5, 7}, {0, 7, 1}));       // broadcast along a new axis
  out.push_back(view_both(base, {5, 7, 3, 2}, {7, 1, 0, 0}));  // trailing broadcast axes
  return out;
}

std::string where(const Shape& s, const char* what, size_t i) {
  std::ostringstream os;
  os << what << " " << shape_str(s) << " at element " << i;
  return os.str();
}

void expect_close(const std::vector<float>& got, const std::vector<float>& ref, const Shape& shape, const char* what,
                  float atol = 1e-5f, float rtol = 1e-5f) {
  ASSERT_EQ(got.size(), ref.size()) << what << " " << shape_str(shape);
  for (size_t i = 0; i < ref.size(); ++i) {
    if (std::isnan(ref[i])) {
      ASSERT_TRUE(std::isnan(got[i])) << where(shape, what, i) << ": expected NaN, got " << got[i];
    } else if (std::isinf(ref[i])) {
      ASSERT_EQ(got[i], ref[i]) << where(shape, what, i);
    } else {
      ASSERT_LE(std::fabs(got[i] - ref[i]), atol + rtol * std::fabs(ref[i]))
          << where(shape, what, i) << ": cuda " << got[i] << " vs cpu " << ref[i];
    }
  }
}

void expect_close(const Tensor& gpu, const Tensor& cpu, const char* what, float atol = 1e-5f, float rtol = 1e-5f) {
  ASSERT_TRUE(gpu.device().is_cuda()) << what;
  ASSERT_EQ(gpu.shape(), cpu.shape()) << what;
  expect_close(gpu.to_vector(), cpu.to_vector(), cpu.shape(), what, atol, rtol);
}

}  // namespace

TEST(CudaOps, FillEveryDtypeDenseAndStrided) {
  REQUIRE_CUDA();
  for (DType dt : {DType::Float32, DType::Int32, DType::Int64, DType::UInt8}) {
    for (const Shape& s : std::vector<Shape>{{}, {0}, {1}, {5, 3}, {100003}}) {
      Tensor g = Tensor::empty(s, dt, kGpu);
      kg::fill(g, 7.0);
      for (auto v : g.to_vector()) ASSERT_EQ(v, 7.0f) << dtype_name(dt) << shape_str(s);
    }
  }
  // Fill every other column of a [4, 6] tensor: the rest keeps its old value.
  Tensor base = Tensor::zeros({4, 6}, DType::Float32, kGpu);
  Tensor cols = raw::view_as(base, {4, 3}, {6, 2}, 1);
  kg::fill(cols, -1.5);
  std::vector<float> v = base.to_vector();
  for (int i = 0; i < 24; ++i) EXPECT_EQ(v[i], (i % 2 == 1) ? -1.5f : 0.0f) << i;
}

TEST(CudaOps, CopyAndCastMatchCpuOnEveryLayout) {
  REQUIRE_CUDA();
  // Values in [0, 200) so every cast (including to uint8) is defined.
  for (const Both& in : layouts(11, 0.0f, 200.0f)) {
    for (DType dt : {DType::Float32, DType::Int32, DType::Int64, DType::UInt8}) {
      Tensor ref = Tensor::empty(in.cpu.shape(), dt);
      kc::copy(in.cpu, ref);
      Tensor got = Tensor::empty(in.cpu.shape(), dt, kGpu);
      kg::copy(in.gpu, got);
      ASSERT_EQ(got.to_vector(), ref.to_vector()) << dtype_name(dt) << " " << shape_str(in.cpu.shape());
      // and back to float32 into a transposed destination when 2-D
      if (in.cpu.dim() == 2) {
        const Shape& s = in.cpu.shape();
        Tensor dst_base = Tensor::empty({s[1], s[0]}, DType::Float32, kGpu);
        Tensor dst = raw::view_as(dst_base, s, {1, s[0]}, 0);
        kg::copy(got, dst);
        ASSERT_EQ(dst.to_vector(), ref.to(DType::Float32).to_vector()) << "cast back " << shape_str(s);
      }
    }
  }
}

TEST(CudaOps, HostDeviceRoundTripsAreExact) {
  REQUIRE_CUDA();
  for (const Shape& s : std::vector<Shape>{{}, {0}, {1}, {13, 7}, {3, 1, 5}, {1 << 20}}) {
    Tensor h = random_tensor(s, 3);
    Tensor back = h.to(kGpu).to(Device::cpu());
    EXPECT_EQ(back.to_vector(), h.to_vector()) << shape_str(s);
  }
  std::vector<std::int64_t> labels{0, -3, 1LL << 40, 9};
  EXPECT_EQ(Tensor::from_vector(labels, {4}, kGpu).to_int_vector(), labels);
  // Non-contiguous on either side.
  Tensor h = random_tensor({6, 4}, 5);
  Tensor t_host = raw::view_as(h, {4, 6}, {1, 4}, 0);
  EXPECT_EQ(t_host.to(kGpu).to_vector(), t_host.to_vector());
  Tensor g = h.to(kGpu);
  EXPECT_EQ(raw::view_as(g, {4, 6}, {1, 4}, 0).to_vector(), t_host.to_vector());
  // Raw transfers.
  std::vector<float> src{1, 2, 3, 4, 5}, dst(5, 0.0f);
  Tensor buf = Tensor::empty({5}, DType::Float32, kGpu);
  kg::memcpy_host_to_device(buf.raw_data(), src.data(), 5 * sizeof(float), 0);
  kg::memcpy_device_to_host(dst.data(), buf.raw_data(), 5 * sizeof(float), 0);
  EXPECT_EQ(dst, src);
}

TEST(CudaOps, UnaryMatchesCpu) {
  REQUIRE_CUDA();
  const UnaryOp ops[] = {UnaryOp::Neg, UnaryOp::Exp,    UnaryOp::Log,    UnaryOp::Sqrt,       UnaryOp::Rsqrt,
                         UnaryOp::Abs, UnaryOp::Relu,   UnaryOp::Sigmoid, UnaryOp::Tanh,      UnaryOp::Square,
                         UnaryOp::Reciprocal, UnaryOp::Sign, UnaryOp::Cos, UnaryOp::Sin};
  for (UnaryOp op : ops) {
    // Log/Sqrt/Rsqrt/Reciprocal away from 0 and negatives: both sides would be
    // inf/NaN and the comparison would test nothing.
    const bool positive = op == UnaryOp::Log || op == UnaryOp::Sqrt || op == UnaryOp::Rsqrt ||
                          op == UnaryOp::Reciprocal;
    for (const Both& in : layouts(100, positive ? 0.1f : -4.0f, positive ? 5.0f : 4.0f)) {
      Tensor ref = Tensor::empty(in.cpu.shape());
      kc::unary(op, in.cpu, ref);
      Tensor got = Tensor::empty(in.cpu.shape(), DType::Float32, kGpu);
      kg::unary(op, in.gpu, got);
      expect_close(got, ref, kernels::op_name(op));
    }
  }
}

TEST(CudaOps, BinaryMatchesCpuWithBroadcastAndInPlace) {
  REQUIRE_CUDA();
  const BinaryOp ops[] = {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Pow,
                          BinaryOp::Maximum, BinaryOp::Minimum, BinaryOp::Eq, BinaryOp::Ne, BinaryOp::Lt,
                          BinaryOp::Le, BinaryOp::Gt, BinaryOp::Ge};
  for (BinaryOp op : ops) {
    const float lo = op == BinaryOp::Pow ? 0.1f : -3.0f;
    std::vector<Both> as = layouts(200, lo, 3.0f), bs = layouts(300, lo, 3.0f);
    for (size_t k = 0; k < as.size(); ++k) {
      const Both& a = as[k];
      const Both& b = bs[k];
      Tensor ref = Tensor::empty(a.cpu.shape());
      kc::binary(op, a.cpu, b.cpu, ref);
      Tensor got = Tensor::empty(a.cpu.shape(), DType::Float32, kGpu);
      kg::binary(op, a.gpu, b.gpu, got);
      expect_close(got, ref, kernels::op_name(op));
    }
    // b broadcast from a row [1, 5] to [4, 5]; a == b at some entries so Eq/Ne/Le/Ge see ties.
    Tensor a_host = random_tensor({4, 5}, 7, lo, 3.0f);
    Tensor row = raw::view_as(a_host, {4, 5}, {0, 1}, 5);  // row 1 of a, repeated
    Both a = dense_both(a_host);
    Both b = view_both(a_host, {4, 5}, {0, 1}, 5);
    Tensor ref = Tensor::empty({4, 5});
    kc::binary(op, a.cpu, row, ref);
    // In place: out is the same tensor as a.
    kg::binary(op, a.gpu, b.gpu, a.gpu);
    expect_close(a.gpu, ref, kernels::op_name(op));
  }
}

TEST(CudaOps, ReluBackwardMatchesCpu) {
  REQUIRE_CUDA();
  std::vector<Both> gs = layouts(400, -3.0f, 3.0f), xs = layouts(500, -3.0f, 3.0f);
  for (size_t k = 0; k < gs.size(); ++k) {
    Tensor ref = Tensor::empty(gs[k].cpu.shape());
    kc::relu_backward(gs[k].cpu, xs[k].cpu, ref);
    Tensor got = Tensor::empty(gs[k].cpu.shape(), DType::Float32, kGpu);
    kg::relu_backward(gs[k].gpu, xs[k].gpu, got);
    expect_close(got, ref, "relu_backward");
  }
}

TEST(CudaOps, ScalarBothOrdersAndAxpyMatchCpu) {
  REQUIRE_CUDA();
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Pow, BinaryOp::Maximum,
                      BinaryOp::Lt, BinaryOp::Ge}) {
    for (bool first : {false, true}) {
      for (const Both& in : layouts(400, 0.2f, 3.0f)) {
        Tensor ref = Tensor::empty(in.cpu.shape());
        kc::scalar(op, in.cpu, 1.7f, ref, first);
        Tensor got = Tensor::empty(in.cpu.shape(), DType::Float32, kGpu);
        kg::scalar(op, in.gpu, 1.7f, got, first);
        expect_close(got, ref, kernels::op_name(op));
      }
    }
  }
  for (const Both& src : layouts(500)) {
    Both dst = dense_both(random_tensor(src.cpu.shape(), 600));
    kc::axpy(-0.75f, src.cpu, dst.cpu);
    kg::axpy(-0.75f, src.gpu, dst.gpu);
    expect_close(dst.gpu, dst.cpu, "axpy");
  }
}

TEST(CudaOps, ReduceMatchesCpuOverAnyAxes) {
  REQUIRE_CUDA();
  Tensor base = random_tensor({3, 4, 5}, 21);
  std::vector<Both> inputs{dense_both(base), view_both(base, {5, 3, 4}, {1, 20, 5}),  // permuted
                           dense_both(random_tensor({1, 7, 1}, 22)), dense_both(random_tensor({2, 3, 2}, 23))};
  const std::vector<std::vector<int>> axis_sets{{}, {0}, {1}, {2}, {-1}, {0, 2}, {1, 2}, {0, 1, 2}};
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min}) {
    for (const Both& in : inputs) {
      for (const auto& axes : axis_sets) {
        Shape os = in.cpu.shape();
        for (int a : axes) os[a < 0 ? a + in.cpu.dim() : a] = 1;
        Tensor ref = Tensor::empty(os);
        kc::reduce(op, in.cpu, axes, ref);
        Tensor got = Tensor::empty(os, DType::Float32, kGpu);
        kg::reduce(op, in.gpu, axes, got);
        expect_close(got, ref, "reduce");
      }
    }
  }
  // Few outputs with long reductions take the split (partials) path: rows,
  // columns (strided entries) and a permuted view, every op.
  Tensor wide = random_tensor({3, 40000}, 25);
  std::vector<std::pair<Both, std::vector<int>>> long_cases;
  long_cases.push_back({dense_both(wide), {1}});
  long_cases.push_back({view_both(wide, {40000, 3}, {1, 40000}), {0}});
  long_cases.push_back({view_both(wide, {2, 3, 20000}, {1, 40000, 2}), {0, 2}});
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min}) {
    for (const auto& [in, axes] : long_cases) {
      Shape os = in.cpu.shape();
      for (int a : axes) os[a] = 1;
      Tensor ref = Tensor::empty(os);
      kc::reduce(op, in.cpu, axes, ref);
      Tensor got = Tensor::empty(os, DType::Float32, kGpu);
      kg::reduce(op, in.gpu, axes, got);
      expect_close(got, ref, "reduce (split path)");
    }
  }
  // A long sum: the error bound of any summation order is n * eps * sum|x|.
  Tensor big = random_tensor({1000003}, 24);
  Tensor ref = Tensor::empty({1});
  kc::reduce(ReduceOp::Sum, big, {0}, ref);
  Tensor got = Tensor::empty({1}, DType::Float32, kGpu);
  kg::reduce(ReduceOp::Sum, big.to(kGpu), {0}, got);
  double l1 = 0;
  for (float v : big.to_vector()) l1 += std::fabs(v);
  EXPECT_LE(std::fabs(got.item() - ref.item()), 1e-6 * l1) << got.item() << " vs " << ref.item();
}

TEST(CudaOps, ReduceOverEmptyAxis) {
  REQUIRE_CUDA();
  Tensor x = Tensor::empty({0, 3}, DType::Float32, kGpu);
  Tensor out = Tensor::empty({1, 3}, DType::Float32, kGpu);
  kg::reduce(ReduceOp::Sum, x, {0}, out);
  EXPECT_EQ(out.to_vector(), (std::vector<float>{0, 0, 0}));
  kg::reduce(ReduceOp::Mean, x, {0}, out);
  for (float v : out.to_vector()) EXPECT_TRUE(std::isnan(v));
  EXPECT_THROW(kernels::reduce(ReduceOp::Max, x, {0}, out), Error);  // checked by the entry point
}

TEST(CudaOps, ArgmaxMatchesCpuAndTakesTheFirstTie) {
  REQUIRE_CUDA();
  Tensor x = Tensor::from_vector(std::vector<float>{1, 3, 3, 0, 5, 5, 2, 5}, {2, 4});
  for (int axis : {0, 1}) {
    Shape os = x.shape();
    os[axis] = 1;
    Tensor ref = Tensor::empty(os, DType::Int64), got = Tensor::empty(os, DType::Int64, kGpu);
    kc::argmax(x, axis, ref);
    kg::argmax(x.to(kGpu), axis, got);
    EXPECT_EQ(got.to_int_vector(), ref.to_int_vector()) << "axis " << axis;
  }
  Tensor ties = Tensor::empty({2, 1}, DType::Int64, kGpu);
  kg::argmax(x.to(kGpu), 1, ties);
  EXPECT_EQ(ties.to_int_vector(), (std::vector<std::int64_t>{1, 0}));
  Both r = view_both(random_tensor({6, 9}, 31), {9, 6}, {1, 9});
  Tensor ref = Tensor::empty({9, 1}, DType::Int64), got = Tensor::empty({9, 1}, DType::Int64, kGpu);
  kc::argmax(r.cpu, 1, ref);
  kg::argmax(r.gpu, 1, got);
  EXPECT_EQ(got.to_int_vector(), ref.to_int_vector());
}

// Matmul: cuBLAS and the CPU BLAS sum in different orders; the bound is relative
// to the size of the terms: |d| <= 1e-4 * (sum_k |a_ik b_kj| + |beta c|) + 1e-6.
TEST(CudaOps, MatmulMatchesCpuForShapesTransposesAndBatches) {
  REQUIRE_CUDA();
  struct Case {
    std::int64_t batch_a, batch_b, batch, M, K, N;
  };
  const Case cases[] = {{0, 0, 0, 1, 1, 1},   {0, 0, 0, 7, 13, 5},  {0, 0, 0, 64, 64, 64}, {0, 0, 0, 128, 257, 33},
                        {0, 0, 0, 1, 300, 1}, {0, 0, 0, 0, 4, 3},   {0, 0, 0, 3, 0, 2},    {3, 3, 3, 5, 6, 7},
                        {1, 4, 4, 8, 3, 9},   {4, 1, 4, 2, 17, 3}};
  std::uint32_t seed = 40;
  for (const Case& c : cases) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        auto shape = [](std::int64_t b, std::int64_t r, std::int64_t col) {
          return b ? Shape{b, r, col} : Shape{r, col};
        };
        Tensor a = random_tensor(shape(c.batch_a, ta ? c.K : c.M, ta ? c.M : c.K), seed++);
        Tensor b = random_tensor(shape(c.batch_b, tb ? c.N : c.K, tb ? c.K : c.N), seed++);
        Tensor c0 = random_tensor(shape(c.batch, c.M, c.N), seed++);
        for (float beta : {0.0f, 0.5f}) {
          Tensor ref = c0.clone(), got = c0.to(kGpu);
          // The reference through the entry point, which skips empty products
          // (BLAS rejects their zero leading dimensions).
          kernels::matmul(a, b, ref, ta, tb, 1.25f, beta);
          kg::matmul(a.to(kGpu), b.to(kGpu), got, ta, tb, 1.25f, beta);
          // Magnitude of the terms, from |a| |b| on the host.
          Tensor abs_a = Tensor::empty(a.shape()), abs_b = Tensor::empty(b.shape());
          kc::unary(UnaryOp::Abs, a, abs_a);
          kc::unary(UnaryOp::Abs, b, abs_b);
          Tensor mag = c0.clone();
          kc::unary(UnaryOp::Abs, c0, mag);
          kernels::matmul(abs_a, abs_b, mag, ta, tb, 1.25f, std::fabs(beta));
          std::vector<float> g = got.to_vector(), r = ref.to_vector(), m = mag.to_vector();
          for (size_t i = 0; i < r.size(); ++i)
            ASSERT_LE(std::fabs(g[i] - r[i]), 1e-4f * m[i] + 1e-6f)
                << "M" << c.M << " K" << c.K << " N" << c.N << " ta" << ta << " tb" << tb << " beta " << beta
                << " at " << i;
        }
      }
    }
  }
}

TEST(CudaOps, SoftmaxAndBackwardMatchCpu) {
  REQUIRE_CUDA();
  for (const Shape& s : std::vector<Shape>{{1, 1}, {4, 10}, {3, 33}, {17, 1000}, {0, 5}, {2, 5000}}) {
    for (bool log : {false, true}) {
      Tensor x = random_tensor(s, 50, -8.0f, 8.0f), dy = random_tensor(s, 51);
      Tensor y_ref = Tensor::empty(s), y = Tensor::empty(s, DType::Float32, kGpu);
      kc::softmax(x, y_ref, log);
      kg::softmax(x.to(kGpu), y, log);
      expect_close(y, y_ref, log ? "log_softmax" : "softmax");
      Tensor dx_ref = Tensor::empty(s), dx = Tensor::empty(s, DType::Float32, kGpu);
      kc::softmax_backward(y_ref, dy, dx_ref, log);
      kg::softmax_backward(y_ref.to(kGpu), dy.to(kGpu), dx, log);
      expect_close(dx, dx_ref, log ? "log_softmax_backward" : "softmax_backward");
    }
  }
}

TEST(CudaOps, CrossEntropyForwardAndBackwardMatchCpu) {
  REQUIRE_CUDA();
  std::mt19937 gen(60);
  for (const Shape& s : std::vector<Shape>{{1, 1}, {5, 10}, {64, 7}, {3, 1001}, {257, 100}}) {
    std::vector<std::int64_t> lab(static_cast<size_t>(s[0]));
    for (auto& l : lab) l = static_cast<std::int64_t>(gen() % static_cast<std::uint32_t>(s[1]));
    Tensor labels = Tensor::from_vector(lab, {s[0]});
    Tensor logits = random_tensor(s, 61, -5.0f, 5.0f);
    for (float eps : {0.0f, 0.1f}) {
      Tensor loss_ref = Tensor::empty({1}), logp_ref = Tensor::empty(s);
      kc::cross_entropy(logits, labels, eps, loss_ref, logp_ref);
      Tensor loss = Tensor::empty({1}, DType::Float32, kGpu), logp = Tensor::empty(s, DType::Float32, kGpu);
      kg::cross_entropy(logits.to(kGpu), labels.to(kGpu), eps, loss, logp);
      expect_close(logp, logp_ref, "cross_entropy logp");
      expect_close(loss, loss_ref, "cross_entropy loss");
      Tensor g = Tensor::from_vector(std::vector<float>{0.7f}, {1});
      Tensor d_ref = Tensor::empty(s), d = Tensor::empty(s, DType::Float32, kGpu);
      kc::cross_entropy_backward(logp_ref, labels, eps, g, d_ref);
      kg::cross_entropy_backward(logp_ref.to(kGpu), labels.to(kGpu), eps, g.to(kGpu), d);
      expect_close(d, d_ref, "cross_entropy_backward");
    }
  }
}

TEST(CudaOps, CrossEntropyNamesAnOutOfRangeLabel) {
  REQUIRE_CUDA();
  Tensor logits = random_tensor({4, 10}, 70).to(kGpu);
  for (std::int64_t bad : {10LL, -1LL, 12345LL}) {
    Tensor labels = Tensor::from_vector(std::vector<std::int64_t>{1, 2, bad, 3}, {4}, kGpu);
    Tensor loss = Tensor::empty({1}, DType::Float32, kGpu), logp = Tensor::empty({4, 10}, DType::Float32, kGpu);
    try {
      kg::cross_entropy(logits, labels, 0.0f, loss, logp);
      FAIL() << "expected an error for label " << bad;
    } catch (const Error& e) {
      std::string m = e.what();
      EXPECT_NE(m.find("label " + std::to_string(bad)), std::string::npos) << m;
      EXPECT_NE(m.find("index 2"), std::string::npos) << m;
    }
    Tensor d = Tensor::empty({4, 10}, DType::Float32, kGpu);
    Tensor g = Tensor::full({1}, 1.0, DType::Float32, kGpu);
    EXPECT_THROW(kg::cross_entropy_backward(logp, labels, 0.0f, g, d), Error);
  }
  // The stream is still usable afterwards.
  Tensor ok = Tensor::from_vector(std::vector<std::int64_t>{0, 1, 2, 3}, {4}, kGpu);
  Tensor loss = Tensor::empty({1}, DType::Float32, kGpu), logp = Tensor::empty({4, 10}, DType::Float32, kGpu);
  EXPECT_NO_THROW(kg::cross_entropy(logits, ok, 0.0f, loss, logp));
  EXPECT_TRUE(std::isfinite(loss.item()));
}

// Same key, same numbers on both backends. Rademacher and Bernoulli are exact
// (no rounding involved). Uniform may differ by one rounding (nvcc fuses
// a + (b - a) * U into an FMA): |d| <= 1e-6 (1 + |ref|) with values of size ~3.
// Normal and Laplace also go through logf, sqrtf, cosf, sinf, whose host and
// device versions differ by a few ulp: the default 1e-5 + 1e-5 |ref|.
TEST(CudaOps, RandomFillMatchesCpuForEveryDistribution) {
  REQUIRE_CUDA();
  struct Case {
    Distribution dist;
    float a, b;
    float tol;  // 0 = exact
  };
  const Case cases[] = {{Distribution::Uniform, -1.0f, 3.0f, 1e-6f},
                        {Distribution::Normal, 0.5f, 2.0f, 1e-5f},
                        {Distribution::Laplace, -0.25f, 0.7f, 1e-5f},
                        {Distribution::Rademacher, 0.0f, 0.01f, 0.0f},
                        {Distribution::Bernoulli, 0.3f, 0.0f, 0.0f}};
  for (const Case& c : cases) {
    for (std::int64_t n : {1, 3, 4, 7, 1001, 1 << 18}) {
      for (kernels::RandomKey key : {kernels::RandomKey{0, 0}, kernels::RandomKey{42, (7ULL << 16) | 3},
                                     kernels::RandomKey{0xFFFFFFFFFFFFULL, 1ULL << 40}}) {
        Tensor ref = Tensor::empty({n}), got = Tensor::empty({n}, DType::Float32, kGpu);
        kc::random_fill(ref, c.dist, key, c.a, c.b);
        kg::random_fill(got, c.dist, key, c.a, c.b);
        if (c.tol == 0.0f)
          ASSERT_EQ(got.to_vector(), ref.to_vector()) << "distribution " << static_cast<int>(c.dist) << " n " << n;
        else
          expect_close(got, ref, "random_fill", c.tol, c.tol);
      }
    }
  }
  // A different key gives different numbers (the key reaches the kernel).
  Tensor x = Tensor::empty({64}, DType::Float32, kGpu), y = Tensor::empty({64}, DType::Float32, kGpu);
  kg::random_fill(x, Distribution::Normal, {1, 2}, 0.0f, 1.0f);
  kg::random_fill(y, Distribution::Normal, {1, 3}, 0.0f, 1.0f);
  EXPECT_NE(x.to_vector(), y.to_vector());
}

#else  // !BASIN_WITH_CUDA

TEST(CudaOps, SkippedInThisBuild) { GTEST_SKIP() << "no CUDA device: this build of basin has no CUDA backend"; }

#endif

// Tensor methods that run kernels: fill, copy with casts/strides/broadcast,
// clone/contiguous, to(DType), read-back, and the geometry of every view.
#include <gtest/gtest.h>

#include <functional>
#include <numeric>

#include "autograd/ops.h"
#include "tensor/tensor.h"

using namespace basin;

namespace {
std::vector<float> iota(std::int64_t n, float start = 0.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), start);
  return v;
}
Tensor arange(const Shape& s) { return Tensor::from_vector(iota(numel_of(s)), s); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Tensor, FactoriesFillAndItem) {
  EXPECT_EQ(Tensor::zeros({2, 3}).to_vector(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(Tensor::ones({4}).to_vector(), std::vector<float>(4, 1.0f));
  EXPECT_EQ(Tensor::full({2}, 2.5).to_vector(), (std::vector<float>{2.5f, 2.5f}));
  EXPECT_FLOAT_EQ(Tensor::scalar(3.0f).item(), 3.0f);
  Tensor i = Tensor::full({3}, 7.9, DType::Int64);
  EXPECT_EQ(i.to_int_vector(), (std::vector<std::int64_t>{7, 7, 7}));  // truncation toward zero
  EXPECT_NE(error_of([] { Tensor::zeros({2}).item(); }).find("2 elements"), std::string::npos);
}

TEST(Tensor, FillStridedSliceOnlyTouchesTheSlice) {
  Tensor x = Tensor::zeros({3, 4});
  x.slice(1, 1, 4, 2).fill_(5.0);  // columns 1 and 3
  EXPECT_EQ(x.to_vector(), (std::vector<float>{0, 5, 0, 5, 0, 5, 0, 5, 0, 5, 0, 5}));
}

TEST(Tensor, CopyCastsBetweenAllDtypes) {
  Tensor f = Tensor::from_vector(std::vector<float>{-1.5f, 0.0f, 2.7f, 255.0f}, {4});
  EXPECT_EQ(f.to(DType::Int32).to_int_vector(), (std::vector<std::int64_t>{-1, 0, 2, 255}));
  EXPECT_EQ(f.to(DType::Int64).to_int_vector(), (std::vector<std::int64_t>{-1, 0, 2, 255}));
  EXPECT_EQ(f.to(DType::UInt8).slice(0, 1, 4).to_int_vector(), (std::vector<std::int64_t>{0, 2, 255}));
  Tensor u = Tensor::from_vector(std::vector<std::uint8_t>{0, 128, 255}, {3});
  EXPECT_EQ(u.to(DType::Float32).to_vector(), (std::vector<float>{0, 128, 255}));
  Tensor l = Tensor::from_vector(std::vector<std::int64_t>{-3, 4}, {2});
  EXPECT_EQ(l.to_vector(), (std::vector<float>{-3, 4}));
  EXPECT_EQ(l.to(DType::Int32).to(DType::Int64).to_int_vector(), (std::vector<std::int64_t>{-3, 4}));
}

TEST(Tensor, CopyBroadcastsSourceAndChecksShapes) {
  Tensor dst = Tensor::zeros({2, 3});
  dst.copy_(Tensor::from_vector(std::vector<float>{1, 2, 3}, {3}));
  EXPECT_EQ(dst.to_vector(), (std::vector<float>{1, 2, 3, 1, 2, 3}));
  dst.copy_(Tensor::from_vector(std::vector<float>{7, 8}, {2, 1}));
  EXPECT_EQ(dst.to_vector(), (std::vector<float>{7, 7, 7, 8, 8, 8}));
  std::string m = error_of([&] { dst.copy_(Tensor::zeros({4})); });
  EXPECT_NE(m.find("[4]"), std::string::npos) << m;
  EXPECT_NE(m.find("[2, 3]"), std::string::npos) << m;
}

TEST(Tensor, CopyIntoTransposedViewAndFromOverlappingSelf) {
  Tensor x = arange({2, 3});
  Tensor y = Tensor::zeros({3, 2});
  y.t().copy_(x);  // y^T = x, so y = x^T
  EXPECT_EQ(y.to_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  Tensor sq = arange({3, 3});
  sq.copy_(sq.t());  // overlapping read and write must still give the transpose
  EXPECT_EQ(sq.to_vector(), (std::vector<float>{0, 3, 6, 1, 4, 7, 2, 5, 8}));
}

TEST(Tensor, CloneAndContiguous) {
  Tensor x = arange({2, 3});
  Tensor c = x.clone();
  c.fill_(0.0);
  EXPECT_EQ(x.to_vector(), iota(6));  // clone owns its storage
  EXPECT_TRUE(x.contiguous().same(x));
  Tensor xt = x.t();
  EXPECT_FALSE(xt.is_contiguous());
  Tensor xc = xt.contiguous();
  EXPECT_TRUE(xc.is_contiguous());
  EXPECT_EQ(xc.to_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(Tensor, EmptyTensorsWork) {
  Tensor e = Tensor::zeros({0, 3});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_TRUE(e.to_vector().empty());
  Tensor c = e.clone();
  EXPECT_EQ(c.shape(), (Shape{0, 3}));
  e.fill_(1.0);
}

TEST(Tensor, ReshapeViewsWhenPossibleAndCopiesOtherwise) {
  Tensor x = arange({2, 3, 4});
  Tensor r = x.reshape({6, -1});
  EXPECT_EQ(r.shape(), (Shape{6, 4}));
  EXPECT_EQ(r.storage(), x.storage());
  Tensor p = x.permute({2, 0, 1});
  Tensor f = p.reshape({-1});  // not viewable: copies
  EXPECT_NE(f.storage(), x.storage());
  EXPECT_EQ(f.to_vector()[1], 4.0f);  // p[0,0,1] = x[0,1,0]
  EXPECT_THROW(p.view({24}), Error);
  EXPECT_EQ(x.flatten().shape(), (Shape{2, 12}));
  EXPECT_EQ(x.flatten(0).shape(), (Shape{24}));
}

TEST(Tensor, PermuteTransposeSliceSelect) {
  Tensor x = arange({2, 3, 4});
  Tensor p = x.permute({1, 2, 0});
  EXPECT_EQ(p.shape(), (Shape{3, 4, 2}));
  EXPECT_EQ(p.contiguous().to_vector()[1], 12.0f);  // p[0,0,1] = x[1,0,0]
  EXPECT_THROW(x.permute({0, 0, 1}), Error);
  EXPECT_EQ(x.transpose(0, 2).shape(), (Shape{4, 3, 2}));
  Tensor s = x.slice(2, 1, -1);  // python x[:, :, 1:-1]
  EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(s.contiguous().to_vector()[0], 1.0f);
  EXPECT_EQ(x.slice(1, 0, 3, 2).contiguous().to_vector()[4], 8.0f);  // rows 0 and 2
  Tensor sel = x.select(1, -1);  // x[:, 2]
  EXPECT_EQ(sel.shape(), (Shape{2, 4}));
  EXPECT_EQ(sel.contiguous().to_vector(), (std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_THROW(x.select(1, 3), Error);
  EXPECT_EQ(x.slice(0, 5, 9).numel(), 0);  // clamped, empty
}

TEST(Tensor, ExpandUnsqueezeSqueeze) {
  Tensor v = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3});
  Tensor e = v.unsqueeze(0).expand({2, -1});
  EXPECT_EQ(e.shape(), (Shape{2, 3}));
  EXPECT_EQ(e.strides()[0], 0);
  EXPECT_EQ(e.contiguous().to_vector(), (std::vector<float>{1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(v.unsqueeze(-1).shape(), (Shape{3, 1}));
  EXPECT_EQ(v.unsqueeze(1).squeeze(1).shape(), (Shape{3}));
  EXPECT_EQ(v.squeeze(0).shape(), (Shape{3}));  // size 3: unchanged, as torch
  EXPECT_THROW(v.expand({2, 4}), Error);
}

TEST(Tensor, ToSameDeviceIsIdentityAndCudaWithoutBackendIsAnError) {
  Tensor x = arange({3});
  EXPECT_TRUE(x.to(Device::cpu()).same(x));
  if (!cuda_compiled()) {
    EXPECT_THROW(x.to(Device::cuda()), Error);
  }
}

TEST(Tensor, CudaRoundTripIsExact) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device: host<->device copies not exercised";
  Tensor x = arange({3, 5});
  Tensor d = x.t().to(Device::cuda());  // strided source
  EXPECT_TRUE(d.device().is_cuda());
  EXPECT_EQ(d.to_vector(), x.t().contiguous().to_vector());
  Tensor back = Tensor::zeros({5, 3, 2}).select(2, 1);  // strided destination
  back.copy_(d);
  EXPECT_EQ(back.contiguous().to_vector(), x.t().contiguous().to_vector());
  EXPECT_EQ(d.to(DType::Int64).to_int_vector()[1], 5);
}

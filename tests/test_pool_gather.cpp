// Max-pool backward's gather formulation (kernels/pool_gather.h, what the CUDA
// kernel runs) against the CPU backend's scatter, bitwise, with overlapping
// windows: stride < kernel, dilation, padding and ceil mode. Many ties in the
// input send several windows' gradients to one pixel, and the gradients span
// magnitudes so that the order of the additions shows in the bits.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/pool.h"
#include "kernels/pool_gather.h"

namespace basin {
namespace {

using i64 = std::int64_t;
using kernels::Pool2dParams;

Pool2dParams params(int k, int s, int pad, int d, bool ceil) {
  Pool2dParams p = Pool2dParams::square(k, s, pad, ceil);
  p.dilation_h = p.dilation_w = d;
  return p;
}

// x with values from {0, 1, 2} (ties everywhere) and grad_out with random signs
// and magnitudes from 1e-4 to 1e4.
void make_inputs(const Shape& xs, const Shape& os, std::uint32_t seed, Tensor& x, Tensor& gy) {
  std::mt19937 rng(seed);
  std::vector<float> xv(static_cast<size_t>(xs[0] * xs[1] * xs[2] * xs[3]));
  for (float& v : xv) v = static_cast<float>(rng() % 3);
  std::vector<float> gv(static_cast<size_t>(os[0] * os[1] * os[2] * os[3]));
  std::uniform_real_distribution<float> mant(1.0f, 2.0f);
  for (float& v : gv) v = (rng() % 2 ? -1.0f : 1.0f) * mant(rng) * std::pow(10.0f, static_cast<float>(rng() % 9) - 4.0f);
  x = Tensor::from_vector(xv, xs);
  gy = Tensor::from_vector(gv, os);
}

// grad_x by the gather, one pixel at a time (the CUDA kernel's body).
std::vector<float> gather(const Tensor& gy, const Tensor& idx, const Shape& xs, const Pool2dParams& p) {
  const Shape& os = gy.shape();
  i64 planes = xs[0] * xs[1], H = xs[2], W = xs[3], OH = os[2], OW = os[3];
  std::vector<float> gx(static_cast<size_t>(planes * H * W));
  for (i64 pl = 0; pl < planes; ++pl)
    for (i64 ih = 0; ih < H; ++ih)
      for (i64 iw = 0; iw < W; ++iw)
        gx[static_cast<size_t>((pl * H + ih) * W + iw)] = kernels::max_pool_gather(
            gy.data<float>() + pl * OH * OW, idx.data<i64>() + pl * OH * OW, ih, iw, W, OH, OW, p);
  return gx;
}

TEST(PoolGather, EqualsTheCpuScatterBitwiseWithOverlappingWindows) {
  struct Case {
    int k, s, pad, d;
    bool ceil;
    i64 H, W;
  };
  int checked_multi = 0;  // pixels that received 3+ gradients: the order-sensitive case
  for (const Case& c : {Case{3, 1, 1, 1, false, 9, 8}, Case{3, 2, 1, 1, true, 10, 7}, Case{3, 1, 1, 2, true, 11, 9},
                        Case{2, 1, 0, 2, false, 7, 7}, Case{4, 1, 2, 1, true, 6, 9}, Case{2, 2, 0, 1, true, 5, 5},
                        Case{3, 2, 1, 3, true, 12, 10}, Case{1, 1, 0, 1, false, 4, 3}}) {
    Pool2dParams p = params(c.k, c.s, c.pad, c.d, c.ceil);
    Shape xs{2, 3, c.H, c.W};
    Shape os = kernels::pool2d_output_shape(xs, p, "test");
    Tensor x, gy;
    make_inputs(xs, os, static_cast<std::uint32_t>(c.k * 100 + c.s * 10 + c.d), x, gy);
    Tensor out = Tensor::empty(os, DType::Float32, Device::cpu());
    Tensor idx = Tensor::empty(os, DType::Int64, Device::cpu());
    kernels::max_pool2d_forward(x, out, idx, p);
    Tensor gx = Tensor::empty(xs, DType::Float32, Device::cpu());
    kernels::max_pool2d_backward(gy, idx, gx, p);
    std::vector<float> g = gather(gy, idx, xs, p);
    const float* ref = gx.data<float>();
    for (size_t i = 0; i < g.size(); ++i)
      ASSERT_EQ(std::memcmp(&g[i], &ref[i], sizeof(float)), 0)
          << "pixel " << i << ": gather " << g[i] << " vs scatter " << ref[i] << " (k " << c.k << " s " << c.s
          << " pad " << c.pad << " d " << c.d << " ceil " << c.ceil << ")";
    std::vector<int> hits(g.size(), 0);
    i64 ohw = os[2] * os[3], hw = xs[2] * xs[3];
    for (i64 o = 0; o < idx.numel(); ++o) ++hits[static_cast<size_t>((o / ohw) * hw + idx.data<i64>()[o])];
    for (int h : hits) checked_multi += h >= 3;
  }
  EXPECT_GT(checked_multi, 50) << "the cases must pile three or more gradients onto many pixels";
}

TEST(PoolGather, WindowRangeIsExactlyTheWindowsThatContainThePixel) {
  // Brute force: window o contains i iff i == o*s - pad + k*d for some k < K.
  for (int K : {1, 2, 3, 5})
    for (int s : {1, 2, 3})
      for (int pad : {0, 1, 2})
        for (int d : {1, 2, 3}) {
          if (pad * 2 > K) continue;
          i64 in = 13, out = (in + 2 * pad - d * (K - 1) - 1 + s - 1) / s + 1;  // ceil mode, may overhang
          for (i64 i = 0; i < in; ++i) {
            i64 lo, hi;
            kernels::pool_windows_containing(i, out, K, s, pad, d, lo, hi);
            for (i64 o = 0; o < out; ++o) {
              bool contains = false;
              for (int k = 0; k < K; ++k) contains |= (o * s - pad + static_cast<i64>(k) * d == i);
              if (contains) {
                EXPECT_TRUE(o >= lo && o <= hi) << "K " << K << " s " << s << " pad " << pad << " d " << d << ": window "
                                                << o << " holds " << i << " but range is [" << lo << ", " << hi << "]";
              }
            }
          }
        }
}

}  // namespace
}  // namespace basin

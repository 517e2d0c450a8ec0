// Arena kernels on the CPU: the perturbation noise (statistics per distribution,
// keys, agreement with the scalar reference and with libm-precision Box-Muller),
// exact restores, and every update kernel against a plain per-element loop.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/arena.h"
#include "kernels/arena_math.h"

using namespace basin;
using namespace basin::kernels;
using basin::kernels::noise::Dist;

namespace {

Tensor flat(const std::vector<float>& v) { return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}); }
Tensor zeros(std::int64_t n) {
  Tensor t = Tensor::empty({n});
  std::memset(t.data<float>(), 0, n * sizeof(float));
  return t;
}
std::vector<float> vec(const Tensor& t) { return std::vector<float>(t.data<float>(), t.data<float>() + t.numel()); }
std::vector<float> ramp(std::int64_t n, float a, float b) {
  std::vector<float> v(n);
  for (std::int64_t i = 0; i < n; ++i) v[i] = a * std::sin(0.37f * i + b) + 0.1f * b;
  return v;
}

const Dist kDists[] = {Dist::Gaussian, Dist::Laplace, Dist::Uniform, Dist::Binomial};

NoiseSpec spec(Dist d, std::uint64_t seed, std::uint64_t step, std::uint32_t j, float sigma) {
  NoiseSpec ns;
  ns.dist = d;
  ns.seed = seed;
  ns.stream = noise::stream_of(step, j);
  ns.sigma = sigma;
  return ns;
}

// sigma * U for a fresh arena of n elements.
std::vector<float> draw(const NoiseSpec& ns, std::int64_t n) {
  Tensor w = Tensor::empty({n}), w0 = zeros(n);
  arena_perturb(w, w0, ns, 1.0f);
  return vec(w);
}

}  // namespace

TEST(OptimNoise, MomentsPerDistribution) {
  const std::int64_t n = 1 << 20;
  const float sigma = 0.5f;
  // kurtosis E u^4 / sigma^4 tells the distributions apart
  const double kurt[] = {3.0, 6.0, 1.8, 1.0};
  for (int di = 0; di < 4; ++di) {
    SCOPED_TRACE(noise::dist_name(kDists[di]));
    auto u = draw(spec(kDists[di], 42, 7, 1, sigma), n);
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0, pos = 0;
    for (float x : u) {
      double y = x / sigma;
      m1 += y; m2 += y * y; m3 += y * y * y; m4 += y * y * y * y;
      pos += x > 0;
    }
    m1 /= n; m2 /= n; m3 /= n; m4 /= n; pos /= n;
    EXPECT_NEAR(m1, 0.0, 5.0 / std::sqrt(double(n)));                    // zero mean
    EXPECT_NEAR(m2, 1.0, 5.0 * std::sqrt((kurt[di] - 1) / n));           // std = sigma
    EXPECT_NEAR(m3, 0.0, 5.0 * std::sqrt(15.0 * kurt[di] / n));          // symmetric
    EXPECT_NEAR(pos, 0.5, 5.0 * 0.5 / std::sqrt(double(n)));             // symmetric
    EXPECT_NEAR(m4, kurt[di], 0.05 * kurt[di]);                          // the right shape
  }
}

TEST(OptimNoise, GaussianMatchesDoublePrecisionBoxMuller) {
  // The polynomial log/sin/cos against libm in double on the same Philox words.
  double worst = 0;
  for (std::uint64_t blk = 0; blk < 20000; ++blk) {
    philox::U32x4 r = philox::block(9, 3, blk);
    float got[4];
    noise::unit_block(Dist::Gaussian, 9, 3, blk, got);
    std::uint32_t w[4] = {r.x, r.y, r.z, r.w};
    for (int p = 0; p < 2; ++p) {
      double u1 = ((w[2 * p] >> 8) + 1.0) / 16777216.0;
      double th = 2 * M_PI * (w[2 * p + 1] / 4294967296.0);
      double rad = std::sqrt(-2 * std::log(u1));
      worst = std::max(worst, std::fabs(got[2 * p] - rad * std::cos(th)));
      worst = std::max(worst, std::fabs(got[2 * p + 1] - rad * std::sin(th)));
    }
  }
  EXPECT_LT(worst, 4e-6);
}

TEST(OptimNoise, KernelEqualsScalarReferenceBitwise) {
  const std::int64_t n = 4099;  // not a multiple of 4 or of the kernel's chunk
  for (Dist d : kDists) {
    SCOPED_TRACE(noise::dist_name(d));
    auto ns = spec(d, 0x123456789ABCull, 1000003, 5, 0.25f);
    auto w0 = ramp(n, 1.0f, 0.3f);
    Tensor w = Tensor::empty({n}), t0 = flat(w0);
    arena_perturb(w, t0, ns, -1.0f);
    for (std::int64_t i = 0; i < n; ++i) {
      float want = w0[i] + (-1.0f * 0.25f) * noise::unit_at(d, ns.seed, ns.stream, i);
      ASSERT_EQ(w.data<float>()[i], want) << "element " << i;
    }
  }
}

TEST(OptimNoise, SameKeySameNoiseDifferentKeysIndependent) {
  const std::int64_t n = 1 << 16;
  auto a = draw(spec(Dist::Gaussian, 1, 10, 0, 1.0f), n);
  auto b = draw(spec(Dist::Gaussian, 1, 10, 0, 1.0f), n);
  EXPECT_EQ(std::memcmp(a.data(), b.data(), n * sizeof(float)), 0);
  auto corr = [&](const std::vector<float>& x, const std::vector<float>& y) {
    double s = 0, sx = 0, sy = 0;
    for (std::int64_t i = 0; i < n; ++i) s += double(x[i]) * y[i], sx += double(x[i]) * x[i], sy += double(y[i]) * y[i];
    return s / std::sqrt(sx * sy);
  };
  const double tol = 5.0 / std::sqrt(double(n));
  for (auto other : {spec(Dist::Gaussian, 2, 10, 0, 1.0f), spec(Dist::Gaussian, 1, 11, 0, 1.0f),
                     spec(Dist::Gaussian, 1, 10, 1, 1.0f)}) {
    auto c = draw(other, n);
    EXPECT_LT(std::fabs(corr(a, c)), tol);
  }
  // neighbouring elements (the two halves of a Box-Muller pair) are uncorrelated too
  double s = 0;
  for (std::int64_t i = 0; i + 1 < n; i += 2) s += double(a[i]) * a[i + 1];
  EXPECT_LT(std::fabs(s / (n / 2)), tol * 1.5);
}

TEST(OptimNoise, PlusMinusThenRestoreIsBitwiseExact) {
  const std::int64_t n = 10007;
  auto w0v = ramp(n, 3.0f, 1.0f);
  Tensor w0 = flat(w0v), w = flat(w0v);
  auto ns = spec(Dist::Laplace, 5, 2, 0, 0.3f);
  // -U is exactly the negation of +U (same regenerated noise)
  auto plus = draw(ns, n);
  Tensor z = zeros(n), m = Tensor::empty({n});
  arena_perturb(m, z, ns, -1.0f);
  for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(plus[i], -m.data<float>()[i]) << i;
  arena_perturb(w, w0, ns, 1.0f);
  arena_perturb(w, w0, ns, -1.0f);
  arena_copy(w, w0);
  EXPECT_EQ(std::memcmp(w.data<float>(), w0v.data(), n * sizeof(float)), 0);
}

TEST(OptimKernels, AccumulateAndPerturbAlongMatchLoops) {
  const std::int64_t n = 3001;
  auto av = ramp(n, 1.0f, 0.1f), gv = ramp(n, 2.0f, 0.7f), bv = ramp(n, 0.5f, 2.0f);
  Tensor acc = flat(av), g = flat(gv);
  arena_accumulate(acc, g, 0.25f);
  for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(acc.data<float>()[i], av[i] + 0.25f * gv[i]);
  std::vector<float> nan(n, NAN);
  Tensor fresh = flat(nan);
  arena_accumulate(fresh, g, 0.5f, 0.0f);  // beta 0 must not read the garbage
  for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(fresh.data<float>()[i], 0.5f * gv[i]);
  Tensor acc2 = flat(av), g2 = flat(gv);
  arena_accumulate_final(acc2, g2, 0.125f);
  for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(g2.data<float>()[i], 0.125f * (av[i] + gv[i]));
  Tensor w = zeros(n), base = flat(bv);
  arena_perturb_along(w, base, g, 0.3f, true, 0.01f);
  for (std::int64_t i = 0; i < n; ++i) {
    float t = std::fabs(bv[i]) + 0.01f;
    ASSERT_EQ(w.data<float>()[i], bv[i] + 0.3f * (t * t * gv[i]));
  }
  double ss = 0, sa = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    ss += double(gv[i]) * gv[i];
    double t = (std::fabs(double(bv[i])) + 0.01f) * gv[i];
    sa += t * t;
  }
  EXPECT_NEAR(arena_sumsq(g, Tensor(), false, 0.0f), ss, 1e-9 * ss);
  EXPECT_NEAR(arena_sumsq(g, base, true, 0.01f), sa, 1e-9 * sa);
}

TEST(OptimKernels, SgdAndAdamHonourNoDecayRanges) {
  const std::int64_t n = 5000;
  ArenaRanges nd = {{0, 10}, {100, 1234}, {1234, 1300}, {4990, 5000}};
  auto wv = ramp(n, 1.0f, 0.2f), gv = ramp(n, 0.3f, 1.1f), bv = ramp(n, 0.1f, 0.5f);
  auto decays = [&](std::int64_t i) {
    for (auto& r : nd) if (i >= r.first && i < r.second) return false;
    return true;
  };
  SgdArgs a;
  a.lr = 0.1f; a.momentum = 0.9f; a.dampening = 0.1f; a.weight_decay = 0.01f; a.first_step = false;
  Tensor w = flat(wv), g = flat(gv), b = flat(bv);
  arena_sgd(w, g, b, a, nd);
  for (std::int64_t i = 0; i < n; ++i) {
    float wi = wv[i], bi = bv[i];
    arena_math::sgd(wi, gv[i], bi, a, decays(i));
    ASSERT_EQ(w.data<float>()[i], wi) << i;
    ASSERT_EQ(b.data<float>()[i], bi) << i;
  }
  AdamArgs ad;
  ad.weight_decay = 0.1f; ad.amsgrad = true; ad.step = 3;
  Tensor w2 = flat(wv), m = flat(bv), v = flat(std::vector<float>(n, 0.01f)), vm = flat(std::vector<float>(n, 0.02f));
  arena_adamw(w2, g, m, v, vm, ad, nd);
  auto s = arena_math::adam_scalars(ad);
  for (std::int64_t i = 0; i < n; ++i) {
    float wi = wv[i], mi = bv[i], vi = 0.01f, vmi = 0.02f;
    arena_math::adam(wi, gv[i], mi, vi, &vmi, ad, s, decays(i));
    ASSERT_EQ(w2.data<float>()[i], wi) << i;
    ASSERT_EQ(vm.data<float>()[i], vmi) << i;
  }
}

TEST(OptimKernels, BadArgumentsThrow) {
  Tensor a = zeros(10), b = zeros(11);
  EXPECT_THROW(arena_copy(a, b), Error);
  EXPECT_THROW(arena_perturb(a, b, NoiseSpec{}, 1.0f), Error);
  SgdArgs s;
  EXPECT_THROW(arena_sgd(a, a, a, s, {{5, 3}}), Error);          // empty/negative range
  EXPECT_THROW(arena_sgd(a, a, a, s, {{0, 4}, {3, 6}}), Error);  // overlapping
  EXPECT_THROW(arena_sgd(a, a, a, s, {{0, 11}}), Error);         // outside the arena
  Tensor i = Tensor::from_vector(std::vector<std::int64_t>(10, 0), {10});
  EXPECT_THROW(arena_fill(i, 0.0f), Error);
  try {
    arena_accumulate(a, b, 1.0f);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("arena_accumulate"), std::string::npos) << e.what();
  }
}

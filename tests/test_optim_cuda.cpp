// CUDA arena kernels against the CPU backend: the noise bit for bit (same
// philox.h + noise.h formulas on both sides), the updates to float rounding.
// Skips visibly without a CUDA device.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/arena.h"
#include "optim/nso.h"
#include "optim/sgd.h"

using namespace basin;
using namespace basin::kernels;

namespace {

#define REQUIRE_CUDA() \
  if (!basin::cuda_available()) GTEST_SKIP() << "no CUDA device: CUDA arena kernels not tested"

Tensor host(const std::vector<float>& v) { return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}); }
std::vector<float> ramp(std::int64_t n, float a, float b) {
  std::vector<float> v(n);
  for (std::int64_t i = 0; i < n; ++i) v[i] = a * std::sin(0.37f * i + b) + 0.05f * b;
  return v;
}
std::vector<float> back(const Tensor& t) { return t.to(Device::cpu()).to_vector(); }

void expect_near(const std::vector<float>& got, const Tensor& want_t, float tol) {
  std::vector<float> want = want_t.to_vector();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], tol * (1 + std::fabs(want[i]))) << i;
}

}  // namespace

TEST(OptimCuda, PerturbIsBitwiseTheCpuNoise) {
  REQUIRE_CUDA();
  const std::int64_t n = 100003;
  auto w0v = ramp(n, 1.0f, 0.5f);
  for (auto d : {noise::Dist::Gaussian, noise::Dist::Laplace, noise::Dist::Uniform, noise::Dist::Binomial,
                 noise::Dist::Cauchy}) {
    SCOPED_TRACE(noise::dist_name(d));
    NoiseSpec ns;
    ns.dist = d;
    ns.seed = 0xDEADBEEF12ull;
    ns.stream = noise::stream_of(12345, 3);
    ns.sigma = 0.01f;
    Tensor cw0 = host(w0v), cw = Tensor::empty({n});
    arena_perturb(cw, cw0, ns, -1.0f);
    Tensor gw0 = cw0.to(Device::cuda()), gw = Tensor::empty({n}, DType::Float32, Device::cuda());
    arena_perturb(gw, gw0, ns, -1.0f);
    auto got = back(gw), want = cw.to_vector();
    EXPECT_EQ(std::memcmp(got.data(), want.data(), n * sizeof(float)), 0);
    arena_copy(gw, gw0);
    auto restored = back(gw);
    EXPECT_EQ(std::memcmp(restored.data(), w0v.data(), n * sizeof(float)), 0);
  }
}

TEST(OptimCuda, UpdateKernelsMatchCpu) {
  REQUIRE_CUDA();
  const std::int64_t n = 70001;
  auto wv = ramp(n, 1.0f, 0.1f), gv = ramp(n, 0.2f, 0.9f), bv = ramp(n, 0.05f, 1.7f);
  // more ranges than fit in one launch, to exercise the windowing
  ArenaRanges nd;
  for (std::int64_t b = 5; b + 7 < n && nd.size() < 400; b += 150) nd.push_back({b, b + 7});
  auto G = [](const Tensor& t) { return t.to(Device::cuda()); };
  {
    SgdArgs a;
    a.lr = 0.1f; a.momentum = 0.9f; a.dampening = 0.1f; a.weight_decay = 0.05f; a.first_step = false; a.nesterov = false;
    Tensor cw = host(wv), cg = host(gv), cb = host(bv);
    Tensor gw = G(cw), gg = G(cg), gb = G(cb);
    arena_sgd(cw, cg, cb, a, nd);
    arena_sgd(gw, gg, gb, a, nd);
    expect_near(back(gw), cw, 1e-6f);
    expect_near(back(gb), cb, 1e-6f);
  }
  {
    AdamArgs a;
    a.weight_decay = 0.1f; a.amsgrad = true; a.step = 4; a.lr = 0.01f;
    Tensor cw = host(wv), cg = host(gv), cm = host(bv), cv = host(std::vector<float>(n, 0.01f)),
           cvm = host(std::vector<float>(n, 0.011f));
    Tensor gw = G(cw), gg = G(cg), gm = G(cm), gv2 = G(cv), gvm = G(cvm);
    arena_adamw(cw, cg, cm, cv, cvm, a, nd);
    arena_adamw(gw, gg, gm, gv2, gvm, a, nd);
    expect_near(back(gw), cw, 1e-6f);
    expect_near(back(gm), cm, 1e-6f);
  }
  {
    Tensor ca = host(wv), cg = host(gv);
    Tensor ga = G(ca), gg = G(cg);
    arena_accumulate(ca, cg, 0.3f);
    arena_accumulate(ga, gg, 0.3f);
    expect_near(back(ga), ca, 1e-6f);
    arena_accumulate_final(ca, cg, 0.25f);
    arena_accumulate_final(ga, gg, 0.25f);
    expect_near(back(gg), cg, 1e-6f);
    Tensor cb = host(bv), gbb = G(cb), cw = Tensor::empty({n}), gw = Tensor::empty({n}, DType::Float32, Device::cuda());
    arena_perturb_along(cw, cb, cg, 0.7f, true, 0.01f);
    arena_perturb_along(gw, gbb, gg, 0.7f, true, 0.01f);
    expect_near(back(gw), cw, 1e-6f);
    double c1 = arena_sumsq(cg, cb, true, 0.01f), c2 = arena_sumsq(gg, gbb, true, 0.01f);
    EXPECT_NEAR(c2, c1, 1e-9 * c1);
    arena_fill(gw, 2.5f);
    for (float x : back(gw)) ASSERT_EQ(x, 2.5f);
  }
}

TEST(OptimCuda, NsoStepMatchesCpu) {
  REQUIRE_CUDA();
  // f(W) = sum (W_i - 1)^4 / 4 evaluated with the arena's own kernels on each side
  const std::int64_t n = 4096;
  auto w0 = ramp(n, 1.0f, 0.3f);
  std::vector<std::vector<float>> finals;
  for (Device dev : {Device::cpu(), Device::cuda()}) {
    Tensor p = host(w0).to(dev), g = Tensor::zeros({n}, DType::Float32, dev);
    optim::ArenaRef r;
    r.params = p;
    r.grads = g;
    optim::SgdOptions so;
    so.lr = 0.05;
    so.momentum = 0.9;
    optim::NsoOptions o;
    o.k = 2;
    o.sigma = 0.05;
    o.seed = 21;
    optim::NSO nso(std::make_unique<optim::SGD>(r, so), o);
    auto closure = [&](bool) {
      std::vector<float> w = back(p), gr(n);
      for (std::int64_t i = 0; i < n; ++i) gr[i] = std::pow(w[i] - 1.0f, 3.0f);
      Tensor gt = host(gr).to(dev);
      arena_accumulate(g, gt, 1.0f);
      return 0.0f;
    };
    for (int t = 0; t < 3; ++t) nso.step(closure);
    finals.push_back(back(p));
  }
  for (std::int64_t i = 0; i < n; ++i) ASSERT_NEAR(finals[1][i], finals[0][i], 1e-5f) << i;
}

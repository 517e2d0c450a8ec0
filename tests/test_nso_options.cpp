// NSO as the authors run it (docs/06-nso-step.md): Cauchy noise (the CPU kernel
// against the formula and against tan in double, its law, its poles), the sigma
// schedule's closed forms and its use by NSO, the clean-gradient weight lambda
// through the registry, and the TrainConfig settings that carry them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/arena.h"
#include "optim/nso.h"
#include "optim/registry.h"
#include "optim/sgd.h"
#include "tensor/error.h"
#include "train/config.h"

using namespace basin;
using namespace basin::kernels;
using basin::kernels::noise::Dist;

namespace {

NoiseSpec cauchy_spec(std::uint64_t seed, std::uint64_t step, std::uint32_t j, float sigma) {
  NoiseSpec ns;
  ns.dist = Dist::Cauchy;
  ns.seed = seed;
  ns.stream = noise::stream_of(step, j);
  ns.sigma = sigma;
  return ns;
}

// The raw Philox word of element i (kernels/noise.h's layout).
std::uint32_t word_at(std::uint64_t seed, std::uint64_t stream, std::uint64_t i) {
  philox::U32x4 r = philox::block(seed, stream, i / 4);
  const std::uint32_t w[4] = {r.x, r.y, r.z, r.w};
  return w[i % 4];
}

// tan(2 pi (w | 1) / 2^32) in double: the law the float formula approximates.
double cauchy_double(std::uint32_t w) { return std::tan(2.0 * M_PI * (double(w | 1u) / 4294967296.0)); }

std::string error_of(const train::TrainConfig& c) {
  try {
    c.validate();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(NsoCauchy, KernelIsTheFormulaOnThePhiloxWords) {
  const std::int64_t n = 4099;  // not a multiple of 4 or of the CPU kernel's chunk
  const auto ns = cauchy_spec(0xABCDEF12345ull, 77, 3, 0.02f);
  std::vector<float> w0v(n);
  for (std::int64_t i = 0; i < n; ++i) w0v[i] = 0.5f * std::sin(0.1f * float(i));
  Tensor w0 = Tensor::from_vector(w0v, {n}), w = Tensor::empty({n});
  arena_perturb(w, w0, ns, -1.0f);
  double worst_rel = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint32_t word = word_at(ns.seed, ns.stream, i);
    const float u = noise::cauchy_unit(word);
    ASSERT_EQ(u, noise::unit_at(Dist::Cauchy, ns.seed, ns.stream, i)) << i;
    ASSERT_EQ(w.data<float>()[i], w0v[i] + (-1.0f * 0.02f) * u) << "element " << i;  // bitwise, as Gaussian's
    const double want = cauchy_double(word);
    worst_rel = std::max(worst_rel, std::fabs(u - want) / (1e-6 + std::fabs(want)));
  }
  EXPECT_LT(worst_rel, 2e-6);  // a few float ulps from tan in double
}

TEST(NsoCauchy, PolesAndZerosStayFinite) {
  // The words at which 2 pi w / 2^32 would be a pole (1/4, 3/4 turn) or a zero of tan.
  for (std::uint32_t w : {0u, 1u, 0x3FFFFFFFu, 0x40000000u, 0x40000001u, 0x80000000u, 0xBFFFFFFFu, 0xC0000000u,
                          0xC0000001u, 0xFFFFFFFFu}) {
    const float u = noise::cauchy_unit(w);
    EXPECT_TRUE(std::isfinite(u)) << std::hex << w;
    EXPECT_NE(u, 0.0f) << std::hex << w;
    EXPECT_LT(std::fabs(u), 1e9f) << std::hex << w;
    EXPECT_NEAR(u / cauchy_double(w), 1.0, 1e-5) << std::hex << w;
  }
}

TEST(NsoCauchy, MedianZeroQuartilesPlusMinusSigma) {
  const std::int64_t n = 1 << 20;
  const float sigma = 0.5f;
  Tensor w = Tensor::empty({n}), w0 = Tensor::zeros({n});
  arena_perturb(w, w0, cauchy_spec(42, 7, 1, sigma), 1.0f);
  std::vector<float> v(w.data<float>(), w.data<float>() + n);
  for (float x : v) ASSERT_TRUE(std::isfinite(x));
  auto quantile = [&](double p) {
    std::vector<float> c = v;
    auto it = c.begin() + static_cast<std::int64_t>(p * (n - 1));
    std::nth_element(c.begin(), it, c.end());
    return double(*it);
  };
  // Standard errors of sample quantiles: sqrt(p (1 - p) / n) / density(quantile);
  // the Cauchy(0, s) density is 1 / (pi s) at 0 and 1 / (2 pi s) at +-s.
  const double se_med = 0.5 / std::sqrt(double(n)) * M_PI * sigma;
  const double se_q = std::sqrt(3.0 / 16.0 / n) * 2 * M_PI * sigma;
  EXPECT_NEAR(quantile(0.5), 0.0, 5 * se_med);
  EXPECT_NEAR(quantile(0.25), -sigma, 5 * se_q);
  EXPECT_NEAR(quantile(0.75), sigma, 5 * se_q);
  // Heavy tails: P(|x| > 10 s) = 1 - (2 / pi) atan(10) = 0.0635 (a Gaussian: 0)
  double far = 0;
  for (float x : v) far += std::fabs(x) > 10 * sigma;
  const double p = 1 - 2 / M_PI * std::atan(10.0);
  EXPECT_NEAR(far / n, p, 5 * std::sqrt(p * (1 - p) / n));
}

TEST(NsoCauchy, ParseAndNames) {
  EXPECT_EQ(optim::parse_noise("cauchy", "t"), Dist::Cauchy);
  EXPECT_STREQ(noise::dist_name(Dist::Cauchy), "cauchy");
  EXPECT_THROW(optim::parse_noise("lorentz", "t"), Error);
}

TEST(NsoSigmaSchedule, ClosedForms) {
  using optim::SigmaRamp;
  optim::SigmaSchedule s;
  s.start = 0.001;
  s.ramp_units = 5;       // epochs 0..4: start .. sigma
  s.steps_per_unit = 10;  // 10 steps an epoch
  const double sigma = 0.016;
  EXPECT_EQ(optim::sigma_at(s, sigma, 0), sigma);  // constant: sigma itself
  EXPECT_EQ(optim::sigma_at(s, sigma, 123), sigma);
  s.kind = SigmaRamp::Linear;
  EXPECT_DOUBLE_EQ(optim::sigma_at(s, sigma, 0), 0.001);
  EXPECT_DOUBLE_EQ(optim::sigma_at(s, sigma, 9), 0.001);         // still epoch 0
  EXPECT_DOUBLE_EQ(optim::sigma_at(s, sigma, 10), 0.001 + 0.015 / 4);
  EXPECT_DOUBLE_EQ(optim::sigma_at(s, sigma, 25), 0.001 + 0.015 / 2);
  EXPECT_DOUBLE_EQ(optim::sigma_at(s, sigma, 40), sigma);
  EXPECT_DOUBLE_EQ(optim::sigma_at(s, sigma, 1000), sigma);      // held after the ramp
  s.kind = SigmaRamp::Exponential;                               // x2 an epoch: 1, 2, 4, 8, 16 (e-3)
  EXPECT_DOUBLE_EQ(optim::sigma_at(s, sigma, 0), 0.001);
  EXPECT_NEAR(optim::sigma_at(s, sigma, 10), 0.002, 1e-15);
  EXPECT_NEAR(optim::sigma_at(s, sigma, 29), 0.004, 1e-15);
  EXPECT_NEAR(optim::sigma_at(s, sigma, 30), 0.008, 1e-15);
  EXPECT_DOUBLE_EQ(optim::sigma_at(s, sigma, 49), sigma);
  s.ramp_units = 1;  // a one-epoch ramp is already at sigma
  EXPECT_EQ(optim::sigma_at(s, sigma, 0), sigma);
  s.start = 0;
  EXPECT_THROW(optim::check_sigma_schedule(s, "t"), Error);  // exponential from 0 never moves
  EXPECT_EQ(optim::parse_sigma_ramp("linear", "t"), SigmaRamp::Linear);
  EXPECT_THROW(optim::parse_sigma_ramp("cosine", "t"), Error);
}

TEST(NsoSigmaSchedule, NsoDrawsWithTheScheduledSigma) {
  const std::int64_t n = 64;
  auto make = [&](optim::SigmaRamp kind) {
    optim::ArenaRef a;
    a.params = Tensor::zeros({n});
    a.grads = Tensor::zeros({n});
    optim::NsoOptions o;
    o.sigma = 0.02;
    o.seed = 5;
    o.schedule.kind = kind;
    o.schedule.start = 0.005;
    o.schedule.ramp_units = 4;
    o.schedule.steps_per_unit = 2;
    return std::make_unique<optim::NSO>(std::make_unique<optim::SGD>(a, optim::SgdOptions{}), o);
  };
  auto constant = make(optim::SigmaRamp::Constant), linear = make(optim::SigmaRamp::Linear);
  for (std::int64_t t : {0, 1, 2, 5, 6, 100}) {
    EXPECT_EQ(constant->noise_spec(t, 0).sigma, 0.02f);  // bitwise today's sigma
    EXPECT_EQ(linear->noise_spec(t, 0).sigma, static_cast<float>(0.005 + (0.02 - 0.005) * (double(std::min<std::int64_t>(t / 2, 3)) / 3.0)));
    EXPECT_EQ(linear->noise_spec(t, 1).stream, constant->noise_spec(t, 1).stream);  // same keys
  }
}

TEST(NsoLambda, RegistryAddsTheCleanPassOnlyWhenLambdaIsPositive) {
  const std::int64_t n = 8;
  auto arena = [&] {
    optim::ArenaRef a;
    a.params = Tensor::zeros({n});
    a.grads = Tensor::zeros({n});
    return a;
  };
  optim::OptimizerSettings s;
  const auto* nso = optim::find_optimizer("nso");
  const auto* wp = optim::find_optimizer("wpsgd");
  ASSERT_TRUE(nso && wp);
  EXPECT_EQ(nso->build(arena(), s)->passes_per_step(), 2);
  EXPECT_EQ(nso->describe(s), "nso (sigma 0.01, k 1, gaussian) on sgd lr 0.01 momentum 0 weight decay 0");
  s.lambda = 0.25;
  EXPECT_EQ(nso->build(arena(), s)->passes_per_step(), 3);
  EXPECT_EQ(wp->build(arena(), s)->passes_per_step(), 2);
  s.sigma_schedule.kind = optim::SigmaRamp::Linear;
  s.sigma_schedule.ramp_units = 3;
  s.noise = Dist::Cauchy;
  EXPECT_EQ(nso->describe(s),
            "nso (sigma 0.01 linear from 0 over 3 epochs, k 1, cauchy, lambda 0.25) on sgd lr 0.01 momentum 0 weight decay 0");
}

TEST(NsoLambda, GradientIsLambdaCleanPlusRestAverage) {
  // f(w) = sum_i w_i^4 / 4: grad = w^3, not linear, so the clean and the perturbed
  // gradients differ and the mix is visible. lr 1, no momentum: W' = W - g.
  const std::int64_t n = 16;
  const double lambda = 0.3;
  std::vector<float> w0(n);
  for (std::int64_t i = 0; i < n; ++i) w0[i] = 0.1f * float(i) - 0.7f;
  optim::ArenaRef a;
  a.params = Tensor::from_vector(w0, {n});
  a.grads = Tensor::zeros({n});
  optim::OptimizerSettings s;
  s.lr = 1.0;
  s.sigma = 0.2;
  s.lambda = lambda;
  s.seed = 9;
  auto opt = optim::find_optimizer("nso")->build(a, s);
  auto* nso = dynamic_cast<optim::NSO*>(opt.get());
  ASSERT_NE(nso, nullptr);
  auto closure = [&](bool) {
    float* w = a.params.data<float>();
    float* g = a.grads.data<float>();
    for (std::int64_t i = 0; i < n; ++i) g[i] += w[i] * w[i] * w[i];
    return 0.0f;
  };
  const NoiseSpec ns = nso->noise_spec(0, 0);
  opt->step(closure);
  for (std::int64_t i = 0; i < n; ++i) {
    const double u = ns.sigma * noise::unit_at(ns.dist, ns.seed, ns.stream, i);
    const double wp = w0[i] + u, wm = w0[i] - u;
    const double g = lambda * std::pow(w0[i], 3) + (1 - lambda) * 0.5 * (wp * wp * wp + wm * wm * wm);
    EXPECT_NEAR(a.params.data<float>()[i], w0[i] - g, 1e-5) << i;
  }
}

TEST(NsoTrainConfig, NewSettingsValidateRoundTripAndResolve) {
  train::TrainConfig c;
  c.optimizer = "nso";
  c.noise = "cauchy";
  c.nso_lambda = 0.5;
  c.sigma_schedule = "exponential";
  c.sigma_start = 0.001;
  c.epochs = 7;
  c.resolve();
  EXPECT_EQ(c.sigma_ramp_epochs, 7);  // fixed at the start: a resume with more epochs keeps it
  const train::TrainConfig back = train::config_from_json(train::to_json(c));
  EXPECT_EQ(back.noise, "cauchy");
  EXPECT_EQ(back.nso_lambda, 0.5);
  EXPECT_EQ(back.sigma_schedule, "exponential");
  EXPECT_EQ(back.sigma_start, 0.001);
  EXPECT_EQ(back.sigma_ramp_epochs, 7);
  EXPECT_TRUE(train::resume_differences(c, back).empty());
  train::TrainConfig other = back;
  other.nso_lambda = 0.25;
  EXPECT_EQ(train::resume_differences(c, other), std::vector<std::string>{"nso_lambda"});

  train::TrainConfig plain;  // defaults: constant, no ramp length recorded
  plain.resolve();
  EXPECT_EQ(plain.sigma_ramp_epochs, 0);
  EXPECT_EQ(plain.nso_lambda, 0.0);

  auto bad = [&](auto edit, const std::string& flag) {
    train::TrainConfig b = c;
    edit(b);
    const std::string e = error_of(b);
    EXPECT_NE(e.find(flag), std::string::npos) << "'" << e << "' should name " << flag;
  };
  bad([](train::TrainConfig& b) { b.nso_lambda = 1.0; }, "--nso-lambda");
  bad([](train::TrainConfig& b) { b.nso_lambda = -0.1; }, "--nso-lambda");
  bad([](train::TrainConfig& b) { b.nso_lambda = NAN; }, "--nso-lambda");
  bad([](train::TrainConfig& b) { b.optimizer = "sam"; }, "--nso-lambda");
  bad([](train::TrainConfig& b) { b.sigma_schedule = "cosine"; }, "--sigma-schedule");
  bad([](train::TrainConfig& b) { b.sigma_start = 0; }, "--sigma-start");
  bad([](train::TrainConfig& b) { b.sigma_start = -1; }, "--sigma-start");
  bad([](train::TrainConfig& b) { b.sigma_ramp_epochs = -2; }, "--sigma-ramp-epochs");
  bad([](train::TrainConfig& b) { b.noise = "lorentz"; }, "noise");
  bad([](train::TrainConfig& b) { b.nso_lambda = 0; b.optimizer = "sgd"; }, "--sigma-schedule");
}

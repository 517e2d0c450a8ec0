// Lanczos eigenvalues, stochastic Lanczos quadrature, Hutch++ and the per-block
// (per-layer) estimators on quadratics W^T A W / 2 with chosen spectra (H = A,
// tests/curvature_test_objectives.h), where every answer is known in closed form.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "curvature/density.h"
#include "curvature/estimators.h"
#include "curvature/hutchpp.h"
#include "curvature/lanczos.h"
#include "curvature/report.h"
#include "curvature/sym_eigen.h"
#include "curvature_test_objectives.h"

using namespace basin;
using namespace basin::curvature;
using namespace curvature_test;

namespace {

// n eigenvalues: `outliers` first, the rest equally spaced in [lo, hi].
std::vector<double> spectrum(const std::vector<double>& outliers, int n, double lo, double hi) {
  std::vector<double> e = outliers;
  const int bulk = n - static_cast<int>(outliers.size());
  for (int i = 0; i < bulk; ++i) e.push_back(bulk > 1 ? lo + (hi - lo) * i / (bulk - 1) : lo);
  return e;
}

double sum_sq(const std::vector<double>& a) {
  double s = 0;
  for (double x : a) s += x * x;
  return s;
}

// A^2 for row-major n x n A.
std::vector<double> square(const std::vector<double>& a, int n) {
  std::vector<double> b(static_cast<std::size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k)
      for (int j = 0; j < n; ++j) b[i * n + j] += a[i * n + k] * a[k * n + j];
  return b;
}

// Variance of v^T A v for Rademacher v: 2 (||A||_F^2 - sum_i A_ii^2).
double rademacher_var(const std::vector<double>& a, int n) {
  double diag = 0;
  for (int i = 0; i < n; ++i) diag += a[i * n + i] * a[i * n + i];
  return 2.0 * (sum_sq(a) - diag);
}

double block_trace(const std::vector<double>& a, int n, int off, int len) {
  double t = 0;
  for (int i = off; i < off + len; ++i) t += a[i * n + i];
  return t;
}

void mean_var(const std::vector<double>& xs, double* m, double* v) {
  double s = 0, ss = 0;
  for (double x : xs) s += x;
  *m = s / xs.size();
  for (double x : xs) ss += (x - *m) * (x - *m);
  *v = ss / (xs.size() - 1);
}

}  // namespace

TEST(SymEigen, TridiagonalMatchesClosedFormAndJacobi) {
  // tridiag(-1, 2, -1) of order n: eigenvalues 2 - 2 cos(k pi / (n + 1)).
  const int n = 12;
  SymEigen t = tridiagonal_eigen(std::vector<double>(n, 2.0), std::vector<double>(n - 1, -1.0));
  for (int k = 0; k < n; ++k) EXPECT_NEAR(t.values[k], 2 - 2 * std::cos((k + 1) * std::acos(-1.0) / (n + 1)), 1e-12);
  // Jacobi on a rotated spectrum with a repeated and a negative eigenvalue.
  const std::vector<double> eigs = {3, 3, 1, 0, -2, 0.5, 7};
  const int m = static_cast<int>(eigs.size());
  const std::vector<double> a = make_spd(eigs, 3);
  SymEigen s = symmetric_eigen(a, m);
  std::vector<double> want = eigs;
  std::sort(want.begin(), want.end());
  for (int k = 0; k < m; ++k) EXPECT_NEAR(s.values[k], want[k], 1e-10);
  // A v_k = lambda_k v_k and V^T V = I.
  for (int k = 0; k < m; ++k)
    for (int i = 0; i < m; ++i) {
      double av = 0;
      for (int j = 0; j < m; ++j) av += a[i * m + j] * s.vec(j, k);
      EXPECT_NEAR(av, s.values[k] * s.vec(i, k), 1e-10);
      double g = 0;
      for (int j = 0; j < m; ++j) g += s.vec(j, k) * s.vec(j, i);
      EXPECT_NEAR(g, i == k ? 1.0 : 0.0, 1e-10);
    }
}

TEST(Lanczos, TopKAndMinMatchAKnownIndefiniteSpectrum) {
  const int n = 200;
  const std::vector<double> eigs = spectrum({10, 8, 6, 5, 4.5, -7}, n, -1.0, 1.0);
  Quadratic q{n, make_spd(eigs, 11)};
  Objective f = q.objective(random_vec(n, 12));
  const std::vector<float> before = f.params.to_vector();
  EigenOptions o;
  o.top_k = 5;
  o.max_steps = 60;
  o.tol = 1e-5;
  EigenResult r = hessian_eigenvalues(f, o);
  ASSERT_EQ(r.top.size(), 5u);
  // The HVP of a quadratic is exact up to float32 rounding of the gradients
  // (~1e-6 relative): the Ritz values of separated outliers converge to that.
  const double want[] = {10, 8, 6, 5, 4.5};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(r.top[i], want[i], 1e-3) << i;
  EXPECT_NEAR(r.min, -7.0, 1e-3);
  EXPECT_TRUE(r.converged);
  EXPECT_LT(r.steps, 60);  // stopped on the residual bound, not the cap
  EXPECT_EQ(f.params.to_vector(), before);
}

TEST(Lanczos, ExactOnceTheKrylovSpaceIsInvariant) {
  // n = 6 < steps: the Krylov space fills R^6 and every eigenvalue is found.
  const std::vector<double> eigs = {4, -3, 2, 1, -0.5, 0.25};
  Quadratic q{6, make_spd(eigs, 13)};
  Objective f = q.objective(random_vec(6, 14));
  EigenOptions o;
  o.top_k = 6;
  o.max_steps = 20;
  EigenResult r = hessian_eigenvalues(f, o);
  std::vector<double> want = eigs;
  std::sort(want.rbegin(), want.rend());
  ASSERT_EQ(r.top.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(r.top[i], want[i], 1e-4);
  EXPECT_LE(r.steps, 7);
  EXPECT_TRUE(r.converged);
}

// The failure mode: lambda_max = 5 and lambda_min = -4.9. Power iteration's
// iterate swings between the two eigenvectors and its Rayleigh quotient can sit
// still near -4.9 long enough for the rule |lambda_k - lambda_{k-1}| <= tol |lambda_k|
// to declare convergence there. Lanczos (what hessian_report uses now) finds both.
TEST(Lanczos, NegativeEigenvalueOfSimilarMagnitudeNoLongerFoolsTheTopEigenvalue) {
  const int n = 100;
  Quadratic q{n, make_spd(spectrum({5.0, -4.9}, n, -1.0, 2.0), 15)};
  Objective f = q.objective(random_vec(n, 16));
  int fooled = 0;
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    PowerOptions po;
    po.seed = seed;
    PowerResult p = top_eigenvalue(f, po);
    if (p.converged && std::fabs(p.eigenvalue - 5.0) > 0.1) ++fooled;  // declared done >= 2% off (-4.74, 4.88, ...)
    HessianOptions ho;
    ho.trace_samples = 1;
    ho.lanczos_steps = 40;
    ho.seed = seed;
    HessianReport r = hessian_report(f, ho);
    EXPECT_NEAR(r.top_eigenvalue, 5.0, 1e-3) << "seed " << seed;
    EXPECT_NEAR(r.min_eigenvalue, -4.9, 1e-3) << "seed " << seed;
  }
  EXPECT_GE(fooled, 1) << "the old power iteration no longer shows the failure this test guards against";
}

TEST(Lanczos, BlockEigenvaluesAreThoseOfTheDiagonalBlock) {
  const int n = 40;
  const std::vector<double> a = make_spd(spectrum({6, -3}, n, 0.0, 2.0), 17);
  Quadratic q{n, a};
  Objective f = q.objective(random_vec(n, 18));
  const ParamBlock b{"b", 10, 15};
  std::vector<double> sub;
  for (int i = 10; i < 25; ++i)
    for (int j = 10; j < 25; ++j) sub.push_back(a[i * n + j]);
  SymEigen want = symmetric_eigen(sub, 15);
  EigenOptions o;
  o.max_steps = 30;
  EigenResult r = block_eigenvalues(f, b, o);
  EXPECT_NEAR(r.top[0], want.values.back(), 1e-4);
  EXPECT_NEAR(r.min, want.values.front(), 1e-4);
}

// SLQ: the density integrates to 1 and its moments are Hutchinson estimates.
// sum_i tau_i theta_i = v^T A v / n and sum_i tau_i theta_i^2 = v^T A^2 v / n
// exactly (Gauss quadrature with m >= 2 nodes is exact to degree 3), so the only
// error is Hutchinson's: for Rademacher v, Var(v^T B v) = 2 (||B||_F^2 -
// sum_i B_ii^2); the mean over `runs` starts is within 5 of its standard
// deviations (a 6e-7 two-sided Gaussian tail), plus float32 slack.
TEST(Slq, DensityIntegratesToOneAndMatchesTheMoments) {
  const int n = 120;
  const std::vector<double> eigs = spectrum({9, 7, -4}, n, -0.5, 1.5);
  const std::vector<double> a = make_spd(eigs, 19);
  Quadratic q{n, a};
  Objective f = q.objective(random_vec(n, 20));
  DensityOptions o;
  o.runs = 8;
  o.steps = 25;
  SpectralDensity d = spectral_density(f, o);
  EXPECT_EQ(d.steps, 8 * 25);
  double w = 0, m1 = 0, m2 = 0;
  for (std::size_t i = 0; i < d.nodes.size(); ++i) {
    w += d.weights[i];
    m1 += d.weights[i] * d.nodes[i];
    m2 += d.weights[i] * d.nodes[i] * d.nodes[i];
  }
  EXPECT_NEAR(w, 1.0, 1e-9);
  const std::vector<double> a2 = square(a, n);
  const double tr = q.trace(), tr2 = sum_sq(a);
  const double sd1 = std::sqrt(rademacher_var(a, n) / o.runs) / n;
  const double sd2 = std::sqrt(rademacher_var(a2, n) / o.runs) / n;
  EXPECT_NEAR(m1, tr / n, 5 * sd1 + 1e-4);
  EXPECT_NEAR(m2, tr2 / n, 5 * sd2 + 1e-3);
  // The extreme eigenvalues appear as nodes (Ritz values converge at the ends).
  EXPECT_NEAR(*std::max_element(d.nodes.begin(), d.nodes.end()), 9.0, 1e-3);
  EXPECT_NEAR(*std::min_element(d.nodes.begin(), d.nodes.end()), -4.0, 1e-3);
  // The grid: trapezoid integrals of the broadened density. The grid spans the
  // nodes +- 5 sigma (lost mass < 6e-7) with spacing ~0.11 sigma, where the
  // trapezoid rule on Gaussians is accurate far beyond 1e-6.
  DensityGrid g = density_grid(d, 1000, 0.01);
  double gi = 0, g1 = 0, g2 = 0;
  for (std::size_t i = 1; i < g.x.size(); ++i) {
    const double h = g.x[i] - g.x[i - 1];
    auto trap = [&](double p) {
      return 0.5 * h * (std::pow(g.x[i], p) * g.density[i] + std::pow(g.x[i - 1], p) * g.density[i - 1]);
    };
    gi += trap(0);
    g1 += trap(1);
    g2 += trap(2);
  }
  EXPECT_NEAR(gi, 1.0, 1e-5);
  EXPECT_NEAR(g1, m1, 1e-4);
  EXPECT_NEAR(g2, m2 + g.sigma * g.sigma, 1e-3);  // broadening adds sigma^2
  const std::string csv = density_csv(g);
  EXPECT_EQ(csv.rfind("eigenvalue,density\n", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1001);
}

TEST(HutchPP, ExactWhenTheRankIsWithinTheSketch) {
  // Rank 4 < k = 10: Q spans range(A), the deflated rest is 0, so the trace and
  // every block trace are exact (up to float32).
  const int n = 60;
  std::vector<double> eigs(n, 0.0);
  eigs[0] = 10, eigs[1] = -3, eigs[2] = 2, eigs[3] = 1;
  const std::vector<double> a = make_spd(eigs, 21);
  Quadratic q{n, a};
  Objective f = q.objective(random_vec(n, 22));
  f.blocks = {{"a", 0, 25}, {"b", 25, 35}};
  TraceOptions o;
  o.samples = 30;
  TraceResult r = hutchpp_trace(f, o);
  EXPECT_NEAR(r.trace, 10.0, 1e-3);
  EXPECT_LT(r.stderr_, 1e-3);
  ASSERT_EQ(r.blocks.size(), 2u);
  EXPECT_NEAR(r.blocks[0].trace, block_trace(a, n, 0, 25), 1e-3);
  EXPECT_NEAR(r.blocks[1].trace, block_trace(a, n, 25, 35), 1e-3);
}

// On a spectrum dominated by a few outliers, Hutch++ at the same HVP count has
// far lower variance. 60 seeds each; the expected variance ratio here is ~ 300
// (Hutchinson: 2 ||A||_F^2 / 30 with ||A||_F^2 ~ 5e4; Hutch++: the deflated
// bulk, ||.||_F^2 ~ 40, over 10 samples). Asserting only a factor 20 leaves room
// for the sample variances' spread: the ratio of two 59-degree-of-freedom sample
// variances falls below 1/15 of its mean with probability far below 1e-9.
TEST(HutchPP, LowerVarianceThanHutchinsonAtEqualHvps) {
  const int n = 100;
  const std::vector<double> a = make_spd(spectrum({100, 90, 80, 70, 60}, n, 0.1, 1.0), 23);
  Quadratic q{n, a};
  Objective f = q.objective(random_vec(n, 24));
  f.blocks = {{"a", 0, 40}, {"b", 40, 60}};
  const int budget = 30, seeds = 60;
  std::vector<double> hutch, hpp, hpp_a, hpp_b;
  for (int s = 0; s < seeds; ++s) {
    TraceOptions o;
    o.samples = budget;
    o.seed = 1000 + s;
    hutch.push_back(hutchinson_trace(f, o).trace);
    TraceResult r = hutchpp_trace(f, o);
    hpp.push_back(r.trace);
    hpp_a.push_back(r.blocks[0].trace);
    hpp_b.push_back(r.blocks[1].trace);
    EXPECT_NEAR(r.blocks[0].trace + r.blocks[1].trace, r.trace, 1e-6 * std::fabs(r.trace));
  }
  double m_h, v_h, m_p, v_p, m_a, v_a, m_b, v_b;
  mean_var(hutch, &m_h, &v_h);
  mean_var(hpp, &m_p, &v_p);
  mean_var(hpp_a, &m_a, &v_a);
  mean_var(hpp_b, &m_b, &v_b);
  EXPECT_LT(v_p, v_h / 20) << "Hutchinson var " << v_h << ", Hutch++ var " << v_p;
  // Both unbiased: the seed means within 5 standard errors of the truth.
  const double tr = q.trace();
  EXPECT_NEAR(m_h, tr, 5 * std::sqrt(v_h / seeds) + 1e-3 * tr);
  EXPECT_NEAR(m_p, tr, 5 * std::sqrt(v_p / seeds) + 1e-4 * tr);
  EXPECT_NEAR(m_a, block_trace(a, n, 0, 40), 5 * std::sqrt(v_a / seeds) + 1e-4 * tr);
  EXPECT_NEAR(m_b, block_trace(a, n, 40, 60), 5 * std::sqrt(v_b / seeds) + 1e-4 * tr);
}

TEST(HutchPP, ReportOptionsAndBadInputs) {
  const int n = 30;
  Quadratic q{n, make_spd(spectrum({4, -2}, n, 0.0, 1.0), 25)};
  Objective f = q.objective(random_vec(n, 26));
  f.blocks = {{"x", 0, 10}, {"y", 10, 20}};
  HessianOptions o;
  o.trace_samples = 12;
  o.trace_estimator = parse_trace_estimator("hutchpp");
  o.lanczos_steps = 30;
  o.top_k = 2;
  o.per_layer_eigen = true;
  o.density_runs = 2;
  o.density_steps = 10;
  HessianReport r = hessian_report(f, o);
  auto j = to_json(r);
  EXPECT_EQ(j["trace_estimator"], "hutchpp");
  EXPECT_NEAR(j["top_eigenvalues"][0].get<double>(), 4.0, 1e-3);
  EXPECT_NEAR(j["min_eigenvalue"].get<double>(), -2.0, 1e-3);
  ASSERT_EQ(j["per_layer"].size(), 2u);
  EXPECT_TRUE(j["per_layer"][0].contains("top_eigenvalue"));
  EXPECT_EQ(j["density_runs"], 2);
  EXPECT_NE(format_table(r).find("top eigenvalue"), std::string::npos);
  EXPECT_THROW(parse_trace_estimator("bogus"), Error);
  TraceOptions t;
  t.samples = 2;
  EXPECT_THROW(hutchpp_trace(f, t), Error);
}

// Same Philox vectors on both devices: Lanczos, Hutch++ and SLQ agree to float32.
TEST(Lanczos, CudaMatchesCpu) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device: CUDA Lanczos/Hutch++ path not exercised";
  const int n = 50;
  Quadratic q{n, make_spd(spectrum({6, -4}, n, 0.0, 2.0), 31)};
  auto w = random_vec(n, 32);
  Objective fc = q.objective(w), fg = q.objective(w, Device::cuda());
  fc.blocks = fg.blocks = {{"a", 0, 20}, {"b", 20, 30}};
  EigenOptions eo;
  eo.top_k = 2;
  eo.max_steps = 30;
  EigenResult ec = hessian_eigenvalues(fc, eo), eg = hessian_eigenvalues(fg, eo);
  ASSERT_EQ(eg.top.size(), 2u);
  EXPECT_NEAR(eg.top[0], ec.top[0], 1e-3);
  EXPECT_NEAR(eg.top[1], ec.top[1], 1e-3);
  EXPECT_NEAR(eg.min, ec.min, 1e-3);
  EXPECT_NEAR(block_eigenvalues(fg, fg.blocks[1], eo).top[0], block_eigenvalues(fc, fc.blocks[1], eo).top[0], 1e-3);
  TraceOptions to;
  to.samples = 12;
  TraceResult tc = hutchpp_trace(fc, to), tg = hutchpp_trace(fg, to);
  EXPECT_NEAR(tg.trace, tc.trace, 1e-3 * std::fabs(tc.trace) + 1e-3);
  DensityOptions d;
  d.runs = 2;
  d.steps = 10;
  SpectralDensity dc = spectral_density(fc, d), dg = spectral_density(fg, d);
  ASSERT_EQ(dc.nodes.size(), dg.nodes.size());
  for (std::size_t i = 0; i < dc.nodes.size(); ++i) EXPECT_NEAR(dg.nodes[i], dc.nodes[i], 1e-3);
}

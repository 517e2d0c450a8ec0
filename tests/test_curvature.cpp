// Curvature estimators on objectives with closed-form Hessians: a quadratic
// W^T A W / 2 (H = A exactly) and a separable quartic sum c_i w_i^4 / 4
// (H = diag(3 c_i w_i^2), gap known to the sigma^4 term); the objectives are in
// tests/curvature_test_objectives.h.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "curvature/estimators.h"
#include "curvature/report.h"
#include "curvature/vec.h"
#include "kernels/fill_copy.h"
#include "curvature_test_objectives.h"

using namespace basin;
using namespace basin::curvature;

using namespace curvature_test;

TEST(Curvature, HvpOfQuadraticIsAv) {
  const int n = 40;
  Quadratic q{n, make_spd(linspace_eigs(n, 10.0, 0.1), 1)};
  auto w = random_vec(n, 2);
  Objective f = q.objective(w);
  auto v = random_vec(n, 3);
  Tensor hv = hvp(f, params_from(v, Device::cpu()));
  EXPECT_LT(rel_err(read(hv), q.mv(v)), 1e-3);
}

TEST(Curvature, EstimatorsRestoreParametersBitForBit) {
  const int n = 30;
  Quadratic q{n, make_spd(linspace_eigs(n, 5.0, 0.5), 4)};
  Objective f = q.objective(random_vec(n, 5));
  const std::vector<float> before = f.params.to_vector();
  hvp(f, params_from(random_vec(n, 6), Device::cpu()));
  EXPECT_EQ(f.params.to_vector(), before);
  hutchinson_trace(f, {3, 1, {}});
  EXPECT_EQ(f.params.to_vector(), before);
  top_eigenvalue(f, {5, 1e-3, 1, {}});
  EXPECT_EQ(f.params.to_vector(), before);
  GapOptions go;
  go.samples = 3;
  perturbation_gap(f, go);
  EXPECT_EQ(f.params.to_vector(), before);
}

TEST(Curvature, RestoresParametersWhenTheObjectiveThrows) {
  Quadratic q{4, make_spd({4, 3, 2, 1}, 7)};
  Objective f = q.objective({1, 2, 3, 4});
  const std::vector<float> before = f.params.to_vector();
  f.loss_and_grad = [](Tensor&) -> float { throw Error("boom"); };
  EXPECT_THROW(hvp(f, params_from({1, 1, 1, 1}, Device::cpu())), Error);
  EXPECT_EQ(f.params.to_vector(), before);
}

TEST(Curvature, HutchinsonIsExactForDiagonalHessian) {
  // Rademacher v: v^T D v = tr(D) for every v, so the estimate is exact with zero spread.
  const int n = 50;
  Quadratic q{n, std::vector<double>(n * n, 0.0)};
  for (int i = 0; i < n; ++i) q.a[i * n + i] = 0.5 + 0.1 * i;
  Objective f = q.objective(random_vec(n, 8));
  TraceResult t = hutchinson_trace(f, {8, 3, {}});
  EXPECT_NEAR(t.trace, q.trace(), 1e-3 * q.trace());
  EXPECT_LT(t.stderr_, 1e-3 * q.trace());
}

TEST(Curvature, HutchinsonTraceWithinStandardErrors) {
  const int n = 60;
  Quadratic q{n, make_spd(linspace_eigs(n, 6.0, -1.0), 9)};  // indefinite on purpose
  Objective f = q.objective(random_vec(n, 10));
  TraceResult t = hutchinson_trace(f, {200, 11, {}});
  ASSERT_GT(t.stderr_, 0.0);
  EXPECT_NEAR(t.trace, q.trace(), 4 * t.stderr_);
  // Var(v^T A v) = 2 sum_{i != j} A_ij^2 for Rademacher v: the reported stderr must match it.
  double off = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j) off += q.a[i * n + j] * q.a[i * n + j];
  const double want_se = std::sqrt(2 * off / 200);
  EXPECT_NEAR(t.stderr_, want_se, 0.25 * want_se);
}

TEST(Curvature, BlockTracesSumToTotalAndMatchDiagonalBlocks) {
  const int n = 30;
  Quadratic q{n, make_spd(linspace_eigs(n, 4.0, 0.2), 12)};
  Objective f = q.objective(random_vec(n, 13));
  f.blocks = {{"a", 0, 10}, {"b", 10, 5}, {"c", 15, 15}};
  TraceResult t = hutchinson_trace(f, {300, 14, {}});
  ASSERT_EQ(t.blocks.size(), 3u);
  double sum = 0;
  for (std::size_t b = 0; b < 3; ++b) {
    const auto& blk = f.blocks[b];
    double want = 0;
    for (std::int64_t i = blk.offset; i < blk.offset + blk.numel; ++i) want += q.a[i * n + i];
    EXPECT_EQ(t.blocks[b].name, blk.name);
    EXPECT_EQ(t.blocks[b].numel, blk.numel);
    EXPECT_NEAR(t.blocks[b].trace, want, 4 * t.blocks[b].stderr_ + 1e-6) << blk.name;
    sum += t.blocks[b].trace;
  }
  EXPECT_NEAR(sum, t.trace, 1e-6 * std::fabs(t.trace) + 1e-5);
}

TEST(Curvature, PowerIterationFindsTopEigenvalue) {
  const int n = 40;
  auto eigs = linspace_eigs(n, 3.0, 0.1);
  eigs[0] = 12.0;
  eigs[1] = 6.0;
  Quadratic q{n, make_spd(eigs, 15)};
  Objective f = q.objective(random_vec(n, 16));
  PowerOptions po;
  po.max_iters = 200;
  po.tol = 1e-7;
  PowerResult r = top_eigenvalue(f, po);
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.eigenvalue, 12.0, 12.0 * 1e-3);
  EXPECT_LT(r.iters, 60);
  // The cap is honoured and reported.
  po.max_iters = 2;
  r = top_eigenvalue(f, po);
  EXPECT_EQ(r.iters, 2);
  EXPECT_FALSE(r.converged);
}

TEST(Curvature, PerturbationGapOfQuadraticIsHalfSigmaSquaredTrace) {
  const int n = 50;
  Quadratic q{n, make_spd(linspace_eigs(n, 8.0, 0.5), 17)};
  Objective f = q.objective(random_vec(n, 18));  // not a minimum: first-order term present
  GapOptions go;
  go.sigma = 0.1;
  go.samples = 400;
  GapResult anti = perturbation_gap(f, go);
  const double want = 0.5 * go.sigma * go.sigma * q.trace();
  EXPECT_NEAR(anti.gap, want, 4 * anti.stderr_);
  go.antithetic = false;
  GapResult one = perturbation_gap(f, go);
  EXPECT_NEAR(one.gap, want, 4 * one.stderr_);
  // Antithetic pairs cancel U^T grad per sample: much smaller spread away from a minimum.
  EXPECT_LT(anti.stderr_, 0.5 * one.stderr_);
}

TEST(Curvature, QuarticHvpTraceAndGapMatchClosedForms) {
  const int n = 40;
  Quartic qt;
  qt.c = random_vec(n, 19);
  for (double& c : qt.c) c = 1.0 + std::fabs(c);
  std::vector<double> w = random_vec(n, 20);
  Objective f = qt.objective(w);
  // H = diag(3 c w^2)
  std::vector<double> v = random_vec(n, 21), want_hv(n);
  double tr = 0;
  for (int i = 0; i < n; ++i) {
    want_hv[i] = 3 * qt.c[i] * w[i] * w[i] * v[i];
    tr += 3 * qt.c[i] * w[i] * w[i];
  }
  EXPECT_LT(rel_err(read(hvp(f, params_from(v, Device::cpu()))), want_hv), 1e-3);
  TraceResult t = hutchinson_trace(f, {4, 22, {}});
  EXPECT_NEAR(t.trace, tr, 1e-3 * tr);
  // E[(w+u)^4 - w^4] = 6 w^2 s^2 + 3 s^4: the gap is (s^2/2) tr(H) plus a fourth-order term.
  GapOptions go;
  go.sigma = 0.8;
  go.samples = 400;
  GapResult g = perturbation_gap(f, go);
  double s2 = go.sigma * go.sigma, fourth = 0;
  for (int i = 0; i < n; ++i) fourth += 0.25 * qt.c[i] * 3 * s2 * s2;
  EXPECT_NEAR(g.gap, 0.5 * s2 * tr + fourth, 4 * g.stderr_);
  EXPECT_GT(std::fabs(g.gap - 0.5 * s2 * tr), 4 * g.stderr_);  // the sigma^4 term is visible
}

TEST(Curvature, SameSeedSameResults) {
  const int n = 20;
  Quadratic q{n, make_spd(linspace_eigs(n, 3.0, 0.3), 23)};
  Objective f = q.objective(random_vec(n, 24));
  TraceResult a = hutchinson_trace(f, {5, 7, {}}), b = hutchinson_trace(f, {5, 7, {}}),
              c = hutchinson_trace(f, {5, 8, {}});
  EXPECT_EQ(a.values, b.values);
  EXPECT_NE(a.values, c.values);
}

TEST(Curvature, PatternHooksWrapEachEstimatorOnce) {
  Quadratic q{6, make_spd({6, 5, 4, 3, 2, 1}, 25)};
  Objective f = q.objective({1, 1, 1, 1, 1, 1});
  int frozen = 0, released = 0;
  f.freeze_pattern = [&] { ++frozen; };
  f.release_pattern = [&] { ++released; };
  hutchinson_trace(f, {5, 1, {}});
  EXPECT_EQ(frozen, 1);
  EXPECT_EQ(released, 1);
  HvpOptions off;
  off.freeze_pattern = false;
  hvp(f, params_from({1, 0, 0, 0, 0, 0}, Device::cpu()), off);
  EXPECT_EQ(frozen, 1);
}

TEST(Curvature, BadInputsAreErrors) {
  Quadratic q{4, make_spd({4, 3, 2, 1}, 26)};
  Objective f = q.objective({1, 2, 3, 4});
  EXPECT_THROW(hvp(f, Tensor::zeros({4})), Error);  // zero direction
  EXPECT_THROW(hvp(f, Tensor::ones({5})), Error);   // wrong length
  EXPECT_THROW(hutchinson_trace(f, {0, 1, {}}), Error);
  GapOptions go;
  go.sigma = -1;
  EXPECT_THROW(perturbation_gap(f, go), Error);
  f.blocks = {{"x", 2, 5}};
  EXPECT_THROW(hutchinson_trace(f, {2, 1, {}}), Error);
  Objective empty;
  EXPECT_THROW(hvp(empty, Tensor::ones({4})), Error);
}

TEST(Curvature, ReportJsonCarriesEveryField) {
  const int n = 20;
  auto eigs = linspace_eigs(n, 2.0, 0.5);
  eigs[0] = 5.0;
  Quadratic q{n, make_spd(eigs, 27)};
  Objective f = q.objective(random_vec(n, 28));
  f.blocks = {{"first", 0, 8}, {"rest", 8, 12}};
  HessianOptions o;
  o.trace_samples = 20;
  o.lanczos_steps = 50;
  o.top_k = 3;
  o.sigmas = {0.05, 0.1};
  o.gap_samples = 20;
  HessianReport r = hessian_report(f, o);
  auto j = to_json(r);
  for (const char* k : {"trace", "trace_stderr", "trace_estimator", "top_eigenvalue", "top_eigenvalues",
                        "min_eigenvalue", "lanczos_steps", "eigen_converged", "perturbation_gap", "predicted_gap",
                        "per_layer", "power_iters"})
    EXPECT_TRUE(j.contains(k)) << k;
  ASSERT_EQ(j["top_eigenvalues"].size(), 3u);
  EXPECT_NEAR(j["top_eigenvalues"][1].get<double>(), eigs[1], 1e-3);
  EXPECT_NEAR(j["min_eigenvalue"].get<double>(), 0.5, 1e-3);
  EXPECT_EQ(j["per_layer"].size(), 2u);
  EXPECT_EQ(j["gaps"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["predicted_gap"].get<double>(), 0.5 * 0.05 * 0.05 * r.trace);
  EXPECT_NEAR(r.top_eigenvalue, 5.0, 0.05);
  EXPECT_NE(format_table(r).find("per-layer trace"), std::string::npos);
}

TEST(Curvature, CudaMatchesCpu) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device: CUDA curvature path not exercised";
  const int n = 40;
  Quadratic q{n, make_spd(linspace_eigs(n, 9.0, 0.2), 29)};
  auto w = random_vec(n, 30);
  Objective fc = q.objective(w), fg = q.objective(w, Device::cuda());
  TraceResult tc = hutchinson_trace(fc, {10, 31, {}}), tg = hutchinson_trace(fg, {10, 31, {}});
  ASSERT_EQ(tc.values.size(), tg.values.size());
  for (std::size_t i = 0; i < tc.values.size(); ++i) EXPECT_NEAR(tc.values[i], tg.values[i], 1e-3 * std::fabs(tc.values[i]) + 1e-4);
  GapOptions go;
  go.samples = 10;
  go.sigma = 0.1;
  EXPECT_NEAR(perturbation_gap(fc, go).gap, perturbation_gap(fg, go).gap, 1e-4);
}

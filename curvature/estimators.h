#pragma once
// The curvature estimators built on hvp(): Hutchinson trace (total and per
// block), top eigenvalue by power iteration, and the perturbation gap
// E_U[L(W + U)] - L(W) that NSO's objective approximates by (sigma^2/2) tr(H).
// Every random vector comes from kernels::random_fill (Philox, through
// random_direction in curvature/vec.h: zero on arena padding) keyed by
// (seed, sample index), so a result is a pure function of (W, data, options).
#include <cstdint>
#include <string>
#include <vector>

#include "curvature/hvp.h"

namespace basin::curvature {

// ---- Hutchinson trace -----------------------------------------------------------
struct TraceOptions {
  int samples = 100;          // Rademacher vectors (one HVP = two gradients each)
  std::uint64_t seed = 1234;  // stream i = sample i
  HvpOptions hvp;
};
struct BlockTrace {
  std::string name;
  std::int64_t numel = 0;
  double trace = 0, stderr_ = 0;
};
struct TraceResult {
  double trace = 0;
  double stderr_ = 0;  // sample standard deviation / sqrt(samples); 0 with one sample
  int samples = 0;
  std::vector<double> values;     // v_i^T H v_i, one per sample
  std::vector<BlockTrace> blocks;  // per Objective::blocks (block sums of v (.) Hv)
};
// E[v^T H v] = tr(H) for Rademacher v. The block traces use the SAME vectors:
// the block b part of v (.) Hv has expectation tr(H_bb) (the off-block terms of
// H v have zero mean against v_b), so the per-block traces cost nothing extra and
// sum to the total; their variance includes the off-block terms.
TraceResult hutchinson_trace(Objective& f, const TraceOptions& options = {});

// ---- top eigenvalue ------------------------------------------------------------
struct PowerOptions {
  int max_iters = 100;
  double tol = 1e-3;  // stop when |lambda_k - lambda_{k-1}| <= tol * |lambda_k|
  std::uint64_t seed = 4321;
  HvpOptions hvp;
};
struct PowerResult {
  double eigenvalue = 0;  // Rayleigh quotient v^T H v of the last unit vector
  int iters = 0;
  bool converged = false;
  double residual = 0;  // |H v - lambda v| / |lambda| at the end
};
// Power iteration finds the eigenvalue of largest MAGNITUDE; at a minimum (H
// positive semidefinite up to noise) that is the largest eigenvalue.
PowerResult top_eigenvalue(Objective& f, const PowerOptions& options = {});

// ---- perturbation gap --------------------------------------------------------------
struct GapOptions {
  double sigma = 0.01;
  int samples = 100;
  std::uint64_t seed = 999;
  // Average L(W + U) and L(W - U) for each U: same expectation (U is symmetric),
  // but the odd Taylor terms (U^T g, third order) cancel per sample, which cuts
  // the variance sharply away from an exact minimum (NSO's two-point idea).
  bool antithetic = true;
  // Evaluate L(W +- U) with the objective's activation pattern pinned to the one
  // at W (Objective::freeze_pattern): the gap of the network linearized in its
  // ReLUs, whose Taylor expansion at W has exactly the frozen Hessian. The
  // difference to the unfrozen gap is what kink crossings add (docs/curvature.md).
  bool freeze_pattern = false;
};
struct GapResult {
  double sigma = 0;
  double base_loss = 0;
  double gap = 0;  // mean of the samples
  double stderr_ = 0;
  int samples = 0;
  std::vector<double> values;
};
// Samples of L(W + U) - L(W) (or ((L(W+U) + L(W-U))/2 - L(W)), U ~ N(0, sigma^2 I).
GapResult perturbation_gap(Objective& f, const GapOptions& options = {});

// mean and standard error of the mean of `xs`.
void mean_stderr(const std::vector<double>& xs, double* mean, double* stderr_);
// Each block's samples (vals[b], one per probe vector) as its mean trace and
// standard error (Hutchinson and Hutch++ share it).
std::vector<BlockTrace> block_traces(const std::vector<ParamBlock>& blocks, const std::vector<std::vector<double>>& vals);

}  // namespace basin::curvature

#pragma once
// One call that runs every curvature measurement on an objective and returns a
// report: what `basin hessian` prints and what `basin train --hessian-every N`
// logs. JSON keys are stable (tools and plots read them).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "curvature/density.h"
#include "curvature/estimators.h"

namespace basin::curvature {

enum class TraceEstimator { Hutchinson, HutchPP };
// "hutchinson" | "hutchpp" (throws basin::Error naming the choices otherwise).
TraceEstimator parse_trace_estimator(const std::string& name);
const char* trace_estimator_name(TraceEstimator e);

struct HessianOptions {
  int trace_samples = 100;  // HVPs of the trace estimator (Hutch++: its whole budget, >= 3)
  TraceEstimator trace_estimator = TraceEstimator::Hutchinson;
  // Eigenvalues by Lanczos (curvature/lanczos.h): step cap (0 skips them), how
  // many of the largest to report, and the residual tolerance for stopping early.
  int lanczos_steps = 20;
  int top_k = 1;
  double eigen_tol = 1e-3;
  bool per_layer_eigen = false;  // also the top eigenvalue of each block's diagonal block
  int density_runs = 0;          // stochastic Lanczos quadrature runs (0: no density)
  int density_steps = 30;
  std::vector<double> sigmas;  // perturbation gaps to measure (empty: none)
  int gap_samples = 100;
  bool antithetic = true;
  bool gap_freeze_pattern = false;  // GapOptions::freeze_pattern
  std::uint64_t seed = 1234;
  HvpOptions hvp;
};

struct GapRow {
  double sigma = 0, gap = 0, gap_stderr = 0, predicted = 0;  // predicted = sigma^2/2 * trace
  double ratio() const { return predicted != 0 ? gap / predicted : 0.0; }
};

struct LayerEigen {
  double top = 0;  // top eigenvalue of the block's diagonal block of H
  int steps = 0;
  bool converged = false;
};

struct HessianReport {
  std::int64_t num_params = 0;
  double loss = 0;
  double trace = 0, trace_stderr = 0;
  int trace_samples = 0;
  TraceEstimator trace_estimator = TraceEstimator::Hutchinson;
  double top_eigenvalue = 0;            // top_eigenvalues[0] (0 when lanczos_steps is 0)
  std::vector<double> top_eigenvalues;  // largest first
  double min_eigenvalue = 0;
  int lanczos_steps = 0;                // HVPs spent on the eigenvalues
  bool eigen_converged = false;
  std::vector<BlockTrace> per_layer;
  std::vector<LayerEigen> per_layer_eigen;  // empty unless per_layer_eigen; else one per per_layer entry
  bool has_density = false;
  SpectralDensity density;
  std::vector<GapRow> gaps;
  double seconds = 0;
};

HessianReport hessian_report(Objective& f, const HessianOptions& options);

// {"trace", "trace_stderr", "trace_estimator", "top_eigenvalue", "top_eigenvalues",
//  "min_eigenvalue", "lanczos_steps", "eigen_converged", "perturbation_gap",
//  "predicted_gap", "per_layer": [{"name", "numel", "trace", "trace_stderr"
//  [, "top_eigenvalue"]}], "gaps": [...], ...}. perturbation_gap / predicted_gap
// are those of the first sigma (null without one). "power_iters" and
// "power_converged" repeat lanczos_steps and eigen_converged for readers of the
// JSON from before Lanczos replaced power iteration.
nlohmann::json to_json(const HessianReport& r);
// A fixed-width table for people.
std::string format_table(const HessianReport& r);

}  // namespace basin::curvature

#pragma once
// One call that runs every curvature measurement on an objective and returns a
// report: what `basin hessian` prints and what `basin train --hessian-every N`
// logs. JSON keys are stable (tools and plots read them).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "curvature/estimators.h"

namespace basin::curvature {

struct HessianOptions {
  int trace_samples = 100;
  int power_iters = 20;  // 0 skips the eigenvalue
  double power_tol = 1e-3;
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

struct HessianReport {
  std::int64_t num_params = 0;
  double loss = 0;
  double trace = 0, trace_stderr = 0;
  int trace_samples = 0;
  double top_eigenvalue = 0;
  int power_iters = 0;
  bool power_converged = false;
  std::vector<BlockTrace> per_layer;
  std::vector<GapRow> gaps;
  double seconds = 0;
};

HessianReport hessian_report(Objective& f, const HessianOptions& options);

// {"trace", "trace_stderr", "top_eigenvalue", "perturbation_gap", "predicted_gap",
//  "per_layer": [{"name", "numel", "trace", "trace_stderr"}], "gaps": [...], ...}.
// perturbation_gap / predicted_gap are those of the first sigma (null without one).
nlohmann::json to_json(const HessianReport& r);
// A fixed-width table for people.
std::string format_table(const HessianReport& r);

}  // namespace basin::curvature

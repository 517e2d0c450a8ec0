#include "curvature/report.h"

#include <chrono>
#include <cstdio>
#include <sstream>

namespace basin::curvature {

HessianReport hessian_report(Objective& f, const HessianOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  HessianReport r;
  r.num_params = num_parameters(f);
  TraceOptions to;
  to.samples = o.trace_samples;
  to.seed = o.seed;
  to.hvp = o.hvp;
  TraceResult tr = hutchinson_trace(f, to);
  r.trace = tr.trace;
  r.trace_stderr = tr.stderr_;
  r.trace_samples = tr.samples;
  r.per_layer = tr.blocks;
  if (o.power_iters > 0) {
    PowerOptions po;
    po.max_iters = o.power_iters;
    po.tol = o.power_tol;
    po.seed = o.seed + 1;
    po.hvp = o.hvp;
    PowerResult pr = top_eigenvalue(f, po);
    r.top_eigenvalue = pr.eigenvalue;
    r.power_iters = pr.iters;
    r.power_converged = pr.converged;
  }
  r.loss = f.loss();
  for (std::size_t i = 0; i < o.sigmas.size(); ++i) {
    GapOptions go;
    go.sigma = o.sigmas[i];
    go.samples = o.gap_samples;
    go.antithetic = o.antithetic;
    go.freeze_pattern = o.gap_freeze_pattern;
    go.seed = o.seed + 100 + i;
    GapResult g = perturbation_gap(f, go);
    GapRow row;
    row.sigma = g.sigma;
    row.gap = g.gap;
    row.gap_stderr = g.stderr_;
    row.predicted = 0.5 * g.sigma * g.sigma * r.trace;
    r.gaps.push_back(row);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

nlohmann::json to_json(const HessianReport& r) {
  nlohmann::json j;
  j["num_params"] = r.num_params;
  j["loss"] = r.loss;
  j["trace"] = r.trace;
  j["trace_stderr"] = r.trace_stderr;
  j["trace_samples"] = r.trace_samples;
  j["top_eigenvalue"] = r.top_eigenvalue;
  j["power_iters"] = r.power_iters;
  j["power_converged"] = r.power_converged;
  if (r.gaps.empty()) {
    j["perturbation_gap"] = nullptr;
    j["predicted_gap"] = nullptr;
  } else {
    j["perturbation_gap"] = r.gaps[0].gap;
    j["predicted_gap"] = r.gaps[0].predicted;
  }
  j["sigma"] = r.gaps.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.gaps[0].sigma);
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& b : r.per_layer)
    layers.push_back({{"name", b.name}, {"numel", b.numel}, {"trace", b.trace}, {"trace_stderr", b.stderr_}});
  j["per_layer"] = layers;
  nlohmann::json gaps = nlohmann::json::array();
  for (const auto& g : r.gaps)
    gaps.push_back({{"sigma", g.sigma},
                    {"perturbation_gap", g.gap},
                    {"gap_stderr", g.gap_stderr},
                    {"predicted_gap", g.predicted},
                    {"ratio", g.ratio()}});
  j["gaps"] = gaps;
  j["seconds"] = r.seconds;
  return j;
}

std::string format_table(const HessianReport& r) {
  std::ostringstream os;
  char buf[256];
  std::snprintf(buf, sizeof buf, "parameters      %lld\nloss            %.6g\n", static_cast<long long>(r.num_params),
                r.loss);
  os << buf;
  std::snprintf(buf, sizeof buf, "trace(H)        %.6g +- %.3g  (%d Rademacher samples)\n", r.trace, r.trace_stderr,
                r.trace_samples);
  os << buf;
  if (r.power_iters > 0) {
    std::snprintf(buf, sizeof buf, "top eigenvalue  %.6g  (%d power iterations%s)\n", r.top_eigenvalue, r.power_iters,
                  r.power_converged ? ", converged" : ", NOT converged");
    os << buf;
  }
  if (!r.per_layer.empty()) {
    os << "\nper-layer trace\n";
    std::snprintf(buf, sizeof buf, "  %-32s %10s %14s %12s\n", "name", "numel", "trace", "stderr");
    os << buf;
    for (const auto& b : r.per_layer) {
      std::snprintf(buf, sizeof buf, "  %-32s %10lld %14.6g %12.3g\n", b.name.c_str(),
                    static_cast<long long>(b.numel), b.trace, b.stderr_);
      os << buf;
    }
  }
  if (!r.gaps.empty()) {
    os << "\nperturbation gap E[L(W+U)] - L(W), U ~ N(0, sigma^2 I)\n";
    std::snprintf(buf, sizeof buf, "  %10s %14s %12s %14s %8s\n", "sigma", "gap", "stderr", "sigma^2/2 tr", "ratio");
    os << buf;
    for (const auto& g : r.gaps) {
      std::snprintf(buf, sizeof buf, "  %10.4g %14.6g %12.3g %14.6g %8.3f\n", g.sigma, g.gap, g.gap_stderr,
                    g.predicted, g.ratio());
      os << buf;
    }
  }
  return os.str();
}

}  // namespace basin::curvature

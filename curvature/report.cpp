#include "curvature/report.h"

#include <chrono>
#include <cstdio>
#include <sstream>

#include "curvature/hutchpp.h"
#include "curvature/lanczos.h"

namespace basin::curvature {

TraceEstimator parse_trace_estimator(const std::string& name) {
  if (name == "hutchinson") return TraceEstimator::Hutchinson;
  if (name == "hutchpp" || name == "hutch++") return TraceEstimator::HutchPP;
  BASIN_CHECK(false, "unknown trace estimator '" << name << "' (hutchinson | hutchpp)");
  return TraceEstimator::Hutchinson;
}

const char* trace_estimator_name(TraceEstimator e) {
  return e == TraceEstimator::HutchPP ? "hutchpp" : "hutchinson";
}

HessianReport hessian_report(Objective& f, const HessianOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  HessianReport r;
  r.num_params = num_parameters(f);
  TraceOptions to;
  to.samples = o.trace_samples;
  to.seed = o.seed;
  to.hvp = o.hvp;
  TraceResult tr = o.trace_estimator == TraceEstimator::HutchPP ? hutchpp_trace(f, to) : hutchinson_trace(f, to);
  r.trace = tr.trace;
  r.trace_stderr = tr.stderr_;
  r.trace_samples = tr.samples;
  r.trace_estimator = o.trace_estimator;
  r.per_layer = tr.blocks;
  if (o.lanczos_steps > 0) {
    EigenOptions eo;
    eo.top_k = o.top_k;
    eo.max_steps = o.lanczos_steps;
    eo.tol = o.eigen_tol;
    eo.seed = o.seed + 1;
    eo.hvp = o.hvp;
    EigenResult er = hessian_eigenvalues(f, eo);
    r.top_eigenvalues = er.top;
    r.top_eigenvalue = er.top.empty() ? 0.0 : er.top[0];
    r.min_eigenvalue = er.min;
    r.lanczos_steps = er.steps;
    r.eigen_converged = er.converged;
    if (o.per_layer_eigen) {
      std::vector<ParamBlock> blocks = f.blocks;
      if (blocks.empty()) blocks.push_back({"all", 0, f.params.numel()});
      eo.top_k = 1;
      for (const auto& b : blocks) {
        EigenResult be = block_eigenvalues(f, b, eo);
        r.per_layer_eigen.push_back({be.top.empty() ? 0.0 : be.top[0], be.steps, be.converged});
      }
    }
  }
  if (o.density_runs > 0) {
    DensityOptions d;
    d.runs = o.density_runs;
    d.steps = o.density_steps;
    d.seed = o.seed + 2;
    d.hvp = o.hvp;
    r.density = spectral_density(f, d);
    r.has_density = true;
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
  j["trace_estimator"] = trace_estimator_name(r.trace_estimator);
  j["top_eigenvalue"] = r.top_eigenvalue;
  j["top_eigenvalues"] = r.top_eigenvalues;
  j["min_eigenvalue"] = r.lanczos_steps > 0 ? nlohmann::json(r.min_eigenvalue) : nlohmann::json(nullptr);
  j["lanczos_steps"] = r.lanczos_steps;
  j["eigen_converged"] = r.eigen_converged;
  j["power_iters"] = r.lanczos_steps;  // pre-Lanczos names, same values
  j["power_converged"] = r.eigen_converged;
  if (r.has_density) {
    j["density_runs"] = r.density.runs;
    j["density_steps"] = r.density.steps;
  }
  if (r.gaps.empty()) {
    j["perturbation_gap"] = nullptr;
    j["predicted_gap"] = nullptr;
  } else {
    j["perturbation_gap"] = r.gaps[0].gap;
    j["predicted_gap"] = r.gaps[0].predicted;
  }
  j["sigma"] = r.gaps.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.gaps[0].sigma);
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t i = 0; i < r.per_layer.size(); ++i) {
    const auto& b = r.per_layer[i];
    nlohmann::json l = {{"name", b.name}, {"numel", b.numel}, {"trace", b.trace}, {"trace_stderr", b.stderr_}};
    if (i < r.per_layer_eigen.size()) {
      l["top_eigenvalue"] = r.per_layer_eigen[i].top;
      l["lanczos_steps"] = r.per_layer_eigen[i].steps;
    }
    layers.push_back(l);
  }
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
  std::snprintf(buf, sizeof buf, "trace(H)        %.6g +- %.3g  (%s, %d HVPs)\n", r.trace, r.trace_stderr,
                r.trace_estimator == TraceEstimator::HutchPP ? "Hutch++" : "Hutchinson", r.trace_samples);
  os << buf;
  if (r.lanczos_steps > 0) {
    std::snprintf(buf, sizeof buf, "top eigenvalue  %.6g  (%d Lanczos steps%s)\n", r.top_eigenvalue, r.lanczos_steps,
                  r.eigen_converged ? ", converged" : ", NOT converged");
    os << buf;
    if (r.top_eigenvalues.size() > 1) {
      os << "top eigenvalues";
      for (double e : r.top_eigenvalues) {
        std::snprintf(buf, sizeof buf, " %.6g", e);
        os << buf;
      }
      os << "\n";
    }
    std::snprintf(buf, sizeof buf, "min eigenvalue  %.6g\n", r.min_eigenvalue);
    os << buf;
  }
  if (!r.per_layer.empty()) {
    const bool eig = !r.per_layer_eigen.empty();
    os << (eig ? "\nper-layer trace and top eigenvalue (diagonal block of H)\n" : "\nper-layer trace\n");
    std::snprintf(buf, sizeof buf, "  %-32s %10s %14s %12s%s\n", "name", "numel", "trace", "stderr",
                  eig ? "   top eigenvalue" : "");
    os << buf;
    for (std::size_t i = 0; i < r.per_layer.size(); ++i) {
      const auto& b = r.per_layer[i];
      std::snprintf(buf, sizeof buf, "  %-32s %10lld %14.6g %12.3g", b.name.c_str(), static_cast<long long>(b.numel),
                    b.trace, b.stderr_);
      os << buf;
      if (i < r.per_layer_eigen.size()) {
        std::snprintf(buf, sizeof buf, " %16.6g", r.per_layer_eigen[i].top);
        os << buf;
      }
      os << "\n";
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

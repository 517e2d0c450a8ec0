#include "curvature/density.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "curvature/lanczos.h"
#include "curvature/vec.h"

namespace basin::curvature {

SpectralDensity spectral_density(Objective& f, const DensityOptions& o) {
  check_objective(f, "spectral_density");
  BASIN_CHECK(o.runs >= 1, "spectral_density: runs must be >= 1, got " << o.runs);
  BASIN_CHECK(o.steps >= 1, "spectral_density: steps must be >= 1, got " << o.steps);
  PatternFreeze freeze(f, o.hvp.freeze_pattern);
  const LinearOperator op = hessian_operator(f, o.hvp);
  LanczosOptions lo;
  lo.max_steps = o.steps;
  lo.watch_top = o.steps + 1;  // never stop early: the quadrature wants every step
  lo.watch_min = false;
  SpectralDensity d;
  d.runs = o.runs;
  for (int run = 0; run < o.runs; ++run) {
    Tensor v = random_direction(f, kernels::Distribution::Rademacher, o.seed, static_cast<std::uint64_t>(run), 0.f, 1.f);
    LanczosResult r = lanczos(op, v, lo);
    d.steps += r.steps;
    for (std::size_t i = 0; i < r.ritz.size(); ++i) {
      d.nodes.push_back(r.ritz[i]);
      d.weights.push_back(r.weights[i] / o.runs);
    }
  }
  return d;
}

DensityGrid density_grid(const SpectralDensity& d, int points, double width) {
  BASIN_CHECK(!d.nodes.empty() && d.nodes.size() == d.weights.size(), "density_grid: no quadrature nodes");
  BASIN_CHECK(points >= 2 && width > 0, "density_grid: needs points >= 2 and width > 0");
  const auto [lo_it, hi_it] = std::minmax_element(d.nodes.begin(), d.nodes.end());
  const double lo = *lo_it, hi = *hi_it;
  DensityGrid g;
  g.sigma = hi > lo ? width * (hi - lo) : width;
  const double a = lo - 5 * g.sigma, b = hi + 5 * g.sigma;
  const double norm_c = 1.0 / (g.sigma * std::sqrt(2.0 * 3.14159265358979323846));
  for (int i = 0; i < points; ++i) {
    const double x = a + (b - a) * i / (points - 1);
    double y = 0;
    for (std::size_t k = 0; k < d.nodes.size(); ++k) {
      const double z = (x - d.nodes[k]) / g.sigma;
      y += d.weights[k] * norm_c * std::exp(-0.5 * z * z);
    }
    g.x.push_back(x);
    g.density.push_back(y);
  }
  return g;
}

std::string density_csv(const DensityGrid& g) {
  std::ostringstream os;
  os << "eigenvalue,density\n";
  char buf[64];
  for (std::size_t i = 0; i < g.x.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.9g,%.9g\n", g.x[i], g.density[i]);
    os << buf;
  }
  return os.str();
}

}  // namespace basin::curvature

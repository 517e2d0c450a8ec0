#pragma once
// Spectral density of the Hessian by stochastic Lanczos quadrature (Ghorbani,
// Krishnan and Xiao 2019; PyHessian's density): for each of `runs` Rademacher
// start vectors v (normalized, |v|^2 = n), m Lanczos steps give Ritz values
// theta_i and weights tau_i = (first component of T's i-th eigenvector)^2, the
// nodes and weights of the m-point Gauss quadrature of the measure
// sum_j (v^T u_j)^2 / n delta(lambda - lambda_j). Its expectation over v is the
// spectral density (1/n) sum_j delta(lambda - lambda_j); averaging the runs and
// replacing each delta by a Gaussian of width sigma gives a smooth density.
//
// Exactness: Gauss quadrature with m nodes integrates polynomials of degree
// <= 2m - 1 exactly, so sum_i tau_i theta_i^p = v^T H^p v / n for p <= 2m - 1:
// the first moment of one run is Hutchinson's v^T H v / n (mean tr(H)/n), the
// second |H v|^2 / n (mean tr(H^2)/n). The only errors in the moments are
// Hutchinson's sampling error (and sigma^2 added to the second by broadening).
#include <cstdint>
#include <string>
#include <vector>

#include "curvature/hvp.h"

namespace basin::curvature {

struct DensityOptions {
  int runs = 4;    // random start vectors
  int steps = 30;  // Lanczos steps per run (HVPs per run)
  std::uint64_t seed = 777;
  HvpOptions hvp;
};

struct SpectralDensity {
  std::vector<double> nodes;    // Ritz values of every run
  std::vector<double> weights;  // tau_i / runs: they sum to 1
  int runs = 0, steps = 0;      // steps: total Lanczos steps (HVPs) over the runs
};

SpectralDensity spectral_density(Objective& f, const DensityOptions& options = {});

struct DensityGrid {
  std::vector<double> x, density;
  double sigma = 0;  // Gaussian width used
};
// The density sum_i w_i N(x; node_i, sigma^2) on `points` equally spaced x from
// min(node) - 5 sigma to max(node) + 5 sigma (the tails beyond hold < 6e-7 of
// the mass). sigma = width * (max(node) - min(node)) (or width when all nodes
// coincide).
DensityGrid density_grid(const SpectralDensity& d, int points = 1000, double width = 0.01);

// "eigenvalue,density\n" then one row per grid point.
std::string density_csv(const DensityGrid& g);

}  // namespace basin::curvature

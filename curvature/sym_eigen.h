#pragma once
// Small dense symmetric eigenproblems on the host, in double: the tridiagonal
// matrices Lanczos builds (implicit QL with Wilkinson-type shifts, the EISPACK
// tql2 scheme) and, as an independent second method for tests and tiny
// problems, full symmetric matrices by cyclic Jacobi rotations. No dependency:
// the matrices here are at most a few hundred rows.
#include <vector>

namespace basin::curvature {

struct SymEigen {
  std::vector<double> values;   // ascending
  std::vector<double> vectors;  // n x n row-major; column k is the unit eigenvector of values[k]
  int n = 0;
  double vec(int row, int k) const { return vectors[static_cast<std::size_t>(row) * n + k]; }
};

// Eigen-decomposition of the symmetric tridiagonal matrix with diagonal `diag`
// (n) and off-diagonal `off` (n - 1; off[i] couples rows i and i + 1).
SymEigen tridiagonal_eigen(const std::vector<double>& diag, const std::vector<double>& off);

// Eigen-decomposition of the symmetric n x n row-major matrix `a` (only
// symmetric input is meaningful; the upper and lower triangles are averaged).
SymEigen symmetric_eigen(std::vector<double> a, int n);

}  // namespace basin::curvature

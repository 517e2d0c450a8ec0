#pragma once
// Lanczos with full reorthogonalization on a symmetric operator (the Hessian
// through hvp(), or one diagonal block of it), and what is built on it:
//
//  - hessian_eigenvalues: the k largest and the most negative eigenvalue. Unlike
//    power iteration (estimators.h), whose stopping rule "the Rayleigh quotient
//    stopped moving" fires far from the answer when an eigenvalue of opposite
//    sign and similar magnitude exists (the iterate swings between the two
//    eigenvectors slowly), the Ritz values of m Lanczos steps are the extreme
//    eigenvalues of H restricted to a Krylov space, with the a-posteriori
//    residual bound |H y - theta y| = beta_m |s_m| for each Ritz pair.
//  - block_eigenvalues: the same on the operator v -> P_b H P_b v of one
//    parameter tensor's diagonal block (per-layer top eigenvalue).
//
// Full reorthogonalization keeps every Lanczos vector (m vectors of P floats on
// the parameters' device) and costs m^2 dots, which is what keeps the Ritz
// values free of the "ghost" copies that plain Lanczos makes in float32.
#include <cstdint>
#include <functional>
#include <vector>

#include "curvature/hvp.h"

namespace basin::curvature {

// A symmetric linear map on vectors shaped like `like`.
struct LinearOperator {
  Tensor like;
  std::function<void(const Tensor& v, Tensor& out)> apply;
  // Optional: restricts a vector to the operator's subspace in place (zero
  // outside a block); applied to the start vector and to every apply() output.
  std::function<void(Tensor& v)> project;
};

struct LanczosOptions {
  int max_steps = 20;
  // Stop early once the `watch_top` largest Ritz values (and the smallest, if
  // watch_min) have residual bounds <= tol * max |Ritz value|.
  int watch_top = 1;
  bool watch_min = true;
  double tol = 1e-3;
};

struct LanczosResult {
  std::vector<double> alpha, beta;  // T's diagonal (steps) and off-diagonal (steps - 1)
  std::vector<double> ritz;         // eigenvalues of T, ascending
  std::vector<double> weights;      // squared first components of T's eigenvectors (sum 1)
  std::vector<double> residuals;    // beta_m |last component|: bound on |H y - theta y| per Ritz pair
  int steps = 0;
  bool converged = false;  // the watched Ritz values met tol (or the Krylov space became invariant)
};

// Runs Lanczos from `start` (any nonzero vector; it is normalized, after
// op.project). The operator must be symmetric.
LanczosResult lanczos(const LinearOperator& op, const Tensor& start, const LanczosOptions& options = {});

struct EigenOptions {
  int top_k = 1;
  int max_steps = 20;  // raised to 2 * top_k + 2 when smaller
  double tol = 1e-3;
  std::uint64_t seed = 4321;  // Gaussian start vector, stream 0
  HvpOptions hvp;
};
struct EigenResult {
  std::vector<double> top;  // up to top_k largest Ritz values, largest first
  double min = 0;           // smallest Ritz value (most negative eigenvalue estimate)
  int steps = 0;            // Lanczos steps = HVPs
  bool converged = false;
};

// The Hessian of `f` at its current params (restored bit for bit).
EigenResult hessian_eigenvalues(Objective& f, const EigenOptions& options = {});
// The diagonal block of one parameter range: v -> P_b H P_b v.
EigenResult block_eigenvalues(Objective& f, const ParamBlock& block, const EigenOptions& options = {});

// The objective's Hessian as a LinearOperator (HVPs without refreezing: hold a
// PatternFreeze around its use). With `block`, restricted to that block; padded
// objectives are restricted to their blocks.
LinearOperator hessian_operator(Objective& f, const HvpOptions& hvp, const ParamBlock* block = nullptr);

}  // namespace basin::curvature

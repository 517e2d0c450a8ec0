#pragma once
// Hessian-vector products by central differences of gradients:
//
//     H v  ~=  ( g(W + t v) - g(W - t v) ) / (2 t)
//
// The error has two parts: truncation, t^2 * (third derivative term) / 6, which
// wants t small, and float32 rounding of the two gradients, ~ u * |g| / t, which
// wants t large. Balancing them puts the relative step near u^(1/3) ~ 5e-3 in a
// well-scaled problem; we pick the step so that the perturbation t v has norm
// rel_step * max(|W|, 1) (measured against exact HVPs in tests/test_curvature*.cpp
// and docs/curvature.md). W is restored bit for bit afterwards.
//
// ReLU networks: the loss is only piecewise smooth. A unit whose pre-activation
// changes sign between W - t v and W + t v adds a jump / (2 t) to the difference,
// and the number of such units shrinks only like t, so the bias does NOT vanish as
// t -> 0. Objective::freeze_pattern (model_objective offers it) pins the
// activation pattern to the one at W, which gives the Hessian that autograd
// systems such as PyTorch report (relu'' = 0).
#include "curvature/objective.h"

namespace basin::curvature {

struct HvpOptions {
  // |t v| = rel_step * max(|W|, 1). 1e-3 measured best on the tanh MLP golden
  // fixture (see docs/curvature.md); quadratics are exact for any step.
  double rel_step = 1e-3;
  // Use Objective::freeze_pattern/release_pattern when the objective has them.
  bool freeze_pattern = true;
};

// out = H v at the current params. v and out: [P] float32 on the params' device
// (out is overwritten; it must not alias v). Costs two gradient evaluations.
void hvp(Objective& f, const Tensor& v, Tensor& out, const HvpOptions& options = {});
Tensor hvp(Objective& f, const Tensor& v, const HvpOptions& options = {});

// The difference step t hvp() uses for W and v.
double hvp_step(double w_norm, double v_norm, const HvpOptions& options);

// Calls f.freeze_pattern() now and f.release_pattern() on scope exit, when the
// objective has them and `on` is set. Estimators that take many HVPs at one W
// hold one of these across all of them (the pattern of W does not change).
class PatternFreeze {
 public:
  PatternFreeze(Objective& f, bool on);
  ~PatternFreeze();
  PatternFreeze(const PatternFreeze&) = delete;
  PatternFreeze& operator=(const PatternFreeze&) = delete;

 private:
  Objective& f_;
  bool active_ = false;
};

}  // namespace basin::curvature

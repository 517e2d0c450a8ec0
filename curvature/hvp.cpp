#include "curvature/hvp.h"

#include <algorithm>
#include <cmath>

#include "curvature/vec.h"
#include "kernels/elementwise.h"

namespace basin::curvature {

double hvp_step(double w_norm, double v_norm, const HvpOptions& options) {
  BASIN_CHECK(options.rel_step > 0, "hvp: rel_step must be positive, got " << options.rel_step);
  BASIN_CHECK(v_norm > 0 && std::isfinite(v_norm), "hvp: the direction v has norm " << v_norm);
  return options.rel_step * std::max(w_norm, 1.0) / v_norm;
}

PatternFreeze::PatternFreeze(Objective& f, bool on) : f_(f) {
  if (on && f_.freeze_pattern && f_.release_pattern) {
    f_.freeze_pattern();
    active_ = true;
  }
}

PatternFreeze::~PatternFreeze() {
  if (!active_) return;
  try {
    f_.release_pattern();
  } catch (...) {
  }
}

void hvp(Objective& f, const Tensor& v, Tensor& out, const HvpOptions& options) {
  check_objective(f, "hvp");
  BASIN_CHECK(v.shape() == f.params.shape() && out.shape() == f.params.shape(),
              "hvp: v " << shape_str(v.shape()) << " and out " << shape_str(out.shape())
                        << " must have the parameters' shape " << shape_str(f.params.shape()));
  BASIN_CHECK(v.device() == f.params.device() && out.device() == f.params.device(),
              "hvp: v, out and the parameters must be on one device");
  BASIN_CHECK(!out.same(v) && out.storage() != v.storage(), "hvp: out must not alias v");
  const double t = hvp_step(norm(f.params), norm(v), options);
  PatternFreeze freeze(f, options.freeze_pattern);
  RestoreOnExit restore(f.params);
  Tensor g_minus = Tensor::empty(f.params.shape(), DType::Float32, f.params.device());
  // W + t v: computed from the saved W each time (not by +t then -2t), so both
  // points are the roundings of exactly W +- t v.
  kernels::axpy(static_cast<float>(t), v, f.params);
  f.loss_and_grad(out);
  restore.restore();
  kernels::axpy(static_cast<float>(-t), v, f.params);
  f.loss_and_grad(g_minus);
  restore.restore();
  kernels::binary(kernels::BinaryOp::Sub, out, g_minus, out);
  scale_(out, static_cast<float>(0.5 / t));
}

Tensor hvp(Objective& f, const Tensor& v, const HvpOptions& options) {
  Tensor out = Tensor::empty(f.params.shape(), DType::Float32, f.params.device());
  hvp(f, v, out, options);
  return out;
}

}  // namespace basin::curvature

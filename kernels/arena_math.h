#pragma once
// The per-element update formulas of the arena kernels, written once for the CPU
// loops and the CUDA kernels (host+device inline functions). They follow
// PyTorch 1.13's single-tensor SGD and Adam/AdamW operation by operation, so the
// golden fixtures made with torch match to float rounding.
#include <cmath>

#include "kernels/arena.h"

namespace basin::kernels::arena_math {

// One SGD element. `decay`: weight decay applies to this element.
BASIN_HD void sgd(float& w, float g, float& buf, const SgdArgs& a, bool decay) {
  float d = g;
  if (decay && a.weight_decay != 0.0f) d = d + a.weight_decay * w;    // d_p.add(param, alpha=wd)
  if (a.momentum != 0.0f) {
    if (a.first_step) buf = d;                                          // clone(d_p)
    else buf = buf * a.momentum + (1.0f - a.dampening) * d;            // buf.mul_(m).add_(d_p, 1 - damp)
    d = a.nesterov ? d + a.momentum * buf : buf;
  }
  w = w + (-a.lr) * d;                                                  // param.add_(d_p, alpha=-lr)
}

// Scalars of one Adam step, computed once on the host in double like Python does.
struct AdamScalars {
  float step_size;          // lr / (1 - beta1^t)
  float bias2_sqrt;         // sqrt(1 - beta2^t)
  float decay_factor;       // 1 - lr * wd (decoupled)
};

inline AdamScalars adam_scalars(const AdamArgs& a) {
  double t = static_cast<double>(a.step);
  double bc1 = 1.0 - std::pow(static_cast<double>(a.beta1), t);
  double bc2 = 1.0 - std::pow(static_cast<double>(a.beta2), t);
  return {static_cast<float>(static_cast<double>(a.lr) / bc1), static_cast<float>(std::sqrt(bc2)),
          static_cast<float>(1.0 - static_cast<double>(a.lr) * static_cast<double>(a.weight_decay))};
}

BASIN_HD void adam(float& w, float g, float& m, float& v, float* vmax, const AdamArgs& a,
                   const AdamScalars& s, bool decay) {
  if (decay && a.weight_decay != 0.0f) {
    if (a.decoupled) w = w * s.decay_factor;            // param.mul_(1 - lr * wd)
    else g = g + a.weight_decay * w;                    // grad.add(param, alpha=wd)
  }
  m = m * a.beta1 + (1.0f - a.beta1) * g;               // exp_avg.mul_(b1).add_(grad, 1 - b1)
  v = v * a.beta2 + (1.0f - a.beta2) * (g * g);         // exp_avg_sq.mul_(b2).addcmul_(g, g, 1 - b2)
  float vv = v;
  if (vmax) {
    *vmax = *vmax > v ? *vmax : v;                      // torch.maximum(max_sq, sq)
    vv = *vmax;
  }
  float denom = sqrtf(vv) / s.bias2_sqrt + a.eps;       // (sq.sqrt() / bc2_sqrt).add_(eps)
  w = w + (-s.step_size) * (m / denom);                 // param.addcdiv_(m, denom, -step_size)
}

}  // namespace basin::kernels::arena_math

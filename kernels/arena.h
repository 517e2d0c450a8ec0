#pragma once
// Fused kernels over the parameter arena: each one is ONE pass over flat,
// contiguous float32 arrays of P elements (all parameters of a model, or all
// their gradients), whatever the number of layers. They are what every optimizer
// in optim/ is made of:
//
//   arena_perturb     W = W0 + scale * sigma * U(key)     U regenerated, never stored
//   arena_copy        dst = src                           (bitwise: saving and restoring W)
//   arena_fill        x = value
//   arena_accumulate  acc = beta * acc + c * g            (beta == 0: acc is not read)
//   arena_accumulate_final  g = c * (acc + g)            last pass fused with the 1/(2k)
//   arena_perturb_along     W = B + alpha * t^2 * g       SAM family; t = |B| + eta (ASAM) or 1
//   arena_sumsq       sum_i (t_i g_i)^2 in double         (syncs the host)
//   arena_sgd         PyTorch SGD (weight decay, momentum, dampening, Nesterov)
//   arena_adamw       PyTorch AdamW / Adam (L2) with optional amsgrad
//
// Weight decay is switched off on a few [begin, end) ranges (biases and norm
// parameters) given as a short sorted list, not as a P-sized mask.
//
// Layout as every family (kernels/dispatch.h): entry points with all the checks
// in kernels/arena.cpp; backends cpu:: (OpenMP, kernels/cpu/arena.cpp) and
// cuda:: (kernels/cuda/arena.cu). U comes from kernels/noise.h on both sides, so
// the same key gives bit-identical W; the SGD/Adam element formulas from
// kernels/arena_math.h. The algorithms made of these kernels live in optim/.
#include <cstdint>
#include <utility>
#include <vector>

#include "kernels/dispatch.h"
#include "kernels/noise.h"

namespace basin::kernels {

// [begin, end) element ranges of the arena, sorted and disjoint.
using ArenaRanges = std::vector<std::pair<std::int64_t, std::int64_t>>;

struct NoiseSpec {
  noise::Dist dist = noise::Dist::Gaussian;
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;  // noise::stream_of(step, perturbation index)
  float sigma = 0.0f;        // standard deviation of every element
};

// SGD's hyper-parameters, listed once. optim::SgdOptions is SgdSettings<double>
// (what a user and the learning-rate schedule set); the kernel computes with the
// float copy inside SgdArgs, converted in one place (SgdArgs's constructor).
// The formulas they enter are PyTorch's (kernels/arena_math.h).
template <typename T>
struct SgdSettings {
  T lr = T(0.01);
  T momentum = T(0);
  T dampening = T(0);
  T weight_decay = T(0);
  bool nesterov = false;
};

struct SgdArgs : SgdSettings<float> {
  bool first_step = true;  // momentum buffer not yet initialised: buf = d_p (PyTorch)

  SgdArgs() = default;
  SgdArgs(const SgdSettings<double>& s, bool first)
      : SgdSettings<float>{static_cast<float>(s.lr), static_cast<float>(s.momentum),
                           static_cast<float>(s.dampening), static_cast<float>(s.weight_decay), s.nesterov},
        first_step(first) {}
};

// Adam's / AdamW's hyper-parameters, listed once (as SgdSettings: double in
// optim::AdamOptions, float in the kernel's AdamArgs).
template <typename T>
struct AdamSettings {
  T lr = T(1e-3);
  T beta1 = T(0.9);
  T beta2 = T(0.999);
  T eps = T(1e-8);
  T weight_decay = T(1e-2);
  bool decoupled = true;  // true: AdamW (W *= 1 - lr wd); false: Adam (g += wd W)
  bool amsgrad = false;
};

struct AdamArgs : AdamSettings<float> {
  std::int64_t step = 1;  // the step being taken, counted from 1 (bias corrections)

  AdamArgs() = default;
  AdamArgs(const AdamSettings<double>& s, std::int64_t t)
      : AdamSettings<float>{static_cast<float>(s.lr),  static_cast<float>(s.beta1),
                            static_cast<float>(s.beta2), static_cast<float>(s.eps),
                            static_cast<float>(s.weight_decay), s.decoupled, s.amsgrad},
        step(t) {}
};

// ---- entry points (check arguments, dispatch on the device) --------------------
void arena_perturb(Tensor& w, const Tensor& w0, const NoiseSpec& noise, float scale);
void arena_copy(Tensor& dst, const Tensor& src);
void arena_fill(Tensor& x, float value);
void arena_accumulate(Tensor& acc, const Tensor& g, float c, float beta = 1.0f);
void arena_accumulate_final(const Tensor& acc, Tensor& g, float c);
// `w` may be the same tensor as `base` (W += alpha * g, used by RSAM).
void arena_perturb_along(Tensor& w, const Tensor& base, const Tensor& g, float alpha, bool adaptive, float eta);
// `w` is only read when adaptive (t = |w| + eta); pass an undefined Tensor otherwise.
double arena_sumsq(const Tensor& g, const Tensor& w, bool adaptive, float eta);
// `buf` is only used when momentum != 0.
void arena_sgd(Tensor& w, const Tensor& g, Tensor& buf, const SgdArgs& a, const ArenaRanges& no_decay);
// `vmax` is only used with amsgrad.
void arena_adamw(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, Tensor& vmax, const AdamArgs& a,
                 const ArenaRanges& no_decay);

// Throws unless `r` is sorted, disjoint and inside [0, n).
void check_ranges(const char* op, const ArenaRanges& r, std::int64_t n);

BASIN_DECLARE_BACKENDS(void arena_perturb(Tensor& w, const Tensor& w0, const NoiseSpec& noise, float scale))
BASIN_DECLARE_BACKENDS(void arena_copy(Tensor& dst, const Tensor& src))
BASIN_DECLARE_BACKENDS(void arena_fill(Tensor& x, float value))
BASIN_DECLARE_BACKENDS(void arena_accumulate(Tensor& acc, const Tensor& g, float c, float beta))
BASIN_DECLARE_BACKENDS(void arena_accumulate_final(const Tensor& acc, Tensor& g, float c))
BASIN_DECLARE_BACKENDS(void arena_perturb_along(Tensor& w, const Tensor& base, const Tensor& g, float alpha,
                                                bool adaptive, float eta))
BASIN_DECLARE_BACKENDS(double arena_sumsq(const Tensor& g, const Tensor& w, bool adaptive, float eta))
BASIN_DECLARE_BACKENDS(void arena_sgd(Tensor& w, const Tensor& g, Tensor& buf, const SgdArgs& a,
                                      const ArenaRanges& no_decay))
BASIN_DECLARE_BACKENDS(void arena_adamw(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, Tensor& vmax,
                                        const AdamArgs& a, const ArenaRanges& no_decay))

}  // namespace basin::kernels

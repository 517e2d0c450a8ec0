#pragma once
// Counter-based random fills. Element i of a fill keyed by (seed, stream) is a
// pure function of (seed, stream, i) through word i of cuRAND's Philox4_32_10
// subsequence `stream` under `seed`: the CUDA backend draws it with cuRAND's
// device API (curand_init + curand4), the CPU backend computes the same word
// with kernels/philox.h, so the same key gives the same tensor on both backends
// and noise can be regenerated instead of stored.
#include <cstdint>

#include "kernels/dispatch.h"

namespace basin::kernels {

enum class Distribution { Uniform, Normal, Laplace, Rademacher, Bernoulli };

struct RandomKey {
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;  // e.g. (step << 16) | perturbation index
};

// The exact scheme (CPU and CUDA must agree to ~1e-6; the formulas are shared in
// kernels/random_sample.h, usable from both backends):
//   w = philox::block(seed, stream, i / 4), a 4-word block (= curand4 after
//   curand_init(seed, stream, 4 (i / 4))); element i reads word j = i % 4
//   (x, y, z, w for j = 0..3).
//   Uniform:    a + (b - a) * U,  U = (word >> 8) * 2^-24 in [0, 1)
//   Normal:     Box-Muller on the word pairs (x, y) for j = 0, 1 and (z, w) for
//               j = 2, 3: u1 = to_uniform(first), u2 = to_uniform(second) (both in
//               (0, 1], philox.h); r = sqrt(-2 log u1), t = 2 pi u2; even j gets
//               r cos t, odd j gets r sin t; value a + b * that.
//   Laplace:    v = (2 * (word >> 9) + 1) * 2^-24 - 1/2 in (-1/2, 1/2) (never 0);
//               value a - b * sign(v) * log(1 - 2|v|)  (inverse CDF)
//   Rademacher: a + b if (word & 1) else a - b
//   Bernoulli:  1 if U < a else 0  (U as for Uniform)
// All math in float (logf, sqrtf, sinf, cosf).
// out contiguous float32. Uniform: [a, b); Normal: mean a, std b; Laplace: loc a,
// scale b; Rademacher: +-1 scaled by b around a; Bernoulli: 1 with probability a, else 0.
void random_fill(Tensor& out, Distribution dist, RandomKey key, float a, float b);

BASIN_DECLARE_BACKENDS(void random_fill(Tensor& out, Distribution dist, RandomKey key, float a, float b))

}  // namespace basin::kernels

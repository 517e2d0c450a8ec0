#pragma once
// The per-element formulas of random_fill, header-only and usable from host and
// device code, so kernels/cpu/random.cpp and kernels/cuda/random.cu compute the
// same values from the same Philox words (cuRAND's on the GPU, philox.h's
// identical ones on the CPU). See kernels/random.h for the scheme.
#include <math.h>

#include <cstdint>

#include "kernels/philox.h"

namespace basin::random_sample {

// Uniform in [0, 1): the top 24 bits of the word, exact in float.
BASIN_HD float uniform01(std::uint32_t u) { return static_cast<float>(u >> 8) * 5.9604644775390625e-8f; }

// Uniform in (0, 1), strictly inside: (2k + 1) / 2^24 for the top 23 bits k; exact
// in float, symmetric around 1/2 and never 0 or 1.
BASIN_HD float uniform_open01(std::uint32_t u) {
  return static_cast<float>(((u >> 9) << 1) | 1u) * 5.9604644775390625e-8f;
}

// Word j (0..3) of a block.
BASIN_HD std::uint32_t word(const philox::U32x4& w, int j) {
  return j == 0 ? w.x : j == 1 ? w.y : j == 2 ? w.z : w.w;
}

// Value of element i (i % 4 == j) of a fill from block w = philox::block(seed, stream, i / 4).
// dist: 0 Uniform, 1 Normal, 2 Laplace, 3 Rademacher, 4 Bernoulli (the order of
// kernels::Distribution).
BASIN_HD float sample(int dist, const philox::U32x4& w, int j, float a, float b) {
  const std::uint32_t u = word(w, j);
  switch (dist) {
    case 0:  // Uniform [a, b)
      return a + (b - a) * uniform01(u);
    case 1: {  // Normal(a, b^2), Box-Muller on the pair (x, y) for j = 0, 1 and (z, w) for j = 2, 3
      const std::uint32_t u1 = word(w, j & 2), u2 = word(w, (j & 2) + 1);
      const float r = sqrtf(-2.0f * logf(philox::to_uniform(u1)));  // to_uniform is in (0, 1]
      const float theta = 6.2831853071795864f * philox::to_uniform(u2);
      return a + b * ((j & 1) ? r * sinf(theta) : r * cosf(theta));
    }
    case 2: {  // Laplace(loc a, scale b) by the inverse CDF of v = U(0, 1) - 1/2 in (-1/2, 1/2)
      const float v = uniform_open01(u) - 0.5f;
      const float mag = -logf(1.0f - 2.0f * fabsf(v));
      return v < 0.0f ? a - b * mag : a + b * mag;
    }
    case 3:  // Rademacher: a +- b from the low bit (1 -> +)
      return (u & 1u) ? a + b : a - b;
    default:  // Bernoulli(p = a): 1 when U[0, 1) < p
      return uniform01(u) < a ? 1.0f : 0.0f;
  }
}

}  // namespace basin::random_sample

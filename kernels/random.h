#pragma once
// Counter-based random fills. Element i of a fill keyed by (seed, stream) is a
// pure function of (seed, stream, i) through Philox-4x32-10 (kernels/philox.h),
// identical on CPU and CUDA, so the same key gives the same tensor on both
// backends and noise can be regenerated instead of stored.
#include <cstdint>

#include "kernels/dispatch.h"

namespace basin::kernels {

enum class Distribution { Uniform, Normal, Laplace, Rademacher, Bernoulli };

struct RandomKey {
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;  // e.g. (step << 16) | perturbation index
};

// out contiguous float32. Uniform: [a, b); Normal: mean a, std b; Laplace: loc a,
// scale b; Rademacher: +-1 scaled by b around a; Bernoulli: 1 with probability a, else 0.
void random_fill(Tensor& out, Distribution dist, RandomKey key, float a, float b);

BASIN_DECLARE_BACKENDS(void random_fill(Tensor& out, Distribution dist, RandomKey key, float a, float b))

}  // namespace basin::kernels

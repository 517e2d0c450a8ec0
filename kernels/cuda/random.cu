// CUDA random_fill (kernels/random.h): element i of a fill keyed by (seed,
// stream) uses word i % 4 of philox::block(seed, stream, i / 4), through the
// per-element formulas documented in kernels/random.h, so both backends produce
// the same tensor. The formulas below are term for term those of the CPU
// backend's kernels/random_sample.h (core), which is meant to be shared by both:
// once it is on main, sample() here should be replaced by random_sample::sample.
//
// Values agree exactly for Rademacher and Bernoulli; Uniform, Normal and Laplace
// may differ in the last bit or few: nvcc fuses a + b * c into one FMA (one
// rounding instead of two) and CUDA's logf/sinf/cosf are not the host libm's.
#include <math.h>

#include <cstdint>

#include "kernels/cuda/indexer.cuh"
#include "kernels/philox.h"
#include "kernels/random.h"

namespace basin::kernels::cuda {

namespace {

__device__ __forceinline__ float uniform01(std::uint32_t u) {
  return static_cast<float>(u >> 8) * 5.9604644775390625e-8f;  // top 24 bits, [0, 1)
}

__device__ __forceinline__ float uniform_open01(std::uint32_t u) {
  return static_cast<float>(((u >> 9) << 1) | 1u) * 5.9604644775390625e-8f;  // (2k + 1) / 2^24, in (0, 1)
}

__device__ __forceinline__ std::uint32_t word(const philox::U32x4& w, int j) {
  return j == 0 ? w.x : j == 1 ? w.y : j == 2 ? w.z : w.w;
}

__device__ __forceinline__ float sample(Distribution dist, const philox::U32x4& w, int j, float a, float b) {
  const std::uint32_t u = word(w, j);
  switch (dist) {
    case Distribution::Uniform:  // [a, b)
      return a + (b - a) * uniform01(u);
    case Distribution::Normal: {  // Box-Muller on (x, y) for j = 0, 1 and (z, w) for j = 2, 3
      const std::uint32_t u1 = word(w, j & 2), u2 = word(w, (j & 2) + 1);
      const float r = sqrtf(-2.0f * logf(philox::to_uniform(u1)));  // to_uniform is in (0, 1]
      const float theta = 6.2831853071795864f * philox::to_uniform(u2);
      return a + b * ((j & 1) ? r * sinf(theta) : r * cosf(theta));
    }
    case Distribution::Laplace: {  // inverse CDF of v = U(0, 1) - 1/2 in (-1/2, 1/2)
      const float v = uniform_open01(u) - 0.5f;
      const float mag = -logf(1.0f - 2.0f * fabsf(v));
      return v < 0.0f ? a - b * mag : a + b * mag;
    }
    case Distribution::Rademacher:  // a +- b from the low bit (1 -> +)
      return (u & 1u) ? a + b : a - b;
    case Distribution::Bernoulli:  // 1 when U[0, 1) < p = a
      return uniform01(u) < a ? 1.0f : 0.0f;
  }
  return 0.0f;
}

// One thread per block of four elements: one Philox call feeds all four.
__global__ void random_kernel(float* out, std::int64_t n, Distribution dist, std::uint64_t seed,
                              std::uint64_t stream_id, float a, float b) {
  const std::int64_t n_blocks = (n + 3) / 4;
  BASIN_CUDA_KERNEL_LOOP(blk, n_blocks) {
    const philox::U32x4 w = philox::block(seed, stream_id, static_cast<std::uint64_t>(blk));
    for (int j = 0; j < 4 && blk * 4 + j < n; ++j) out[blk * 4 + j] = sample(dist, w, j, a, b);
  }
}

}  // namespace

void random_fill(Tensor& out, Distribution dist, RandomKey key, float a, float b) {
  check_cuda_tensor(out, "random_fill", "out");
  check_float(out, "random_fill", "out");
  BASIN_CHECK(out.is_contiguous(), "random_fill: out " << shape_str(out.shape()) << " must be contiguous");
  const std::int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out.device().index);
  random_kernel<<<grid_for((n + 3) / 4, kThreads), kThreads, 0, stream()>>>(out.data<float>(), n, dist, key.seed,
                                                                            key.stream, a, b);
  BASIN_CUDA_CHECK_LAUNCH();
}

}  // namespace basin::kernels::cuda

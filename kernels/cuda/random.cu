// CUDA random_fill (kernels/random.h): element i of a fill keyed by (seed,
// stream) uses word i % 4 of philox::block(seed, stream, i / 4), through the same
// per-element formulas as the CPU backend (kernels/cpu/random.cpp), so both
// backends produce the same tensor. Keep the two in step when either changes.
//
// Products and sums that must round exactly as on the host use __fmul_rn /
// __fadd_rn: nvcc would otherwise fuse them into an FMA (one rounding instead of
// two) and the last bit would differ from the CPU.
#include <cstdint>

#include "kernels/cuda/indexer.cuh"
#include "kernels/philox.h"
#include "kernels/random.h"

namespace basin::kernels::cuda {

namespace {

__device__ __forceinline__ std::uint32_t word_of(const philox::U32x4& r, int k) {
  return k == 0 ? r.x : k == 1 ? r.y : k == 2 ? r.z : r.w;
}

// One thread per block of four elements: one Philox call feeds all four.
__global__ void random_kernel(float* out, std::int64_t n, Distribution dist, std::uint64_t seed,
                              std::uint64_t stream_id, float a, float b) {
  const std::int64_t n_blocks = (n + 3) / 4;
  BASIN_CUDA_KERNEL_LOOP(blk, n_blocks) {
    const philox::U32x4 r = philox::block(seed, stream_id, static_cast<std::uint64_t>(blk));
    for (int k = 0; k < 4; ++k) {
      const std::int64_t i = blk * 4 + k;
      if (i >= n) break;
      const std::uint32_t w = word_of(r, k);
      float v = 0.0f;
      switch (dist) {
        case Distribution::Uniform: {
          // [a, b): u in [0, 1) from the top 24 bits (exact in float).
          const float u = static_cast<float>(w >> 8) * 5.9604644775390625e-08f;
          v = __fadd_rn(a, __fmul_rn(__fsub_rn(b, a), u));
          break;
        }
        case Distribution::Normal: {
          // Box-Muller on the pair (x, y) for k = 0, 1 and (z, w) for k = 2, 3.
          const float u1 = philox::to_uniform(k < 2 ? r.x : r.z);
          const float u2 = philox::to_uniform(k < 2 ? r.y : r.w);
          const float rad = sqrtf(-2.0f * logf(u1));
          const float ang = 6.2831853071795865f * u2;
          const float z = (k % 2 == 0) ? rad * cosf(ang) : rad * sinf(ang);
          v = __fadd_rn(a, __fmul_rn(b, z));
          break;
        }
        case Distribution::Laplace: {
          // Inverse CDF with u in (0, 1]: sign by u < 1/2, magnitude -log(2 min(u, 1-u)).
          const float u = philox::to_uniform(w);
          const float t = u < 0.5f ? logf(2.0f * u) : -logf(2.0f * (1.0f - u));
          v = __fadd_rn(a, __fmul_rn(b, t));
          break;
        }
        case Distribution::Rademacher:
          v = (w & 1u) ? __fadd_rn(a, b) : __fsub_rn(a, b);
          break;
        case Distribution::Bernoulli: {
          const float u = static_cast<float>(w >> 8) * 5.9604644775390625e-08f;
          v = u < a ? 1.0f : 0.0f;
          break;
        }
      }
      out[i] = v;
    }
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

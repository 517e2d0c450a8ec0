// CUDA random_fill (kernels/random.h): element i of a fill keyed by (seed,
// stream) uses word i % 4 of block i / 4 of cuRAND's Philox4_32_10 subsequence
// `stream` (curand_init(seed, stream, 4 (i / 4)) then curand4, the words
// philox::block(seed, stream, i / 4) computes on the CPU), through the
// per-element formulas of kernels/random_sample.h, shared with the CPU backend
// (kernels/cpu/random.cpp), so both backends produce the same tensor.
//
// Values agree exactly for Rademacher and Bernoulli; Uniform, Normal and Laplace
// may differ in the last bit or few: nvcc fuses a + b * c into one FMA (one
// rounding instead of two) and CUDA's logf/sinf/cosf are not the host libm's.
#include <cstdint>

#include "kernels/cuda/curand_words.cuh"
#include "kernels/cuda/indexer.cuh"
#include "kernels/philox.h"
#include "kernels/random.h"
#include "kernels/random_sample.h"

namespace basin::kernels::cuda {

namespace {

// One thread per block of four elements: one curand4 feeds all four.
__global__ void random_kernel(float* out, std::int64_t n, Distribution dist, std::uint64_t seed,
                              std::uint64_t stream_id, float a, float b) {
  const std::int64_t n_blocks = (n + 3) / 4;
  const int d = static_cast<int>(dist);
  BASIN_CUDA_KERNEL_LOOP(blk, n_blocks) {
    const philox::U32x4 w = curand_words(seed, stream_id, 4 * static_cast<std::uint64_t>(blk));
    for (int j = 0; j < 4 && blk * 4 + j < n; ++j) out[blk * 4 + j] = random_sample::sample(d, w, j, a, b);
  }
}

}  // namespace

void random_fill(Tensor& out, Distribution dist, RandomKey key, float a, float b) {
  const std::int64_t n = out.numel();
  DeviceGuard guard(out.device().index);
  random_kernel<<<grid_for((n + 3) / 4, kThreads), kThreads, 0, stream()>>>(out.data<float>(), n, dist, key.seed,
                                                                            key.stream, a, b);
  BASIN_CUDA_CHECK_LAUNCH();
}

}  // namespace basin::kernels::cuda

// CPU random fills: one Philox block per four elements (philox::block, the words
// the CUDA backend draws with cuRAND's curand_init + curand4), formulas shared
// with CUDA.
#include "kernels/cpu/strided.h"
#include "kernels/random.h"
#include "kernels/random_sample.h"

namespace basin::kernels::cpu {

void random_fill(Tensor& out, Distribution dist, RandomKey key, float a, float b) {
  float* p = out.data<float>();
  const std::int64_t n = out.numel(), blocks = (n + 3) / 4;
  const int d = static_cast<int>(dist);
  parallel_for(
      blocks,
      [&](std::int64_t lo, std::int64_t hi) {
        for (std::int64_t blk = lo; blk < hi; ++blk) {
          philox::U32x4 w = philox::block(key.seed, key.stream, static_cast<std::uint64_t>(blk));
          for (int j = 0; j < 4 && blk * 4 + j < n; ++j) p[blk * 4 + j] = random_sample::sample(d, w, j, a, b);
        }
      },
      kParallelGrain / 16);
}

}  // namespace basin::kernels::cpu

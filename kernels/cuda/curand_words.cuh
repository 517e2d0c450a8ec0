#pragma once
// The one place the CUDA kernels draw raw random words: cuRAND's device
// Philox4_32_10 generator (curand_kernel.h). Device code only.
//
// A fresh state per call, curand_init(seed, subsequence, offset) then one
// curand4, so the words are a pure function of (seed, subsequence, offset) and a
// thread needs no state carried between launches: noise is regenerated, never
// stored. kernels/philox.h's curand4_words is the CPU reference of this function,
// bit for bit (tests/test_philox.cpp: known answers on the CPU, and this
// function against it on a GPU). Everything is inlined and the state lives in
// registers, so the blocks curand_init and curand4 compute and nobody reads are
// dead code: one Philox evaluation per aligned call.
#include <curand_kernel.h>

#include <cstdint>

#include "kernels/philox.h"

namespace basin::kernels::cuda {

// Words offset .. offset + 3 of cuRAND's Philox4_32_10 subsequence `subsequence`
// under `seed`.
__device__ __forceinline__ philox::U32x4 curand_words(unsigned long long seed, unsigned long long subsequence,
                                                      unsigned long long offset) {
  curandStatePhilox4_32_10_t state;
  curand_init(seed, subsequence, offset, &state);
  const uint4 r = curand4(&state);
  return philox::U32x4{r.x, r.y, r.z, r.w};
}

}  // namespace basin::kernels::cuda

#pragma once
// For tests: what cuRAND's device generator returns, so tests/test_philox.cpp
// can hold the CPU reference (kernels/philox.h) against the real thing. CUDA
// builds only; plain host types, no CUDA headers.
#include <cstdint>
#include <vector>

#include "kernels/philox.h"

namespace basin::kernels::cuda {

struct CurandKey {
  std::uint64_t seed = 0, subsequence = 0, offset = 0;
};

// curand4 after curand_init(key.seed, key.subsequence, key.offset) for each key,
// run on the current CUDA device (kernels/cuda/curand_words.cuh).
std::vector<philox::U32x4> curand4_on_device(const std::vector<CurandKey>& keys);

}  // namespace basin::kernels::cuda

// tests' window on cuRAND's device generator (kernels/cuda/curand_probe.h): one
// thread per key through curand_words, the function the noise kernels use.
#include <cuda_runtime.h>

#include "kernels/cuda/context.h"
#include "kernels/cuda/curand_probe.h"
#include "kernels/cuda/curand_words.cuh"

namespace basin::kernels::cuda {

namespace {

__global__ void curand_probe_kernel(const CurandKey* keys, philox::U32x4* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = curand_words(keys[i].seed, keys[i].subsequence, keys[i].offset);
}

}  // namespace

std::vector<philox::U32x4> curand4_on_device(const std::vector<CurandKey>& keys) {
  const int n = static_cast<int>(keys.size());
  std::vector<philox::U32x4> out(keys.size());
  if (n == 0) return out;
  CurandKey* dkeys = nullptr;
  philox::U32x4* dout = nullptr;
  BASIN_CUDA_CHECK(cudaMalloc(&dkeys, n * sizeof(CurandKey)));
  BASIN_CUDA_CHECK(cudaMalloc(&dout, n * sizeof(philox::U32x4)));
  BASIN_CUDA_CHECK(cudaMemcpy(dkeys, keys.data(), n * sizeof(CurandKey), cudaMemcpyHostToDevice));
  curand_probe_kernel<<<(n + 127) / 128, 128>>>(dkeys, dout, n);
  BASIN_CUDA_CHECK_LAUNCH();
  BASIN_CUDA_CHECK(cudaMemcpy(out.data(), dout, n * sizeof(philox::U32x4), cudaMemcpyDeviceToHost));
  BASIN_CUDA_CHECK(cudaFree(dkeys));
  BASIN_CUDA_CHECK(cudaFree(dout));
  return out;
}

}  // namespace basin::kernels::cuda

#pragma once
// Per-device CUDA state shared by every kernel: one stream, one cuBLAS handle and
// one cuDNN handle bound to it, and a growable scratch workspace. All are created
// lazily for the *current* device (cudaGetDevice) on first use and live until the
// process exits (they are never destroyed: tearing them down after the driver has
// shut down at exit crashes).
//
// Why one stream: work queued on one stream runs in order, so the caching
// allocator can reuse a freed block at once and kernels need no events between
// them. Host code that reads results must synchronize() (the memcpy helpers do).
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstddef>

#include "kernels/cuda/check.h"
#include "tensor/cuda/device_guard.h"

namespace basin::kernels::cuda {

// The runtime-level guard lives with the allocator in tensor/cuda/device_guard.h;
// kernel code names it as cuda::DeviceGuard.
using ::basin::cuda::DeviceGuard;

int current_device();
cudaStream_t stream();
cublasHandle_t cublas_handle();
cudnnHandle_t cudnn_handle();
// Scratch space of at least `bytes` on the current device, from the caching
// allocator. Valid until the next workspace() call on this device that needs more
// (the old block then goes back to the cache; stream order keeps that safe), or
// until empty_cache() / the allocator's out-of-memory retry releases it (a
// release hook). Throws OutOfMemoryError when even that cannot find the bytes.
// Not for concurrent use from several host threads.
void* workspace(std::size_t bytes);
// Waits for all work queued on the current device's stream.
void synchronize();

// Grid size for a 1-D launch over n elements with `threads` per block, capped so
// grid-stride loops cover the rest.
inline unsigned int grid_for(long long n, int threads = 256) {
  long long blocks = (n + threads - 1) / threads;
  if (blocks < 1) blocks = 1;
  if (blocks > 65535LL * 16) blocks = 65535LL * 16;
  return static_cast<unsigned int>(blocks);
}

}  // namespace basin::kernels::cuda

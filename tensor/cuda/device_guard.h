#pragma once
// Makes a CUDA device current for a scope and restores the caller's device after
// (PyTorch: c10/cuda/CUDAGuard.h). The allocator uses it to cudaMalloc/cudaFree on
// the block's device; kernels and kernels::synchronize use it to queue work on, or
// wait for, the tensor's device rather than whichever one happens to be current.
#include <cuda_runtime.h>

#include "tensor/cuda/cuda_check.h"

namespace basin::cuda {

class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    BASIN_CUDA_CHECK(cudaGetDevice(&saved_));
    if (saved_ != device) {
      BASIN_CUDA_CHECK(cudaSetDevice(device));
      switched_ = true;
    }
  }
  ~DeviceGuard() {
    if (switched_) cudaSetDevice(saved_);  // best effort: destructors must not throw
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int saved_ = 0;
  bool switched_ = false;
};

}  // namespace basin::cuda

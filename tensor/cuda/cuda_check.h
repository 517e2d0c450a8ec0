#pragma once
// Error checking for CUDA runtime calls, at the bottom of the tree: the memory
// layer (tensor/cuda/) needs it and must not include anything above tensor/
// (PyTorch keeps the same split: c10/cuda/CUDAException.h). The cuBLAS, cuDNN and
// cuRAND checks build on this one in kernels/cuda/check.h.
//
// BASIN_CUDA_CHECK(call) evaluates the call once and, on failure, throws
// basin::Error with the call's text, the status name and description, and the
// file and line, e.g.
//   cudaMemcpyAsync(dst, src, n, cudaMemcpyDefault, s) failed: cudaErrorInvalidValue
//   (invalid argument) at kernels/cuda/fill_copy.cu:42
// Kernel launches do not return a status: follow each one with
// BASIN_CUDA_CHECK_LAUNCH(), which reports launch-configuration errors (the kernel
// itself runs asynchronously; its faults surface at the next synchronizing call).
#include <cuda_runtime.h>

#include <sstream>

#include "tensor/error.h"

namespace basin::cuda::detail {

// The one message format of every CUDA-family check (runtime and libraries).
[[noreturn]] inline void throw_failure(const char* call, const char* status, const char* what, const char* file,
                                       int line) {
  std::ostringstream os;
  os << call << " failed: " << status;
  if (what && *what) os << " (" << what << ")";
  os << " at " << file << ":" << line;
  throw ::basin::Error(os.str());
}

}  // namespace basin::cuda::detail

#define BASIN_CUDA_CHECK(call)                                                                          \
  do {                                                                                                  \
    cudaError_t basin_cuda_status_ = (call);                                                            \
    if (basin_cuda_status_ != cudaSuccess) {                                                            \
      ::basin::cuda::detail::throw_failure(#call, cudaGetErrorName(basin_cuda_status_),                 \
                                           cudaGetErrorString(basin_cuda_status_), __FILE__, __LINE__); \
    }                                                                                                   \
  } while (0)

// After a <<<...>>> launch: reports bad launch configurations (too many threads,
// zero blocks, no device) as "kernel launch" failures at this file and line.
#define BASIN_CUDA_CHECK_LAUNCH() BASIN_CUDA_CHECK(cudaGetLastError())

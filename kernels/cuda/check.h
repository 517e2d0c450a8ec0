#pragma once
// Error checking for every CUDA-family call. Each macro evaluates the call once
// and, on failure, throws basin::Error with the call's text, the library's status
// name and description, and the file and line, e.g.
//   cudaMemcpyAsync(dst, src, n, cudaMemcpyDefault, s) failed: cudaErrorInvalidValue
//   (invalid argument) at kernels/cuda/fill_copy.cu:42
// Kernel launches do not return a status: follow each one with
// BASIN_CUDA_CHECK_LAUNCH(), which reports launch-configuration errors (the kernel
// itself runs asynchronously; its faults surface at the next synchronizing call).
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <curand.h>

#include <sstream>

#include "tensor/error.h"

namespace basin::kernels::cuda::detail {

// cuBLAS and cuRAND have no name function in every version we support; these do.
inline const char* cublas_status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
  }
  return "CUBLAS_STATUS_<unknown>";
}

inline const char* curand_status_name(curandStatus_t s) {
  switch (s) {
    case CURAND_STATUS_SUCCESS: return "CURAND_STATUS_SUCCESS";
    case CURAND_STATUS_VERSION_MISMATCH: return "CURAND_STATUS_VERSION_MISMATCH";
    case CURAND_STATUS_NOT_INITIALIZED: return "CURAND_STATUS_NOT_INITIALIZED";
    case CURAND_STATUS_ALLOCATION_FAILED: return "CURAND_STATUS_ALLOCATION_FAILED";
    case CURAND_STATUS_TYPE_ERROR: return "CURAND_STATUS_TYPE_ERROR";
    case CURAND_STATUS_OUT_OF_RANGE: return "CURAND_STATUS_OUT_OF_RANGE";
    case CURAND_STATUS_LENGTH_NOT_MULTIPLE: return "CURAND_STATUS_LENGTH_NOT_MULTIPLE";
    case CURAND_STATUS_DOUBLE_PRECISION_REQUIRED: return "CURAND_STATUS_DOUBLE_PRECISION_REQUIRED";
    case CURAND_STATUS_LAUNCH_FAILURE: return "CURAND_STATUS_LAUNCH_FAILURE";
    case CURAND_STATUS_PREEXISTING_FAILURE: return "CURAND_STATUS_PREEXISTING_FAILURE";
    case CURAND_STATUS_INITIALIZATION_FAILED: return "CURAND_STATUS_INITIALIZATION_FAILED";
    case CURAND_STATUS_ARCH_MISMATCH: return "CURAND_STATUS_ARCH_MISMATCH";
    case CURAND_STATUS_INTERNAL_ERROR: return "CURAND_STATUS_INTERNAL_ERROR";
  }
  return "CURAND_STATUS_<unknown>";
}

[[noreturn]] inline void throw_failure(const char* call, const char* status, const char* what, const char* file,
                                       int line) {
  std::ostringstream os;
  os << call << " failed: " << status;
  if (what && *what) os << " (" << what << ")";
  os << " at " << file << ":" << line;
  throw ::basin::Error(os.str());
}

}  // namespace basin::kernels::cuda::detail

#define BASIN_CUDA_CHECK(call)                                                                          \
  do {                                                                                                  \
    cudaError_t basin_cuda_status_ = (call);                                                            \
    if (basin_cuda_status_ != cudaSuccess) {                                                            \
      ::basin::kernels::cuda::detail::throw_failure(#call, cudaGetErrorName(basin_cuda_status_),        \
                                                    cudaGetErrorString(basin_cuda_status_), __FILE__,   \
                                                    __LINE__);                                          \
    }                                                                                                   \
  } while (0)

#define BASIN_CUBLAS_CHECK(call)                                                                        \
  do {                                                                                                  \
    cublasStatus_t basin_cublas_status_ = (call);                                                       \
    if (basin_cublas_status_ != CUBLAS_STATUS_SUCCESS) {                                                \
      ::basin::kernels::cuda::detail::throw_failure(                                                    \
          #call, ::basin::kernels::cuda::detail::cublas_status_name(basin_cublas_status_),              \
          cublasGetStatusString(basin_cublas_status_), __FILE__, __LINE__);                             \
    }                                                                                                   \
  } while (0)

#define BASIN_CUDNN_CHECK(call)                                                                         \
  do {                                                                                                  \
    cudnnStatus_t basin_cudnn_status_ = (call);                                                         \
    if (basin_cudnn_status_ != CUDNN_STATUS_SUCCESS) {                                                  \
      ::basin::kernels::cuda::detail::throw_failure(#call, cudnnGetErrorString(basin_cudnn_status_),    \
                                                    "", __FILE__, __LINE__);                            \
    }                                                                                                   \
  } while (0)

#define BASIN_CURAND_CHECK(call)                                                                        \
  do {                                                                                                  \
    curandStatus_t basin_curand_status_ = (call);                                                       \
    if (basin_curand_status_ != CURAND_STATUS_SUCCESS) {                                                \
      ::basin::kernels::cuda::detail::throw_failure(                                                    \
          #call, ::basin::kernels::cuda::detail::curand_status_name(basin_curand_status_), "",          \
          __FILE__, __LINE__);                                                                          \
    }                                                                                                   \
  } while (0)

// After a <<<...>>> launch: reports bad launch configurations (too many threads,
// zero blocks, no device) as "kernel launch" failures at this file and line.
#define BASIN_CUDA_CHECK_LAUNCH() BASIN_CUDA_CHECK(cudaGetLastError())

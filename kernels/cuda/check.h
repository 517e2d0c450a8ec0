#pragma once
// Error checking for the CUDA libraries: cuBLAS, cuDNN, cuRAND. Each macro
// evaluates the call once and, on failure, throws basin::Error in the same format
// as the runtime check, e.g.
//   cudnnSetTensor4dDescriptor(desc, ...) failed: CUDNN_STATUS_BAD_PARAM
//   at kernels/cuda/conv.cu:88
// The runtime checks (BASIN_CUDA_CHECK, BASIN_CUDA_CHECK_LAUNCH) live at the bottom
// of the tree in tensor/cuda/cuda_check.h, where the caching allocator can use
// them without pulling these library headers into the memory layer; this header
// includes it, so kernel code needs only this one.
#include <cublas_v2.h>
#include <cudnn.h>
#include <curand.h>

#include "tensor/cuda/cuda_check.h"

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

}  // namespace basin::kernels::cuda::detail

#define BASIN_CUBLAS_CHECK(call)                                                                        \
  do {                                                                                                  \
    cublasStatus_t basin_cublas_status_ = (call);                                                       \
    if (basin_cublas_status_ != CUBLAS_STATUS_SUCCESS) {                                                \
      ::basin::cuda::detail::throw_failure(                                                             \
          #call, ::basin::kernels::cuda::detail::cublas_status_name(basin_cublas_status_),              \
          cublasGetStatusString(basin_cublas_status_), __FILE__, __LINE__);                             \
    }                                                                                                   \
  } while (0)

#define BASIN_CUDNN_CHECK(call)                                                                         \
  do {                                                                                                  \
    cudnnStatus_t basin_cudnn_status_ = (call);                                                         \
    if (basin_cudnn_status_ != CUDNN_STATUS_SUCCESS) {                                                  \
      ::basin::cuda::detail::throw_failure(#call, cudnnGetErrorString(basin_cudnn_status_), "",         \
                                           __FILE__, __LINE__);                                         \
    }                                                                                                   \
  } while (0)

#define BASIN_CURAND_CHECK(call)                                                                        \
  do {                                                                                                  \
    curandStatus_t basin_curand_status_ = (call);                                                       \
    if (basin_curand_status_ != CURAND_STATUS_SUCCESS) {                                                \
      ::basin::cuda::detail::throw_failure(                                                             \
          #call, ::basin::kernels::cuda::detail::curand_status_name(basin_curand_status_), "",          \
          __FILE__, __LINE__);                                                                          \
    }                                                                                                   \
  } while (0)

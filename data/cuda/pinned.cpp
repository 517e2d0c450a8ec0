// Pinned (page-locked) host memory and its uploads through the CUDA runtime (see
// data/pinned.h).
#include "data/pinned.h"

#include <cuda_runtime.h>

#include "kernels/cuda/context.h"

namespace basin::data {

void* pinned_alloc(std::size_t nbytes, int device) {
  void* p = nullptr;
  if (nbytes == 0) return nullptr;
  // This thread's current device, not cuda:0 by default: the allocation and
  // any context it creates belong to the training device.
  if (cudaSetDevice(device) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  if (cudaHostAlloc(&p, nbytes, cudaHostAllocDefault) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls are not blamed
    return nullptr;
  }
  return p;
}

void pinned_free(void* p, int device) {
  if (!p) return;
  if (cudaSetDevice(device) != cudaSuccess) cudaGetLastError();
  cudaFreeHost(p);  // waits for copies still reading it
}

void pinned_upload(void* dst, const void* src, std::size_t nbytes, int device, void*& fence) {
  if (nbytes == 0) return;
  kernels::cuda::DeviceGuard guard(device);
  cudaEvent_t ev = static_cast<cudaEvent_t>(fence);
  if (!ev) {
    BASIN_CUDA_CHECK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
    fence = ev;
  }
  cudaStream_t s = kernels::cuda::stream();
  BASIN_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, s));
  BASIN_CUDA_CHECK(cudaEventRecord(ev, s));
}

void pinned_fence_wait(void* fence) {
  // Never throws (storage deleters call it): a failed copy is a sticky device
  // error that the next kernel launch check reports.
  if (fence && cudaEventSynchronize(static_cast<cudaEvent_t>(fence)) != cudaSuccess) cudaGetLastError();
}

void pinned_fence_destroy(void* fence) {
  if (fence) cudaEventDestroy(static_cast<cudaEvent_t>(fence));
}

}  // namespace basin::data

// Pinned (page-locked) host memory through the CUDA runtime (see data/pinned.h).
#include "data/pinned.h"

#include <cuda_runtime.h>

namespace basin::data {

void* pinned_alloc(std::size_t nbytes) {
  void* p = nullptr;
  if (nbytes == 0) return nullptr;
  if (cudaHostAlloc(&p, nbytes, cudaHostAllocDefault) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls are not blamed
    return nullptr;
  }
  return p;
}

void pinned_free(void* p) {
  if (p) cudaFreeHost(p);
}

}  // namespace basin::data

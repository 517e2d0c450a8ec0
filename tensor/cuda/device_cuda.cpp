// The CUDA build's answers to "is there a GPU?" (tensor/device.h). A CUDA build
// must still run on machines without a driver or a device: every failure of the
// runtime here means "no device", never an exception.
#include <cuda_runtime.h>

#include <mutex>

#include "tensor/cuda/caching_allocator.h"
#include "tensor/device.h"

namespace basin {

namespace {
int probe_device_count() {
  // Referencing the allocator here also keeps its object file (and its static
  // hook installation) in every link that asks about devices.
  cuda::install_allocator_hooks();
  int n = 0;
  cudaError_t st = cudaGetDeviceCount(&n);
  if (st != cudaSuccess) {
    cudaGetLastError();  // clear the error so later checks do not trip on it
    return 0;
  }
  return n < 0 ? 0 : n;
}
}  // namespace

bool cuda_compiled() { return true; }

int cuda_device_count() {
  static std::once_flag once;
  static int count = 0;
  std::call_once(once, [] { count = probe_device_count(); });
  return count;
}

bool cuda_available() { return cuda_device_count() > 0; }

}  // namespace basin

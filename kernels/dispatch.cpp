#include "kernels/dispatch.h"

#ifdef BASIN_WITH_CUDA
#include "kernels/cuda/context.h"
#endif

namespace basin::kernels {

void no_cuda_backend(const char* op) {
  BASIN_FAIL(op << ": tensor is on a CUDA device but this build of basin has no CUDA backend");
}

CudaDeviceScope::CudaDeviceScope(Device device) {
#ifdef BASIN_WITH_CUDA
  if (!device.is_cuda()) return;
  int current = cuda::current_device();
  if (current == device.index) return;
  BASIN_CUDA_CHECK(cudaSetDevice(device.index));
  saved_ = current;
#else
  (void)device;
#endif
}

CudaDeviceScope::~CudaDeviceScope() {
#ifdef BASIN_WITH_CUDA
  if (saved_ >= 0) cudaSetDevice(saved_);  // best effort: destructors must not throw
#endif
}

void synchronize(Device device) {
#ifdef BASIN_WITH_CUDA
  if (device.is_cuda()) {
    cuda::DeviceGuard guard(device.index);  // the stream of `device`, not of the current one
    cuda::synchronize();
  }
#else
  if (device.is_cuda()) no_cuda_backend("synchronize");
#endif
}

void check_same_device(const char* op, std::initializer_list<const Tensor*> ts) {
  const Tensor* first = nullptr;
  for (const Tensor* t : ts) {
    if (!t || !t->defined()) continue;
    if (!first) {
      first = t;
      continue;
    }
    BASIN_CHECK(t->device() == first->device(), op << ": tensors on different devices: " << first->device().str()
                                                   << " vs " << t->device().str());
  }
}

void check_defined(const char* op, const Tensor& t, const char* role) {
  BASIN_CHECK(t.defined(), op << ": " << role << " is undefined");
}

}  // namespace basin::kernels

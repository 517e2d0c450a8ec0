#include "tensor/storage.h"

#include "tensor/error.h"

namespace basin {

CudaAllocatorHooks& cuda_allocator_hooks() {
  static CudaAllocatorHooks hooks;
  return hooks;
}

std::shared_ptr<Storage> Storage::allocate(std::size_t nbytes, Device device) {
  if (device.is_cpu()) {
    void* p = cpu_allocate(nbytes);
    return std::shared_ptr<Storage>(new Storage(p, nbytes, device, [nbytes](void* q) { cpu_free(q, nbytes); }));
  }
  auto& hooks = cuda_allocator_hooks();
  BASIN_CHECK(hooks.allocate, "cannot allocate on " << device.str()
                                                    << ": this build of basin has no CUDA backend");
  int idx = device.index;
  void* p = nbytes ? hooks.allocate(nbytes, idx) : nullptr;
  auto freefn = hooks.free;
  return std::shared_ptr<Storage>(new Storage(p, nbytes, device, [freefn, idx](void* q) {
    if (q) freefn(q, idx);
  }));
}

std::shared_ptr<Storage> Storage::wrap(void* data, std::size_t nbytes, Device device,
                                       std::function<void(void*)> deleter) {
  return std::shared_ptr<Storage>(new Storage(data, nbytes, device, std::move(deleter)));
}

Storage::~Storage() {
  if (deleter_ && data_) deleter_(data_);
}

}  // namespace basin

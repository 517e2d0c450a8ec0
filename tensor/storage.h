#pragma once
// Storage: one refcounted block of bytes on one device. Tensors are views into a
// storage (shape, strides, offset); several tensors may share one storage, which
// is how parameter views into the parameter arena work.
#include <cstddef>
#include <functional>
#include <memory>

#include "tensor/cpu_allocator.h"
#include "tensor/device.h"

namespace basin {

class Storage {
 public:
  // Allocates `nbytes` on `device` through that device's allocator (CPU: 64-byte
  // aligned blocks, large ones cached, tensor/cpu_allocator.h; CUDA: the caching
  // allocator).
  static std::shared_ptr<Storage> allocate(std::size_t nbytes, Device device);
  // Wraps memory owned elsewhere; `deleter` (may be empty) runs when the storage dies.
  static std::shared_ptr<Storage> wrap(void* data, std::size_t nbytes, Device device,
                                       std::function<void(void*)> deleter);

  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  Storage(void* data, std::size_t nbytes, Device device, std::function<void(void*)> deleter)
      : data_(data), nbytes_(nbytes), device_(device), deleter_(std::move(deleter)) {}
  void* data_;
  std::size_t nbytes_;
  Device device_;
  std::function<void(void*)> deleter_;
};


// Hooks the CUDA backend installs at static-init time (tensor/ must not depend on CUDA).
struct CudaAllocatorHooks {
  void* (*allocate)(std::size_t nbytes, int device) = nullptr;
  void (*free)(void* p, int device) = nullptr;
};
CudaAllocatorHooks& cuda_allocator_hooks();

}  // namespace basin

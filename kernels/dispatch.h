#pragma once
// The op interface. Each op family has a header kernels/<family>.h that declares
// (1) the public entry point in namespace basin::kernels, defined in
// kernels/<family>.cpp, which makes ALL the argument checks (dtype, shapes,
// layout the backends need, one device), returns early when there is nothing to
// compute, and dispatches on the output's device; and (2) the two backends with
// identical signatures, declared once with BASIN_DECLARE_BACKENDS, which trust
// their arguments. BASIN_DISPATCH(device, fn, ...) calls
//   basin::kernels::cpu::fn   defined in kernels/cpu/<family>.cpp
//   basin::kernels::cuda::fn  defined in kernels/cuda/<family>.cu
// (the same file name as the entry point's; e.g. binary: kernels/elementwise.cpp
// -> kernels/cpu/elementwise.cpp, kernels/cuda/elementwise.cu). In a build
// without CUDA the cuda:: symbols are never referenced: BASIN_DISPATCH throws
// instead of calling them.
//
// Conventions shared by all kernels (keep them; tests rely on them):
// - outputs are allocated by the caller with the right shape, dtype and device;
// - inputs may be strided views (stride 0 = broadcast) unless the family header
//   says "contiguous"; outputs are contiguous unless stated;
// - all tensors of one call are on one device (check_same_device names the op);
// - kernels never allocate tensors visible to the caller and never sync the host
//   unless the header says so;
// - a cuda:: backend runs with the tensor's device current: BASIN_DISPATCH makes
//   `device` current around the call (CudaDeviceScope), so the backend's stream(),
//   cudnn_handle(), cublas_handle() and workspace() are that device's. A backend
//   called outside BASIN_DISPATCH must open a CudaDeviceScope itself.
#include <initializer_list>
#include <utility>

#include "tensor/tensor.h"

#define BASIN_DECLARE_BACKENDS(decl) \
  namespace cpu {                    \
  decl;                              \
  }                                  \
  namespace cuda {                   \
  decl;                              \
  }

namespace basin::kernels {

[[noreturn]] void no_cuda_backend(const char* op);

// Waits until all work queued on `device` has finished (no-op on the CPU).
// Benchmarks and timers call this; kernels themselves never sync.
void synchronize(Device device);

// Throws "<op>: tensors on different devices: cpu vs cuda:0" when they differ
// (undefined tensors, i.e. absent optional arguments, are skipped).
void check_same_device(const char* op, std::initializer_list<const Tensor*> ts);
// Throws "<op>: <role> is undefined" for a required argument that is absent.
void check_defined(const char* op, const Tensor& t, const char* role);

// Makes a CUDA `device` current for its lifetime and restores the caller's after
// (a no-op for the CPU, and in a build without CUDA). Defined in dispatch.cpp so
// this header needs no CUDA include.
class CudaDeviceScope {
 public:
  explicit CudaDeviceScope(Device device);
  ~CudaDeviceScope();
  CudaDeviceScope(const CudaDeviceScope&) = delete;
  CudaDeviceScope& operator=(const CudaDeviceScope&) = delete;

 private:
  int saved_ = -1;  // the caller's device when it was switched, else -1
};

// Runs `call` with `device` current (BASIN_DISPATCH's CUDA branch).
template <typename Call>
decltype(auto) on_device(Device device, Call&& call) {
  CudaDeviceScope scope(device);
  return std::forward<Call>(call)();
}

}  // namespace basin::kernels

#ifdef BASIN_WITH_CUDA
#define BASIN_DISPATCH(device, fn, ...)                                                                       \
  ((device).is_cuda() ? ::basin::kernels::on_device((device), [&] { return ::basin::kernels::cuda::fn(__VA_ARGS__); }) \
                      : ::basin::kernels::cpu::fn(__VA_ARGS__))
#else
#define BASIN_DISPATCH(device, fn, ...) \
  ((device).is_cuda() ? ::basin::kernels::no_cuda_backend(#fn) : ::basin::kernels::cpu::fn(__VA_ARGS__))
#endif

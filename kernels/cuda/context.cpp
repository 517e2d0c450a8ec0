#include "kernels/cuda/context.h"

#include <mutex>

#include "tensor/cuda/caching_allocator.h"
#include "tensor/error.h"

namespace basin::kernels::cuda {

namespace {

constexpr int kMaxDevices = 64;

struct DeviceContext {
  std::once_flag once;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cudnnHandle_t cudnn = nullptr;
  std::mutex ws_mu;
  void* ws = nullptr;
  std::size_t ws_bytes = 0;
};

DeviceContext& raw_context(int device) {
  static DeviceContext* contexts = new DeviceContext[kMaxDevices];  // leaked on purpose (see header)
  BASIN_CHECK(device >= 0 && device < kMaxDevices, "CUDA context: invalid device index " << device);
  return contexts[device];
}

// The allocator's release hook (tensor/cuda/caching_allocator.h): gives the
// workspace of `device` back to the cache, so empty_cache() and the allocator's
// out-of-memory retry can free it. try_lock: when workspace() itself is
// allocating (and so holds ws_mu) it has already freed its old block.
void release_workspace(int device) {
  if (device < 0 || device >= kMaxDevices) return;
  DeviceContext& c = raw_context(device);
  std::unique_lock<std::mutex> lock(c.ws_mu, std::try_to_lock);
  if (!lock.owns_lock() || !c.ws) return;
  basin::cuda::free(c.ws, device);  // stream order keeps queued users safe (see workspace())
  c.ws = nullptr;
  c.ws_bytes = 0;
}

// The context of the current device, created on first use.
DeviceContext& context() {
  int device = current_device();
  DeviceContext& c = raw_context(device);
  std::call_once(c.once, [&c] {
    basin::cuda::install_allocator_hooks();
    basin::cuda::add_release_hook(&release_workspace);
    // A blocking stream: it also orders against the legacy default stream, so a
    // stray cudaMemcpy elsewhere cannot race with our kernels.
    BASIN_CUDA_CHECK(cudaStreamCreate(&c.stream));
    BASIN_CUBLAS_CHECK(cublasCreate(&c.cublas));
    BASIN_CUBLAS_CHECK(cublasSetStream(c.cublas, c.stream));
    // Full fp32 GEMMs (no TF32): results must match the CPU reference to 1e-4.
    BASIN_CUBLAS_CHECK(cublasSetMathMode(c.cublas, CUBLAS_DEFAULT_MATH));
    BASIN_CUDNN_CHECK(cudnnCreate(&c.cudnn));
    BASIN_CUDNN_CHECK(cudnnSetStream(c.cudnn, c.stream));
  });
  BASIN_CHECK(c.stream && c.cublas && c.cudnn, "CUDA context for cuda:" << device
                                                   << " failed to initialize earlier (see the first error)");
  return c;
}

}  // namespace

int current_device() {
  int d = 0;
  BASIN_CUDA_CHECK(cudaGetDevice(&d));
  return d;
}

cudaStream_t stream() { return context().stream; }
cublasHandle_t cublas_handle() { return context().cublas; }
cudnnHandle_t cudnn_handle() { return context().cudnn; }

void* workspace(std::size_t bytes) {
  int device = current_device();
  DeviceContext& c = context();
  std::lock_guard<std::mutex> lock(c.ws_mu);
  if (bytes == 0) bytes = 1;
  if (bytes > c.ws_bytes) {
    // Grow geometrically so a slowly rising demand does not reallocate each time.
    std::size_t want = bytes > c.ws_bytes * 3 / 2 ? bytes : c.ws_bytes * 3 / 2;
    if (c.ws) basin::cuda::free(c.ws, device);
    c.ws = nullptr;
    c.ws_bytes = 0;
    try {
      c.ws = basin::cuda::allocate(want, device);
    } catch (const OutOfMemoryError&) {
      if (want == bytes) throw;
      want = bytes;  // no headroom then: just what was asked for
      c.ws = basin::cuda::allocate(want, device);
    }
    c.ws_bytes = want;
  }
  return c.ws;
}

void synchronize() { BASIN_CUDA_CHECK(cudaStreamSynchronize(stream())); }

}  // namespace basin::kernels::cuda

#include "tensor/cuda/caching_allocator.h"

#include <cuda_runtime.h>

#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "tensor/cuda/cuda_check.h"
#include "tensor/cuda/device_guard.h"
#include "tensor/error.h"
#include "tensor/storage.h"

namespace basin::cuda {

namespace {

constexpr int kMaxDevices = 64;

struct DeviceCache {
  std::mutex mu;
  // rounded size -> blocks of exactly that size, ready for reuse
  std::map<std::size_t, std::vector<void*>> free_blocks;
  // live block -> its rounded size
  std::unordered_map<void*, std::size_t> live;
  MemoryStats stats;
};

// Leaked on purpose: tensors that outlive main (statics) still free into it, and
// cudaFree after the driver shut down at exit would fail.
DeviceCache& cache_for(int device) {
  static DeviceCache* caches = new DeviceCache[kMaxDevices];
  BASIN_CHECK(device >= 0 && device < kMaxDevices, "CUDA caching allocator: invalid device index " << device);
  return caches[device];
}

std::string mib(std::size_t bytes) {
  std::ostringstream os;
  os.precision(1);
  os << std::fixed << bytes / (1024.0 * 1024.0) << " MiB";
  return os.str();
}

// cudaFree of every cached block of `c`; caller holds c.mu and has switched device.
void release_cached_locked(DeviceCache& c) {
  for (auto& [size, blocks] : c.free_blocks) {
    for (void* p : blocks) {
      cudaFree(p);  // a failure here leaves nothing to recover; keep freeing the rest
      c.stats.cached -= size;
    }
  }
  c.free_blocks.clear();
}

std::mutex& release_hooks_mu() {
  static std::mutex* mu = new std::mutex();  // leaked on purpose (see cache_for)
  return *mu;
}
std::vector<ReleaseHook>& release_hooks() {
  static auto* hooks = new std::vector<ReleaseHook>();
  return *hooks;
}
// Runs every release hook for `device`; the caller holds no allocator lock.
void run_release_hooks(int device) {
  std::vector<ReleaseHook> hooks;
  {
    std::lock_guard<std::mutex> lock(release_hooks_mu());
    hooks = release_hooks();
  }
  for (ReleaseHook h : hooks) h(device);
}

void* hook_allocate(std::size_t nbytes, int device) { return allocate(nbytes, device); }
void hook_free(void* p, int device) { free(p, device); }

// Installs the hooks before main() runs.
const bool g_installed = [] {
  install_allocator_hooks();
  return true;
}();

}  // namespace

void install_allocator_hooks() {
  auto& hooks = basin::cuda_allocator_hooks();
  hooks.allocate = &hook_allocate;
  hooks.free = &hook_free;
}

void* allocate(std::size_t nbytes, int device) {
  (void)g_installed;
  BASIN_CHECK(nbytes > 0, "CUDA caching allocator: zero-byte request on cuda:" << device);
  DeviceCache& c = cache_for(device);
  const std::size_t max_request = std::numeric_limits<std::size_t>::max() - kAllocationQuantum;
  std::unique_lock<std::mutex> lock(c.mu);
  c.stats.num_requests++;
  auto oom = [&](const char* why) {
    std::ostringstream os;
    os << "CUDA out of memory on cuda:" << device << ": tried to allocate " << nbytes << " bytes (" << mib(nbytes)
       << "); " << why << "; in use " << mib(c.stats.in_use) << ", cached " << mib(c.stats.cached) << ", peak "
       << mib(c.stats.peak);
    throw OutOfMemoryError(os.str());
  };
  if (nbytes > max_request) oom("request exceeds the address space");
  const std::size_t size = (nbytes + kAllocationQuantum - 1) / kAllocationQuantum * kAllocationQuantum;

  void* p = nullptr;
  auto it = c.free_blocks.find(size);
  if (it != c.free_blocks.end() && !it->second.empty()) {
    p = it->second.back();
    it->second.pop_back();
    if (it->second.empty()) c.free_blocks.erase(it);
    c.stats.cached -= size;
  } else {
    DeviceGuard guard(device);
    cudaError_t st = cudaMalloc(&p, size);
    if (st == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear it so the next launch check does not report it
      lock.unlock();       // the hooks free() into this cache
      run_release_hooks(device);
      lock.lock();
      release_cached_locked(c);
      st = cudaMalloc(&p, size);
      if (st == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        oom("cudaMalloc failed even after emptying the cache");
      }
    }
    if (st != cudaSuccess) {
      cudaGetLastError();
      std::ostringstream os;
      os << "cudaMalloc(" << size << " bytes) on cuda:" << device << " failed: " << cudaGetErrorName(st) << " ("
         << cudaGetErrorString(st) << ")";
      throw Error(os.str());
    }
    c.stats.num_allocs++;
  }
  c.live.emplace(p, size);
  c.stats.in_use += size;
  if (c.stats.in_use > c.stats.peak) c.stats.peak = c.stats.in_use;
  return p;
}

void free(void* p, int device) {
  if (!p) return;
  DeviceCache& c = cache_for(device);
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.live.find(p);
  // Storage deleters run in destructors: never throw from here. A pointer we did
  // not hand out is a bug elsewhere; dropping it is safer than caching it.
  if (it == c.live.end()) return;
  const std::size_t size = it->second;
  c.live.erase(it);
  c.stats.in_use -= size;
  c.stats.cached += size;
  c.free_blocks[size].push_back(p);
}

MemoryStats memory_stats(int device) {
  DeviceCache& c = cache_for(device);
  std::lock_guard<std::mutex> lock(c.mu);
  return c.stats;
}

void reset_peak(int device) {
  DeviceCache& c = cache_for(device);
  std::lock_guard<std::mutex> lock(c.mu);
  c.stats.peak = c.stats.in_use;
}

void add_release_hook(ReleaseHook hook) {
  std::lock_guard<std::mutex> lock(release_hooks_mu());
  for (ReleaseHook h : release_hooks())
    if (h == hook) return;
  release_hooks().push_back(hook);
}

void empty_cache(int device) {
  DeviceCache& c = cache_for(device);
  run_release_hooks(device);
  std::lock_guard<std::mutex> lock(c.mu);
  if (c.free_blocks.empty()) return;
  DeviceGuard guard(device);
  release_cached_locked(c);
}

void empty_cache() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return;
  }
  for (int d = 0; d < n && d < kMaxDevices; ++d) empty_cache(d);
}

}  // namespace basin::cuda

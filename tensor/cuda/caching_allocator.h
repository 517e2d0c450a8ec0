#pragma once
// The CUDA caching allocator. cudaMalloc/cudaFree are slow and synchronize the
// device, so freed blocks are kept in per-device free lists binned by size
// (requests are rounded up to 512 B) and handed out again: a training loop that
// allocates the same shapes every step reaches a steady state with no cudaMalloc.
//
// Reuse is safe without events because every basin kernel runs on the one stream
// per device (kernels/cuda/context.h): a block freed on the host is only reused by
// work queued after the work that used it.
//
// When cudaMalloc fails, the release hooks run (layers above give back the
// scratch they hold, e.g. kernels/cuda/context's cuDNN workspace), the cache is
// emptied (cudaFree of every cached block) and the request retried once; a
// second failure throws basin::OutOfMemoryError with the requested size and the
// device's in-use, cached and peak figures.
//
// The allocator installs itself into basin::cuda_allocator_hooks() (tensor/
// storage.h) at static-initialization time, so Storage::allocate on a CUDA device
// lands here.
#include <cstddef>
#include <cstdint>

namespace basin::cuda {

struct MemoryStats {
  std::size_t in_use = 0;         // bytes handed out and not yet freed (rounded sizes)
  std::size_t peak = 0;           // high-water mark of in_use since start / reset_peak
  std::size_t cached = 0;         // bytes held in free lists, ready for reuse
  std::uint64_t num_allocs = 0;   // cudaMalloc calls made (a steady state stops this growing)
  std::uint64_t num_requests = 0; // allocate() calls served (cache hits + cudaMalloc)
};

// Granularity of every block: requests are rounded up to a multiple of this.
constexpr std::size_t kAllocationQuantum = 512;

// Allocates `nbytes` (> 0) on `device`. Throws OutOfMemoryError or basin::Error.
void* allocate(std::size_t nbytes, int device);
// Returns a block from allocate() to its device's cache. nullptr is ignored.
void free(void* p, int device);
MemoryStats memory_stats(int device);
void reset_peak(int device);
// Runs the release hooks, then cudaFree of every cached (unused) block on every
// device; blocks in use stay.
void empty_cache();
void empty_cache(int device);

// A release hook gives back to this allocator (free()) the blocks its owner
// holds only as reusable scratch on `device`. The layer above registers it (this
// one must not know about it); it runs without the allocator's lock held, so it
// may call free(), and must not throw. Registering the same hook twice is a no-op.
using ReleaseHook = void (*)(int device);
void add_release_hook(ReleaseHook hook);
// Makes sure the hooks are installed (also done at static init; calling this is
// harmless and guards against the linker dropping the object file).
void install_allocator_hooks();

}  // namespace basin::cuda

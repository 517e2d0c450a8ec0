#pragma once
// The CPU allocator behind every CPU Storage (and oneDNN's scratch buffers).
//
// Why not just malloc: a training step frees and re-allocates the same large
// blocks (activations, their gradients) every step. glibc either returns them to
// the system (blocks above its mmap threshold: every step then faults its pages
// in afresh, up to 2x slower forward passes) or keeps them in its heap, where
// they fragment and the process grows well past the memory it actually uses
// (ResNet-34, batch 32, 224x224: 1.13 GB live at the peak, 2.13 GB resident).
//
// So large blocks (>= kCpuCacheMinBytes) are mapped directly and, when freed,
// kept in a cache keyed by their exact (page-rounded) size for the next request
// of that size: the steady state of a training loop maps nothing and faults
// nothing. The cache is bounded: mapped memory (live + cached) stays within the
// most ever live at once plus a half of it (the invariant
// tests/test_cpu_allocator.cpp checks); a request the cache cannot serve first
// unmaps the blocks freed longest ago until it fits. Why a half: blocks are
// reused only at their own size, and the sizes peak at different moments (the
// forward pass goes from large activations to small ones, the backward pass
// back), so a loop needs more than its peak to reuse everything. ResNet-34,
// batch 32, 224x224: peak live 1.09 GB; with no headroom 73 of each step's
// requests missed (fresh pages faulted in, 3.3 s steps instead of 2.5 s), with
// a quarter 25, with a half none, and the process peaks at 1.67 GB (PyTorch's
// 1.86 GB; glibc's heap had it at 2.13 GB). Small blocks go to the C library's
// allocator (its bins reuse them well).
//
// Under AddressSanitizer, cached blocks are poisoned, so a use after free of a
// tensor is still reported.
#include <cstddef>
#include <cstdint>

namespace basin {

// 64-byte aligned block of nbytes (nullptr for 0); throws OutOfMemoryError.
void* cpu_allocate(std::size_t nbytes);
// Frees a block from cpu_allocate; nbytes must be the size it was allocated with.
void cpu_free(void* p, std::size_t nbytes);

// Blocks from this size up are mapped and cached; smaller ones come from malloc.
constexpr std::size_t kCpuCacheMinBytes = std::size_t(1) << 20;
// Unused cached bytes may reach peak live / kCpuCacheSlackDivisor above the peak.
constexpr std::int64_t kCpuCacheSlackDivisor = 2;

struct CpuAllocatorStats {
  std::int64_t live_bytes = 0;    // large blocks handed out and not yet freed
  std::int64_t cached_bytes = 0;  // large blocks freed and kept for reuse
  std::int64_t peak_live_bytes = 0;   // since the start: the cache's bound
  std::int64_t recent_peak_bytes = 0; // since cpu_allocator_reset_recent_peak()
  std::int64_t hits = 0;          // large requests served from the cache
  std::int64_t misses = 0;        // large requests that mapped fresh memory
  std::int64_t evictions = 0;     // cached blocks unmapped to stay within the bound
};
// Large blocks only (page-rounded sizes); small blocks are the C library's.
CpuAllocatorStats cpu_allocator_stats();
// Starts recent_peak_bytes again from the live bytes (benchmarks; the cache's
// bound is unaffected).
void cpu_allocator_reset_recent_peak();
// Unmaps every cached block (e.g. after training, before a different workload).
void cpu_release_cached();

}  // namespace basin

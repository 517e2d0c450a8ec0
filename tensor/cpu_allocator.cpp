// The CPU block cache (tensor/cpu_allocator.h).
#include "tensor/cpu_allocator.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensor/error.h"

#if defined(__SANITIZE_ADDRESS__)
#define BASIN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BASIN_ASAN 1
#endif
#endif
#ifdef BASIN_ASAN
#include <sanitizer/asan_interface.h>
#define BASIN_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define BASIN_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define BASIN_POISON(p, n) ((void)(p), (void)(n))
#define BASIN_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace basin {

namespace {

std::size_t page_rounded(std::size_t n) {
  static const std::size_t page = [] {
    long s = sysconf(_SC_PAGESIZE);
    return s > 0 ? static_cast<std::size_t>(s) : std::size_t(4096);
  }();
  return (n + page - 1) / page * page;
}

class BlockCache {
 public:
  void* allocate(std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_size_.find(bytes);
    if (it != by_size_.end() && !it->second.empty()) {
      // The most recently freed block of this size: its pages are the warmest.
      auto node = it->second.back();
      it->second.pop_back();
      void* p = node->p;
      lru_.erase(node);
      stats_.cached_bytes -= static_cast<std::int64_t>(bytes);
      add_live(bytes);
      ++stats_.hits;
      BASIN_UNPOISON(p, bytes);
      return p;
    }
    ++stats_.misses;
    add_live(bytes);
    // Stay within the bound: unmap the blocks freed longest ago.
    const std::int64_t bound = stats_.peak_live_bytes + stats_.peak_live_bytes / kCpuCacheSlackDivisor;
    while (!lru_.empty() && stats_.live_bytes + stats_.cached_bytes > bound) evict_oldest();
    void* p = map(bytes);
    if (!p) {
      while (!lru_.empty()) evict_oldest();
      p = map(bytes);
    }
    if (!p) {
      stats_.live_bytes -= static_cast<std::int64_t>(bytes);
      throw OutOfMemoryError("CPU allocation of " + std::to_string(bytes) + " bytes failed");
    }
    return p;
  }

  void free(void* p, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    BASIN_POISON(p, bytes);
    lru_.push_back(Block{p, bytes});
    by_size_[bytes].push_back(std::prev(lru_.end()));
    stats_.live_bytes -= static_cast<std::int64_t>(bytes);
    stats_.cached_bytes += static_cast<std::int64_t>(bytes);
  }

  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    while (!lru_.empty()) evict_oldest();
  }

  void reset_recent_peak() {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.recent_peak_bytes = stats_.live_bytes;
  }

  CpuAllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

 private:
  struct Block {
    void* p;
    std::size_t bytes;
  };

  static void* map(std::size_t bytes) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
  }

  void add_live(std::size_t bytes) {
    stats_.live_bytes += static_cast<std::int64_t>(bytes);
    if (stats_.live_bytes > stats_.peak_live_bytes) stats_.peak_live_bytes = stats_.live_bytes;
    if (stats_.live_bytes > stats_.recent_peak_bytes) stats_.recent_peak_bytes = stats_.live_bytes;
  }

  void evict_oldest() {
    const Block b = lru_.front();
    auto& same = by_size_[b.bytes];
    // Blocks of one size enter `same` in the order they enter lru_, so the
    // oldest is at the front.
    same.erase(same.begin());
    if (same.empty()) by_size_.erase(b.bytes);
    lru_.pop_front();
    BASIN_UNPOISON(b.p, b.bytes);
    munmap(b.p, b.bytes);
    stats_.cached_bytes -= static_cast<std::int64_t>(b.bytes);
    ++stats_.evictions;
  }

  std::mutex mu_;
  std::list<Block> lru_;  // cached blocks, the longest ago freed first
  std::unordered_map<std::size_t, std::vector<std::list<Block>::iterator>> by_size_;
  CpuAllocatorStats stats_;
};

BlockCache& cache() {
  // Never destroyed: storages freed by other static destructors still find it.
  static BlockCache* c = new BlockCache;
  return *c;
}

}  // namespace

void* cpu_allocate(std::size_t nbytes) {
  if (nbytes == 0) return nullptr;
  if (nbytes >= kCpuCacheMinBytes) return cache().allocate(page_rounded(nbytes));
  std::size_t rounded = (nbytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw OutOfMemoryError("CPU allocation of " + std::to_string(nbytes) + " bytes failed");
  return p;
}

void cpu_free(void* p, std::size_t nbytes) {
  if (!p) return;
  if (nbytes >= kCpuCacheMinBytes) cache().free(p, page_rounded(nbytes));
  else std::free(p);
}

CpuAllocatorStats cpu_allocator_stats() { return cache().stats(); }

void cpu_allocator_reset_recent_peak() { cache().reset_recent_peak(); }

void cpu_release_cached() { cache().release(); }

}  // namespace basin

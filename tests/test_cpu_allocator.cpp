// The CPU block cache (tensor/cpu_allocator.h): reuse at the same size, the
// bound on mapped memory under arbitrary alloc/free sequences, alignment, and
// that tensors built on it hold what was written.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "tensor/cpu_allocator.h"
#include "autograd/ops.h"
#include "tensor/tensor.h"

namespace basin {
namespace {

constexpr std::size_t kMiB = std::size_t(1) << 20;

// Every test starts from an empty cache; other tests' blocks may still be live.
class CpuAllocator : public ::testing::Test {
 protected:
  void SetUp() override { cpu_release_cached(); }
  void TearDown() override { cpu_release_cached(); }
};

TEST_F(CpuAllocator, ReusesAFreedLargeBlockOfTheSameSize) {
  const CpuAllocatorStats s0 = cpu_allocator_stats();
  void* a = cpu_allocate(3 * kMiB + 5);
  std::memset(a, 1, 3 * kMiB + 5);
  cpu_free(a, 3 * kMiB + 5);
  EXPECT_EQ(cpu_allocator_stats().cached_bytes - s0.cached_bytes, static_cast<std::int64_t>(3 * kMiB + 4096));
  void* b = cpu_allocate(3 * kMiB + 7);  // the same page-rounded size
  const CpuAllocatorStats s1 = cpu_allocator_stats();
  EXPECT_EQ(a, b);
  EXPECT_EQ(s1.hits - s0.hits, 1);
  EXPECT_EQ(s1.misses - s0.misses, 1);
  cpu_free(b, 3 * kMiB + 7);
  void* c = cpu_allocate(5 * kMiB);  // another size: not served from the cache
  EXPECT_NE(c, nullptr);
  EXPECT_EQ(cpu_allocator_stats().misses - s0.misses, 2);
  cpu_free(c, 5 * kMiB);
}

TEST_F(CpuAllocator, SmallBlocksBypassTheCache) {
  const CpuAllocatorStats s0 = cpu_allocator_stats();
  void* p = cpu_allocate(kCpuCacheMinBytes - 1);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 64, 0u);
  cpu_free(p, kCpuCacheMinBytes - 1);
  const CpuAllocatorStats s1 = cpu_allocator_stats();
  EXPECT_EQ(s1.hits + s1.misses, s0.hits + s0.misses);
  EXPECT_EQ(s1.cached_bytes, s0.cached_bytes);
  EXPECT_EQ(cpu_allocate(0), nullptr);
  cpu_free(nullptr, 0);
}

TEST_F(CpuAllocator, ReleaseUnmapsEverythingCached) {
  void* a = cpu_allocate(2 * kMiB);
  void* b = cpu_allocate(4 * kMiB);
  cpu_free(a, 2 * kMiB);
  cpu_free(b, 4 * kMiB);
  EXPECT_GE(cpu_allocator_stats().cached_bytes, static_cast<std::int64_t>(6 * kMiB));
  cpu_release_cached();
  EXPECT_EQ(cpu_allocator_stats().cached_bytes, 0);
}

// Random training-like traffic (many sizes, interleaved lifetimes): every block
// is 64-byte aligned and keeps its contents while live, and mapped memory never
// exceeds the bound (peak live plus peak / kCpuCacheSlackDivisor).
TEST_F(CpuAllocator, MappedMemoryStaysWithinTheBound) {
  std::mt19937 rng(7);
  const std::size_t sizes[] = {1 * kMiB, 3 * kMiB / 2, 2 * kMiB, 5 * kMiB, 8 * kMiB, 13 * kMiB};
  struct Live {
    unsigned char* p;
    std::size_t n;
    unsigned char tag;
  };
  std::vector<Live> live;
  std::int64_t evictions0 = cpu_allocator_stats().evictions;
  for (int step = 0; step < 3000; ++step) {
    const bool alloc = live.empty() || (live.size() < 24 && rng() % 2 == 0);
    if (alloc) {
      const std::size_t n = sizes[rng() % 6] + rng() % 4096;
      auto* p = static_cast<unsigned char*>(cpu_allocate(n));
      ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % 64, 0u);
      const auto tag = static_cast<unsigned char>(step);
      p[0] = tag;
      p[n - 1] = tag;
      live.push_back({p, n, tag});
    } else {
      const std::size_t i = rng() % live.size();
      ASSERT_EQ(live[i].p[0], live[i].tag);
      ASSERT_EQ(live[i].p[live[i].n - 1], live[i].tag);
      cpu_free(live[i].p, live[i].n);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
    }
    const CpuAllocatorStats s = cpu_allocator_stats();
    ASSERT_LE(s.live_bytes + s.cached_bytes, s.peak_live_bytes + s.peak_live_bytes / kCpuCacheSlackDivisor)
        << "at step " << step;
  }
  EXPECT_GT(cpu_allocator_stats().evictions, evictions0);  // the bound was exercised
  for (const Live& l : live) cpu_free(l.p, l.n);
}

// A steady loop of the same allocations maps nothing after its first pass.
TEST_F(CpuAllocator, SteadyLoopHitsTheCache) {
  auto one_pass = [] {
    std::vector<Tensor> acts;
    for (std::int64_t c : {64, 128, 256}) acts.push_back(Tensor::zeros({4, c, 32, 32}));
    Tensor g = Tensor::ones({4, 64, 32, 32});
    for (auto& a : acts) EXPECT_EQ(sum(a).item(), 0.0f);
    EXPECT_EQ(sum(g).item(), 4.0f * 64 * 32 * 32);
  };
  one_pass();
  const std::int64_t misses = cpu_allocator_stats().misses;
  for (int i = 0; i < 3; ++i) one_pass();
  EXPECT_EQ(cpu_allocator_stats().misses, misses);
}

}  // namespace
}  // namespace basin

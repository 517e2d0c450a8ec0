#include "data/seeded_sample.h"

#include <algorithm>
#include <numeric>

namespace basin::data {

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Uniform in [0, bound) without modulo bias (Lemire's rejection).
std::uint64_t below(std::uint64_t bound, std::uint64_t& state) {
  const std::uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const std::uint64_t x = splitmix64(state);
    if (x >= threshold) return x % bound;
  }
}

}  // namespace

std::vector<std::int64_t> seeded_sample(std::int64_t total, std::int64_t n, std::uint64_t seed) {
  std::vector<std::int64_t> idx(static_cast<std::size_t>(std::max<std::int64_t>(total, 0)));
  std::iota(idx.begin(), idx.end(), std::int64_t{0});
  if (n <= 0 || n >= total) return idx;
  std::uint64_t state = seed;
  // The first n places of a Fisher-Yates shuffle are a uniform n-subset.
  for (std::int64_t i = 0; i < n; ++i) {
    const auto j = i + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(total - i), state));
    std::swap(idx[static_cast<std::size_t>(i)], idx[static_cast<std::size_t>(j)]);
  }
  idx.resize(static_cast<std::size_t>(n));
  std::sort(idx.begin(), idx.end());
  return idx;
}

}  // namespace basin::data

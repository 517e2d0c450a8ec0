#pragma once
// A seeded sample of dataset indices, for --limit-train / --limit-test on image
// folders: a folder lists its files class by class, so its first N files would
// hold one or two classes. The sample is a Fisher-Yates shuffle driven by
// SplitMix64 (the same on every platform and standard library, unlike
// std::shuffle), of which the first n are kept, returned in increasing order.
#include <cstdint>
#include <vector>

namespace basin::data {

// min(n, total) distinct indices in [0, total), ascending; the same for the same
// (total, n, seed). n <= 0 or n >= total: all indices.
std::vector<std::int64_t> seeded_sample(std::int64_t total, std::int64_t n, std::uint64_t seed);

}  // namespace basin::data

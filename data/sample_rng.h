#pragma once
// Per-sample randomness for augmentation and shuffling. Every draw comes from
// Philox keyed by (seed, epoch, sample index), so the crop a sample gets depends
// on nothing else: not on the number of workers, not on which thread ran first,
// not on how many samples came before it.
#include <cstdint>

#include "kernels/philox.h"

namespace basin::data {

class SampleRng {
 public:
  // `stream_tag` separates unrelated uses of one seed (augmentation vs shuffle).
  SampleRng(std::uint64_t seed, std::uint64_t epoch, std::uint64_t index, std::uint64_t stream_tag = 0)
      : seed_(seed ^ stream_tag), stream_((epoch << 40) ^ index) {}

  std::uint32_t next_u32() {
    if (used_ == 4) {
      block_ = philox::block(seed_, stream_, blk_++);
      used_ = 0;
    }
    const std::uint32_t w[4] = {block_.x, block_.y, block_.z, block_.w};
    return w[used_++];
  }
  std::uint64_t next_u64() {
    std::uint64_t hi = next_u32();
    return (hi << 32) | next_u32();
  }
  // Uniform in [0, 1) with 24 bits, like a float's mantissa.
  double uniform() { return (next_u32() >> 8) * (1.0 / 16777216.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Integer in [lo, hi) (hi > lo); modulo bias is below 2^-32 for our ranges.
  std::int64_t randint(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(next_u64() % static_cast<std::uint64_t>(hi - lo));
  }

 private:
  std::uint64_t seed_, stream_;
  std::uint64_t blk_ = 0;
  philox::U32x4 block_{0, 0, 0, 0};
  int used_ = 4;
};

}  // namespace basin::data

#pragma once
// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11), the generator behind cuRAND's curand_philox4x32_10. Header-only and
// usable from host and device code, so the CPU and CUDA backends produce the same
// numbers for the same (key, counter): noise can be regenerated anywhere instead
// of stored.
#include <cstdint>

#include "kernels/host_device.h"

namespace basin::philox {

struct U32x4 {
  std::uint32_t x, y, z, w;
};

BASIN_HD std::uint32_t mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t* hi) {
  std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  *hi = static_cast<std::uint32_t>(p >> 32);
  return static_cast<std::uint32_t>(p);
}

// Ten rounds over the 128-bit counter with the 64-bit key.
BASIN_HD U32x4 philox4x32_10(U32x4 ctr, std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
  constexpr std::uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
  for (int r = 0; r < 10; ++r) {
    std::uint32_t hi0, hi1;
    std::uint32_t lo0 = mulhilo(M0, ctr.x, &hi0);
    std::uint32_t lo1 = mulhilo(M1, ctr.z, &hi1);
    ctr = U32x4{hi1 ^ ctr.y ^ k0, lo1, hi0 ^ ctr.w ^ k1, lo0};
    k0 += W0;
    k1 += W1;
  }
  return ctr;
}

// The block of four words for element block `block` of stream `stream` under
// `seed`: counter = (block lo, block hi, stream lo, stream hi), key = seed.
// Element i of a fill uses word i % 4 of block i / 4.
BASIN_HD U32x4 block(std::uint64_t seed, std::uint64_t stream, std::uint64_t blk) {
  U32x4 c{static_cast<std::uint32_t>(blk), static_cast<std::uint32_t>(blk >> 32),
          static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)};
  return philox4x32_10(c, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
}

// Uniform in (0, 1], as curand_uniform: never 0, so log() is safe.
BASIN_HD float to_uniform(std::uint32_t u) { return (u + 1.0f) * 2.3283064e-10f > 1.0f ? 1.0f : (static_cast<float>(u) + 1.0f) * 2.3283064365386963e-10f; }

}  // namespace basin::philox

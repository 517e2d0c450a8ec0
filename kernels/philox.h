#pragma once
// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11) exactly as cuRAND's device API runs it (curandStatePhilox4_32_10_t,
// curand_philox4x32_x.h): the CPU reference of the words the CUDA kernels draw
// with curand_init + curand4 (kernels/cuda/curand_words.cuh). Header-only and
// usable from host and device code, so noise can be regenerated anywhere instead
// of stored, and the CPU reproduces cuRAND's words bit for bit.
//
// cuRAND's stream layout (curand_kernel.h, curand_init for Philox4_32_10):
//   key     = (seed lo 32 bits, seed hi 32 bits)
//   counter = (offset / 4 lo, offset / 4 hi, subsequence lo, subsequence hi)
//   the state sits at word offset % 4 of that counter's 4-word block; curand4
//   returns the next four words, running on into the block of counter + 1 (the
//   128-bit counter plus one, carrying upwards) when offset % 4 != 0.
// So word number `offset` of subsequence `subsequence` under `seed` is word
// offset % 4 of philox4x32_10(counter, key): that is curand4_words() below, and
// block() is the aligned case offset = 4 * blk.
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

// Block `blk` of cuRAND's subsequence `subsequence` under `seed`: counter =
// (blk lo, blk hi, subsequence lo, subsequence hi), key = seed. These are the
// four words curand4 returns after curand_init(seed, subsequence, 4 * blk).
// Element i of a fill or perturbation uses word i % 4 of block i / 4, i.e. word i
// of the subsequence.
BASIN_HD U32x4 block(std::uint64_t seed, std::uint64_t subsequence, std::uint64_t blk) {
  U32x4 c{static_cast<std::uint32_t>(blk), static_cast<std::uint32_t>(blk >> 32),
          static_cast<std::uint32_t>(subsequence), static_cast<std::uint32_t>(subsequence >> 32)};
  return philox4x32_10(c, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
}

// The 128-bit counter plus one, the carry running from x up to w (cuRAND's
// Philox_State_Incr).
BASIN_HD U32x4 counter_plus_one(U32x4 c) {
  if (++c.x) return c;
  if (++c.y) return c;
  if (++c.z) return c;
  ++c.w;
  return c;
}

// Word j (0..3) of a block.
BASIN_HD std::uint32_t word_of(const U32x4& b, unsigned j) {
  return j == 0 ? b.x : j == 1 ? b.y : j == 2 ? b.z : b.w;
}

// What curand4 returns on a state fresh from curand_init(seed, subsequence,
// offset, &state): words offset .. offset + 3 of the subsequence. When offset is
// not a multiple of 4 they straddle two blocks: the tail of block offset / 4 and
// the head of the block at counter + 1.
BASIN_HD U32x4 curand4_words(std::uint64_t seed, std::uint64_t subsequence, std::uint64_t offset) {
  const std::uint64_t blk = offset >> 2;
  const unsigned s = static_cast<unsigned>(offset & 3u);
  const std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  const U32x4 c{static_cast<std::uint32_t>(blk), static_cast<std::uint32_t>(blk >> 32),
                static_cast<std::uint32_t>(subsequence), static_cast<std::uint32_t>(subsequence >> 32)};
  const U32x4 a = philox4x32_10(c, k0, k1);
  if (s == 0) return a;
  const U32x4 b = philox4x32_10(counter_plus_one(c), k0, k1);
  std::uint32_t w[4];
  for (unsigned j = 0; j < 4; ++j) w[j] = s + j < 4 ? word_of(a, s + j) : word_of(b, s + j - 4);
  return U32x4{w[0], w[1], w[2], w[3]};
}

// Uniform in (0, 1], as curand_uniform: never 0, so log() is safe.
BASIN_HD float to_uniform(std::uint32_t u) { return (u + 1.0f) * 2.3283064e-10f > 1.0f ? 1.0f : (static_cast<float>(u) + 1.0f) * 2.3283064365386963e-10f; }

}  // namespace basin::philox

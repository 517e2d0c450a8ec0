// kernels/philox.h is the CPU reference of cuRAND's device Philox4_32_10 stream,
// the generator the CUDA noise kernels draw from (kernels/cuda/curand_words.cuh).
// Three independent checks:
//   - the block function against Random123's published known-answer vectors
//     (its tests/kat_vectors, the generator's authors);
//   - the curand_init/curand4 layout: philox::curand4_words against a model of
//     cuRAND's state machine transcribed from curand_kernel.h (counter, key,
//     STATE, skip-ahead), and against the block function composed by hand,
//     offsets not a multiple of 4 included;
//   - on a GPU, cuRAND itself against philox::curand4_words (skips without one).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "kernels/philox.h"
#include "tensor/device.h"
#ifdef BASIN_WITH_CUDA
#include "kernels/cuda/curand_probe.h"
#endif

using basin::philox::U32x4;
namespace philox = basin::philox;

namespace {

::testing::AssertionResult same(const U32x4& got, const U32x4& want) {
  if (got.x == want.x && got.y == want.y && got.z == want.z && got.w == want.w)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << std::hex << "got " << got.x << ' ' << got.y << ' ' << got.z << ' ' << got.w
                                       << ", want " << want.x << ' ' << want.y << ' ' << want.z << ' ' << want.w;
}

// cuRAND's curandStatePhilox4_32_10 as curand_kernel.h drives it, step by step:
// curand_init = zero counter, key = seed, skipahead_sequence(subsequence) adds to
// the counter's high 64 bits, skipahead(offset) moves STATE by offset % 4 (a
// wrap past 3 adds one block) and the low 64 bits by offset / 4; `output` always
// holds the block at the counter. curand() hands out output[STATE]; curand4()
// the four words from STATE on, refilling output from counter + 1.
struct CurandModel {
  U32x4 ctr{0, 0, 0, 0}, output{0, 0, 0, 0};
  std::uint32_t k0 = 0, k1 = 0;
  unsigned state = 0;

  CurandModel(std::uint64_t seed, std::uint64_t subsequence, std::uint64_t offset) {
    k0 = static_cast<std::uint32_t>(seed);
    k1 = static_cast<std::uint32_t>(seed >> 32);
    add_hi(subsequence);
    refill();
    state += static_cast<unsigned>(offset & 3);
    std::uint64_t n = offset / 4;
    if (state > 3) {
      n += 1;
      state -= 4;
    }
    add_lo(n);
    refill();
  }
  void refill() { output = philox::philox4x32_10(ctr, k0, k1); }
  void add_hi(std::uint64_t n) {  // Philox_State_Incr_hi
    std::uint32_t nlo = static_cast<std::uint32_t>(n), nhi = static_cast<std::uint32_t>(n >> 32);
    ctr.z += nlo;
    if (ctr.z < nlo) ++nhi;
    ctr.w += nhi;
  }
  void add_lo(std::uint64_t n) {  // Philox_State_Incr(s, n)
    std::uint32_t nlo = static_cast<std::uint32_t>(n), nhi = static_cast<std::uint32_t>(n >> 32);
    ctr.x += nlo;
    if (ctr.x < nlo) ++nhi;
    ctr.y += nhi;
    if (nhi <= ctr.y) return;
    if (++ctr.z) return;
    ++ctr.w;
  }
  void add_one() {  // Philox_State_Incr(s)
    if (++ctr.x) return;
    if (++ctr.y) return;
    if (++ctr.z) return;
    ++ctr.w;
  }
  static std::uint32_t at(const U32x4& b, unsigned j) { return j == 0 ? b.x : j == 1 ? b.y : j == 2 ? b.z : b.w; }
  std::uint32_t next() {  // curand()
    std::uint32_t r = at(output, state++);
    if (state == 4) {
      add_one();
      refill();
      state = 0;
    }
    return r;
  }
  U32x4 next4() {  // curand4()
    U32x4 tmp = output;
    add_one();
    refill();
    std::uint32_t w[8] = {tmp.x, tmp.y, tmp.z, tmp.w, output.x, output.y, output.z, output.w};
    return U32x4{w[state], w[state + 1], w[state + 2], w[state + 3]};
  }
};

struct Key {
  std::uint64_t seed, subsequence, offset;
};

// Seeds and subsequences with both 32-bit halves in use, offsets at every
// position inside a block, and offsets whose block index fills the counter's
// low word (the next block then carries into the second word).
std::vector<Key> keys() {
  std::vector<Key> k;
  const std::uint64_t seeds[] = {0, 1, 0xDEADBEEF12ull, 0xFFFFFFFFFFFFFFFFull, 0x0123456789ABCDEFull};
  const std::uint64_t subs[] = {0, 3, (12345ull << 16) | 3, 0xFFFFFFFFull, 0xFFFFFFFFFFFFFFFFull};
  const std::uint64_t offs[] = {0, 1, 2, 3, 4, 5, 6, 7, 400003, 4 * 0xFFFFFFFFull, 4 * 0xFFFFFFFFull + 1,
                                4 * 0xFFFFFFFFull + 3, 0xFFFFFFFFFFFFFFFCull, 0xFFFFFFFFFFFFFFFFull};
  for (auto s : seeds)
    for (auto q : subs)
      for (auto o : offs) k.push_back({s, q, o});
  return k;
}

}  // namespace

TEST(Philox, KnownAnswerVectorsOfRandom123) {
  // Random123 tests/kat_vectors, "philox4x32 10": counter (4 words), key (2 words) -> output.
  EXPECT_TRUE(same(philox::philox4x32_10({0, 0, 0, 0}, 0, 0), {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_TRUE(same(philox::philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, 0xffffffff, 0xffffffff),
                   {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_TRUE(same(philox::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0xa4093822, 0x299f31d0),
                   {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
  // So curand_init(0, 0, 0) then curand4 gives the first vector: counter 0, key 0.
  EXPECT_TRUE(same(philox::curand4_words(0, 0, 0), {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  // and the pi vector is block (0x85a308d3 << 32 | 0x243f6a88) of subsequence
  // (0x03707344 << 32 | 0x13198a2e) under seed (0x299f31d0 << 32 | 0xa4093822).
  EXPECT_TRUE(same(philox::block(0x299f31d0a4093822ull, 0x0370734413198a2eull, 0x85a308d3243f6a88ull),
                   {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Philox, CounterPlusOneCarriesLikeCurand) {
  EXPECT_TRUE(same(philox::counter_plus_one({7, 0, 0, 0}), {8, 0, 0, 0}));
  EXPECT_TRUE(same(philox::counter_plus_one({0xffffffff, 5, 9, 1}), {0, 6, 9, 1}));
  EXPECT_TRUE(same(philox::counter_plus_one({0xffffffff, 0xffffffff, 9, 1}), {0, 0, 10, 1}));
  EXPECT_TRUE(same(philox::counter_plus_one({0xffffffff, 0xffffffff, 0xffffffff, 1}), {0, 0, 0, 2}));
  EXPECT_TRUE(same(philox::counter_plus_one({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}), {0, 0, 0, 0}));
}

TEST(Philox, Curand4WordsFollowCurandInitLayout) {
  for (const Key& k : keys()) {
    SCOPED_TRACE(::testing::Message() << std::hex << "seed " << k.seed << " subsequence " << k.subsequence
                                      << " offset " << k.offset);
    const U32x4 got = philox::curand4_words(k.seed, k.subsequence, k.offset);
    // 1. cuRAND's state machine: curand_init then curand4 ...
    EXPECT_TRUE(same(got, CurandModel(k.seed, k.subsequence, k.offset).next4()));
    // ... and then four single curand() draws, which walk the same words.
    CurandModel one(k.seed, k.subsequence, k.offset);
    const std::uint32_t a = one.next(), b = one.next(), c = one.next(), d = one.next();
    EXPECT_TRUE(same(got, {a, b, c, d}));
    // 2. The block function by hand: key = seed, counter = (offset / 4,
    // subsequence) as two 64-bit halves, low words first; words from offset % 4 on,
    // continuing in the next block.
    const std::uint64_t blk = k.offset / 4;
    const unsigned s = static_cast<unsigned>(k.offset % 4);
    const std::uint32_t k0 = static_cast<std::uint32_t>(k.seed), k1 = static_cast<std::uint32_t>(k.seed >> 32);
    const U32x4 ctr{static_cast<std::uint32_t>(blk), static_cast<std::uint32_t>(blk >> 32),
                    static_cast<std::uint32_t>(k.subsequence), static_cast<std::uint32_t>(k.subsequence >> 32)};
    // blk < 2^62, so the next block only ever carries from the first word into the second
    const std::uint64_t blk1 = blk + 1;
    const U32x4 ctr1{static_cast<std::uint32_t>(blk1), static_cast<std::uint32_t>(blk1 >> 32), ctr.z, ctr.w};
    const U32x4 b0 = philox::philox4x32_10(ctr, k0, k1), b1 = philox::philox4x32_10(ctr1, k0, k1);
    const std::uint32_t w[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
    EXPECT_TRUE(same(got, {w[s], w[s + 1], w[s + 2], w[s + 3]}));
    // 3. Aligned offsets are philox::block, what the CPU kernels call.
    if (s == 0) {
      EXPECT_TRUE(same(got, philox::block(k.seed, k.subsequence, blk)));
    }
  }
}

#ifdef BASIN_WITH_CUDA

TEST(PhiloxCuda, CurandDeviceWordsAreTheCpuReference) {
  if (!basin::cuda_available()) GTEST_SKIP() << "no CUDA device: cuRAND's device generator not tested";
  std::vector<basin::kernels::cuda::CurandKey> ks;
  for (const Key& k : keys()) ks.push_back({k.seed, k.subsequence, k.offset});
  const std::vector<U32x4> got = basin::kernels::cuda::curand4_on_device(ks);
  ASSERT_EQ(got.size(), ks.size());
  for (size_t i = 0; i < ks.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << std::hex << "seed " << ks[i].seed << " subsequence " << ks[i].subsequence
                                      << " offset " << ks[i].offset);
    EXPECT_TRUE(same(got[i], philox::curand4_words(ks[i].seed, ks[i].subsequence, ks[i].offset)));
  }
}

#else  // !BASIN_WITH_CUDA

TEST(PhiloxCuda, SkippedInThisBuild) { GTEST_SKIP() << "no CUDA device: this build of basin has no CUDA backend"; }

#endif

#pragma once
// Perturbation noise as a pure function of (seed, step, perturbation index,
// element index), host and device alike. The NSO family perturbs W by U, then by
// -U, then restores W: with U a function of its key, U is regenerated in each
// pass instead of being stored (no P-sized noise buffer), and the CPU and CUDA
// backends produce bit-identical U for the same key.
//
// Bit-identical across backends means: only IEEE-754 float operations that round
// the same on both sides (+, -, *, sqrt, int<->float conversions). libm's
// logf/sinf/cosf (host) and CUDA's logf/__sinf (device) differ in their last
// bits, and per-element libm calls were what made CPU NSO slow, so log, sin and
// cos are evaluated here with Cephes' single-precision polynomials (max error a
// few ulp, far below anything a perturbation of std sigma can notice). On the
// device the arithmetic goes through __fmul_rn/__fadd_rn so that nvcc cannot
// contract a*b+c into an FMA (which rounds once and would change the last bit).
// On the host GCC contracts a*b+c across statements by default, even with
// -std=c++17 (-ffp-contract=fast), wherever the target has FMA (aarch64,
// -march=native): CMakeLists.txt compiles every C++ source with -ffp-contract=off.
//
// Layout (kernels/philox.h): element i uses word i of cuRAND's Philox4_32_10
// subsequence stream = (step << 16 | index) under seed, i.e. word i % 4 of block
// i / 4: on the GPU curand_init(seed, stream, 4 (i / 4)) then curand4, on the CPU
// philox::block(seed, stream, i / 4), the same words bit for bit. Only the raw
// words come from cuRAND; the transforms below are basin's own (cuRAND's
// curand_normal etc. use device transcendentals the CPU cannot reproduce).
// Gaussian elements come in Box-Muller pairs: words (0,1)
// of a block give elements 4b, 4b+1 (r cos t, r sin t), words (2,3) give 4b+2,
// 4b+3, so one Philox call yields four Gaussians.
#include <cstdint>
#include <cstring>

#include "kernels/philox.h"

namespace basin::kernels::noise {

// Every distribution is symmetric about 0; all but Cauchy are zero-mean with
// standard deviation sigma (Cauchy has neither: sigma is its scale, the half
// interquartile range).
enum class Dist : int {
  Gaussian = 0,  // N(0, sigma^2)
  Laplace = 1,   // scale sigma / sqrt(2)
  Uniform = 2,   // U(-sigma sqrt 3, sigma sqrt 3)
  Binomial = 3,  // +sigma or -sigma with probability 1/2 each (zero-mean, unlike the authors' code)
  Cauchy = 4,    // sigma tan(pi (u - 1/2)): median 0, quartiles +-sigma (no mean, no variance: sigma is its scale)
};

inline const char* dist_name(Dist d) {
  switch (d) {
    case Dist::Gaussian: return "gaussian";
    case Dist::Laplace: return "laplace";
    case Dist::Uniform: return "uniform";
    case Dist::Binomial: return "binomial";
    case Dist::Cauchy: return "cauchy";
  }
  return "?";
}

// The Philox stream (cuRAND subsequence) of perturbation `index` at optimizer
// step `step` (kernels/random.h's convention: (step << 16) | index; index < 65536).
BASIN_HD std::uint64_t stream_of(std::uint64_t step, std::uint32_t index) {
  return (step << 16) | (index & 0xFFFFu);
}

// ---- arithmetic that rounds identically on host and device --------------------
#if defined(__CUDA_ARCH__)
BASIN_HD float fmul(float a, float b) { return __fmul_rn(a, b); }
BASIN_HD float fadd(float a, float b) { return __fadd_rn(a, b); }
BASIN_HD float fsqrt(float a) { return __fsqrt_rn(a); }
BASIN_HD float fdiv(float a, float b) { return __fdiv_rn(a, b); }
BASIN_HD float bits_to_float(std::uint32_t u) { return __uint_as_float(u); }
BASIN_HD std::uint32_t float_to_bits(float f) { return __float_as_uint(f); }
#else
BASIN_HD float fmul(float a, float b) { return a * b; }
BASIN_HD float fadd(float a, float b) { return a + b; }
BASIN_HD float fsqrt(float a) { return __builtin_sqrtf(a); }
BASIN_HD float fdiv(float a, float b) { return a / b; }
BASIN_HD float bits_to_float(std::uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
BASIN_HD std::uint32_t float_to_bits(float f) { std::uint32_t u; std::memcpy(&u, &f, 4); return u; }
#endif
BASIN_HD float fmadd(float a, float b, float c) { return fadd(fmul(a, b), c); }
// cond ? a : b without a branch (random conditions would mispredict half the
// time on the CPU, and blends let the lane loops vectorize).
BASIN_HD float select_bits(bool cond, float a, float b) {
  std::uint32_t m = 0u - static_cast<std::uint32_t>(cond);
  return bits_to_float((float_to_bits(a) & m) | (float_to_bits(b) & ~m));
}
// x with its sign bit flipped when the top bit of w is set (exactly -x).
BASIN_HD float sign_from(std::uint32_t w, float x) { return bits_to_float(float_to_bits(x) ^ (w & 0x80000000u)); }

// ln(x) for normal x > 0 (Cephes logf): x = m * 2^e with m in [sqrt(1/2), sqrt(2)),
// ln x = e ln 2 + ln(1 + (m - 1)) by a degree-9 polynomial. Branch-free so loops
// over it vectorize.
BASIN_HD float fast_log(float x) {
  std::uint32_t bits = float_to_bits(x);
  int e = static_cast<int>((bits >> 23) & 0xFF) - 126;         // x = m * 2^e, m in [0.5, 1)
  float m = bits_to_float((bits & 0x007FFFFFu) | 0x3F000000u);
  bool small = m < 0.707106781186547524f;
  e -= static_cast<int>(small);
  float t = fadd(select_bits(small, fadd(m, m), m), -1.0f);
  float z = fmul(t, t);
  float p = 7.0376836292e-2f;
  p = fmadd(p, t, -1.1514610310e-1f);
  p = fmadd(p, t, 1.1676998740e-1f);
  p = fmadd(p, t, -1.2420140846e-1f);
  p = fmadd(p, t, 1.4249322787e-1f);
  p = fmadd(p, t, -1.6668057665e-1f);
  p = fmadd(p, t, 2.0000714765e-1f);
  p = fmadd(p, t, -2.4999993993e-1f);
  p = fmadd(p, t, 3.3333331174e-1f);
  float fe = static_cast<float>(e);
  float y = fmul(fmul(p, t), z);
  y = fadd(y, fmul(-2.12194440e-4f, fe));
  y = fadd(y, fmul(-0.5f, z));
  return fadd(fadd(t, y), fmul(0.693359375f, fe));
}

// sin and cos of 2 pi w / 2^32 for a 32-bit word w (Cephes sinf/cosf on
// [-pi/4, pi/4] after an exact quadrant reduction done on the integer).
BASIN_HD void turn_sincos(std::uint32_t w, float* s_out, float* c_out) {
  std::uint32_t q = ((w + 0x20000000u) >> 30) & 3u;               // nearest quarter turn
  std::int32_t d = static_cast<std::int32_t>(w - (q << 30));       // in [-2^29, 2^29)
  float x = fmul(static_cast<float>(d), 1.4629180792671596e-9f);   // 2 pi / 2^32
  float z = fmul(x, x);
  float ps = fmadd(fmadd(-1.9515295891e-4f, z, 8.3321608736e-3f), z, -1.6666654611e-1f);
  float s = fadd(x, fmul(fmul(ps, z), x));
  float pc = fmadd(fmadd(2.443315711809948e-5f, z, -1.388731625493765e-3f), z, 4.166664568298827e-2f);
  float c = fadd(fadd(1.0f, fmul(-0.5f, z)), fmul(fmul(pc, z), z));
  // rotate by q quarter turns: (sin, cos) of (x + q pi/2) is
  // q=0: (s, c), q=1: (c, -s), q=2: (-s, -c), q=3: (-c, s): swap on odd q, then signs
  bool odd = (q & 1u) != 0;
  float so = select_bits(odd, c, s), co = select_bits(odd, s, c);
  *s_out = sign_from((q >> 1) << 31, so);
  *c_out = sign_from(((q ^ (q >> 1)) & 1u) << 31, co);
}

// Uniform in (0, 1] from the top 24 bits: (k + 1) / 2^24, exact in float and
// never 0, so its log is finite.
BASIN_HD float unit_open0(std::uint32_t w) {
  return fmul(static_cast<float>(static_cast<std::int32_t>((w >> 8) + 1u)), 5.9604644775390625e-8f);
}

// Two N(0,1) values (Box-Muller) from two words.
BASIN_HD void box_muller(std::uint32_t w0, std::uint32_t w1, float* z0, float* z1) {
  float r = fsqrt(fmul(-2.0f, fast_log(unit_open0(w0))));
  float s, c;
  turn_sincos(w1, &s, &c);
  *z0 = fmul(r, c);
  *z1 = fmul(r, s);
}

// Standard Cauchy (scale 1) from one word: tan(theta) for theta = 2 pi u,
// u = (w | 1) / 2^32. tan has period pi, so tan(2 pi u) has the law of
// tan(pi (u' - 1/2)) for u' uniform in (0, 1): median 0, quartiles -1 and +1.
// Forcing the low bit keeps u strictly inside (0, 1) and off the poles
// (u = 1/4, 3/4, where cos is 0) and off the exact zeros: the quadrant
// remainder d of turn_sincos is then odd, so |x| >= 2 pi / 2^32 and the divisor
// (cos, or sin on odd quadrants) is never 0; |value| <= about 6.8e8.
// sin and cos are turn_sincos's polynomials, the quotient a correctly rounded
// division on both sides (fdiv), so host and device agree bit for bit.
BASIN_HD float cauchy_unit(std::uint32_t w) {
  float s, c;
  turn_sincos(w | 1u, &s, &c);
  return fdiv(s, c);
}

// One value (std 1; Cauchy: scale 1) of a non-Gaussian distribution from one word.
BASIN_HD float unit_single(Dist d, std::uint32_t w) {
  if (d == Dist::Cauchy) return cauchy_unit(w);
  if (d == Dist::Laplace) {
    // sign from the top bit, |x| = Exp(1) / sqrt 2 from 23 of the low bits
    float u = fmul(static_cast<float>(static_cast<std::int32_t>(((w & 0x7FFFFFFFu) >> 8) + 1u)), 1.1920928955078125e-7f);
    float mag = fmul(-0.70710678118654752f, fast_log(u));
    return sign_from(w, mag);
  }
  if (d == Dist::Uniform) {
    // (2k + 1 - 2^23) / 2^23 for k in [0, 2^23): odd integers over 2^23, a set
    // symmetric about 0, every step exact in float; times sqrt 3 for std 1
    std::int32_t v = static_cast<std::int32_t>(((w >> 9) << 1) + 1u) - 0x800000;
    return fmul(fmul(static_cast<float>(v), 1.1920928955078125e-7f), 1.7320508075688772f);
  }
  // Binomial
  return sign_from(w, 1.0f);
}

// The four std-1 values made from one block's four raw words.
BASIN_HD void units_from_words(Dist d, const philox::U32x4& r, float out[4]) {
  if (d == Dist::Gaussian) {
    box_muller(r.x, r.y, &out[0], &out[1]);
    box_muller(r.z, r.w, &out[2], &out[3]);
  } else {
    out[0] = unit_single(d, r.x);
    out[1] = unit_single(d, r.y);
    out[2] = unit_single(d, r.z);
    out[3] = unit_single(d, r.w);
  }
}

// The four std-1 values of block `blk` of stream `stream`: the raw words are
// block blk of cuRAND's Philox4_32_10 subsequence `stream` under seed
// (kernels/philox.h). The backends get their words in one named place each:
// kernels/cpu/arena.cpp's philox_chunk (many blocks at once) and
// kernels/cuda/arena.cu's noise_words (cuRAND's curand_init + curand4).
BASIN_HD void unit_block(Dist d, std::uint64_t seed, std::uint64_t stream, std::uint64_t blk, float out[4]) {
  units_from_words(d, philox::block(seed, stream, blk), out);
}

// Element i alone (the slow, obvious reference: tests use it).
BASIN_HD float unit_at(Dist d, std::uint64_t seed, std::uint64_t stream, std::uint64_t i) {
  float v[4];
  unit_block(d, seed, stream, i >> 2, v);
  return v[i & 3];
}

}  // namespace basin::kernels::noise

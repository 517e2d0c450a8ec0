#pragma once
// IEEE half (F16) and bfloat16 (BF16) <-> float32, bit-exact, for safetensors
// files from the ecosystem (nn/safetensors.cpp). Widening to float32 is exact
// (every F16 and BF16 value, subnormals, infinities and NaN payloads included,
// is a float32); narrowing rounds to nearest, ties to even, as PyTorch's
// tensor.half() / tensor.bfloat16() do, with overflow to infinity and NaN kept NaN.
#include <cstdint>
#include <cstring>

namespace basin::nn {

inline std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bits_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float bf16_to_float(std::uint16_t h) { return bits_float(static_cast<std::uint32_t>(h) << 16); }

inline std::uint16_t float_to_bf16(float f) {
  std::uint32_t u = float_bits(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((u >> 16) | 0x0040u);  // NaN stays (quiet) NaN
  u += 0x7FFFu + ((u >> 16) & 1u);  // round to nearest even; carries into the exponent (up to inf) as it should
  return static_cast<std::uint16_t>(u >> 16);
}

inline float f16_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1Fu;
  std::uint32_t mant = h & 0x3FFu;
  if (exp == 0x1F) return bits_float(sign | 0x7F800000u | (mant << 13));  // inf, NaN (payload kept)
  if (exp != 0) return bits_float(sign | ((exp + 112u) << 23) | (mant << 13));  // normal: rebias 15 -> 127
  if (mant == 0) return bits_float(sign);  // +-0
  // Subnormal: mant * 2^-24, normalized for float32.
  int e = -1;
  do {
    mant <<= 1;
    ++e;
  } while ((mant & 0x400u) == 0);
  return bits_float(sign | (static_cast<std::uint32_t>(112 - e) << 23) | ((mant & 0x3FFu) << 13));
}

inline std::uint16_t float_to_f16(float f) {
  const std::uint32_t u = float_bits(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
  const std::uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return static_cast<std::uint16_t>(sign | 0x7E00u | ((a >> 13) & 0x3FFu));  // NaN
  if (a >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // >= 65520 rounds to inf
  if (a >= 0x38800000u) {  // normal half (>= 2^-14)
    std::uint32_t r = a - (112u << 23);                 // rebias
    r += 0xFFFu + ((r >> 13) & 1u);                    // round to nearest even on the 13 dropped bits
    return static_cast<std::uint16_t>(sign | (r >> 13));
  }
  if (a < 0x33000000u) return sign;  // < 2^-25: rounds to zero (2^-25 itself is a tie -> even = 0)
  // Subnormal half: value = m * 2^-24 with m = round(a_value * 2^24).
  const std::uint32_t exp = a >> 23;                  // 102 .. 112
  const std::uint32_t mant = (a & 0x7FFFFFu) | 0x800000u;
  const std::uint32_t shift = 126u - exp;             // 14 .. 24: bits dropped from the 24-bit mantissa
  std::uint32_t m = mant >> shift;
  const std::uint32_t rem = mant & ((1u << shift) - 1u), half = 1u << (shift - 1u);
  if (rem > half || (rem == half && (m & 1u))) ++m;   // may carry into the smallest normal: correct
  return static_cast<std::uint16_t>(sign | m);
}

}  // namespace basin::nn

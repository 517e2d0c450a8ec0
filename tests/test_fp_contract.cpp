// The host rounds a*b and then the sum, as the device's __fmul_rn/__fadd_rn do
// (kernels/noise.h): CMakeLists.txt compiles with -ffp-contract=off. On a target
// with FMA (aarch64, -march=native) GCC would otherwise fuse the two into one
// rounding and the CPU noise would stop matching the device's bits.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/noise.h"

namespace basin {
namespace {

// Out of line, with volatile inputs, so nothing is folded at compile time.
__attribute__((noinline)) float mul_then_add(float a, float b, float c) {
  float m = a * b;
  return m + c;
}

TEST(FpContract, HostMultiplyAddRoundsTwice) {
  volatile float a = 1.0f + std::ldexp(1.0f, -12), c = -(1.0f + std::ldexp(1.0f, -11));
  // a*a = 1 + 2^-11 + 2^-24 rounds (tie to even) to 1 + 2^-11; + c is then 0.
  // A fused multiply-add keeps the 2^-24.
  EXPECT_EQ(mul_then_add(a, a, c), 0.0f);
  EXPECT_EQ(kernels::noise::fmadd(a, a, c), 0.0f);
}

}  // namespace
}  // namespace basin

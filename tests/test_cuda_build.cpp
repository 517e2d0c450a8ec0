// Runs on every machine: the build flag and the runtime probe agree, and probing
// for a GPU never throws (a CUDA build must run where there is no driver).
#include <gtest/gtest.h>

#include "tensor/device.h"

TEST(CudaBuild, CompiledFlagMatchesTheBuild) {
#ifdef BASIN_WITH_CUDA
  EXPECT_TRUE(basin::cuda_compiled());
#else
  EXPECT_FALSE(basin::cuda_compiled());
  EXPECT_FALSE(basin::cuda_available());
  EXPECT_EQ(basin::cuda_device_count(), 0);
#endif
}

TEST(CudaBuild, ProbingForADeviceDoesNotThrow) {
  bool available = false;
  int count = -1;
  EXPECT_NO_THROW(available = basin::cuda_available());
  EXPECT_NO_THROW(count = basin::cuda_device_count());
  EXPECT_EQ(available, count > 0);
  EXPECT_GE(count, 0);
}

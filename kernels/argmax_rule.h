#pragma once
// The argmax comparison, written once for the CPU loop (kernels/cpu/reduce.cpp)
// and the CUDA kernel (kernels/cuda/reduce.cu): scanning in ascending index
// order, a candidate replaces the best so far when it is greater or a NaN, and
// nothing replaces a NaN. So the first maximum wins ties and the first NaN wins
// over everything (PyTorch's torch.argmax). Tested on the CPU in
// tests/test_argmax_rule.cpp.
#include "kernels/host_device.h"

namespace basin::kernels {

BASIN_HD bool argmax_takes(float candidate, float best) {
  return best == best && (candidate > best || candidate != candidate);
}

}  // namespace basin::kernels

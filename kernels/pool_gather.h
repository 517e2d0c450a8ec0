#pragma once
// Max-pool backward as a gather, written once for the CUDA kernel
// (kernels/cuda/pool.cu) and checked on the CPU against the CPU backend's
// scatter (tests/test_pool_gather.cpp).
//
// The CPU backend scatters: for each output o of a plane in ascending order,
// grad_x[argmax(o)] += grad_out[o], starting from zero. A float atomicAdd
// scatter on the GPU adds in whatever order the threads arrive, so with
// overlapping windows (stride < kernel, dilation, ceil mode) and three or more
// addends per input pixel the sum is order-dependent. The gather gives each input
// pixel one thread that walks the outputs whose window can contain it in
// ascending (oh, ow) order, the CPU's order, and adds the gradients of those
// whose argmax is this pixel: the same additions in the same order, so the same
// bits, and no atomics.
#include <cstdint>

#include "kernels/host_device.h"
#include "kernels/pool.h"

namespace basin::kernels {

// floor(a / b) for b > 0 and any sign of a (C++ division truncates toward zero).
BASIN_HD std::int64_t pool_floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// The outputs [lo, hi] along one axis whose window can contain input position i.
// Window o covers o*stride - pad + k*dilation for k in [0, kernel), so it can
// contain i only if o*stride lies in [i + pad - (kernel-1)*dilation, i + pad].
// Outputs in the range whose window skips i (dilation) never have i as argmax,
// so the caller needs no finer test. lo > hi when none can.
BASIN_HD void pool_windows_containing(std::int64_t i, std::int64_t out_len, int kernel, int stride, int pad,
                                      int dilation, std::int64_t& lo, std::int64_t& hi) {
  std::int64_t reach = static_cast<std::int64_t>(kernel - 1) * dilation;
  lo = -pool_floor_div(-(i + pad - reach), stride);  // ceil
  hi = pool_floor_div(i + pad, stride);
  if (lo < 0) lo = 0;
  if (hi > out_len - 1) hi = out_len - 1;
}

// grad_x at input pixel (ih, iw) of one plane: gy and idx point at the plane's
// OH x OW outputs and argmax indices (h * W + w), as the forward saved them.
BASIN_HD float max_pool_gather(const float* gy, const std::int64_t* idx, std::int64_t ih, std::int64_t iw,
                               std::int64_t W, std::int64_t OH, std::int64_t OW, const Pool2dParams& p) {
  std::int64_t oh0, oh1, ow0, ow1;
  pool_windows_containing(ih, OH, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h, oh0, oh1);
  pool_windows_containing(iw, OW, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w, ow0, ow1);
  const std::int64_t pixel = ih * W + iw;
  float acc = 0.0f;
  for (std::int64_t oh = oh0; oh <= oh1; ++oh)
    for (std::int64_t ow = ow0; ow <= ow1; ++ow) {
      std::int64_t o = oh * OW + ow;
      if (idx[o] == pixel) acc += gy[o];
    }
  return acc;
}

}  // namespace basin::kernels

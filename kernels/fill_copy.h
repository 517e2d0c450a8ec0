#pragma once
// fill and copy/cast. Both accept strided outputs (so a slice of a larger tensor
// can be filled or assigned in place).
#include "kernels/dispatch.h"

namespace basin::kernels {

// out[...] = value, converted to out's dtype. `out` may be strided.
void fill(Tensor& out, double value);
// dst[...] = src[...] with dtype conversion; src is broadcast (stride 0) to dst's
// shape if needed; both may be strided. Copies across devices too (host<->device
// transfers go through a contiguous staging buffer).
void copy(const Tensor& src, Tensor& dst);

BASIN_DECLARE_BACKENDS(void fill(Tensor& out, double value))
// Same device, same shape (src already expanded), any strides, any dtypes.
BASIN_DECLARE_BACKENDS(void copy(const Tensor& src, Tensor& dst))

namespace cuda {
// Raw contiguous transfers between host and device memory (synchronous).
void memcpy_host_to_device(void* dst, const void* src, std::size_t nbytes, int device);
void memcpy_device_to_host(void* dst, const void* src, std::size_t nbytes, int device);
}  // namespace cuda

}  // namespace basin::kernels

#pragma once
// Shared by the .cu files: a by-value strided indexer and launch helpers. (No
// argument checks here: the entry points, kernels/<family>.cpp, make them.)
//
// An Indexer maps the row-major linear index of an element of a logical shape to
// the element offset in a strided tensor (broadcast axes have stride 0). It is
// built on the host, passed to kernels by value (a few hundred bytes of kernel
// parameters), and merges axes that are laid out contiguously relative to each
// other, so a contiguous tensor of any rank becomes one axis and costs one
// division-free step.
#include <cstdint>

#include "kernels/cuda/context.h"
#include "tensor/tensor.h"

namespace basin::kernels::cuda {

constexpr int kMaxIndexerDims = 8;

struct Indexer {
  int ndim = 0;
  std::int64_t sizes[kMaxIndexerDims] = {};
  std::int64_t strides[kMaxIndexerDims] = {};

  __device__ __forceinline__ std::int64_t operator()(std::int64_t i) const {
    std::int64_t off = 0;
    for (int d = ndim - 1; d > 0; --d) {
      std::int64_t q = i / sizes[d];
      off += (i - q * sizes[d]) * strides[d];
      i = q;
    }
    if (ndim > 0) off += i * strides[0];
    return off;
  }
};

// Indexer for `shape` laid out with `strides` (same rank). Drops size-1 axes and
// merges an axis into the next when stride[d] == stride[d+1] * size[d+1].
inline Indexer make_indexer(const Shape& shape, const Strides& strides, const char* op) {
  BASIN_CHECK(shape.size() == strides.size(), op << ": shape " << shape_str(shape) << " and strides "
                                                 << shape_str(strides) << " differ in rank");
  std::int64_t sz[64], st[64];
  int n = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    BASIN_CHECK(n < 64, op << ": too many axes in " << shape_str(shape));
    if (n > 0 && st[n - 1] == strides[d] * shape[d]) {
      sz[n - 1] *= shape[d];
      st[n - 1] = strides[d];
    } else {
      sz[n] = shape[d];
      st[n] = strides[d];
      ++n;
    }
  }
  BASIN_CHECK(n <= kMaxIndexerDims, op << ": the CUDA backend supports views of at most " << kMaxIndexerDims
                                       << " non-mergeable axes; got shape " << shape_str(shape) << " strides "
                                       << shape_str(strides) << " (make it contiguous first)");
  Indexer ix;
  ix.ndim = n;
  for (int d = 0; d < n; ++d) {
    ix.sizes[d] = sz[d];
    ix.strides[d] = st[d];
  }
  return ix;
}

inline Indexer make_indexer(const Tensor& t, const char* op) { return make_indexer(t.shape(), t.strides(), op); }

// Grid-stride loop over [0, n).
#define BASIN_CUDA_KERNEL_LOOP(i, n)                                                                   \
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n);      \
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)

constexpr int kThreads = 256;

}  // namespace basin::kernels::cuda

#pragma once
// Small helpers shared by the autograd/*_ops.cpp files (internal, not API).
#include <vector>

#include "autograd/function.h"
#include "autograd/ops.h"
#include "tensor/tensor.h"

namespace basin::detail {

// A stride-0 broadcast view of x with `shape` (no graph node); errors name `op`.
Tensor expand_raw(const Tensor& x, const Shape& shape, const char* op);
// Fresh contiguous float32 tensor on `device`.
inline Tensor new_float(const Shape& shape, Device device) { return Tensor::empty(shape, DType::Float32, device); }
// Shape with the listed (normalized, sorted) axes removed.
Shape drop_axes(const Shape& s, const std::vector<int>& axes);
// Normalizes, sorts and de-duplicates axes (empty list = all axes).
std::vector<int> normalize_axes(const std::vector<int>& axes, int dim, const char* op);

}  // namespace basin::detail

#pragma once
// Reductions over a set of axes. `out` has x's rank with the reduced axes of size
// 1 (keepdim layout; callers reshape), contiguous. Reducing an empty axis gives
// 0 for Sum, NaN for Mean and an error for Max/Min.
#include <vector>

#include "kernels/dispatch.h"

namespace basin::kernels {

enum class ReduceOp { Sum, Mean, Max, Min };

void reduce(ReduceOp op, const Tensor& x, const std::vector<int>& axes, Tensor& out);
// Index of the largest element along `axis` (first on ties); out int64 with the
// axis of size 1.
void argmax(const Tensor& x, int axis, Tensor& out);

BASIN_DECLARE_BACKENDS(void reduce(ReduceOp op, const Tensor& x, const std::vector<int>& axes, Tensor& out))
BASIN_DECLARE_BACKENDS(void argmax(const Tensor& x, int axis, Tensor& out))

}  // namespace basin::kernels

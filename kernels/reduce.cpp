// Entry points for reductions: all argument checks (dtype, the keepdim output
// shape, layout, devices; the backends trust their arguments), then dispatch.
#include "kernels/reduce.h"

#include <algorithm>

namespace basin::kernels {

namespace {
const char* reduce_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return "sum";
    case ReduceOp::Mean: return "mean";
    case ReduceOp::Max: return "max";
    case ReduceOp::Min: return "min";
  }
  return "reduce";
}
}  // namespace

void reduce(ReduceOp op, const Tensor& x, const std::vector<int>& axes_in, Tensor& out) {
  const char* name = reduce_name(op);
  BASIN_CHECK(x.defined() && out.defined(), name << ": undefined " << (x.defined() ? "output" : "input"));
  BASIN_CHECK(x.dtype() == DType::Float32 && out.dtype() == DType::Float32,
              name << ": expects float32 tensors, got " << dtype_name(x.dtype()) << shape_str(x.shape()) << " -> "
                   << dtype_name(out.dtype()) << shape_str(out.shape()));
  std::vector<int> axes;
  for (int a : axes_in) {
    int n = normalize_axis(a, x.dim(), name);
    if (x.dim() == 0) continue;
    BASIN_CHECK(std::find(axes.begin(), axes.end(), n) == axes.end(), name << ": axis " << a << " given twice");
    axes.push_back(n);
  }
  std::sort(axes.begin(), axes.end());
  Shape keep = x.shape();
  std::int64_t reduced = 1;
  for (int a : axes) {
    reduced *= keep[a];
    keep[a] = 1;
  }
  BASIN_CHECK(out.shape() == keep, name << ": output shape " << shape_str(out.shape()) << " should be "
                                        << shape_str(keep) << " for input " << shape_str(x.shape()));
  BASIN_CHECK(out.is_contiguous(), name << ": output must be contiguous");
  check_same_device(name, {&x, &out});
  BASIN_CHECK(reduced > 0 || (op != ReduceOp::Max && op != ReduceOp::Min),
              name << ": reducing an empty axis of shape " << shape_str(x.shape()) << " has no identity");
  if (out.numel() == 0) return;
  BASIN_DISPATCH(out.device(), reduce, op, x, axes, out);
}

void argmax(const Tensor& x, int axis, Tensor& out) {
  BASIN_CHECK(x.defined() && out.defined(), "argmax: undefined " << (x.defined() ? "output" : "input"));
  BASIN_CHECK(x.dtype() == DType::Float32,
              "argmax: expects float32, got " << dtype_name(x.dtype()) << shape_str(x.shape()));
  BASIN_CHECK(out.dtype() == DType::Int64, "argmax: output must be int64, got " << dtype_name(out.dtype()));
  BASIN_CHECK(x.dim() > 0, "argmax: needs a tensor with at least one axis");
  int a = normalize_axis(axis, x.dim(), "argmax");
  Shape keep = x.shape();
  keep[a] = 1;
  BASIN_CHECK(out.shape() == keep, "argmax: output shape " << shape_str(out.shape()) << " should be "
                                                           << shape_str(keep) << " for input " << shape_str(x.shape()));
  BASIN_CHECK(out.is_contiguous(), "argmax: output must be contiguous");
  BASIN_CHECK(x.shape()[a] > 0, "argmax: axis " << axis << " of shape " << shape_str(x.shape()) << " is empty");
  check_same_device("argmax", {&x, &out});
  if (out.numel() == 0) return;
  BASIN_DISPATCH(out.device(), argmax, x, a, out);
}

}  // namespace basin::kernels

// Differentiable reductions. The kernels produce the keepdim layout; the
// gradient of a sum is the incoming gradient broadcast back over the reduced axes.
#include "autograd/op_helpers.h"
#include "kernels/elementwise.h"
#include "kernels/fill_copy.h"
#include "kernels/reduce.h"

namespace basin {

using kernels::ReduceOp;

namespace {

Shape keepdim_shape(const Shape& s, const std::vector<int>& axes) {
  Shape k = s;
  for (int a : axes) k[a] = 1;
  return k;
}

// Raw reduction with the keepdim layout.
Tensor reduce_raw(ReduceOp op, const Tensor& x, const std::vector<int>& axes) {
  Tensor out = detail::new_float(keepdim_shape(x.shape(), axes), x.device());
  kernels::reduce(op, x, axes, out);
  return out;
}

// g (shape of the reduction's result) broadcast back to `in` as a dense tensor:
// dense because later kernels (matmul, cuDNN) may require contiguous gradients.
Tensor broadcast_back(const Tensor& g, const Shape& in, const std::vector<int>& axes, float scale) {
  Tensor gk = g.reshape(keepdim_shape(in, axes));
  Tensor out = detail::new_float(in, g.device());
  kernels::scalar(kernels::BinaryOp::Mul, detail::expand_raw(gk, in, "sum backward"), scale, out);
  return out;
}

Tensor reduce_op(ReduceOp op, const char* name, const Tensor& x, const std::vector<int>& axes_in, bool keepdim) {
  std::vector<int> axes = detail::normalize_axes(axes_in, x.dim(), name);
  Tensor out = reduce_raw(op, x.detach(), axes);
  if (!keepdim) out = out.reshape(detail::drop_axes(x.shape(), axes));
  std::int64_t n = 1;
  for (int a : axes) n *= x.shape()[a];
  float scale = op == ReduceOp::Mean ? 1.0f / static_cast<float>(n) : 1.0f;
  Shape in = x.shape();
  return record(name, out, {x}, [in, axes, scale](const Tensor& g) {
    return std::vector<Tensor>{broadcast_back(g, in, axes, scale)};
  });
}

}  // namespace

Tensor sum(const Tensor& x) { return reduce_op(ReduceOp::Sum, "sum", x, {}, false); }
Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdim) {
  BASIN_CHECK(!axes.empty(), "sum: empty axis list (use sum(x) to reduce everything)");
  return reduce_op(ReduceOp::Sum, "sum", x, axes, keepdim);
}
Tensor mean(const Tensor& x) { return reduce_op(ReduceOp::Mean, "mean", x, {}, false); }
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdim) {
  BASIN_CHECK(!axes.empty(), "mean: empty axis list (use mean(x) to reduce everything)");
  return reduce_op(ReduceOp::Mean, "mean", x, axes, keepdim);
}

Tensor argmax(const Tensor& x, int axis) {
  BASIN_CHECK(x.defined(), "argmax: undefined tensor");
  BASIN_CHECK(x.dim() > 0, "argmax: needs a tensor with at least one axis");
  int a = normalize_axis(axis, x.dim(), "argmax");
  Tensor out = Tensor::empty(keepdim_shape(x.shape(), {a}), DType::Int64, x.device());
  kernels::argmax(x.detach(), a, out);
  return out.reshape(detail::drop_axes(x.shape(), {a}));
}

Tensor max(const Tensor& x, int axis, bool keepdim) {
  BASIN_CHECK(x.dim() > 0, "max: needs a tensor with at least one axis");
  int a = normalize_axis(axis, x.dim(), "max");
  Tensor dx = x.detach();
  Tensor out = reduce_raw(ReduceOp::Max, dx, {a});
  if (!keepdim) out = out.reshape(detail::drop_axes(x.shape(), {a}));
  return record("max", out, {x}, [dx, a](const Tensor& g) {
    // The gradient goes to the first maximum only: one-hot of argmax along `a`,
    // built as (position along a == argmax) with device kernels.
    const Shape& in = dx.shape();
    Shape k = keepdim_shape(in, {a});
    Tensor idx = Tensor::empty(k, DType::Int64, dx.device());
    kernels::argmax(dx, a, idx);
    Tensor idx_f = idx.to(DType::Float32);
    std::vector<float> pos(static_cast<size_t>(in[a]));
    for (size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<float>(i);
    Shape pos_shape(in.size(), 1);
    pos_shape[a] = in[a];
    Tensor positions = Tensor::from_vector(pos, pos_shape, dx.device());
    Tensor onehot = detail::new_float(in, dx.device());
    kernels::binary(kernels::BinaryOp::Eq, detail::expand_raw(positions, in, "max backward"),
                    detail::expand_raw(idx_f, in, "max backward"), onehot);
    Tensor gk = g.reshape(k);
    Tensor out = detail::new_float(in, dx.device());
    kernels::binary(kernels::BinaryOp::Mul, onehot, detail::expand_raw(gk, in, "max backward"), out);
    return std::vector<Tensor>{out};
  });
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const int n = g.dim(), k = static_cast<int>(shape.size());
  BASIN_CHECK(n >= k, "sum_to: cannot reduce shape " << shape_str(g.shape()) << " to " << shape_str(shape));
  // Leading axes that `shape` lacks, and axes where `shape` has 1 and g does not.
  std::vector<int> axes;
  for (int i = 0; i < n; ++i) {
    int j = i - (n - k);
    if (j < 0) {
      axes.push_back(i);
    } else if (shape[j] != g.shape()[i]) {
      BASIN_CHECK(shape[j] == 1, "sum_to: cannot reduce shape " << shape_str(g.shape()) << " to "
                                                                << shape_str(shape));
      axes.push_back(i);
    }
  }
  Tensor r = axes.empty() ? g : sum(g, axes, true);
  return r.reshape(shape);
}

}  // namespace basin

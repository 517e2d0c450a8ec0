// Softmax, log-softmax along any axis, and the fused cross-entropy loss. The
// kernels work on rows of a contiguous [N, C]; other axes are moved last first.
#include "autograd/op_helpers.h"
#include "kernels/softmax.h"

namespace basin {

namespace {

// x with `axis` moved last, made contiguous and flattened to [rows, C]. Runs on
// detached tensors (no graph); `moved` receives the shape before flattening.
Tensor to_rows(const Tensor& x, int axis, Shape* moved) {
  Tensor t = x.dim() == 0 ? x.reshape({1}) : x.transpose(axis, -1);
  *moved = t.shape();
  std::int64_t c = t.shape().back(), rows = 1;
  for (size_t i = 0; i + 1 < t.shape().size(); ++i) rows *= t.shape()[i];
  return t.contiguous().reshape({rows, c});
}

// Inverse of to_rows: back to x's layout, contiguous.
Tensor from_rows(const Tensor& r, const Shape& moved, const Shape& shape, int axis) {
  Tensor t = r.reshape(moved);
  if (shape.empty()) return t.reshape(shape);
  return t.transpose(axis, -1).contiguous();
}

Tensor softmax_impl(const Tensor& x, int axis_in, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  int axis = normalize_axis(axis_in, x.dim(), name);
  Shape moved;
  Tensor rows = to_rows(x.detach(), axis, &moved);
  Tensor y = detail::new_float(rows.shape(), x.device());
  kernels::softmax(rows, y, log);
  Tensor out = from_rows(y, moved, x.shape(), axis);
  Shape shape = x.shape();
  return record(name, out, {x}, [y, moved, shape, axis, log](const Tensor& g) {
    Shape gm;
    Tensor grows = to_rows(g, axis, &gm);
    Tensor dx = detail::new_float(y.shape(), g.device());
    kernels::softmax_backward(y, grows, dx, log);
    return std::vector<Tensor>{from_rows(dx, moved, shape, axis)};
  });
}

}  // namespace

Tensor softmax(const Tensor& x, int axis) { return softmax_impl(x, axis, false); }
Tensor log_softmax(const Tensor& x, int axis) { return softmax_impl(x, axis, true); }

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, float label_smoothing) {
  BASIN_CHECK(logits.dim() == 2, "cross_entropy: logits must be [N, C], got " << shape_str(logits.shape()));
  BASIN_CHECK(labels.defined() && (labels.dtype() == DType::Int64 || labels.dtype() == DType::Int32),
              "cross_entropy: labels must be int64 (or int32)");
  BASIN_CHECK(labels.dim() == 1 && labels.shape()[0] == logits.shape()[0],
              "cross_entropy: labels " << shape_str(labels.shape()) << " do not match logits "
                                       << shape_str(logits.shape()));
  Tensor lab = labels.detach().to(DType::Int64).contiguous();
  Tensor x = logits.detach().contiguous();
  Tensor logp = detail::new_float(x.shape(), x.device());
  Tensor loss = detail::new_float({1}, x.device());
  kernels::cross_entropy(x, lab, label_smoothing, loss, logp);
  Tensor out = loss.reshape({});
  return record("cross_entropy", out, {logits}, [logp, lab, label_smoothing](const Tensor& g) {
    Tensor dlogits = detail::new_float(logp.shape(), logp.device());
    kernels::cross_entropy_backward(logp, lab, label_smoothing, g.contiguous(), dlogits);
    return std::vector<Tensor>{dlogits};
  });
}

}  // namespace basin

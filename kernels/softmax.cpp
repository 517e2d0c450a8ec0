// Entry points for the softmax family and the fused cross-entropy: all argument
// checks (the backends trust their arguments), then dispatch. Out-of-range labels
// are found by the backends, which read the labels.
#include "kernels/softmax.h"

namespace basin::kernels {

namespace {
void check_rows(const char* op, const Tensor& t, const char* role) {
  BASIN_CHECK(t.defined(), op << ": " << role << " is undefined");
  BASIN_CHECK(t.dtype() == DType::Float32,
              op << ": " << role << " must be float32, got " << dtype_name(t.dtype()) << shape_str(t.shape()));
  BASIN_CHECK(t.dim() == 2, op << ": " << role << " must be [N, C], got " << shape_str(t.shape()));
  BASIN_CHECK(t.is_contiguous(), op << ": " << role << " " << shape_str(t.shape()) << " must be contiguous");
}
void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  BASIN_CHECK(a.shape() == b.shape(), op << ": shapes " << shape_str(a.shape()) << " and " << shape_str(b.shape())
                                         << " differ");
}
void check_labels(const char* op, const Tensor& logits, const Tensor& labels) {
  BASIN_CHECK(labels.defined() && labels.dtype() == DType::Int64,
              op << ": labels must be int64, got " << (labels.defined() ? dtype_name(labels.dtype()) : "undefined"));
  BASIN_CHECK(labels.dim() == 1 && labels.shape()[0] == logits.shape()[0] && labels.is_contiguous(),
              op << ": labels " << shape_str(labels.shape()) << " must be a contiguous [N] for logits "
                 << shape_str(logits.shape()));
}
void check_smoothing(const char* op, float eps) {
  BASIN_CHECK(eps >= 0.0f && eps <= 1.0f, op << ": label_smoothing must be in [0, 1], got " << eps);
}
}  // namespace

void softmax(const Tensor& x, Tensor& out, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  check_rows(op, x, "input");
  check_rows(op, out, "output");
  check_same_shape(op, x, out);
  check_same_device(op, {&x, &out});
  if (x.numel() == 0) return;
  BASIN_DISPATCH(out.device(), softmax, x, out, log);
}

void softmax_backward(const Tensor& y, const Tensor& dy, Tensor& dx, bool log) {
  const char* op = log ? "log_softmax_backward" : "softmax_backward";
  check_rows(op, y, "output");
  check_rows(op, dy, "output gradient");
  check_rows(op, dx, "input gradient");
  check_same_shape(op, y, dy);
  check_same_shape(op, y, dx);
  check_same_device(op, {&y, &dy, &dx});
  if (y.numel() == 0) return;
  BASIN_DISPATCH(dx.device(), softmax_backward, y, dy, dx, log);
}

void cross_entropy(const Tensor& logits, const Tensor& labels, float label_smoothing, Tensor& loss, Tensor& logp) {
  check_rows("cross_entropy", logits, "logits");
  check_rows("cross_entropy", logp, "log-probabilities");
  check_same_shape("cross_entropy", logits, logp);
  check_labels("cross_entropy", logits, labels);
  check_smoothing("cross_entropy", label_smoothing);
  BASIN_CHECK(loss.defined() && loss.dtype() == DType::Float32 && loss.numel() == 1,
              "cross_entropy: loss must be a 1-element float32 tensor");
  BASIN_CHECK(logits.shape()[1] > 0, "cross_entropy: logits " << shape_str(logits.shape()) << " have no classes");
  check_same_device("cross_entropy", {&logits, &labels, &loss, &logp});
  BASIN_DISPATCH(loss.device(), cross_entropy, logits, labels, label_smoothing, loss, logp);
}

void cross_entropy_backward(const Tensor& logp, const Tensor& labels, float label_smoothing, const Tensor& grad_loss,
                            Tensor& dlogits) {
  check_rows("cross_entropy_backward", logp, "log-probabilities");
  check_rows("cross_entropy_backward", dlogits, "logit gradient");
  check_same_shape("cross_entropy_backward", logp, dlogits);
  check_labels("cross_entropy_backward", logp, labels);
  check_smoothing("cross_entropy_backward", label_smoothing);
  BASIN_CHECK(grad_loss.defined() && grad_loss.dtype() == DType::Float32 && grad_loss.numel() == 1,
              "cross_entropy_backward: grad_loss must be a 1-element float32 tensor");
  check_same_device("cross_entropy_backward", {&logp, &labels, &grad_loss, &dlogits});
  if (logp.numel() == 0) return;
  BASIN_DISPATCH(dlogits.device(), cross_entropy_backward, logp, labels, label_smoothing, grad_loss, dlogits);
}

}  // namespace basin::kernels

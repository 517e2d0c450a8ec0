// Entry points of the pooling kernels: all argument checks (the backends trust
// their arguments), empty tensors handled here, then dispatch.
#include "kernels/pool.h"

#include "kernels/fill_copy.h"

namespace basin::kernels {

namespace {
// PyTorch's pooling_output_shape: with ceil_mode the last window may hang over
// the right edge, but must start inside the input or its left padding.
std::int64_t pooled_size(std::int64_t in, int k, int pad, int stride, int dilation, bool ceil_mode) {
  std::int64_t num = in + 2 * pad - static_cast<std::int64_t>(dilation) * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  std::int64_t out = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

void check(const char* op, const Tensor& t, DType dt, const Shape* shape = nullptr) {
  BASIN_CHECK(t.defined() && t.dtype() == dt, op << ": expects " << dtype_name(dt) << ", got " << t.str());
  BASIN_CHECK(t.is_contiguous(), op << ": expects a contiguous tensor, got strides " << shape_str(t.strides()));
  if (shape) BASIN_CHECK(t.shape() == *shape, op << ": tensor is " << shape_str(t.shape()) << ", expected "
                                                 << shape_str(*shape));
}

void check_4d(const char* op, const Tensor& t) {
  BASIN_CHECK(t.defined() && t.dim() == 4, op << ": expects [N, C, H, W], got " << t.str());
}
}  // namespace

Shape pool2d_output_shape(const Shape& x, const Pool2dParams& p, const char* op) {
  BASIN_CHECK(x.size() == 4, op << ": input must be [N, C, H, W], got " << shape_str(x));
  BASIN_CHECK(p.kernel_h >= 1 && p.kernel_w >= 1 && p.stride_h >= 1 && p.stride_w >= 1 && p.dilation_h >= 1 &&
                  p.dilation_w >= 1 && p.pad_h >= 0 && p.pad_w >= 0,
              op << ": invalid kernel " << p.kernel_h << "x" << p.kernel_w << ", stride " << p.stride_h << "x"
                 << p.stride_w << ", padding " << p.pad_h << "x" << p.pad_w << ", dilation " << p.dilation_h
                 << "x" << p.dilation_w);
  // PyTorch's rule: padding at most half the effective (dilated) window.
  BASIN_CHECK(p.pad_h <= ((p.kernel_h - 1) * p.dilation_h + 1) / 2 &&
                  p.pad_w <= ((p.kernel_w - 1) * p.dilation_w + 1) / 2,
              op << ": padding " << p.pad_h << "x" << p.pad_w << " must be at most half the kernel "
                 << p.kernel_h << "x" << p.kernel_w);
  std::int64_t oh = pooled_size(x[2], p.kernel_h, p.pad_h, p.stride_h, p.dilation_h, p.ceil_mode);
  std::int64_t ow = pooled_size(x[3], p.kernel_w, p.pad_w, p.stride_w, p.dilation_w, p.ceil_mode);
  BASIN_CHECK(oh >= 1 && ow >= 1, op << ": input " << shape_str(x) << " is too small for kernel " << p.kernel_h
                                     << "x" << p.kernel_w << " (output would be " << oh << "x" << ow << ")");
  return {x[0], x[1], oh, ow};
}

void max_pool2d_forward(const Tensor& x, Tensor& out, Tensor& indices, const Pool2dParams& p) {
  const char* op = "max_pool2d_forward";
  check_same_device(op, {&x, &out, &indices});
  check(op, x, DType::Float32);
  Shape os = pool2d_output_shape(x.shape(), p, op);
  check(op, out, DType::Float32, &os);
  check(op, indices, DType::Int64, &os);
  if (out.numel() == 0) return;
  BASIN_DISPATCH(out.device(), max_pool2d_forward, x, out, indices, p);
}

void max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, Tensor& grad_x, const Pool2dParams& p) {
  const char* op = "max_pool2d_backward";
  check_same_device(op, {&grad_out, &indices, &grad_x});
  check_4d(op, grad_x);
  check_4d(op, grad_out);
  check(op, grad_out, DType::Float32);
  check(op, indices, DType::Int64, &grad_out.shape());
  check(op, grad_x, DType::Float32);
  BASIN_CHECK(grad_out.shape()[0] == grad_x.shape()[0] && grad_out.shape()[1] == grad_x.shape()[1],
              op << ": grad_out " << shape_str(grad_out.shape()) << " does not match grad_x "
                 << shape_str(grad_x.shape()));
  if (grad_x.numel() == 0) return;
  if (grad_out.numel() == 0) return fill(grad_x, 0.0);  // no window: nothing flows back
  Shape os = pool2d_output_shape(grad_x.shape(), p, op);  // the gather walks p's windows
  check(op, grad_out, DType::Float32, &os);
  BASIN_DISPATCH(grad_x.device(), max_pool2d_backward, grad_out, indices, grad_x, p);
}

void avg_pool2d_forward(const Tensor& x, Tensor& out, const Pool2dParams& p) {
  const char* op = "avg_pool2d_forward";
  check_same_device(op, {&x, &out});
  BASIN_CHECK(p.dilation_h == 1 && p.dilation_w == 1, op << ": dilation is not supported for average pooling");
  check(op, x, DType::Float32);
  Shape os = pool2d_output_shape(x.shape(), p, op);
  check(op, out, DType::Float32, &os);
  if (out.numel() == 0) return;
  BASIN_DISPATCH(out.device(), avg_pool2d_forward, x, out, p);
}

void avg_pool2d_backward(const Tensor& grad_out, Tensor& grad_x, const Pool2dParams& p) {
  const char* op = "avg_pool2d_backward";
  check_same_device(op, {&grad_out, &grad_x});
  BASIN_CHECK(p.dilation_h == 1 && p.dilation_w == 1, op << ": dilation is not supported for average pooling");
  check(op, grad_x, DType::Float32);
  Shape os = pool2d_output_shape(grad_x.shape(), p, op);
  check(op, grad_out, DType::Float32, &os);
  if (grad_x.numel() == 0) return;
  BASIN_DISPATCH(grad_x.device(), avg_pool2d_backward, grad_out, grad_x, p);
}

void adaptive_avg_pool2d_forward(const Tensor& x, Tensor& out) {
  const char* op = "adaptive_avg_pool2d_forward";
  check_same_device(op, {&x, &out});
  check_4d(op, x);
  check_4d(op, out);
  check(op, x, DType::Float32);
  check(op, out, DType::Float32);
  BASIN_CHECK(x.shape()[0] == out.shape()[0] && x.shape()[1] == out.shape()[1] && out.shape()[2] >= 1 &&
                  out.shape()[3] >= 1 && x.shape()[2] >= 1 && x.shape()[3] >= 1,
              op << ": cannot pool " << shape_str(x.shape()) << " to " << shape_str(out.shape()));
  if (out.numel() == 0) return;
  BASIN_DISPATCH(out.device(), adaptive_avg_pool2d_forward, x, out);
}

void adaptive_avg_pool2d_backward(const Tensor& grad_out, Tensor& grad_x) {
  const char* op = "adaptive_avg_pool2d_backward";
  check_same_device(op, {&grad_out, &grad_x});
  check_4d(op, grad_x);
  check_4d(op, grad_out);
  check(op, grad_out, DType::Float32);
  check(op, grad_x, DType::Float32);
  BASIN_CHECK(grad_x.shape()[0] == grad_out.shape()[0] && grad_x.shape()[1] == grad_out.shape()[1] &&
                  grad_x.shape()[2] >= 1 && grad_x.shape()[3] >= 1,
              op << ": grad_out " << shape_str(grad_out.shape()) << " does not match grad_x "
                 << shape_str(grad_x.shape()));
  if (grad_x.numel() == 0) return;
  if (grad_out.numel() == 0) return fill(grad_x, 0.0);  // no bin: nothing flows back
  BASIN_DISPATCH(grad_x.device(), adaptive_avg_pool2d_backward, grad_out, grad_x);
}

}  // namespace basin::kernels

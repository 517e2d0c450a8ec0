// Entry points of the conv2d kernels: all argument checks (the backends trust
// their arguments), empty tensors handled here (an empty batch or channel set
// gives zeros, or just the bias, without reaching a backend: cuDNN rejects
// zero-sized dimensions), then dispatch.
#include "kernels/conv.h"

#include <atomic>

#include "kernels/cpu_fast_path.h"
#include "kernels/elementwise.h"
#include "kernels/fill_copy.h"

namespace basin::kernels {

namespace {
std::atomic<bool> g_allow_tf32{true};
}
void set_conv_allow_tf32(bool allowed) { g_allow_tf32.store(allowed); }
bool conv_allow_tf32() { return g_allow_tf32.load(); }

Shape conv2d_output_shape(const Shape& x, const Shape& w, const Conv2dParams& p, const char* op) {
  BASIN_CHECK(x.size() == 4, op << ": input must be [N, C, H, W], got " << shape_str(x));
  BASIN_CHECK(w.size() == 4, op << ": weight must be [O, C/groups, kh, kw], got " << shape_str(w));
  BASIN_CHECK(p.groups >= 1 && p.stride_h >= 1 && p.stride_w >= 1 && p.dilation_h >= 1 && p.dilation_w >= 1 &&
                  p.pad_h >= 0 && p.pad_w >= 0,
              op << ": invalid parameters stride " << p.stride_h << "x" << p.stride_w << ", padding " << p.pad_h
                 << "x" << p.pad_w << ", dilation " << p.dilation_h << "x" << p.dilation_w << ", groups "
                 << p.groups);
  BASIN_CHECK(x[1] % p.groups == 0 && w[0] % p.groups == 0,
              op << ": groups " << p.groups << " must divide input channels and output channels (input "
                 << shape_str(x) << ", weight " << shape_str(w) << ")");
  BASIN_CHECK(w[1] * p.groups == x[1], op << ": weight " << shape_str(w) << " expects " << w[1] * p.groups
                                          << " input channels (groups " << p.groups << ") but input is "
                                          << shape_str(x));
  std::int64_t eff_h = p.dilation_h * (w[2] - 1) + 1, eff_w = p.dilation_w * (w[3] - 1) + 1;
  std::int64_t oh = (x[2] + 2 * p.pad_h - eff_h) / p.stride_h + 1;
  std::int64_t ow = (x[3] + 2 * p.pad_w - eff_w) / p.stride_w + 1;
  BASIN_CHECK(w[2] >= 1 && w[3] >= 1 && x[2] + 2 * p.pad_h >= eff_h && x[3] + 2 * p.pad_w >= eff_w,
              op << ": kernel " << shape_str(w) << " (dilation " << p.dilation_h << "x" << p.dilation_w
                 << ") is larger than the padded input " << shape_str(x));
  return {x[0], w[0], oh, ow};
}

namespace {
void check_f32(const char* op, std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts) {
    if (!t->defined()) continue;
    BASIN_CHECK(t->dtype() == DType::Float32, op << ": expects float32 tensors, got " << t->str());
    BASIN_CHECK(t->is_contiguous(), op << ": expects contiguous tensors, got strides " << shape_str(t->strides())
                                       << " for " << t->str());
  }
}
void check_shape(const char* op, const char* what, const Tensor& t, const Shape& s) {
  BASIN_CHECK(t.shape() == s, op << ": " << what << " is " << shape_str(t.shape()) << ", expected " << shape_str(s));
}
}  // namespace

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& out, const Conv2dParams& p) {
  const char* op = "conv2d_forward";
  check_defined(op, x, "input");
  check_defined(op, w, "weight");
  check_defined(op, out, "output");
  check_same_device(op, {&x, &w, &bias, &out});
  check_f32(op, {&x, &w, &bias, &out});
  check_shape(op, "output", out, conv2d_output_shape(x.shape(), w.shape(), p, op));
  if (bias.defined()) check_shape(op, "bias", bias, {w.shape()[0]});
  if (out.numel() == 0) return;
  if (x.numel() == 0 || w.numel() == 0) {  // no input channels: the sum over them is empty
    fill(out, 0.0);
    if (bias.defined()) {
      const Shape& s = out.shape();
      binary(BinaryOp::Add, out, raw::view_as(bias, s, {0, 1, 0, 0}, bias.offset()), out);
    }
    return;
  }
  BASIN_CPU_FAST_PATH(out.device(), conv2d_forward, x, w, bias, out, p);
  BASIN_DISPATCH(out.device(), conv2d_forward, x, w, bias, out, p);
}

void conv2d_backward_input(const Tensor& grad_out, const Tensor& w, Tensor& grad_x, const Conv2dParams& p) {
  const char* op = "conv2d_backward_input";
  check_defined(op, grad_out, "grad_out");
  check_defined(op, w, "weight");
  check_defined(op, grad_x, "grad_x");
  check_same_device(op, {&grad_out, &w, &grad_x});
  check_f32(op, {&grad_out, &w, &grad_x});
  check_shape(op, "grad_out", grad_out, conv2d_output_shape(grad_x.shape(), w.shape(), p, op));
  if (grad_x.numel() == 0) return;
  if (grad_out.numel() == 0 || w.numel() == 0) return fill(grad_x, 0.0);  // no output channels
  BASIN_CPU_FAST_PATH(grad_x.device(), conv2d_backward_input, grad_out, w, grad_x, p);
  BASIN_DISPATCH(grad_x.device(), conv2d_backward_input, grad_out, w, grad_x, p);
}

void conv2d_backward_weight(const Tensor& x, const Tensor& grad_out, Tensor& grad_w, const Conv2dParams& p) {
  const char* op = "conv2d_backward_weight";
  check_defined(op, x, "input");
  check_defined(op, grad_out, "grad_out");
  check_defined(op, grad_w, "grad_w");
  check_same_device(op, {&x, &grad_out, &grad_w});
  check_f32(op, {&x, &grad_out, &grad_w});
  check_shape(op, "grad_out", grad_out, conv2d_output_shape(x.shape(), grad_w.shape(), p, op));
  if (grad_w.numel() == 0) return;
  if (x.numel() == 0 || grad_out.numel() == 0) return fill(grad_w, 0.0);  // empty batch: nothing to sum
  BASIN_CPU_FAST_PATH(grad_w.device(), conv2d_backward_weight, x, grad_out, grad_w, p);
  BASIN_DISPATCH(grad_w.device(), conv2d_backward_weight, x, grad_out, grad_w, p);
}

void conv2d_backward_bias(const Tensor& grad_out, Tensor& grad_b) {
  const char* op = "conv2d_backward_bias";
  check_defined(op, grad_out, "grad_out");
  check_defined(op, grad_b, "grad_b");
  check_same_device(op, {&grad_out, &grad_b});
  check_f32(op, {&grad_out, &grad_b});
  BASIN_CHECK(grad_out.dim() == 4, op << ": grad_out must be [N, O, OH, OW], got " << shape_str(grad_out.shape()));
  check_shape(op, "grad_b", grad_b, {grad_out.shape()[1]});
  if (grad_b.numel() == 0) return;
  if (grad_out.numel() == 0) return fill(grad_b, 0.0);  // empty batch: nothing to sum
  BASIN_DISPATCH(grad_b.device(), conv2d_backward_bias, grad_out, grad_b);
}

}  // namespace basin::kernels

#pragma once
// 2-D convolution (cross-correlation, as PyTorch's conv2d) on NCHW float32.
// x [N, C, H, W], w [O, C/groups, kh, kw], bias [O] or undefined, out
// [N, O, OH, OW] with OH = (H + 2*pad_h - dilation_h*(kh-1) - 1) / stride_h + 1.
// All tensors contiguous (the entry points make them so). CPU: im2col + sgemm
// over chunks of the batch; CUDA: cuDNN with algorithms cached per shape.
#include "kernels/dispatch.h"

namespace basin::kernels {

struct Conv2dParams {
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int dilation_h = 1, dilation_w = 1;
  int groups = 1;
  // The same stride/padding/dilation on both axes (what ResNets use).
  static Conv2dParams square(int stride, int padding, int dilation = 1, int groups = 1) {
    Conv2dParams p;
    p.stride_h = p.stride_w = stride;
    p.pad_h = p.pad_w = padding;
    p.dilation_h = p.dilation_w = dilation;
    p.groups = groups;
    return p;
  }
};

// Whether the CUDA backend may use TF32 tensor cores for float32 convolutions
// (faster on Ampere and later, ~1e-3 relative error). On by default, like
// PyTorch's torch.backends.cudnn.allow_tf32; training sets it from --tf32.
// Curvature (curvature/model_objective.cpp) always runs with it off (finite
// differences of TF32 noise are garbage), and so do tests that compare with the
// CPU or float64 references. No effect on the CPU backend. Process-wide.
void set_conv_allow_tf32(bool allowed);
bool conv_allow_tf32();

// Sets the TF32 policy for a scope and restores the previous one after:
// `kernels::Tf32Guard no_tf32;` runs the scope in true float32.
class Tf32Guard {
 public:
  explicit Tf32Guard(bool allowed = false) : saved_(conv_allow_tf32()) { set_conv_allow_tf32(allowed); }
  ~Tf32Guard() { set_conv_allow_tf32(saved_); }
  Tf32Guard(const Tf32Guard&) = delete;
  Tf32Guard& operator=(const Tf32Guard&) = delete;

 private:
  bool saved_;
};

// Checks shapes and parameters (throws naming `op` and the shapes) and returns
// the output shape [N, O, OH, OW].
Shape conv2d_output_shape(const Shape& x, const Shape& w, const Conv2dParams& p, const char* op = "conv2d");

// out = conv(x, w) + bias. out allocated by the caller with conv2d_output_shape.
void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& out, const Conv2dParams& p);
// grad_x (shape of x, overwritten) = the transposed convolution of grad_out with w.
void conv2d_backward_input(const Tensor& grad_out, const Tensor& w, Tensor& grad_x, const Conv2dParams& p);
// grad_w (shape of w, overwritten) = sum over the batch of grad_out (x) im2col(x).
void conv2d_backward_weight(const Tensor& x, const Tensor& grad_out, Tensor& grad_w, const Conv2dParams& p);
// grad_b [O] (overwritten) = grad_out summed over N, OH, OW.
void conv2d_backward_bias(const Tensor& grad_out, Tensor& grad_b);

BASIN_DECLARE_BACKENDS(void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& out,
                                           const Conv2dParams& p))
BASIN_DECLARE_BACKENDS(void conv2d_backward_input(const Tensor& grad_out, const Tensor& w, Tensor& grad_x,
                                                  const Conv2dParams& p))
BASIN_DECLARE_BACKENDS(void conv2d_backward_weight(const Tensor& x, const Tensor& grad_out, Tensor& grad_w,
                                                   const Conv2dParams& p))
BASIN_DECLARE_BACKENDS(void conv2d_backward_bias(const Tensor& grad_out, Tensor& grad_b))

}  // namespace basin::kernels

#pragma once
// 2-D pooling on NCHW float32, PyTorch semantics. Inputs contiguous (the entry
// points make them so); outputs contiguous.
// - max_pool2d: window kernel_h x kernel_w with stride; padding counts as
//   -inf; dilation; ceil_mode. `indices` (int64, shape of out) holds the argmax as
//   h * W + w inside its (n, c) plane; the first maximum wins on ties and NaN
//   propagates, as PyTorch's CPU kernel.
// - avg_pool2d: padding counts as zeros in the divisor when count_include_pad
//   (PyTorch's default); no dilation.
// - adaptive_avg_pool2d: output bin i covers [floor(i*H/OH), ceil((i+1)*H/OH)).
#include "kernels/dispatch.h"

namespace basin::kernels {

struct Pool2dParams {
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int dilation_h = 1, dilation_w = 1;  // max pool only
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg pool only
  // Square window; stride 0 means "equal to the kernel" (PyTorch's default).
  static Pool2dParams square(int kernel, int stride = 0, int padding = 0, bool ceil_mode = false) {
    Pool2dParams p;
    p.kernel_h = p.kernel_w = kernel;
    p.stride_h = p.stride_w = stride > 0 ? stride : kernel;
    p.pad_h = p.pad_w = padding;
    p.ceil_mode = ceil_mode;
    return p;
  }
};

// Checks x ([N, C, H, W]) and p, throws naming `op`; returns [N, C, OH, OW].
Shape pool2d_output_shape(const Shape& x, const Pool2dParams& p, const char* op);

void max_pool2d_forward(const Tensor& x, Tensor& out, Tensor& indices, const Pool2dParams& p);
// grad_x (overwritten) gets grad_out scattered to the saved argmax positions,
// added in ascending output order on both backends (`p`, the forward's
// parameters, tells the CUDA gather which windows can hold a pixel:
// kernels/pool_gather.h).
void max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, Tensor& grad_x, const Pool2dParams& p);
void avg_pool2d_forward(const Tensor& x, Tensor& out, const Pool2dParams& p);
void avg_pool2d_backward(const Tensor& grad_out, Tensor& grad_x, const Pool2dParams& p);
// out [N, C, OH, OW] gives the output size.
void adaptive_avg_pool2d_forward(const Tensor& x, Tensor& out);
void adaptive_avg_pool2d_backward(const Tensor& grad_out, Tensor& grad_x);

BASIN_DECLARE_BACKENDS(void max_pool2d_forward(const Tensor& x, Tensor& out, Tensor& indices,
                                               const Pool2dParams& p))
BASIN_DECLARE_BACKENDS(void max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, Tensor& grad_x,
                                                const Pool2dParams& p))
BASIN_DECLARE_BACKENDS(void avg_pool2d_forward(const Tensor& x, Tensor& out, const Pool2dParams& p))
BASIN_DECLARE_BACKENDS(void avg_pool2d_backward(const Tensor& grad_out, Tensor& grad_x, const Pool2dParams& p))
BASIN_DECLARE_BACKENDS(void adaptive_avg_pool2d_forward(const Tensor& x, Tensor& out))
BASIN_DECLARE_BACKENDS(void adaptive_avg_pool2d_backward(const Tensor& grad_out, Tensor& grad_x))

}  // namespace basin::kernels

// conv2d and its backward: dx is the transposed convolution of the incoming
// gradient, dw correlates the input with it, db sums it.
#include "autograd/function.h"
#include "autograd/nn_ops.h"
#include "kernels/conv.h"

namespace basin {

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, Conv2dParams p) {
  BASIN_CHECK(x.defined() && w.defined(), "conv2d: input and weight must be defined");
  Shape out_shape = kernels::conv2d_output_shape(x.shape(), w.shape(), p);
  // Detached, contiguous copies: the kernels want dense memory and the backward
  // must not hold the graph alive through its captures.
  Tensor xc = x.detach().contiguous(), wc = w.detach().contiguous();
  Tensor bc = b.defined() ? b.detach().contiguous() : Tensor();
  Tensor out = Tensor::empty(out_shape, DType::Float32, x.device());
  kernels::conv2d_forward(xc, wc, bc, out, p);
  bool need_x = x.requires_grad(), need_w = w.requires_grad(), need_b = b.defined() && b.requires_grad();
  return record("conv2d", out, {x, w, b}, [xc, wc, p, need_x, need_w, need_b](const Tensor& g) {
    Tensor gc = g.contiguous();
    Tensor gx, gw, gb;
    if (need_x) {
      gx = Tensor::empty(xc.shape(), DType::Float32, gc.device());
      kernels::conv2d_backward_input(gc, wc, gx, p);
    }
    if (need_w) {
      gw = Tensor::empty(wc.shape(), DType::Float32, gc.device());
      kernels::conv2d_backward_weight(xc, gc, gw, p);
    }
    if (need_b) {
      gb = Tensor::empty({wc.shape()[0]}, DType::Float32, gc.device());
      kernels::conv2d_backward_bias(gc, gb);
    }
    return std::vector<Tensor>{gx, gw, gb};
  });
}

}  // namespace basin

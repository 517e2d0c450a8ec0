// batch_norm and its backward. The running statistics are buffers, not inputs:
// they are updated in place by the forward and get no gradient.
#include "autograd/function.h"
#include "autograd/nn_ops.h"
#include "kernels/batchnorm.h"

namespace basin {

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, float momentum, float eps) {
  BASIN_CHECK(x.defined() && x.dim() >= 2, "batch_norm: input must be [N, C, ...], got "
                                               << (x.defined() ? shape_str(x.shape()) : std::string("undefined")));
  const std::int64_t c = x.shape()[1];
  Device dev = x.device();
  Tensor xc = x.detach().contiguous();
  // An affine-free norm is the affine one with weight 1 and bias 0.
  Tensor wc = weight.defined() ? weight.detach().contiguous() : Tensor::ones({c}, DType::Float32, dev);
  Tensor bc = bias.defined() ? bias.detach().contiguous() : Tensor::zeros({c}, DType::Float32, dev);
  // The running buffers are written in place, so they must be the caller's own
  // (contiguous) storage, not a copy.
  Tensor rm = running_mean.defined() ? running_mean.detach() : Tensor();
  Tensor rv = running_var.defined() ? running_var.detach() : Tensor();
  Tensor out = Tensor::empty(x.shape(), DType::Float32, dev);
  Tensor save_mean = Tensor::empty({c}, DType::Float32, dev);
  Tensor save_invstd = Tensor::empty({c}, DType::Float32, dev);
  kernels::batch_norm_forward(xc, wc, bc, rm, rv, training, momentum, eps, out, save_mean, save_invstd);
  return record("batch_norm", out, {x, weight, bias},
                [xc, wc, save_mean, save_invstd, training, eps](const Tensor& g) {
                  Tensor gx = Tensor::empty(xc.shape(), DType::Float32, g.device());
                  Tensor gw = Tensor::empty(wc.shape(), DType::Float32, g.device());
                  Tensor gb = Tensor::empty(wc.shape(), DType::Float32, g.device());
                  kernels::batch_norm_backward(g.contiguous(), xc, wc, save_mean, save_invstd, training, eps, gx,
                                               gw, gb);
                  return std::vector<Tensor>{gx, gw, gb};
                });
}

}  // namespace basin

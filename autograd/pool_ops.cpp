// Pooling ops and their backwards. Max pooling routes the gradient through the
// argmax indices saved in the forward; average pooling spreads it evenly.
#include "autograd/function.h"
#include "autograd/nn_ops.h"
#include "kernels/pool.h"

namespace basin {

Tensor max_pool2d(const Tensor& x, Pool2dParams p) {
  Shape os = kernels::pool2d_output_shape(x.shape(), p, "max_pool2d");
  Tensor xc = x.detach().contiguous();
  Tensor out = Tensor::empty(os, DType::Float32, x.device());
  Tensor idx = Tensor::empty(os, DType::Int64, x.device());
  kernels::max_pool2d_forward(xc, out, idx, p);
  Shape xs = x.shape();
  return record("max_pool2d", out, {x}, [idx, xs, p](const Tensor& g) {
    Tensor gx = Tensor::empty(xs, DType::Float32, g.device());
    kernels::max_pool2d_backward(g.contiguous(), idx, gx, p);
    return std::vector<Tensor>{gx};
  });
}

Tensor avg_pool2d(const Tensor& x, Pool2dParams p) {
  Shape os = kernels::pool2d_output_shape(x.shape(), p, "avg_pool2d");
  Tensor out = Tensor::empty(os, DType::Float32, x.device());
  kernels::avg_pool2d_forward(x.detach().contiguous(), out, p);
  Shape xs = x.shape();
  return record("avg_pool2d", out, {x}, [xs, p](const Tensor& g) {
    Tensor gx = Tensor::empty(xs, DType::Float32, g.device());
    kernels::avg_pool2d_backward(g.contiguous(), gx, p);
    return std::vector<Tensor>{gx};
  });
}

Tensor adaptive_avg_pool2d(const Tensor& x, std::int64_t out_h, std::int64_t out_w) {
  BASIN_CHECK(x.dim() == 4 && out_h >= 1 && out_w >= 1,
              "adaptive_avg_pool2d: cannot pool " << shape_str(x.shape()) << " to " << out_h << "x" << out_w);
  Tensor out = Tensor::empty({x.shape()[0], x.shape()[1], out_h, out_w}, DType::Float32, x.device());
  kernels::adaptive_avg_pool2d_forward(x.detach().contiguous(), out);
  Shape xs = x.shape();
  return record("adaptive_avg_pool2d", out, {x}, [xs](const Tensor& g) {
    Tensor gx = Tensor::empty(xs, DType::Float32, g.device());
    kernels::adaptive_avg_pool2d_backward(g.contiguous(), gx);
    return std::vector<Tensor>{gx};
  });
}

}  // namespace basin

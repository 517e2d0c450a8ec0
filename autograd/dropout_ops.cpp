// dropout and its backward (the incoming gradient times the same scaled mask).
#include "autograd/function.h"
#include "autograd/nn_ops.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"

namespace basin {

Tensor dropout(const Tensor& x, float p, bool training, kernels::RandomKey key) {
  BASIN_CHECK(p >= 0.0f && p <= 1.0f, "dropout: probability must be in [0, 1], got " << p);
  if (!training || p == 0.0f) return x;
  Tensor out = Tensor::empty(x.shape(), DType::Float32, x.device());
  Tensor mask = Tensor::empty(x.shape(), DType::Float32, x.device());
  kernels::dropout_forward(x.detach(), p, key, out, mask);
  return record("dropout", out, {x}, [mask](const Tensor& g) {
    Tensor gx = Tensor::empty(mask.shape(), DType::Float32, g.device());
    kernels::binary(kernels::BinaryOp::Mul, g, mask, gx);
    return std::vector<Tensor>{gx};
  });
}

}  // namespace basin

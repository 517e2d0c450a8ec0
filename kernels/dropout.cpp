// Dropout composed from the random and elementwise kernels: both backends get it
// for free, and the mask for a key is the same on CPU and CUDA.
#include "kernels/dropout.h"

#include "kernels/elementwise.h"

namespace basin::kernels {

void dropout_forward(const Tensor& x, float p, RandomKey key, Tensor& out, Tensor& mask) {
  const char* op = "dropout_forward";
  check_same_device(op, {&x, &out, &mask});
  BASIN_CHECK(p >= 0.0f && p <= 1.0f, op << ": probability must be in [0, 1], got " << p);
  BASIN_CHECK(x.dtype() == DType::Float32, op << ": expects float32, got " << x.str());
  for (const Tensor* t : std::initializer_list<const Tensor*>{&out, &mask})
    BASIN_CHECK(t->shape() == x.shape() && t->dtype() == DType::Float32 && t->is_contiguous(),
                op << ": output " << t->str() << " does not match input " << x.str());
  if (x.numel() == 0) return;
  // keep with probability 1 - p; scale kept values so E[out] = x.
  random_fill(mask, Distribution::Bernoulli, key, 1.0f - p, 0.0f);
  float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  scalar(BinaryOp::Mul, mask, scale, mask);
  binary(BinaryOp::Mul, x, mask, out);
}

}  // namespace basin::kernels

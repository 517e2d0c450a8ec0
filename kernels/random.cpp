// Entry point for counter-based random fills.
#include "kernels/random.h"

namespace basin::kernels {

void random_fill(Tensor& out, Distribution dist, RandomKey key, float a, float b) {
  BASIN_CHECK(out.defined() && out.dtype() == DType::Float32,
              "random_fill: output must be float32" << (out.defined() ? std::string(", got ") + dtype_name(out.dtype()) : ""));
  BASIN_CHECK(out.is_contiguous(), "random_fill: output " << shape_str(out.shape()) << " must be contiguous");
  if (dist == Distribution::Bernoulli)
    BASIN_CHECK(a >= 0.0f && a <= 1.0f, "random_fill: Bernoulli probability must be in [0, 1], got " << a);
  if (dist == Distribution::Normal || dist == Distribution::Laplace)
    BASIN_CHECK(b >= 0.0f, "random_fill: scale must be non-negative, got " << b);
  if (out.numel() == 0) return;
  BASIN_DISPATCH(out.device(), random_fill, out, dist, key, a, b);
}

}  // namespace basin::kernels

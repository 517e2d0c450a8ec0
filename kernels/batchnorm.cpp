// Entry points of the batch-norm kernels: all argument checks (the backends trust
// their arguments; the cuDNN backend adds only cuDNN's own size and eps limits),
// empty tensors handled here, then dispatch.
#include "kernels/batchnorm.h"

#include "kernels/fill_copy.h"

namespace basin::kernels {

namespace {
void check_x(const char* op, const Tensor& x) {
  BASIN_CHECK(x.defined() && x.dim() >= 2, op << ": input must be [N, C, ...], got " << x.str());
  BASIN_CHECK(x.dtype() == DType::Float32 && x.is_contiguous(),
              op << ": input must be contiguous float32, got " << x.str());
}
void check_channel(const char* op, const char* what, const Tensor& t, std::int64_t c) {
  BASIN_CHECK(t.defined(), op << ": " << what << " is undefined");
  BASIN_CHECK(t.dtype() == DType::Float32 && t.is_contiguous() && t.shape() == Shape{c},
              op << ": " << what << " must be contiguous float32 [" << c << "], got " << t.str());
}
}  // namespace

void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                        Tensor& running_var, bool training, float momentum, float eps, Tensor& out,
                        Tensor& save_mean, Tensor& save_invstd) {
  const char* op = "batch_norm_forward";
  check_same_device(op, {&x, &weight, &bias, &running_mean, &running_var, &out, &save_mean, &save_invstd});
  check_x(op, x);
  std::int64_t c = x.shape()[1];
  check_channel(op, "weight", weight, c);
  check_channel(op, "bias", bias, c);
  check_channel(op, "save_mean", save_mean, c);
  check_channel(op, "save_invstd", save_invstd, c);
  BASIN_CHECK(running_mean.defined() == running_var.defined(),
              op << ": running_mean and running_var must both be defined or both undefined");
  if (running_mean.defined()) {
    check_channel(op, "running_mean", running_mean, c);
    check_channel(op, "running_var", running_var, c);
  }
  BASIN_CHECK(training || running_mean.defined(), op << ": eval mode needs running_mean and running_var");
  BASIN_CHECK(out.defined() && out.shape() == x.shape() && out.dtype() == DType::Float32 && out.is_contiguous(),
              op << ": output " << out.str() << " does not match input " << x.str());
  BASIN_CHECK(eps > 0.0f, op << ": eps must be positive, got " << eps);
  std::int64_t per_channel = c > 0 ? x.numel() / c : 0;
  BASIN_CHECK(!training || per_channel > 1,
              op << ": expected more than 1 value per channel when training, got input " << shape_str(x.shape()));
  if (x.numel() == 0) return;
  BASIN_DISPATCH(out.device(), batch_norm_forward, x, weight, bias, running_mean, running_var, training, momentum,
                 eps, out, save_mean, save_invstd);
}

void batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor& save_mean,
                         const Tensor& save_invstd, bool training, float eps, Tensor& grad_x, Tensor& grad_weight,
                         Tensor& grad_bias) {
  const char* op = "batch_norm_backward";
  check_same_device(op, {&grad_out, &x, &weight, &save_mean, &save_invstd, &grad_x, &grad_weight, &grad_bias});
  check_x(op, x);
  std::int64_t c = x.shape()[1];
  check_channel(op, "weight", weight, c);
  check_channel(op, "save_mean", save_mean, c);
  check_channel(op, "save_invstd", save_invstd, c);
  check_channel(op, "grad_weight", grad_weight, c);
  check_channel(op, "grad_bias", grad_bias, c);
  BASIN_CHECK(grad_out.defined() && grad_out.shape() == x.shape() && grad_out.dtype() == DType::Float32 && grad_out.is_contiguous(),
              op << ": grad_out " << grad_out.str() << " does not match input " << x.str());
  BASIN_CHECK(grad_x.defined() && grad_x.shape() == x.shape() && grad_x.dtype() == DType::Float32 && grad_x.is_contiguous(),
              op << ": grad_x " << grad_x.str() << " does not match input " << x.str());
  if (x.numel() == 0) {  // empty batch (eval mode): nothing reaches weight or bias
    fill(grad_weight, 0.0);
    fill(grad_bias, 0.0);
    return;
  }
  BASIN_DISPATCH(grad_x.device(), batch_norm_backward, grad_out, x, weight, save_mean, save_invstd, training, eps,
                 grad_x, grad_weight, grad_bias);
}

}  // namespace basin::kernels

#pragma once
// Batch normalization over axis 1 of x [N, C, ...] (contiguous float32), PyTorch
// semantics:
// - training: normalize with the batch mean and the biased batch variance, and
//   update running_mean/running_var (if defined) in place with `momentum` and the
//   UNBIASED variance: r = (1 - momentum) * r + momentum * stat;
// - eval: normalize with running_mean/running_var.
// save_mean/save_invstd [C] receive the mean and 1/sqrt(var + eps) that were
// used, which is what the backward needs. weight and bias are defined [C] (the
// entry point substitutes ones/zeros for an affine-free norm).
#include "kernels/dispatch.h"

namespace basin::kernels {

void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                        Tensor& running_var, bool training, float momentum, float eps, Tensor& out,
                        Tensor& save_mean, Tensor& save_invstd);
// Gradients w.r.t. x, weight and bias (all overwritten). With training, the
// statistics depend on x and the full formula is used; in eval they are constants.
void batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor& save_mean,
                         const Tensor& save_invstd, bool training, float eps, Tensor& grad_x, Tensor& grad_weight,
                         Tensor& grad_bias);

BASIN_DECLARE_BACKENDS(void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                               Tensor& running_mean, Tensor& running_var, bool training,
                                               float momentum, float eps, Tensor& out, Tensor& save_mean,
                                               Tensor& save_invstd))
BASIN_DECLARE_BACKENDS(void batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                                const Tensor& save_mean, const Tensor& save_invstd, bool training,
                                                float eps, Tensor& grad_x, Tensor& grad_weight, Tensor& grad_bias))

}  // namespace basin::kernels

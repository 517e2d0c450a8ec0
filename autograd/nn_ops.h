#pragma once
// Differentiable neural-network ops (PyTorch semantics): convolution, pooling,
// batch norm, dropout. Each is defined next to its backward in
// autograd/{conv,pool,batchnorm,dropout}_ops.cpp; the arithmetic is in
// kernels/{conv,pool,batchnorm,dropout}.h. Backward passes are not themselves
// differentiable (no double backward through these ops).
#include "kernels/conv.h"
#include "kernels/pool.h"
#include "kernels/random.h"
#include "tensor/tensor.h"

namespace basin {

using kernels::Conv2dParams;
using kernels::Pool2dParams;

// x [N, C, H, W], w [O, C/groups, kh, kw], b [O] or undefined -> [N, O, OH, OW].
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, Conv2dParams p = {});

// Max pooling; the argmax of each window is saved for the backward (the first
// maximum on ties).
Tensor max_pool2d(const Tensor& x, Pool2dParams p);
// Average pooling (count_include_pad and ceil_mode as in Pool2dParams).
Tensor avg_pool2d(const Tensor& x, Pool2dParams p);
// Average over adaptive bins to [N, C, out_h, out_w]; 1x1 is global average pooling.
Tensor adaptive_avg_pool2d(const Tensor& x, std::int64_t out_h, std::int64_t out_w);

// Batch norm over axis 1 of x [N, C, ...]. training: batch statistics, and
// running_mean/running_var (may be undefined) are updated in place with momentum
// and the unbiased variance; eval: running statistics. weight/bias may be
// undefined (no affine transform).
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, float momentum = 0.1f, float eps = 1e-5f);

// Inverted dropout with a Philox mask keyed by `key`; identity when !training or p == 0.
Tensor dropout(const Tensor& x, float p, bool training, kernels::RandomKey key);

}  // namespace basin

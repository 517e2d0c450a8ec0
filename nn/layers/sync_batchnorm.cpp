#include "nn/layers/sync_batchnorm.h"

#include <vector>

#include "autograd/function.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"

namespace basin::nn {

namespace {
CrossProcessSum* g_sync = nullptr;
}  // namespace

CrossProcessSum* batchnorm_sync() { return g_sync; }

BatchNormSyncGuard::BatchNormSyncGuard(CrossProcessSum* s) : previous_(g_sync) { g_sync = s; }
BatchNormSyncGuard::~BatchNormSyncGuard() { g_sync = previous_; }

Tensor all_reduce_sum(const Tensor& x, CrossProcessSum& s) {
  Tensor out;
  {
    NoGradGuard ng;
    out = x.detach().clone();  // fresh contiguous storage: the input stays as it is
  }
  s.sum(out);
  CrossProcessSum* sp = &s;
  return record("all_reduce_sum", out, {x}, [sp](const Tensor& g) {
    Tensor gs = g.contiguous().clone();
    sp->sum(gs);
    return std::vector<Tensor>{gs};
  });
}

Tensor sync_batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                       const Tensor& bias, float momentum, float eps, CrossProcessSum& s) {
  BASIN_CHECK(x.defined() && x.dim() == 4, "sync_batch_norm: input must be [N, C, H, W], got "
                                               << (x.defined() ? shape_str(x.shape()) : std::string("undefined")));
  const std::int64_t c = x.shape()[1];
  const Shape per_channel{1, c, 1, 1};
  // Rows of the global batch behind each channel's statistics (an empty shard adds 0).
  const std::int64_t count = s.sum(x.numel() / c);
  BASIN_CHECK(count > 0, "sync_batch_norm: the global batch is empty");
  const float inv_count = static_cast<float>(1.0 / static_cast<double>(count));
  // Two passes (sum, then the centered sum of squares) keep the variance accurate
  // where E[x^2] - E[x]^2 would cancel.
  Tensor mean = all_reduce_sum(sum(x, {0, 2, 3}), s) * inv_count;
  Tensor centered = x - mean.reshape(per_channel);
  Tensor var = all_reduce_sum(sum(square(centered), {0, 2, 3}), s) * inv_count;
  Tensor invstd = pow(var + eps, -0.5f);
  Tensor y = centered * invstd.reshape(per_channel);
  if (weight.defined()) y = y * weight.reshape(per_channel);
  if (bias.defined()) y = y + bias.reshape(per_channel);

  NoGradGuard ng;
  if (running_mean.defined()) {
    Tensor rm = running_mean.detach();
    rm.copy_(rm * (1.0f - momentum) + mean.detach() * momentum);
  }
  if (running_var.defined()) {
    // PyTorch's unbiased variance; one row has none (it uses the biased one then).
    const double unbias = count > 1 ? static_cast<double>(count) / static_cast<double>(count - 1) : 1.0;
    Tensor rv = running_var.detach();
    rv.copy_(rv * (1.0f - momentum) + var.detach() * static_cast<float>(momentum * unbias));
  }
  return y;
}

}  // namespace basin::nn

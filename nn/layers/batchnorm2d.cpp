#include "nn/layers/batchnorm2d.h"

#include <sstream>

#include "autograd/grad_mode.h"
#include "autograd/nn_ops.h"
#include "kernels/fill_copy.h"
#include "nn/layers/sync_batchnorm.h"

namespace basin::nn {

BatchNorm2d::BatchNorm2d(std::int64_t channels, float eps, float momentum)
    : Module("BatchNorm2d"), channels_(channels), eps_(eps), momentum_(momentum) {
  BASIN_CHECK(channels > 0, "BatchNorm2d: channels must be positive, got " << channels);
  weight_ = register_parameter("weight", Tensor::ones({channels}));
  bias_ = register_parameter("bias", Tensor::zeros({channels}));
  running_mean_ = register_buffer("running_mean", Tensor::zeros({channels}));
  running_var_ = register_buffer("running_var", Tensor::ones({channels}));
  num_batches_tracked_ = register_buffer("num_batches_tracked", Tensor::zeros({}, DType::Int64));
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  BASIN_CHECK(x.dim() == 4 && x.shape()[1] == channels_,
              "BatchNorm2d(" << channels_ << "): input " << shape_str(x.shape()) << " is not [N, " << channels_
                             << ", H, W]");
  bool training = is_training();
  if (training) {
    NoGradGuard no_grad;
    if (batches_ < 0) batches_ = num_batches_tracked_.to_int_vector().at(0);
    ++batches_;
    Tensor nbt = num_batches_tracked_;
    kernels::fill(nbt, static_cast<double>(batches_));
  }
  // --sync-bn under data-parallel training: the global batch's statistics
  // (nn/layers/sync_batchnorm.h); otherwise the fused kernels, as always.
  if (training && batchnorm_sync())
    return sync_batch_norm(x, running_mean_, running_var_, weight_, bias_, momentum_, eps_, *batchnorm_sync());
  return batch_norm(x, running_mean_, running_var_, weight_, bias_, training, momentum_, eps_);
}

std::string BatchNorm2d::extra_repr() const {
  std::ostringstream os;
  os << channels_ << ", eps=" << eps_ << ", momentum=" << momentum_;
  return os.str();
}

}  // namespace basin::nn

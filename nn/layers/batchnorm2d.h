#pragma once
// Batch norm over channels of [N, C, H, W], as torch.nn.BatchNorm2d: weight 1,
// bias 0, running_mean 0, running_var 1, num_batches_tracked 0 (int64, a buffer
// as torchvision's state_dicts have it). Training normalizes with the batch
// statistics and updates the running ones with momentum 0.1 and the unbiased
// variance; eval uses the running statistics. With a BatchNormSyncGuard
// installed (--sync-bn), training uses the global batch's statistics over all
// processes instead (nn/layers/sync_batchnorm.h).
#include "nn/module.h"

namespace basin::nn {

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(std::int64_t channels, float eps = 1e-5f, float momentum = 0.1f);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  const Tensor& running_mean() const { return running_mean_; }
  const Tensor& running_var() const { return running_var_; }
  const Tensor& num_batches_tracked() const { return num_batches_tracked_; }

 protected:
  void on_state_loaded() override { batches_ = -1; }
  // Converted checkpoints often drop integer buffers; PyTorch's BatchNorm then
  // keeps its own count, and so does this one (a strict load still succeeds).
  bool buffer_is_optional(const std::string& name) const override { return name == "num_batches_tracked"; }

 private:
  std::int64_t channels_;
  float eps_, momentum_;
  Tensor weight_, bias_, running_mean_, running_var_, num_batches_tracked_;
  // Host copy of num_batches_tracked, so counting never reads device memory
  // (-1: unknown, read once from the buffer).
  std::int64_t batches_ = 0;
};

}  // namespace basin::nn

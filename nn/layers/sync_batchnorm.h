#pragma once
// Synchronized batch norm (torch.nn.SyncBatchNorm; `basin train --sync-bn`).
//
// Under data-parallel training each process sees a shard of the global batch.
// By default BatchNorm2d normalizes with its shard's statistics (DDP's default).
// With a CrossProcessSum installed (BatchNormSyncGuard), every BatchNorm2d in
// training mode normalizes with the statistics of the GLOBAL batch instead:
//   count = sum over ranks of N*H*W            (one host all-reduce)
//   mean  = all_reduce_sum(sum_x) / count      (one all-reduce of C floats)
//   var   = all_reduce_sum(sum (x-mean)^2) / count   (one more; biased, centered)
// built from differentiable ops, so backward is the exact gradient of that global
// computation: the backward of all_reduce_sum is an all_reduce_sum of the
// incoming gradients (two more all-reduces of C floats per layer). The running
// statistics move with the global mean and the unbiased global variance, so they
// are the same on every rank. Evaluation mode is unchanged (running statistics),
// and without a guard BatchNorm2d runs the fused kernels as before.
//
// nn/ knows nothing of dist/: the trainer implements CrossProcessSum with its
// Communicator (train/data_parallel.cpp).
#include <cstdint>

#include "tensor/tensor.h"

namespace basin::nn {

// Sums across all processes of the job; every process calls in the same order.
class CrossProcessSum {
 public:
  virtual ~CrossProcessSum() = default;
  // The contiguous float32 `t`, in place, on its device.
  virtual void sum(Tensor& t) = 0;
  virtual std::int64_t sum(std::int64_t v) = 0;
};

// The process's batch-norm synchronization: null (the default) for per-process
// statistics.
CrossProcessSum* batchnorm_sync();

// Installs `s` (not owned; may be null) for its lifetime, then restores the previous one.
class BatchNormSyncGuard {
 public:
  explicit BatchNormSyncGuard(CrossProcessSum* s);
  ~BatchNormSyncGuard();
  BatchNormSyncGuard(const BatchNormSyncGuard&) = delete;
  BatchNormSyncGuard& operator=(const BatchNormSyncGuard&) = delete;

 private:
  CrossProcessSum* previous_;
};

// Differentiable sum across processes: forward s.sum of a copy of x, backward
// s.sum of a copy of the gradient.
Tensor all_reduce_sum(const Tensor& x, CrossProcessSum& s);

// Training-mode batch norm of x [N, C, H, W] with the global batch's statistics
// (above); running_mean/running_var (may be undefined) are updated in place with
// `momentum`; weight/bias may be undefined.
Tensor sync_batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                       const Tensor& bias, float momentum, float eps, CrossProcessSum& s);

}  // namespace basin::nn

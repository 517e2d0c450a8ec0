#pragma once
// Softmax / log-softmax along the last axis of a contiguous [N, C] tensor, and the
// fused cross-entropy (log-softmax + NLL with label smoothing, mean over N).
#include "kernels/dispatch.h"

namespace basin::kernels {

void softmax(const Tensor& x, Tensor& out, bool log);
// dx from y = softmax(x) (or log-softmax when log) and dy.
void softmax_backward(const Tensor& y, const Tensor& dy, Tensor& dx, bool log);
// logits [N, C] float32, labels [N] int64 in [0, C) (an out-of-range label is an
// error naming it). loss: a 1-element tensor; logp [N, C] receives log-softmax.
// Smoothed target: (1 - eps) * onehot + eps / C, as torch.nn.CrossEntropyLoss.
void cross_entropy(const Tensor& logits, const Tensor& labels, float label_smoothing, Tensor& loss, Tensor& logp);
// dlogits = grad_loss * (softmax - target) / N, grad_loss a 1-element tensor.
void cross_entropy_backward(const Tensor& logp, const Tensor& labels, float label_smoothing,
                            const Tensor& grad_loss, Tensor& dlogits);

BASIN_DECLARE_BACKENDS(void softmax(const Tensor& x, Tensor& out, bool log))
BASIN_DECLARE_BACKENDS(void softmax_backward(const Tensor& y, const Tensor& dy, Tensor& dx, bool log))
BASIN_DECLARE_BACKENDS(void cross_entropy(const Tensor& logits, const Tensor& labels, float label_smoothing,
                                          Tensor& loss, Tensor& logp))
BASIN_DECLARE_BACKENDS(void cross_entropy_backward(const Tensor& logp, const Tensor& labels, float label_smoothing,
                                                   const Tensor& grad_loss, Tensor& dlogits))

}  // namespace basin::kernels

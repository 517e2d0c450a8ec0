#pragma once
// Cross-entropy on logits [N, C] and int64 labels [N], mean over the batch, with
// label smoothing as torch.nn.CrossEntropyLoss(label_smoothing=eps). A functor
// rather than a Module: it takes two inputs and holds no state.
#include "autograd/ops.h"

namespace basin::nn {

struct CrossEntropyLoss {
  float label_smoothing = 0.0f;
  Tensor operator()(const Tensor& logits, const Tensor& labels) const {
    return cross_entropy(logits, labels, label_smoothing);
  }
};

}  // namespace basin::nn

#pragma once
// Loss and accuracy of a model over a whole loader, in eval mode without a graph.
#include <cstdint>
#include <cstdio>

#include "data/loader.h"
#include "nn/module.h"
#include "train/metrics.h"

namespace basin::train {

// Number of rows of `logits` [N, C] whose argmax equals `labels` [N].
std::int64_t count_correct(const Tensor& logits, const Tensor& labels);

// Mean cross-entropy (no label smoothing), accuracy and count. Restores the
// model's train/eval mode. `epoch` (0-based) is the training epoch the pass
// belongs to; it only names the epoch in the loader's skip warnings (the loader
// must not shuffle). `progress`: where an "eval" progress line goes (TaskProgress,
// train/progress.h), nullptr for none.
RunningStats evaluate(nn::Module& model, data::DataLoader& loader, std::int64_t epoch = 0,
                      std::FILE* progress = nullptr);

}  // namespace basin::train

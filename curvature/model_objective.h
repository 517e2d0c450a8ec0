#pragma once
// Objective (curvature/objective.h) for a model: the mean cross-entropy over a
// FIXED set of batches, as a function of the model's parameter arena. Batch norm
// runs in eval mode (running statistics), dropout is off, so the loss is a
// deterministic function of the parameters, as a Hessian needs.
//
// freeze_pattern/release_pattern pin every nn::ReLU to its on/off pattern at the
// current W (nn/activation_pattern.h) so finite-difference HVPs give the Hessian
// autograd frameworks report. Max-pooling's argmax is not pinned: a switch of the
// maximum between W - t v and W + t v biases the difference the same way.
#include <memory>
#include <vector>

#include "curvature/objective.h"
#include "nn/module.h"

namespace basin::curvature {

struct LabeledBatch {
  Tensor inputs;  // [N, ...] float32
  Tensor labels;  // [N] int64
};

struct ModelObjectiveOptions {
  float label_smoothing = 0.0f;
};

// The model must have a finalized arena (model.finalize_arena(device)); batches
// are moved to the arena's device once, here. The objective keeps a reference to
// `model`: it must outlive the objective. blocks = the arena's segments.
Objective model_objective(nn::Module& model, const std::vector<LabeledBatch>& batches,
                          const ModelObjectiveOptions& options = {});

}  // namespace basin::curvature

#pragma once
// `basin train --hessian-every N`: every N epochs, the Hessian trace (Hutchinson,
// with its standard error) and the top eigenvalue (Lanczos) of the
// training loss on a FIXED set of training images (the first --hessian-subset, in
// file order, evaluation transform: no augmentation), written into that epoch's
// metrics.jsonl line under the keys `basin plot` reads (hessian_trace,
// top_eigenvalue). The same measurement as `basin hessian` (curvature/report.h),
// so the curves of a run and a later `basin hessian` on its weights agree.
#include <vector>

#include "curvature/model_objective.h"
#include "nn/module.h"
#include "train/config.h"
#include "train/data_setup.h"
#include "train/metrics.h"

namespace basin::train {

// The first c.hessian_subset training images (file order, c.data's evaluation
// transform), on `device`, in batches of at most 500.
std::vector<curvature::LabeledBatch> hessian_batches(const TrainConfig& c, const RunData& d, Device device);

// Measures the model at its current weights and fills m.hessian_* (the weights
// are restored bit for bit; the model's train/eval mode is kept). Seeded by
// c.seed, so a run's curve is reproducible.
void measure_hessian(const TrainConfig& c, nn::Module& model, const std::vector<curvature::LabeledBatch>& batches,
                     EpochMetrics& m);

}  // namespace basin::train

#include "train/curvature_log.h"

#include <algorithm>

#include "curvature/report.h"
#include "train/subset_dataset.h"

namespace basin::train {

std::vector<curvature::LabeledBatch> hessian_batches(const TrainConfig& c, const RunData& d, Device device) {
  data::DatasetPtr ds = std::make_shared<SubsetDataset>(d.sets.train, c.hessian_subset);
  data::LoaderOptions lo;
  lo.batch_size = std::min<std::int64_t>(500, c.hessian_subset);
  lo.shuffle = false;
  lo.num_workers = 0;
  lo.device = device;
  data::DataLoader loader(ds, eval_transform(c.data, d.image_size, c.eval_resize), lo);
  loader.start_epoch(0);
  std::vector<curvature::LabeledBatch> batches;
  data::Batch b;
  while (loader.next(b)) batches.push_back({b.images, b.labels});
  BASIN_CHECK(!batches.empty(), "train: --hessian-every: no training images to measure on");
  return batches;
}

void measure_hessian(const TrainConfig& c, nn::Module& model, const std::vector<curvature::LabeledBatch>& batches,
                     EpochMetrics& m) {
  curvature::ModelObjectiveOptions mo;
  mo.label_smoothing = static_cast<float>(c.label_smoothing);  // the loss that is trained
  curvature::Objective f = curvature::model_objective(model, batches, mo);
  curvature::HessianOptions ho;
  ho.trace_samples = c.hessian_samples;
  ho.lanczos_steps = c.hessian_power_iters;  // --hessian-lanczos-steps (was --hessian-power-iters)
  ho.seed = 1234 + c.seed;
  curvature::HessianReport r = curvature::hessian_report(f, ho);
  m.has_hessian = true;
  m.hessian_trace = r.trace;
  m.hessian_trace_stderr = r.trace_stderr;
  m.top_eigenvalue = r.top_eigenvalue;
  m.min_eigenvalue = r.min_eigenvalue;
  m.hessian_loss = r.loss;
  m.hessian_seconds = r.seconds;
}

}  // namespace basin::train

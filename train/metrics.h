#pragma once
// What a run measures: running sums over the batches of an epoch, and the
// per-epoch record written as one line of RUNDIR/metrics.jsonl.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace basin::train {

// Sums of per-sample loss and correct predictions. Kept as sums (not means) so a
// resumed epoch continues them exactly.
struct RunningStats {
  double loss_sum = 0;        // sum over samples of the per-sample loss
  std::int64_t correct = 0;
  std::int64_t count = 0;

  void add(double mean_loss, std::int64_t batch_correct, std::int64_t batch_count) {
    loss_sum += mean_loss * static_cast<double>(batch_count);
    correct += batch_correct;
    count += batch_count;
  }
  double loss() const { return count ? loss_sum / static_cast<double>(count) : 0.0; }
  double accuracy() const { return count ? static_cast<double>(correct) / static_cast<double>(count) : 0.0; }
};

struct EpochMetrics {
  int epoch = 0;  // 1-based
  double lr = 0;  // learning rate at the epoch's last step
  double train_loss = 0, train_acc = 0;
  double test_loss = 0, test_acc = 0;
  double seconds = 0;        // training time of the epoch (evaluation excluded)
  double images_per_s = 0;   // training images / seconds
  std::int64_t skipped_batches = 0;  // non-finite batches skipped (--on-nonfinite skip)
  // --hessian-every epochs only (train/curvature_log.h): keys hessian_trace,
  // hessian_trace_stderr, top_eigenvalue, min_eigenvalue, hessian_loss, hessian_seconds.
  bool has_hessian = false;
  double hessian_trace = 0, hessian_trace_stderr = 0, top_eigenvalue = 0;
  double min_eigenvalue = 0;  // most negative Ritz value of the same Lanczos run
  double hessian_loss = 0;     // the loss on the measurement subset (eval transform)
  double hessian_seconds = 0;  // time of the measurement (not in `seconds`)
};

// One line of RUNDIR/steps.jsonl (--log-every N): where the run stands after
// `step` steps in all. loss is the step's training loss (its first pass), null
// when the step was skipped as non-finite; images_per_s is over the steps since
// the previous line or the start of the epoch, whichever is later.
struct StepMetrics {
  int epoch = 0;          // 1-based
  std::int64_t step = 0;  // steps done in all, 1-based
  bool has_loss = false;
  double loss = 0, lr = 0, images_per_s = 0;
};
nlohmann::json to_json(const StepMetrics& m);

nlohmann::json to_json(const EpochMetrics& m);
// The line to_json wrote, read back (throws on a missing or mistyped key).
EpochMetrics metrics_from_json(const nlohmann::json& j);

// "epoch 2/4  lr 0.0250  train loss 0.4123 acc 85.12%  test loss 0.4012 acc 85.60%  11.2 s  5341 img/s"
std::string epoch_line(const EpochMetrics& m, int epochs);

}  // namespace basin::train

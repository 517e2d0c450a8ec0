#pragma once
// One training run, start to finish: data, model, optimizer, the epoch loop with
// progress, evaluation and metrics, checkpoints at each epoch end, the final
// weights, and the orderly stops (SIGINT/SIGTERM, --max-steps, a non-finite loss).
//
//   TrainConfig c;            // defaults: Fashion-MNIST, MLP, SGD + cosine
//   TrainResult r = run_training(c, {});
//
// Resuming: run_training(config read from RUNDIR/config.json, {.resume = true})
// continues from RUNDIR/checkpoint.safetensors and reaches bitwise the same
// weights as the uninterrupted run (on the CPU).
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include "tensor/error.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/metrics.h"
#include "train/run_dir.h"

namespace basin::train {

// A NaN or infinite training loss with --on-nonfinite stop.
struct NonFiniteLossError : Error {
  using Error::Error;
};

struct TrainOptions {
  bool resume = false;               // continue the run in config.out
  std::FILE* log = stderr;           // human messages and epoch lines (nullptr: silent)
  std::FILE* progress = stderr;      // the progress bar / periodic lines (nullptr: none)
  double plain_progress_interval_s = 10.0;
  std::function<void(const RunPosition&)> after_step;  // tests: called after each optimizer step
};

struct TrainResult {
  RunDir dir;
  TrainConfig config;                // resolved
  // The last finished epoch's line of metrics.jsonl (this invocation's, or read back
  // when resuming); none when no epoch has finished.
  std::optional<EpochMetrics> last;
  int epochs_done = 0;
  std::int64_t steps = 0;
  double seconds = 0;                // wall time of this invocation
  bool interrupted = false;          // stopped by a signal before the end: checkpoint written, exit 130
                                     // (a signal in the last step finishes the run: final weights, not interrupted)
  bool stopped_at_max_steps = false;
  std::int64_t skipped_batches = 0;
};

TrainResult run_training(TrainConfig config, const TrainOptions& options);

// {"run_dir":..., "test_acc":..., ...}: the line --json prints; the figures of
// `last` are null when no epoch has finished.
nlohmann::json summary_json(const TrainResult& r);

}  // namespace basin::train

#pragma once
// The run folder: everything a training run leaves behind.
//   config.json        every setting (TrainConfig), enough to --resume
//   metrics.jsonl      one JSON object per finished epoch
//   steps.jsonl        one JSON object every --log-every steps (train/metrics.h StepMetrics)
//   summary.csv        metrics.jsonl as timm's summary.csv (epoch,train_loss,eval_loss,eval_top1,lr)
//   checkpoint.safetensors  written atomically at each epoch end and on SIGINT
//   model.safetensors  the final weights (torchvision names)
//   .lock              flocked by the one process writing the folder (train/run_lock.h)
// A run folder is created fresh or resumed, never reused: a new run needs a
// folder that does not exist or is empty (check_fresh_run_folder).
#include <optional>
#include <string>

#include "train/config.h"
#include "train/metrics.h"

namespace basin::train {

struct RunDir {
  std::string path;

  std::string config() const { return path + "/config.json"; }
  std::string metrics() const { return path + "/metrics.jsonl"; }
  std::string steps() const { return path + "/steps.jsonl"; }
  std::string summary() const { return path + "/summary.csv"; }
  std::string checkpoint() const { return path + "/checkpoint.safetensors"; }
  std::string model() const { return path + "/model.safetensors"; }
};

// runs/<YYYYmmdd-HHMMSS>-<model>-<optimizer> (a -2, -3 ... suffix when taken).
std::string default_run_dir(const TrainConfig& c);
// Creates the folder (and its parents). Throws naming it when that fails.
void make_dirs(const std::string& path);
bool path_exists(const std::string& path);

// Throws unless `path` is absent or an empty folder (a .lock left by an earlier
// holder does not count), naming what is there: a run to --resume, a finished or
// failed run, or unrelated files. A folder locked by a running basin names its PID
// (unless `we_hold_the_lock`: the caller already holds it, and a second flock from
// the same process would conflict with its own).
void check_fresh_run_folder(const std::string& path, bool we_hold_the_lock = false);
// Removes `path` and what a failed start wrote in it (.lock, config.json); used
// only on a folder this process created.
void remove_new_run_folder(const std::string& path);

void write_config(const RunDir& dir, const TrainConfig& c);
TrainConfig read_config(const RunDir& dir);
// Rewrites metrics.jsonl (atomically) to hold one line for each epoch 1..last_epoch,
// in order from the start: the first well-formed line of each. Torn lines (a crash or a full disk
// mid-append), lines of later epochs (to be run again) and repeats are dropped,
// so no epoch ever has two lines.
void truncate_metrics(const RunDir& dir, int last_epoch);
// The metrics line of `epoch` (1-based), if metrics.jsonl has a well-formed one.
// Rewrites steps.jsonl (atomically) to hold only its lines of steps 1..last_step,
// so a resumed run appends after the checkpoint's step without repeating lines.
void truncate_steps(const RunDir& dir, std::int64_t last_step);
std::optional<EpochMetrics> read_epoch_metrics(const RunDir& dir, int epoch);
// Rewrites summary.csv (atomically) from metrics.jsonl: a header, then one row per
// epoch 1, 2, ... in order (the first well-formed line of each, as truncate_metrics
// keeps), in the columns timm's summary.csv has and basin measures:
//   epoch,train_loss,eval_loss,eval_top1,lr
// eval_top1 in percent as timm writes it; epoch 1-based as metrics.jsonl. Derived
// from metrics.jsonl each epoch, so a resumed run never repeats a row.
void write_summary_csv(const RunDir& dir);

}  // namespace basin::train

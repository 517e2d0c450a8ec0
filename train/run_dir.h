#pragma once
// The run folder: everything a training run leaves behind.
//   config.json        every setting (TrainConfig), enough to --resume
//   metrics.jsonl      one JSON object per finished epoch
//   checkpoint.safetensors  written atomically at each epoch end and on SIGINT
//   model.safetensors  the final weights (torchvision names)
#include <string>

#include "train/config.h"

namespace basin::train {

struct RunDir {
  std::string path;

  std::string config() const { return path + "/config.json"; }
  std::string metrics() const { return path + "/metrics.jsonl"; }
  std::string checkpoint() const { return path + "/checkpoint.safetensors"; }
  std::string model() const { return path + "/model.safetensors"; }
};

// runs/<YYYYmmdd-HHMMSS>-<model>-<optimizer> (a -2, -3 ... suffix when taken).
std::string default_run_dir(const TrainConfig& c);
// Creates the folder (and its parents). Throws naming it when that fails.
void make_dirs(const std::string& path);
bool path_exists(const std::string& path);

void write_config(const RunDir& dir, const TrainConfig& c);
TrainConfig read_config(const RunDir& dir);
// Keeps only the lines of metrics.jsonl whose epoch is <= last_epoch (after a
// resume, epochs that will be run again must not appear twice).
void truncate_metrics(const RunDir& dir, int last_epoch);

}  // namespace basin::train

#pragma once
// Training checkpoints: one safetensors file holding everything needed to
// continue a run bit for bit:
//   model.<name>      the model's state_dict (parameters and buffers)
//   optimizer.<name>  the optimizer's state (momentum buffers, step counters, ...)
//   __metadata__      format, the position in the run (epoch, batch, step), the
//                     running sums of the unfinished epoch, and a CRC-32 covering
//                     every tensor's name, dtype, shape and bytes and every other
//                     metadata entry.
// The data order and augmentation are functions of (seed, epoch, batch), and the
// perturbation noise of (seed, step), so the position is the RNG state.
//
// Written with nn::save_safetensors (temp file, fsync, rename): a crash while
// saving leaves the previous checkpoint intact. Loading verifies the checksum, so
// a damaged file is a clear error naming it, never a silently different run.
#include <cstdint>
#include <string>

#include "nn/state_dict.h"
#include "train/metrics.h"

namespace basin::train {

// Where a run stands: everything a checkpoint records besides the tensors. The
// trainer advances it batch by batch; the checkpoint writes and reads it as its
// "position" record (the field list is in checkpoint.cpp, one list for both).
struct RunPosition {
  int epoch = 0;             // 0-based epoch the run is in (== epochs done when batch == 0)
  std::int64_t batch = 0;    // next batch of that epoch
  std::int64_t step = 0;     // optimizer steps taken so far
  RunningStats stats;        // running sums of the unfinished epoch
  double seconds = 0;        // training time of the unfinished epoch so far
  std::int64_t skipped = 0;  // batches of the unfinished epoch skipped (--on-nonfinite skip)
};

struct CheckpointState {
  nn::NamedTensors model;
  nn::NamedTensors optimizer;
  RunPosition position;
  std::string config_json;  // the run's TrainConfig (informative; config.json is authoritative)
};

void save_checkpoint(const std::string& path, const CheckpointState& s);
CheckpointState load_checkpoint(const std::string& path);

}  // namespace basin::train

#pragma once
// The trainer's side of data-parallel training (mpirun -np N basin train; the
// engines are in dist/). Every rank runs the same loop on its shard of each
// global batch; these are the points where the ranks meet:
//   - before every weight update: agree on non-finite values, then the gradient
//     arena's bucketed all-reduce, each rank's gradient weighted by its share of
//     the global batch's rows (exactly the one-process mean when shards differ);
//     with SGD and AdamW (--overlap-grads on) the buckets are reduced while
//     backward runs instead (dist/overlapped_reducer.h): the rows are added up at
//     the start of the step, and the non-finite check reads the reduced gradient;
//   - after every step: agree on stopping (a signal on any rank stops all);
//   - before evaluation, checkpoints and the final weights: batch-norm running
//     statistics averaged over the ranks (so they are identical everywhere), and
//     the training and test sums added up.
// With one process (no mpirun) none of this runs, and a run is bitwise today's.
#include <cstdint>
#include <memory>
#include <string>

#include "dist/communicator.h"
#include "dist/overlapped_reducer.h"
#include "nn/layers/sync_batchnorm.h"
#include "nn/module.h"
#include "train/metrics.h"

namespace basin::train {

struct DataParallel {
  dist::Communicator* comm = nullptr;  // dist::world()

  // More than one process, or one forced through MPI (BASIN_DIST=mpi, dist/communicator.h).
  bool on() const { return comm && (comm->size() > 1 || comm->backend() != "single"); }
  int rank() const { return comm ? comm->rank() : 0; }
  int size() const { return comm ? comm->size() : 1; }
  bool is_root() const { return rank() == 0; }

  // This step, on this rank: rows of its shard, and the first non-finite loss or
  // gradient it met (held back until the ranks agree, so that all stop together).
  std::int64_t local_rows = 0;
  std::string nonfinite;

  // --overlap-grads on with a one-pass optimizer: the backward observer that
  // reduces buckets as backward completes them; null: reduce after backward.
  std::unique_ptr<dist::OverlappedReducer> reducer;

  // --sync-bn with more than one process: batch norm's statistics summed over the
  // ranks through comm (installed for the run by an nn::BatchNormSyncGuard); null
  // otherwise.
  std::unique_ptr<nn::CrossProcessSum> bn_sync;
};

// Optimizers whose update applies the gradient of one backward pass (SGD,
// AdamW): only they may reduce during backward. SAM, NSO and the other
// perturbation methods run several passes and combine them, so their gradient
// is complete only after the last pass: they keep the reduction after it.
bool overlap_capable_optimizer(const std::string& name);
// The reducer over `arena`'s gradients (parameters in registration order).
std::unique_ptr<dist::OverlappedReducer> make_overlapped_reducer(DataParallel& dp, nn::ParameterArena& arena,
                                                                 double bucket_mb);
// The start of an overlapped step: the global batch's rows added up over the
// ranks (one small all-reduce), so that each bucket can be weighted before it
// starts; needs dp.local_rows.
void start_overlapped_step(DataParallel& dp);
// The overlapped counterpart of sync_gradients: finishes the buckets, then
// agrees on non-finite losses, then checks the REDUCED gradient (the same on
// every rank, so all stop together) and throws NonFiniteLossError naming the
// parameter.
void finish_overlapped_sync(DataParallel& dp, const nn::ParameterArena& arena, const std::string& where);

// The gradient all-reduce (optim ArenaRef::sync_grads): throws NonFiniteLossError
// on every rank when any rank met a non-finite value this step (`where` says the
// step); otherwise grads becomes sum_r rows_r / rows * grads_r.
void sync_gradients(DataParallel& dp, Tensor& grads, const std::string& where);
// True on every rank when `local` is true on any.
bool any_rank(DataParallel& dp, bool local);
// The sums of all ranks (loss_sum, correct, count).
RunningStats sum_over_ranks(DataParallel& dp, const RunningStats& s);
// The CrossProcessSum of --sync-bn: dp.comm's all-reduces (sums).
std::unique_ptr<nn::CrossProcessSum> make_batchnorm_sync(DataParallel& dp);
// Batch-norm layers of `model` (buffers named *running_mean).
int count_batchnorm_layers(nn::Module& model);
// Batch-norm running statistics (every float buffer) averaged over the ranks.
void average_buffers(DataParallel& dp, nn::Module& model);
// Rank 0's parameters and buffers on every rank (the start of a run: one model).
void broadcast_model(DataParallel& dp, nn::Module& model);
// Rank 0's string on every rank (the run folder's name holds a timestamp).
std::string broadcast_string(DataParallel& dp, const std::string& s);
// --device for this rank: "cuda" (no index) becomes cuda:local_rank when more than
// one process runs; anything else is kept.
std::string rank_device(const DataParallel& dp, const std::string& device);

}  // namespace basin::train

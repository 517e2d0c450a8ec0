#pragma once
// DataLoader: worker threads decode and augment whole batches ahead of the model,
// into a bounded window of `prefetch` batches; the consumer takes them strictly in
// order. Batch b of epoch e always holds the same samples with the same
// augmentation: the order is a Philox shuffle keyed by (seed, epoch) and each
// sample's randomness is keyed by (seed, epoch, sample index), so neither depends
// on the number of workers or on thread timing.
//
//   DataLoader loader(train, data::train_pipeline(224), {.batch_size = 128});
//   for (int64_t epoch = 0; epoch < E; ++epoch) {
//     loader.start_epoch(epoch);
//     data::Batch b;
//     while (loader.next(b)) { ... b.images [N,C,H,W] float32, b.labels [N] int64 ... }
//   }
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "data/dataset.h"
#include "data/transforms.h"
#include "tensor/device.h"
#include "tensor/tensor.h"

namespace basin::data {

class PinnedPool;  // data/loader.cpp

struct LoaderOptions {
  std::int64_t batch_size = 128;  // capped at the dataset's size
  bool shuffle = true;
  bool drop_last = false;
  int num_workers = 2;        // 0: batches are built on the consumer's thread
  int prefetch = 4;           // batches decoded ahead of the consumer (>= 1)
  std::uint64_t seed = 0;
  Device device = Device::cpu();  // CUDA: batches built in pinned memory, then copied
  // Data-parallel training: this process is shard `shard_rank` of `shard_count`.
  // A global batch then holds batch_size * shard_count positions of the epoch's
  // order (the one-process order at that batch size) and this shard takes
  // positions shard_rank, shard_rank + shard_count, ... of it; sample keys (and so
  // augmentation) are unchanged. A shard whose part of the last batch is empty
  // (or all corrupt) still gets that batch, with no rows (images undefined,
  // labels [0]): every rank takes the same number of steps.
  int shard_rank = 0;
  int shard_count = 1;
};

struct Batch {
  Tensor images;  // float32 [N, C, H, W] on the loader's device
  Tensor labels;  // int64 [N]
  std::int64_t index = -1;                 // batch number within the epoch
  std::vector<std::int64_t> sample_indices;  // dataset indices of the rows, in order
  std::int64_t skipped = 0;                // corrupt samples left out of this batch
  bool empty() const { return !images.defined(); }  // no rows (a shard's empty part)
};

class DataLoader {
 public:
  // `transform` may be null (images go through ToTensor only).
  DataLoader(DatasetPtr dataset, TransformPtr transform, LoaderOptions options);
  ~DataLoader();  // stops and joins the workers, also mid-epoch
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  std::int64_t num_batches() const;
  // Rows of one (global) batch: batch_size * shard_count.
  std::int64_t global_batch_size() const { return opt_.batch_size * opt_.shard_count; }
  // Begins `epoch` at batch `start_batch` (to resume mid-epoch); abandons whatever
  // was left of the previous one.
  void start_epoch(std::int64_t epoch, std::int64_t start_batch = 0);
  // The next batch in order; false at the end of the epoch. A worker's exception
  // (e.g. a transform error) is rethrown here. Corrupt samples (CorruptSampleError
  // from the dataset or a transform) are skipped with one warning each; an epoch
  // in which every sample was skipped throws.
  bool next(Batch& out);
  // Corrupt samples skipped in the batches delivered so far this epoch.
  std::int64_t skipped_this_epoch() const { return skipped_; }
  const LoaderOptions& options() const { return opt_; }
  const Dataset& dataset() const { return *dataset_; }

  // The sample order of an epoch (identity when shuffle is off).
  static std::vector<std::int64_t> epoch_order(std::int64_t n, std::uint64_t seed, std::int64_t epoch, bool shuffle);

 private:
  struct Ready {
    Batch batch;
    std::exception_ptr error;
  };
  Ready build(std::int64_t generation, std::int64_t b);
  void worker_loop();
  // One warning per sample for the loader's life (a transform refused it).
  void warn_once(std::int64_t index, const std::string& why);

  DatasetPtr dataset_;
  TransformPtr transform_;
  LoaderOptions opt_;
  std::shared_ptr<PinnedPool> pool_;  // pinned batch buffers (CUDA targets only)

  // Shared with the workers, guarded by mu_.
  std::mutex mu_;
  std::condition_variable work_cv_, ready_cv_;
  std::int64_t generation_ = 0;  // bumped by start_epoch; stale batches are dropped
  std::int64_t epoch_ = -1;
  std::shared_ptr<const std::vector<std::int64_t>> order_;
  std::int64_t next_claim_ = 0, next_deliver_ = 0, end_batch_ = 0;
  std::map<std::int64_t, Ready> ready_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;

  std::int64_t skipped_ = 0;
  std::int64_t start_batch_ = 0, rows_ = 0;  // rows delivered this epoch
  bool epoch_reported_ = false;
  std::mutex warn_mu_;
  std::set<std::int64_t> warned_;
};

}  // namespace basin::data

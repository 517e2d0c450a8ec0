#include "data/loader.h"

#include <cstdio>
#include <map>
#include <set>

#include "data/pinned.h"

namespace basin::data {

namespace {
constexpr std::uint64_t kShuffleTag = 0x53485546464C45ull;  // "SHUFFLE": keeps order and augmentation apart
}  // namespace

// Recycles pinned batch buffers: cudaHostAlloc costs milliseconds and synchronizes
// the device, too much to pay per batch. A buffer whose batch was uploaded keeps
// the upload's fence: get() waits on it before handing the buffer to a worker
// to overwrite, so next() never waits for the copy it queued. The pool outlives
// none of its buffers' users by necessity: a buffer freed after the pool died
// goes straight to pinned_free (which waits for the copy).
class PinnedPool : public std::enable_shared_from_this<PinnedPool> {
 public:
  PinnedPool(std::size_t keep, int device) : keep_(keep), device_(device) {}
  ~PinnedPool() {
    for (auto& f : free_) pinned_free(f.second, device_);
    for (auto& f : fences_) pinned_fence_destroy(f.second);
  }
  // Storage over a pinned buffer of at least nbytes, or null when none can be had.
  std::shared_ptr<Storage> get(std::size_t nbytes) {
    void* p = nullptr;
    void* fence = nullptr;
    std::size_t cap = 0;
    {
      std::lock_guard<std::mutex> lk(mu_);
      for (std::size_t i = 0; i < free_.size(); ++i)
        if (free_[i].first >= nbytes) {
          cap = free_[i].first, p = free_[i].second;
          free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(i));
          auto f = fences_.find(p);
          if (f != fences_.end()) fence = f->second;
          break;
        }
    }
    if (p) pinned_fence_wait(fence);  // its last upload has read it
    if (!p) {
      p = pinned_alloc(nbytes, device_);
      cap = nbytes;
      if (!p) return nullptr;
      std::lock_guard<std::mutex> lk(mu_);
      known_.insert(p);
    }
    std::weak_ptr<PinnedPool> weak = weak_from_this();
    const int device = device_;
    return Storage::wrap(p, nbytes, Device::cpu(), [weak, cap, device](void* q) {
      if (auto pool = weak.lock()) pool->put(q, cap);
      else pinned_free(q, device);
    });
  }
  // Whether `p` is the start of one of this pool's buffers (in use or free).
  bool owns(const void* p) {
    std::lock_guard<std::mutex> lk(mu_);
    return known_.count(p) > 0;
  }
  // Queues the upload of `nbytes` of buffer `src` to `dst` and records its fence.
  void upload(void* dst, const void* src, std::size_t nbytes) {
    void* fence = nullptr;
    {
      std::lock_guard<std::mutex> lk(mu_);
      fence = fences_[src];
    }
    pinned_upload(dst, src, nbytes, device_, fence);
    std::lock_guard<std::mutex> lk(mu_);
    fences_[src] = fence;
  }

 private:
  void put(void* p, std::size_t cap) {
    std::lock_guard<std::mutex> lk(mu_);
    if (free_.size() < keep_) {
      free_.emplace_back(cap, p);
      return;
    }
    known_.erase(p);
    auto f = fences_.find(p);
    if (f != fences_.end()) {
      pinned_fence_wait(f->second);  // (rare: the pool is full) its upload must have read it
      pinned_fence_destroy(f->second);
      fences_.erase(f);
    }
    pinned_free(p, device_);
  }
  std::mutex mu_;
  std::size_t keep_;
  int device_;
  std::vector<std::pair<std::size_t, void*>> free_;
  std::set<const void*> known_;
  std::map<const void*, void*> fences_;  // buffer -> fence of its last upload
};

namespace {
std::shared_ptr<PinnedPool> pool_for(const LoaderOptions& opt) {
  if (!opt.device.is_cuda()) return nullptr;
  static std::mutex mu;
  static std::map<int, std::weak_ptr<PinnedPool>> shared;  // one pool per device
  std::lock_guard<std::mutex> lk(mu);
  auto p = shared[opt.device.index].lock();
  if (!p) {
    p = std::make_shared<PinnedPool>(static_cast<std::size_t>(opt.prefetch + opt.num_workers + 4), opt.device.index);
    shared[opt.device.index] = p;
  }
  return p;
}
}  // namespace

DataLoader::DataLoader(DatasetPtr dataset, TransformPtr transform, LoaderOptions options)
    : dataset_(std::move(dataset)), transform_(std::move(transform)), opt_(options) {
  BASIN_CHECK(dataset_, "DataLoader: no dataset");
  BASIN_CHECK(opt_.batch_size > 0, "DataLoader: batch_size " << opt_.batch_size);
  BASIN_CHECK(opt_.num_workers >= 0 && opt_.num_workers <= 256, "DataLoader: num_workers " << opt_.num_workers);
  BASIN_CHECK(opt_.prefetch >= 1, "DataLoader: prefetch " << opt_.prefetch << " (at least 1 batch)");
  BASIN_CHECK(dataset_->size() > 0, "DataLoader: dataset " << dataset_->description() << " is empty");
  // A batch never holds more than the dataset: --batch-size 10000000 on 60000
  // images is one batch of 60000, not a buffer sized for ten million.
  BASIN_CHECK(opt_.shard_count >= 1 && opt_.shard_rank >= 0 && opt_.shard_rank < opt_.shard_count,
              "DataLoader: shard " << opt_.shard_rank << " of " << opt_.shard_count);
  const std::int64_t per_shard = (dataset_->size() + opt_.shard_count - 1) / opt_.shard_count;
  opt_.batch_size = std::min(opt_.batch_size, per_shard);
  pool_ = pool_for(opt_);
  for (int w = 0; w < opt_.num_workers; ++w) workers_.emplace_back([this] { worker_loop(); });
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  ready_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

std::int64_t DataLoader::num_batches() const {
  const std::int64_t n = dataset_->size(), bs = global_batch_size();
  return opt_.drop_last ? n / bs : (n + bs - 1) / bs;
}

std::vector<std::int64_t> DataLoader::epoch_order(std::int64_t n, std::uint64_t seed, std::int64_t epoch,
                                                  bool shuffle) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[i] = i;
  if (!shuffle) return order;
  SampleRng rng(seed, static_cast<std::uint64_t>(epoch), 0, kShuffleTag);
  for (std::int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.randint(0, i + 1)]);  // Fisher-Yates
  return order;
}

void DataLoader::start_epoch(std::int64_t epoch, std::int64_t start_batch) {
  BASIN_CHECK(epoch >= 0, "DataLoader::start_epoch: epoch " << epoch);
  const std::int64_t nb = num_batches();
  BASIN_CHECK(start_batch >= 0 && start_batch <= nb,
              "DataLoader::start_epoch: start_batch " << start_batch << " outside [0, " << nb << "]");
  auto order = std::make_shared<const std::vector<std::int64_t>>(
      epoch_order(dataset_->size(), opt_.seed, epoch, opt_.shuffle));
  {
    std::lock_guard<std::mutex> lk(mu_);
    ++generation_;
    epoch_ = epoch;
    order_ = std::move(order);
    next_claim_ = next_deliver_ = start_batch;
    start_batch_ = start_batch;
    rows_ = 0;
    end_batch_ = nb;
    ready_.clear();
    skipped_ = 0;
    epoch_reported_ = false;
  }
  work_cv_.notify_all();
}

DataLoader::Ready DataLoader::build(std::int64_t generation, std::int64_t b) {
  Ready r;
  std::shared_ptr<const std::vector<std::int64_t>> order;
  std::int64_t epoch;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (generation != generation_) return r;
    order = order_;
    epoch = epoch_;
  }
  std::int64_t current = -1;
  try {
    const std::int64_t bs = global_batch_size(), n = dataset_->size(), step = opt_.shard_count;
    const std::int64_t begin = b * bs + opt_.shard_rank, end = std::min(b * bs + bs, n);
    Batch& out = r.batch;
    out.index = b;
    std::shared_ptr<Storage> storage;
    Image first_shape;  // geometry of the first good sample; all must match it
    std::vector<std::int64_t> labels;
    std::size_t numel = 0;
    for (std::int64_t k = begin; k < end; k += step) {
      if (stop_) return r;
      current = (*order)[k];
      Sample s;
      try {
        s = dataset_->get(current);
      } catch (const CorruptSampleError&) {
        ++out.skipped;  // the dataset has warned about the file once
        continue;
      }
      if (transform_) {
        SampleRng rng(opt_.seed, static_cast<std::uint64_t>(epoch), static_cast<std::uint64_t>(current));
        try {
          transform_->apply(s.image, rng);
        } catch (const CorruptSampleError& e) {  // e.g. a resize past kMaxImageValues
          warn_once(current, e.what());
          ++out.skipped;
          continue;
        }
      }
      const Image& im = s.image;
      if (!storage) {
        first_shape.height = im.height, first_shape.width = im.width, first_shape.channels = im.channels;
        numel = im.numel();
        // Sized by the rows this batch can hold, not by the batch size asked for.
        const std::size_t nbytes = static_cast<std::size_t>((end - begin + step - 1) / step) * numel * sizeof(float);
        if (pool_) storage = pool_->get(nbytes);
        if (!storage) storage = Storage::allocate(nbytes, Device::cpu());
      } else {
        BASIN_CHECK(im.height == first_shape.height && im.width == first_shape.width &&
                        im.channels == first_shape.channels,
                    "DataLoader: " << dataset_->sample_name(current) << " becomes " << im.str()
                                   << " after the transforms but the batch's first sample is " << first_shape.channels
                                   << "x" << first_shape.height << "x" << first_shape.width
                                   << "; add a Resize/CenterCrop/RandomResizedCrop so all samples have one size");
      }
      const std::size_t row = out.sample_indices.size();
      write_chw_float(im, static_cast<float*>(storage->data()) + row * numel);
      out.sample_indices.push_back(current);
      labels.push_back(s.label);
    }
    const std::int64_t rows = static_cast<std::int64_t>(labels.size());
    if (rows > 0) {
      Shape shape{rows, first_shape.channels, first_shape.height, first_shape.width};
      out.images = Tensor::make_view(storage, shape, contiguous_strides(shape), 0, DType::Float32);
      out.labels = Tensor::empty({rows}, DType::Int64);
      std::copy(labels.begin(), labels.end(), out.labels.data<std::int64_t>());
    } else {
      out.labels = Tensor::empty({0}, DType::Int64);
    }
  } catch (const std::exception& e) {
    const std::string where = current >= 0 ? dataset_->sample_name(current) : dataset_->description();
    const std::string msg = e.what();
    // Name the sample unless the message already does (ImageFolder names its files).
    r.error = std::make_exception_ptr(
        Error(msg.find(where) != std::string::npos ? msg : "DataLoader: " + where + ": " + msg));
  } catch (...) {
    r.error = std::current_exception();
  }
  return r;
}

void DataLoader::warn_once(std::int64_t index, const std::string& why) {
  std::lock_guard<std::mutex> lk(warn_mu_);
  if (warned_.insert(index).second)
    std::fprintf(stderr, "warning: skipping %s: %s\n", dataset_->sample_name(index).c_str(), why.c_str());
}

void DataLoader::worker_loop() {
  for (;;) {
    std::int64_t b, gen;
    {
      std::unique_lock<std::mutex> lk(mu_);
      work_cv_.wait(lk, [&] { return stop_ || (next_claim_ < end_batch_ && next_claim_ < next_deliver_ + opt_.prefetch); });
      if (stop_) return;
      b = next_claim_++;
      gen = generation_;
    }
    Ready r = build(gen, b);
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (stop_) return;
      if (gen != generation_) continue;  // start_epoch came in the meantime
      ready_.emplace(b, std::move(r));
    }
    ready_cv_.notify_all();
  }
}

bool DataLoader::next(Batch& out) {
  for (;;) {
    Ready r;
    {
      std::unique_lock<std::mutex> lk(mu_);
      BASIN_CHECK(epoch_ >= 0, "DataLoader::next: call start_epoch(epoch) first");
      if (next_deliver_ >= end_batch_) {
        // A whole epoch of unreadable images is not an empty result (a test loss of
        // 0 over no images): it is an error naming the data.
        BASIN_CHECK(epoch_reported_ || !(start_batch_ == 0 && rows_ == 0 && skipped_ > 0),
                    "DataLoader: every image of " << dataset_->description() << " is unreadable (" << skipped_
                                                  << " skipped, 0 usable)");
        // start_epoch's epochs are 0-based; messages count from 1, as the epoch lines do.
        if (!epoch_reported_ && skipped_ > 0)
          std::fprintf(stderr, "warning: skipped %lld unreadable image(s) in epoch %lld of %s\n",
                       static_cast<long long>(skipped_), static_cast<long long>(epoch_ + 1),
                       dataset_->description().c_str());
        epoch_reported_ = true;
        return false;
      }
      const std::int64_t b = next_deliver_;
      if (workers_.empty()) {
        const std::int64_t gen = generation_;
        lk.unlock();
        r = build(gen, b);
        lk.lock();
      } else {
        ready_cv_.wait(lk, [&] { return stop_ || ready_.count(b) > 0; });
        BASIN_CHECK(!stop_, "DataLoader::next: the loader is shutting down");
        auto it = ready_.find(b);
        r = std::move(it->second);
        ready_.erase(it);
      }
      ++next_deliver_;
      skipped_ += r.batch.skipped;
    }
    work_cv_.notify_all();
    if (r.error) std::rethrow_exception(r.error);
    // Every sample of this batch was corrupt (or, sharded, this shard's part is
    // empty: delivered anyway, so that every rank takes the step).
    if (!r.batch.images.defined() && opt_.shard_count == 1) continue;
    if (!opt_.device.is_cpu() && r.batch.images.defined()) {
      const Tensor& im = r.batch.images;
      if (pool_ && im.is_contiguous() && im.offset() == 0 && pool_->owns(im.raw_data())) {
        // Straight from the pinned buffer, queued on the device's stream without
        // waiting (no pageable staging copy); the buffer is reused only after
        // the copy has read it (PinnedPool::get waits on the fence).
        Tensor dev = Tensor::empty(im.shape(), im.dtype(), opt_.device);
        pool_->upload(dev.raw_data(), im.raw_data(), im.nbytes());
        r.batch.images = dev;
      } else {
        r.batch.images = im.to(opt_.device);
      }
      r.batch.labels = r.batch.labels.to(opt_.device);
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      rows_ += r.batch.labels.numel();
    }
    out = std::move(r.batch);
    return true;
  }
}

}  // namespace basin::data

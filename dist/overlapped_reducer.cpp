#include "dist/overlapped_reducer.h"

#include "kernels/arena.h"
#include "tensor/error.h"

namespace basin::dist {

OverlappedReducer::OverlappedReducer(Communicator& comm, Tensor grads, std::vector<ReducerParam> params,
                                     std::int64_t bucket_elems)
    : comm_(comm), grads_(std::move(grads)), params_(std::move(params)) {
  BASIN_CHECK(grads_.defined() && grads_.dtype() == DType::Float32 && grads_.is_contiguous() && grads_.dim() == 1,
              "OverlappedReducer: expected a flat contiguous float32 gradient arena, got " << grads_.str());
  BASIN_CHECK(bucket_elems > 0, "OverlappedReducer: bucket size " << bucket_elems);
  const std::int64_t size = grads_.numel();
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const ReducerParam& p = params_[i];
    BASIN_CHECK(p.leaf && p.offset >= 0 && p.numel >= 0 && p.offset + p.numel <= size &&
                    (i == 0 || p.offset >= params_[i - 1].offset + params_[i - 1].numel),
                "OverlappedReducer: parameter " << i << " at [" << p.offset << ", " << p.offset + p.numel
                                                << ") is not in order inside the arena of " << size);
  }
  // Back to front: a bucket grows down from `end` while it stays within
  // bucket_elems (a parameter alone larger than that gets a bucket of its own).
  std::int64_t end = size;
  for (int i = static_cast<int>(params_.size()) - 1; i >= 0; --i) {
    if (buckets_.empty() || (!buckets_.back().params.empty() && end - params_[i].offset > bucket_elems)) {
      if (!buckets_.empty()) end = buckets_.back().begin;
      buckets_.push_back({params_[i].offset, end, {}});
    }
    ReducerBucket& b = buckets_.back();
    b.begin = params_[i].offset;
    b.params.push_back(i);
    bucket_of_[params_[i].leaf] = static_cast<int>(buckets_.size()) - 1;
    end = b.end;
  }
  if (!buckets_.empty()) buckets_.back().begin = 0;  // leading padding, if any
  pending_.assign(buckets_.size(), 0);
}

OverlappedReducer::~OverlappedReducer() = default;

void OverlappedReducer::start_step(float scale) {
  wait_all();
  scale_ = scale;
  began_ = false;
  next_ = 0;
  pending_.assign(buckets_.size(), 0);
  pending_total_ = 0;
}

void OverlappedReducer::begin(const std::vector<TensorImpl*>& leaves) {
  BASIN_CHECK(!began_ && next_ == 0, "OverlappedReducer: a second backward pass in one step (the overlapped "
                                         "gradient all-reduce takes the gradient of one backward per step)");
  began_ = true;
  for (TensorImpl* leaf : leaves) {
    auto it = bucket_of_.find(leaf);
    if (it == bucket_of_.end()) continue;  // not a parameter of the arena (an input that requires grad)
    ++pending_[static_cast<std::size_t>(it->second)];
    ++pending_total_;
  }
  start_ready();  // leading buckets the graph does not reach
}

void OverlappedReducer::leaf_ready(TensorImpl* leaf) {
  auto it = bucket_of_.find(leaf);
  if (!began_ || it == bucket_of_.end()) return;
  std::int64_t& left = pending_[static_cast<std::size_t>(it->second)];
  if (left == 0) return;
  --left;
  --pending_total_;
  if (left == 0 && it->second == next_) start_ready();
  // Drive the collectives in flight (MPI progresses inside MPI calls).
  while (first_unfinished_ < inflight_.size() && inflight_[first_unfinished_]->test()) ++first_unfinished_;
}

void OverlappedReducer::finish() {
  while (next_ < static_cast<int>(buckets_.size())) start_bucket(next_++);
  wait_all();
  began_ = false;
}

void OverlappedReducer::start_ready() {
  while (next_ < static_cast<int>(buckets_.size()) && pending_[static_cast<std::size_t>(next_)] == 0)
    start_bucket(next_++);
}

void OverlappedReducer::start_bucket(int b) {
  const ReducerBucket& k = buckets_[static_cast<std::size_t>(b)];
  Tensor view = Tensor::make_view(grads_.storage(), {k.end - k.begin}, {1}, grads_.offset() + k.begin, DType::Float32);
  if (scale_ != 1.0f) kernels::arena_accumulate(view, view, scale_, 0.0f);
  inflight_.push_back(comm_.allreduce_async(view, ReduceOp::Sum));
}

void OverlappedReducer::wait_all() {
  // Clear even when a wait throws: the handles left wait in their destructors.
  std::vector<std::unique_ptr<PendingReduce>> all = std::move(inflight_);
  inflight_.clear();
  first_unfinished_ = 0;
  for (auto& h : all) h->wait();
}

}  // namespace basin::dist

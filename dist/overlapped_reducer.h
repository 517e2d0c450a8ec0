#pragma once
// The gradient all-reduce overlapped with the backward pass (PyTorch DDP's
// Reducer): the gradient arena is cut into buckets at parameter boundaries, in
// REVERSE registration order (the last layers first, as backward produces their
// gradients), each at most `bucket_elems` floats unless one parameter alone is
// larger. Installed as the backward observer (autograd/backward_hooks.h), it
// counts each bucket's outstanding AccumulateGrad nodes; when a bucket's count
// reaches zero its all-reduce starts (Communicator::allreduce_async) while
// backward goes on through earlier layers. Buckets start strictly in order
// (bucket i after 0..i-1), so every rank issues its collectives in the same
// order whatever order its backward finishes them in. A parameter the graph does
// not reach holds nothing back (its gradient is what zero_grad left). finish()
// (at the weight update) starts whatever did not start, a step without backward
// included (an empty shard, a non-finite loss), and waits for all.
//
// Each bucket is scaled by the step's weight right before it starts, with the
// same kernel as the reduction after backward (dist/bucketed.h's callers), so
// both paths give bitwise the same gradient.
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "autograd/backward_hooks.h"
#include "dist/bucketed.h"

namespace basin::dist {

// One parameter of the arena: its TensorImpl (as backward's AccumulateGrad sees
// it) and its place in the gradient arena.
struct ReducerParam {
  const TensorImpl* leaf = nullptr;
  std::int64_t offset = 0;
  std::int64_t numel = 0;
};

struct ReducerBucket {
  std::int64_t begin = 0, end = 0;  // [begin, end) of the arena, padding included
  std::vector<int> params;          // indices into the parameter list, last first
};

class OverlappedReducer final : public BackwardObserver {
 public:
  // `params` in registration order, offsets increasing; `grads` the flat float32
  // arena they live in (any device).
  OverlappedReducer(Communicator& comm, Tensor grads, std::vector<ReducerParam> params,
                    std::int64_t bucket_elems = kDefaultBucketElems);
  ~OverlappedReducer() override;
  OverlappedReducer(const OverlappedReducer&) = delete;
  OverlappedReducer& operator=(const OverlappedReducer&) = delete;

  // Bucket 0 holds the last parameters and ends at the arena's end; the buckets
  // tile [0, arena size) back to front.
  const std::vector<ReducerBucket>& buckets() const { return buckets_; }

  // A new step: every bucket is multiplied by `scale` before its reduction
  // (1: left as it is). Waits for anything a failed step left in flight.
  void start_step(float scale);
  // Starts the buckets not started yet, in order, and waits for all of them.
  void finish();

  // BackwardObserver. One backward per step: a second one throws.
  void begin(const std::vector<TensorImpl*>& leaves) override;
  void leaf_ready(TensorImpl* leaf) override;

  // Buckets started this step, and AccumulateGrad nodes still outstanding
  // (the tests' view of the overlap).
  int started() const { return next_; }
  std::int64_t pending_nodes() const { return pending_total_; }

 private:
  void start_ready();
  void start_bucket(int b);
  void wait_all();

  Communicator& comm_;
  Tensor grads_;
  std::vector<ReducerParam> params_;
  std::vector<ReducerBucket> buckets_;
  std::unordered_map<const TensorImpl*, int> bucket_of_;  // leaf -> bucket
  // This step.
  float scale_ = 1.0f;
  bool began_ = false;
  int next_ = 0;                         // the next bucket to start
  std::vector<std::int64_t> pending_;    // per bucket: AccumulateGrad nodes not yet run
  std::int64_t pending_total_ = 0;
  std::vector<std::unique_ptr<PendingReduce>> inflight_;
  std::size_t first_unfinished_ = 0;     // inflight_ before it tested complete
};

}  // namespace basin::dist

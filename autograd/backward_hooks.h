#pragma once
// An observer of backward passes: which parameters' gradients are complete, as
// soon as they are. Data-parallel training (dist/overlapped_reducer.h) uses it to
// start a bucket's all-reduce while backward still runs through earlier layers
// (PyTorch DDP's autograd hooks). The engine reports only to the observer
// installed on its thread; with none installed it does nothing more than today.
#include <vector>

namespace basin {

struct TensorImpl;

class BackwardObserver {
 public:
  virtual ~BackwardObserver() = default;
  // The start of run_backward: one entry per AccumulateGrad node reachable from
  // the root. Every use of a leaf by an op has its own node, so a leaf used k
  // times (a weight shared by two layers, x * x) appears k times, and its
  // gradient is complete after the k-th leaf_ready().
  virtual void begin(const std::vector<TensorImpl*>& leaves) = 0;
  // One AccumulateGrad node of `leaf` is done: it added its gradient (the kernel
  // is queued on the device's stream), or no gradient reached it and it was skipped.
  virtual void leaf_ready(TensorImpl* leaf) = 0;
};

// The observer of this thread's backward passes, or null.
BackwardObserver* backward_observer();

// Installs `obs` (null: none) for its scope on this thread; restores the previous one.
class BackwardObserverGuard {
 public:
  explicit BackwardObserverGuard(BackwardObserver* obs);
  ~BackwardObserverGuard();
  BackwardObserverGuard(const BackwardObserverGuard&) = delete;
  BackwardObserverGuard& operator=(const BackwardObserverGuard&) = delete;

 private:
  BackwardObserver* prev_;
};

}  // namespace basin

// The backward engine: reverse topological order over the nodes reachable from
// the root, gradients summed per node before it runs, every node released after
// it ran (so the graph's memory goes as soon as possible, and a second backward
// through the same graph is a clear error).
// With a backward observer installed (autograd/backward_hooks.h), each
// AccumulateGrad node runs as soon as its gradient is complete and is reported;
// these nodes feed nothing, so every other gradient is unchanged (a leaf used
// three or more times may sum its uses in another order).
#include <unordered_map>
#include <vector>

#include "autograd/backward_hooks.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/profiler.h"
#include "kernels/elementwise.h"
#include "kernels/fill_copy.h"

namespace basin {

namespace {
thread_local BackwardObserver* t_observer = nullptr;

// The leaf of an AccumulateGrad node, or null for every other node.
TensorImpl* accumulated_leaf(Node* n) {
  auto* a = dynamic_cast<AccumulateGrad*>(n);
  return a ? a->leaf() : nullptr;
}
}  // namespace

BackwardObserver* backward_observer() { return t_observer; }
BackwardObserverGuard::BackwardObserverGuard(BackwardObserver* obs) : prev_(t_observer) { t_observer = obs; }
BackwardObserverGuard::~BackwardObserverGuard() { t_observer = prev_; }

void run_backward(const Tensor& root, const Tensor& seed_in) {
  BASIN_CHECK(root.requires_grad(), "backward: the tensor does not require grad (no input of the computation "
                                    "that produced it requires grad, or it was computed under NoGradGuard)");
  Tensor seed = seed_in;
  if (!seed.defined()) {
    BASIN_CHECK(root.numel() == 1, "backward: called without a gradient on a tensor of shape "
                                       << shape_str(root.shape()) << "; only single-element tensors get an "
                                       << "implicit gradient of 1");
    seed = Tensor::ones(root.shape(), DType::Float32, root.device());
  }
  BASIN_CHECK(seed.shape() == root.shape(), "backward: gradient shape " << shape_str(seed.shape())
                                                                         << " differs from the tensor's "
                                                                         << shape_str(root.shape()));
  NoGradGuard no_grad;

  std::shared_ptr<Node> start = root.grad_fn();
  if (!start) start = std::make_shared<AccumulateGrad>(root.impl_ptr());

  // Count, for each reachable node, how many edges point at it (and, for an
  // observer, list the reachable AccumulateGrad nodes' leaves).
  BackwardObserver* const observer = t_observer;
  std::vector<TensorImpl*> leaves;
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> stack{start.get()};
  deps[start.get()] = 0;
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    if (observer)
      if (TensorImpl* leaf = accumulated_leaf(n)) leaves.push_back(leaf);
    for (auto& m : n->next) {
      if (!m) continue;
      auto it = deps.find(m.get());
      if (it == deps.end()) {
        deps[m.get()] = 1;
        stack.push_back(m.get());
      } else {
        it->second++;
      }
    }
  }
  if (observer) observer->begin(leaves);

  std::unordered_map<Node*, Tensor> pending;
  pending[start.get()] = seed;
  std::vector<std::shared_ptr<Node>> ready{start};
  while (!ready.empty()) {
    std::shared_ptr<Node> n = std::move(ready.back());
    ready.pop_back();
    Tensor g = std::move(pending[n.get()]);
    pending.erase(n.get());
    BASIN_CHECK(!n->released, "backward: the graph through '"
                                  << n->name() << "' was already freed by an earlier backward(); "
                                  << "run the forward pass again before calling backward a second time");
    std::vector<Tensor> grads;
    if (Profiler::active() && !dynamic_cast<AccumulateGrad*>(n.get())) {
      ProfileTimer timer("backward", n->name(), g.device());
      grads = n->apply(g);
    } else {
      grads = n->apply(g);
    }
    BASIN_CHECK(grads.empty() || grads.size() == n->next.size(),
                "backward of '" << n->name() << "' returned " << grads.size() << " gradients for "
                                << n->next.size() << " inputs");
    for (size_t i = 0; i < grads.size(); ++i) {
      const auto& m = n->next[i];
      if (!m) continue;
      if (grads[i].defined()) {
        auto it = pending.find(m.get());
        if (it == pending.end() || !it->second.defined()) {
          pending[m.get()] = grads[i];
        } else {
          BASIN_CHECK(it->second.shape() == grads[i].shape(),
                      "backward of '" << n->name() << "': gradient shapes " << shape_str(it->second.shape())
                                      << " and " << shape_str(grads[i].shape()) << " meet at '" << m->name()
                                      << "'");
          // Sum into a fresh buffer: the earlier gradient may alias a saved tensor.
          Tensor sum = Tensor::empty(grads[i].shape(), DType::Float32, grads[i].device());
          kernels::binary(kernels::BinaryOp::Add, it->second, grads[i], sum);
          it->second = sum;
        }
      }
      if (--deps[m.get()] == 0) {
        if (!pending.count(m.get())) {
          // No gradient flowed along any edge (all undefined): skip, but release.
          m->release();
          m->released = !dynamic_cast<AccumulateGrad*>(m.get());
          if (observer)
            if (TensorImpl* leaf = accumulated_leaf(m.get())) observer->leaf_ready(leaf);
        } else if (observer && dynamic_cast<AccumulateGrad*>(m.get())) {
          // Observed: a leaf's gradient is added the moment it is complete (it
          // feeds no other node, so no other gradient changes), letting the
          // observer start its all-reduce while backward goes on.
          Tensor lg = std::move(pending[m.get()]);
          pending.erase(m.get());
          m->apply(lg);
          observer->leaf_ready(accumulated_leaf(m.get()));
        } else {
          ready.push_back(m);
        }
      }
    }
    if (!dynamic_cast<AccumulateGrad*>(n.get())) {
      n->release();
      n->released = true;
    } else if (observer) {
      observer->leaf_ready(accumulated_leaf(n.get()));
    }
  }
}

void Tensor::backward(const Tensor& grad) const { run_backward(*this, grad); }

}  // namespace basin

#include "autograd/node.h"

#include "autograd/grad_mode.h"
#include "kernels/elementwise.h"
#include "kernels/fill_copy.h"

namespace basin {

// Destroying the last owner of a long chain would recurse once per node through
// shared_ptr destructors. Instead, nodes whose only owner is this one are moved
// to an explicit stack and torn down here, one level at a time.
Node::~Node() {
  std::vector<std::shared_ptr<Node>> stack;
  for (auto& n : next)
    if (n && n.use_count() == 1) stack.push_back(std::move(n));
  next.clear();
  while (!stack.empty()) {
    std::shared_ptr<Node> n = std::move(stack.back());
    stack.pop_back();
    for (auto& m : n->next)
      if (m && m.use_count() == 1) stack.push_back(std::move(m));
    n->next.clear();
    // n is destroyed here with no children left to recurse into.
  }
}

std::vector<Tensor> AccumulateGrad::apply(const Tensor& g) {
  NoGradGuard no_grad;
  Tensor leaf(leaf_);
  BASIN_CHECK(g.shape() == leaf.shape(), "backward: gradient of shape " << shape_str(g.shape())
                                                                       << " for a leaf of shape "
                                                                       << shape_str(leaf.shape())
                                                                       << (leaf.name().empty() ? "" : " (" + leaf.name() + ")"));
  if (!leaf_->grad) {
    Tensor fresh = Tensor::empty(leaf.shape(), DType::Float32, leaf.device());
    kernels::copy(g, fresh);
    leaf_->grad = fresh.impl_ptr();
  } else {
    Tensor acc(leaf_->grad);
    kernels::axpy(1.0f, g, acc);
  }
  return {};
}

}  // namespace basin

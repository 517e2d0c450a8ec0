#include "autograd/function.h"

namespace basin {

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!GradMode::enabled()) return false;
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Tensor record(const char* name, Tensor out, const std::vector<Tensor>& inputs, LambdaNode::Fn backward) {
  if (!needs_grad(inputs)) return out;
  auto node = std::make_shared<LambdaNode>(name, std::move(backward));
  node->next.reserve(inputs.size());
  for (const auto& t : inputs) {
    if (!t.defined() || !t.requires_grad()) {
      node->next.push_back(nullptr);
    } else if (t.grad_fn()) {
      node->next.push_back(t.grad_fn());
    } else {
      node->next.push_back(std::make_shared<AccumulateGrad>(t.impl_ptr()));
    }
  }
  out.impl().requires_grad = true;
  out.impl().grad_fn = node;
  return out;
}

}  // namespace basin

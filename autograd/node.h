#pragma once
// A node of the backward graph. Each differentiable op that sees an input
// requiring grad creates one node holding what its backward needs; `next[i]` is
// the node that receives the gradient for input i (nullptr where input i needs
// none). Leaves end in an AccumulateGrad node that adds into the leaf's .grad.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace basin {

class Node {
 public:
  explicit Node(std::string name) : name_(std::move(name)) {}
  virtual ~Node();  // iterative: a chain of 1e6 nodes must not overflow the stack
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Gradients for each input (same order as `next`); an undefined Tensor means "none".
  virtual std::vector<Tensor> apply(const Tensor& grad_output) = 0;
  // Drops saved tensors after backward ran through this node.
  virtual void release() {}

  const std::string& name() const { return name_; }
  std::vector<std::shared_ptr<Node>> next;
  bool released = false;

 private:
  std::string name_;
};

// Backward given as a function; the usual way ops define their gradient (see
// autograd/function.h). Captured tensors must be detached (x.detach()) so the
// graph holds no cycle through the tensors it produced.
class LambdaNode : public Node {
 public:
  using Fn = std::function<std::vector<Tensor>(const Tensor&)>;
  LambdaNode(std::string name, Fn fn) : Node(std::move(name)), fn_(std::move(fn)) {}
  std::vector<Tensor> apply(const Tensor& g) override { return fn_(g); }
  void release() override { fn_ = nullptr; }

 private:
  Fn fn_;
};

class AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : Node("AccumulateGrad"), leaf_(std::move(leaf)) {}
  std::vector<Tensor> apply(const Tensor& g) override;
  // The leaf whose .grad this node adds into (backward observers: autograd/backward_hooks.h).
  TensorImpl* leaf() const { return leaf_.get(); }

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

// Runs reverse mode from `root` seeded with `seed` (autograd/engine.cpp).
void run_backward(const Tensor& root, const Tensor& seed);

}  // namespace basin

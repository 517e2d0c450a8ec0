#include "train/nonfinite.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "kernels/reduce.h"

namespace basin::train {

namespace {
// A NaN, or Infs of one sign, make the plain sum non-finite; Infs of both signs
// make it NaN. So one read-only pass, with no temporary, decides it (a sum that
// overflows from finite values is reported too, and is worth stopping for).
bool finite_sum(const Tensor& g) {
  Tensor out = Tensor::empty(Shape(static_cast<size_t>(g.dim()), 1), DType::Float32, g.device());
  std::vector<int> axes(static_cast<size_t>(g.dim()));
  for (int i = 0; i < g.dim(); ++i) axes[static_cast<size_t>(i)] = i;
  kernels::reduce(kernels::ReduceOp::Sum, g, axes, out);
  return std::isfinite(out.item());
}
}  // namespace

std::string first_nonfinite_grad(const nn::ParameterArena& arena) {
  NoGradGuard no_grad;
  if (arena.grads().numel() == 0 || finite_sum(arena.grads())) return "";
  for (const auto& s : arena.segments())
    if (!finite_sum(arena.grad_view(s))) return s.name;
  return "(the gradient arena)";
}

}  // namespace basin::train

#pragma once
// Pinning ReLU activation patterns, for curvature measurements.
//
// A ReLU network's loss is only piecewise smooth: a finite-difference
// Hessian-vector product (g(W + t v) - g(W - t v)) / 2t picks up a jump / 2t from
// every unit whose pre-activation changes sign between the two points, a bias that
// does not shrink with t. While an ActivationPattern is installed on this thread,
// nn::ReLU records its on/off mask per call (Record) and then multiplies by the
// recorded mask instead (Replay): the network becomes the linearization of the
// ReLUs at W, whose Hessian is the one autograd reports (relu'' = 0).
// Used by curvature/model_objective.cpp; ReLU layers ask active_activation_pattern().
#include <cstddef>
#include <vector>

#include "tensor/tensor.h"

namespace basin::nn {

struct ActivationPattern {
  enum class Mode { Record, Replay };
  Mode mode = Mode::Record;
  std::vector<Tensor> masks;  // one float32 1/0 mask per ReLU call, in call order
  std::size_t next = 0;       // replay position; reset to 0 before each pass
  // relu(x) in Record mode (storing x > 0); x * mask[next++] in Replay mode. The
  // replayed call must have the recorded shape (same batches in the same order).
  Tensor relu(const Tensor& x);
};

// The pattern installed on this thread (nullptr: plain ReLU).
ActivationPattern*& active_activation_pattern();

}  // namespace basin::nn

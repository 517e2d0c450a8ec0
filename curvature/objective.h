#pragma once
// The curvature estimators (HVP, Hutchinson trace, power iteration, perturbation
// gap) see a model only through this abstract objective: a flat float32 parameter
// vector and a function that returns the loss (and its gradient) at the CURRENT
// contents of that vector. A model's ParameterArena fits exactly (params() is the
// flat vector; curvature/model_objective.h builds the closures), and closed-form
// test objectives (quadratics, quartics) fit too, so every estimator can be
// checked against known answers without a network.
//
// Contract: the estimators write into `params` in place (W + t v, W + U, ...) and
// always restore the original bits before returning, also when an exception
// escapes. The closures must therefore read the parameters from `params` itself
// (or from views of its storage), never from a private copy.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace basin::curvature {

// A named contiguous range of the parameter vector (an arena segment: one
// parameter tensor). Per-block traces are reported per ParamBlock.
struct ParamBlock {
  std::string name;
  std::int64_t offset = 0;
  std::int64_t numel = 0;
};

struct Objective {
  Tensor params;  // flat [P] float32, contiguous, on the device the math runs on
  // Returns the loss at the current params and writes its gradient into grad_out
  // ([P] float32, same device; the callee overwrites it).
  std::function<float(Tensor& grad_out)> loss_and_grad;
  // Returns the loss at the current params (no gradient: cheaper).
  std::function<float()> loss;
  // Optional partition of params for per-block traces; empty = one block "all".
  std::vector<ParamBlock> blocks;
  // True: only the elements inside `blocks` are parameters; the rest of params is
  // alignment padding that the loss never reads (a model's ParameterArena, whose
  // tensors start 256-byte aligned). Random directions are then zero on the
  // padding and hold, in the blocks, the values a packed vector (blocks back to
  // back) would get, so every estimate is the one of the packed parameters; the
  // parameter count is the blocks' total. Blocks must then be sorted and disjoint.
  bool padded = false;
  // Optional hooks around a finite-difference HVP: freeze_pattern() is called at
  // the base point W before differencing and release_pattern() after, so a model
  // can pin its ReLU activation pattern to the one of W (see docs/curvature.md:
  // kinks crossed by W +- t v poison the difference). Unset = no freezing.
  std::function<void()> freeze_pattern;
  std::function<void()> release_pattern;
};

// Checks the objective is usable (defined closures, flat contiguous float32
// params, blocks inside [0, P)). Throws basin::Error naming `who`.
void check_objective(const Objective& f, const char* who);

// The number of parameters: the blocks' total when padded, else params' length.
std::int64_t num_parameters(const Objective& f);

}  // namespace basin::curvature

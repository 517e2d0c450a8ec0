#pragma once
// Finding where a training step went non-finite, so the error can name it.
#include <string>

#include "nn/arena.h"

namespace basin::train {

// Name of the first parameter whose gradient holds a NaN or Inf, or "" when all
// are finite. One reduction over the whole gradient arena per call; the
// per-tensor scan runs only when that sum is non-finite.
std::string first_nonfinite_grad(const nn::ParameterArena& arena);

}  // namespace basin::train

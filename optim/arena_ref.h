#pragma once
// ArenaRef: what an optimizer needs to know about the parameter arena, and no
// more: the flat parameters, the flat gradients, which element ranges get no
// weight decay, and how to zero the gradients. Tests build one by hand from two
// flat tensors; a model's nn::ParameterArena becomes one through arena_ref().
#include <cstdint>
#include <functional>
#include <string>

#include "kernels/arena.h"

namespace basin::optim {

struct ArenaRef {
  Tensor params;                    // [P] float32, contiguous
  Tensor grads;                     // [P] float32, contiguous, same device
  kernels::ArenaRanges no_decay;    // sorted, disjoint [begin, end) ranges: no weight decay there
  std::function<void()> zero_grad;  // optional; default: fill grads with 0

  std::int64_t numel() const { return params.numel(); }
  Device device() const { return params.device(); }
  void clear_grads() const {
    if (zero_grad) zero_grad();
    else {
      Tensor g = grads;
      kernels::arena_fill(g, 0.0f);
    }
  }
  // Throws with `who` in the message unless params/grads are matching flat arenas
  // and no_decay is well formed.
  void check(const char* who) const;
};

// Sorts and merges touching ranges ([0,3) + [3,5) -> [0,5)).
kernels::ArenaRanges merge_ranges(kernels::ArenaRanges r);

// Adapter from nn::ParameterArena (or anything with params(), grads(),
// segments() -> {offset, numel, is_bias_or_norm}, zero_grad()). With
// decay_bias_and_norm false, biases and norm parameters get no weight decay
// (the usual parameter-group option); true decays everything, as PyTorch does
// with a single group.
template <typename Arena>
ArenaRef arena_ref(Arena& arena, bool decay_bias_and_norm = false) {
  ArenaRef r;
  r.params = arena.params();
  r.grads = arena.grads();
  if (!decay_bias_and_norm) {
    for (const auto& s : arena.segments())
      if (s.is_bias_or_norm) r.no_decay.emplace_back(s.offset, s.offset + s.numel);
    r.no_decay = merge_ranges(std::move(r.no_decay));
  }
  Arena* a = &arena;
  r.zero_grad = [a] { a->zero_grad(); };
  return r;
}

}  // namespace basin::optim

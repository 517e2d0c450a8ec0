#pragma once
// ArenaRef: what an optimizer needs to know about the parameter arena, and no
// more: the flat parameters, the flat gradients, which element ranges get no
// weight decay, and how to zero the gradients. Tests build one by hand from two
// flat tensors; a model's nn::ParameterArena becomes one through arena_ref().
//
// A model's arena is padded (nn/arena.h: each tensor starts 256-byte aligned):
// `layout` then lists the element ranges that hold parameters. The update
// kernels run over the whole buffer (padding stays zero: zero weight, zero
// gradient, zero state in, zero out), and optimizer state is saved packed, the
// layout's ranges back to back, so a checkpoint does not depend on the padding
// (and files written before the padding existed still load).
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
  kernels::ArenaRanges layout;      // sorted, disjoint ranges holding parameters; empty: all of [0, P)
  // Optional: called by SGD and AdamW on the final gradient right before each
  // weight update (data-parallel training: the all-reduce across ranks, so a
  // perturbation method reduces only the gradient it applies). May throw; the
  // weights are then left as they are.
  std::function<void()> sync_grads;

  // Length of the buffers (padding included): the size of every state buffer.
  std::int64_t numel() const { return params.numel(); }
  // Parameters only (the sum of layout's ranges; numel() without a layout).
  std::int64_t packed_numel() const;
  Device device() const { return params.device(); }
  void clear_grads() const {
    if (zero_grad) zero_grad();
    else {
      Tensor g = grads;
      kernels::arena_fill(g, 0.0f);
    }
  }
  // Throws with `who` in the message unless params/grads are matching flat arenas
  // and no_decay and layout are well formed.
  void check(const char* who) const;
  // A new [packed_numel()] copy of the layout's ranges of the arena-shaped `t`.
  Tensor pack(const Tensor& t) const;
  // Zeroes the arena-shaped `dst` and writes the packed `src` (any device) into
  // the layout's ranges; throws naming `key` if src has not packed_numel() floats.
  void unpack(Tensor& dst, const Tensor& src, const std::string& key) const;
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
  for (const auto& s : arena.segments()) r.layout.emplace_back(s.offset, s.offset + s.numel);
  r.layout = merge_ranges(std::move(r.layout));
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

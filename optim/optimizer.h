#pragma once
// The one interface every optimizer in basin offers the trainer:
//
//   float loss = opt.step(closure);
//
// `closure(update_bn_stats)` runs forward + backward on the CURRENT batch at the
// CURRENT arena weights and returns the loss; it must not zero gradients (the
// optimizer does that itself, through the arena, before every evaluation). A
// perturbation method calls it several times per step with the weights moved;
// a plain method calls it once.
//
// BatchNorm policy: the closure receives update_bn_stats = true on exactly one
// evaluation per step, the first one, and false on all others. When false, the
// trainer's closure must leave BN running statistics alone (set BN momentum to 0
// for that pass, or skip the running update), while still normalizing with the
// batch's statistics (train mode). So running statistics move once per step
// whatever the method, as with plain SGD (davda54/sam's bypass_bn does the same).
//
// State (momentum buffers, step counts, RNG position) goes to and comes from a
// name -> Tensor map, which the trainer writes with the model's safetensors; a
// run resumed from it takes exactly the steps the uninterrupted run would take.
// Arena-shaped buffers are stored packed (ArenaRef::pack: parameters only, no
// alignment padding).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "optim/arena_ref.h"

namespace basin::optim {

using Closure = std::function<float(bool update_bn_stats)>;
using StateMap = std::map<std::string, Tensor>;

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One optimization step; returns the loss the method reports (see each class).
  virtual float step(const Closure& closure) = 0;

  virtual double lr() const = 0;
  virtual void set_lr(double lr) = 0;
  // Steps taken so far.
  virtual std::int64_t steps() const = 0;
  virtual std::string name() const = 0;
  // Closures run per step (1 for SGD, 2 for SAM and NSO k=1, ...).
  virtual int passes_per_step() const = 0;

  // Copies of the state under `prefix` (e.g. "optim.momentum_buffer").
  virtual void save_state(StateMap& out, const std::string& prefix = "optim.") const = 0;
  // Throws naming the missing/mismatched entry. Tensors may be on the CPU.
  virtual void load_state(const StateMap& in, const std::string& prefix = "optim.") = 0;

  virtual const ArenaRef& arena() const = 0;
};

// An optimizer that turns a gradient (already in arena.grads) into a weight
// update: SGD, AdamW. The perturbation family wraps one of these.
class BaseOptimizer : public Optimizer {
 public:
  explicit BaseOptimizer(ArenaRef arena, const char* who);
  // W <- update(W, arena.grads); counts a step.
  virtual void update() = 0;
  // zero grads, loss = closure(true), update(): plain training.
  float step(const Closure& closure) override;
  int passes_per_step() const override { return 1; }
  const ArenaRef& arena() const override { return arena_; }
  // The arena to write to (perturbation methods move the weights and fold the
  // gradients in place before update()).
  ArenaRef& arena() { return arena_; }

 protected:
  ArenaRef arena_;
};

// ---- helpers for state maps (used by the optimizers; handy in tests) -------------
// A new contiguous copy of a flat float32 tensor on the same device.
Tensor copy_flat(const Tensor& t);
// Copies `src` (any device) into `dst`; throws naming `key` if the sizes differ.
void load_flat(Tensor& dst, const Tensor& src, const std::string& key);
Tensor int_scalar(std::int64_t v);
std::int64_t read_int(const StateMap& m, const std::string& key);
const Tensor& find_state(const StateMap& m, const std::string& key);

}  // namespace basin::optim
